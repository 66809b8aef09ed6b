"""Line-based annotation files: the content lines, each with its ``file:line`` name."""
from __future__ import annotations

from pathlib import Path

from voc_tools.errors import GestureKitError


def content_lines(path: str | Path) -> list[tuple[str, str]]:
    """``(file:line, text)`` of every line that is not blank and not a ``#`` comment."""
    path = Path(path)
    if not path.is_file():
        raise GestureKitError("no such annotation file", path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise GestureKitError("not a text file", path) from None
    return [(f"{path}:{number}", text) for number, text in enumerate(lines, 1)
            if text.strip() and not text.lstrip().startswith("#")]
