"""Reading the user's text files (lists, classes.txt, CSV): UTF-8, or one line saying where not."""
from __future__ import annotations

import io
from pathlib import Path

from .errors import GestureKitError


def decode_utf8(data: bytes, path: str | Path) -> str:
    """``data`` as UTF-8 text (a BOM kept); other bytes are an error naming ``path``."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise GestureKitError(f"is not UTF-8 text (byte 0x{data[err.start]:02x} on line "
                              f"{line}); save it as UTF-8", path) from None


def read_text(path: str | Path) -> str:
    """The text of a UTF-8 file, a leading BOM dropped (see :func:`decode_utf8`)."""
    path = Path(path)
    return decode_utf8(path.read_bytes(), path).removeprefix("\ufeff")


def open_csv(path: str | Path) -> io.StringIO:
    """A UTF-8 CSV file as a text stream for :mod:`csv` (line endings kept)."""
    return io.StringIO(read_text(path), newline="")
