"""``classes.txt``: one class name per line, line order = class id."""
from __future__ import annotations

from pathlib import Path

from .errors import GestureKitError

CLASSES_FILE = "classes.txt"


def read_classes(path: str | Path) -> list[str]:
    """Read class names from ``classes.txt`` (or a dataset root holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / CLASSES_FILE
    if not path.is_file():
        raise GestureKitError("no classes file (one class name per line)", path)
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    names = [n for n in names if n]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise GestureKitError(f"duplicate class names: {', '.join(duplicates)}", path)
    if not names:
        raise GestureKitError("no class names", path)
    return names


def write_classes(names: list[str], path: str | Path) -> Path:
    """Write class names, one per line."""
    path = Path(path)
    if path.is_dir():
        path = path / CLASSES_FILE
    path.write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
    return path
