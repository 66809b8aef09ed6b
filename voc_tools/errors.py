"""The one error type every GestureKit layer raises for bad user input."""
from __future__ import annotations

from pathlib import Path


class GestureKitError(Exception):
    """A user-facing problem; ``str(err)`` is one line naming the file and the problem."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        text = f"{path}: {message}" if path is not None else message
        super().__init__(" ".join(text.split()))


def run_reporting_errors(prog: str, action) -> int:  # type: ignore[no-untyped-def]
    """Run ``action()`` for a command-line program: a :class:`GestureKitError` prints
    ``<prog>: error: <message>`` and gives exit code 2, Ctrl-C gives 130."""
    import sys

    try:
        return int(action() or 0)
    except GestureKitError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
