"""The rawframes annotation format of OpenVINO's training extensions.

One clip per line, fields separated by whitespace::

    <rel_path_to_video_dir> <label_id> <start_video_frame_id> <end_video_frame_id> \
<start_clip_frame_id> <end_clip_frame_id> <video_fps>

Frame ids are 1-based and inclusive; the video's frames are
``DATA_DIR/rawframes/<rel_path_to_video_dir>/00001.jpg`` ... and the clip (the labelled
part) lies inside the video's frame range. Blank lines and lines starting with ``#`` are
ignored.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

from voc_tools.errors import GestureKitError

from .textlines import content_lines

RAWFRAMES_DIR = "rawframes"
FIELDS = 7


@dataclass(frozen=True)
class ClipRecord:
    """One annotation line: a video's frame folder, its label and frame ranges (1-based)."""

    video_dir: str  # relative to DATA_DIR/rawframes, '/'-separated
    label: int
    start_frame: int
    end_frame: int
    clip_start: int
    clip_end: int
    fps: float

    @property
    def frames(self) -> int:
        """Number of video frames on disk."""
        return self.end_frame - self.start_frame + 1

    @property
    def clip_frames(self) -> int:
        """Number of frames in the labelled clip."""
        return self.clip_end - self.clip_start + 1

    def problem(self) -> str | None:
        """Why this record is invalid, or None."""
        path = PurePosixPath(self.video_dir)
        if not self.video_dir or any(c.isspace() for c in self.video_dir):
            return f"video folder {self.video_dir!r} must be non-empty and without spaces"
        if path.is_absolute() or ".." in path.parts:
            return f"video folder {self.video_dir!r} must be relative, inside {RAWFRAMES_DIR}/"
        if self.label < 0:
            return f"label id {self.label} is negative"
        if not 1 <= self.start_frame <= self.end_frame:
            return (f"video frames {self.start_frame}..{self.end_frame}: need "
                    f"1 <= start <= end")
        if not self.start_frame <= self.clip_start <= self.clip_end <= self.end_frame:
            return (f"clip frames {self.clip_start}..{self.clip_end} do not lie inside the "
                    f"video frames {self.start_frame}..{self.end_frame}")
        if not (self.fps > 0 and math.isfinite(self.fps)):
            return f"fps {self.fps} is not a positive number"
        return None

    def line(self) -> str:
        """The annotation line (without newline)."""
        return (f"{self.video_dir} {self.label} {self.start_frame} {self.end_frame} "
                f"{self.clip_start} {self.clip_end} {self.fps:.10g}")


def parse_line(text: str, where: str) -> ClipRecord:
    """One annotation line; ``where`` (``file:line``) names it in errors."""
    fields = text.split()
    if len(fields) != FIELDS:
        raise GestureKitError(f"expected {FIELDS} fields '<video_dir> <label_id> <start> <end> "
                              f"<clip_start> <clip_end> <fps>', got {len(fields)}", where)
    try:
        numbers = [int(f) for f in fields[1:6]]
        fps = float(fields[6])
    except ValueError:
        raise GestureKitError(f"label id and frame ids must be integers and fps a number: "
                              f"{' '.join(fields[1:])!r}", where) from None
    record = ClipRecord(fields[0], *numbers, fps)
    problem = record.problem()
    if problem:
        raise GestureKitError(problem, where)
    return record


def read_rawframes_annotation(path: str | Path) -> list[ClipRecord]:
    """All records of a rawframes annotation file (one-line error naming ``file:line``)."""
    return [parse_line(text, where) for where, text in content_lines(path)]


def rawframes_text(records: Iterable[ClipRecord]) -> str:
    """The file content for ``records``; invalid records are refused."""
    lines = []
    for record in records:
        problem = record.problem()
        if problem:
            raise GestureKitError(f"cannot write record: {problem}")
        lines.append(record.line() + "\n")
    return "".join(lines)


def write_rawframes_annotation(records: Iterable[ClipRecord], path: str | Path,
                               overwrite: bool = False) -> Path:
    """Write ``records`` to ``path``; an existing file with other content is refused
    unless ``overwrite`` (one with the same content is left as it is)."""
    path = Path(path)
    text = rawframes_text(records)
    if path.exists():
        if not path.is_file():
            raise GestureKitError("exists and is not a file", path)
        if path.read_bytes() == text.encode("utf-8"):
            return path
        if not overwrite:
            raise GestureKitError("exists with other content; refusing to overwrite", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def frame_path(data_dir: str | Path, record: ClipRecord, frame_id: int) -> Path:
    """``DATA_DIR/rawframes/<video_dir>/<frame_id:05d>.jpg`` (``frame_id`` 1-based)."""
    return Path(data_dir) / RAWFRAMES_DIR / record.video_dir / f"{frame_id:05d}.jpg"
