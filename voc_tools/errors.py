"""The one error type every GestureKit layer raises for bad user input."""
from __future__ import annotations

from pathlib import Path


class GestureKitError(Exception):
    """A user-facing problem; ``str(err)`` is one line naming the file and the problem."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        text = f"{path}: {message}" if path is not None else message
        super().__init__(" ".join(text.split()))
