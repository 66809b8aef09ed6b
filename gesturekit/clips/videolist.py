"""Video lists: ``<rel_path_to_video> <label_id>`` per line (the input of ``clips dump``).

Paths are relative to the videos folder and use ``/``; label ids index ``classes.txt``.
Blank lines and lines starting with ``#`` are ignored.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

from voc_tools.errors import GestureKitError

from .textlines import content_lines


@dataclass(frozen=True)
class VideoEntry:
    """One listed video and its class id."""

    video: str
    label: int


def _parse(text: str, where: str, classes: list[str] | None) -> VideoEntry:
    fields = text.split()
    if len(fields) != 2:
        raise GestureKitError(f"expected '<rel_path_to_video> <label_id>', got {len(fields)} "
                              f"fields", where)
    video, label_text = fields
    try:
        label = int(label_text)
    except ValueError:
        raise GestureKitError(f"label id {label_text!r} is not an integer", where) from None
    path = PurePosixPath(video)
    if path.is_absolute() or ".." in path.parts:
        raise GestureKitError(f"video path {video!r} must be relative to the videos folder",
                              where)
    if label < 0 or (classes is not None and label >= len(classes)):
        known = "" if classes is None else f" (ids 0..{len(classes) - 1} in classes.txt)"
        raise GestureKitError(f"label id {label} is outside the classes{known}", where)
    return VideoEntry(video, label)


def read_video_list(path: str | Path, classes: list[str] | None = None) -> list[VideoEntry]:
    """The entries of a video list; label ids are checked against ``classes`` when given."""
    entries = [_parse(text, where, classes) for where, text in content_lines(path)]
    twice = [video for video, n in Counter(e.video for e in entries).items() if n > 1]
    if twice:
        raise GestureKitError(f"video {twice[0]!r} is listed more than once", path)
    return entries


def write_video_list(entries: Iterable[VideoEntry], path: str | Path) -> Path:
    """Write one ``<video> <label>`` line per entry."""
    path = Path(path)
    path.write_text("".join(f"{e.video} {e.label}\n" for e in entries), encoding="utf-8")
    return path
