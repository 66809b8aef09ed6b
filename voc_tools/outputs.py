"""Output folders: nothing the user made is written over without ``--force``, and no output
lands inside a dataset."""
from __future__ import annotations

from pathlib import Path

from .errors import GestureKitError


def check_output_folder(out: str | Path, force: bool, verb: str = "write") -> Path:
    """Refuse ``out`` when it is a file, or a non-empty folder unless ``force``."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise GestureKitError("exists and is not a folder", out)
    if out.is_dir() and any(out.iterdir()) and not force:
        raise GestureKitError(f"is not empty; pass --force to {verb} into it (files of the "
                              "same name are replaced)", out)
    return out


def prepare_output_folder(out: str | Path, force: bool, verb: str = "write") -> Path:
    """:func:`check_output_folder`, then create ``out``."""
    out = check_output_folder(out, force, verb)
    out.mkdir(parents=True, exist_ok=True)
    return out


def refuse_inside(out: str | Path, folder: str | Path, what: str) -> None:
    """Refuse an output folder that is ``folder`` (e.g. a VOC root) or lies inside it."""
    out, folder = Path(out).resolve(), Path(folder).resolve()
    if out == folder or folder in out.parents:
        raise GestureKitError(f"is inside the {what} {folder}; choose an --out outside it",
                              out)
