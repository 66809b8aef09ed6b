"""``classes.txt``: one class name per line, line order = class id."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from .errors import GestureKitError
from .text_io import read_text

CLASSES_FILE = "classes.txt"


def read_classes(path: str | Path) -> list[str]:
    """Read class names from ``classes.txt`` (or a dataset root holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / CLASSES_FILE
    if not path.is_file():
        raise GestureKitError("no classes file (one class name per line)", path)
    names = [line.strip() for line in read_text(path).splitlines()]
    names = [n for n in names if n]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise GestureKitError(f"duplicate class names: {', '.join(duplicates)}", path)
    if not names:
        raise GestureKitError("no class names", path)
    return names


def count_text(counts: Mapping[str, int]) -> str:
    """``"drop 3, grab 5"``: counts per class name, sorted by name; ``"none"`` when empty."""
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "none"


def write_classes(names: list[str], path: str | Path) -> Path:
    """Write class names, one per line."""
    path = Path(path)
    if path.is_dir():
        path = path / CLASSES_FILE
    path.write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
    return path
