"""Labelled time intervals of videos: ``intervals.csv`` with ``video,start_ms,end_ms,label``.

``video`` is the path relative to the videos folder, the interval is ``[start_ms, end_ms)``
in video time (frame ``i`` shows at ``i / fps`` s), ``label`` a class name.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from voc_tools.errors import GestureKitError

INTERVALS_FILE = "intervals.csv"
INTERVAL_COLUMNS = ("video", "start_ms", "end_ms", "label")


@dataclass(frozen=True)
class Interval:
    """One labelled span of a video, in milliseconds, end exclusive."""

    video: str
    start_ms: float
    end_ms: float
    label: str

    def frame_range(self, fps: float) -> tuple[int, int]:
        """0-based first and last (inclusive) frame shown inside the interval at ``fps``."""
        first = math.ceil(self.start_ms * fps / 1000 - 1e-6)
        last = math.ceil(self.end_ms * fps / 1000 - 1e-6) - 1
        return first, last

    def overlap_ms(self, start_ms: float, end_ms: float) -> float:
        """Length of the intersection with ``[start_ms, end_ms)``."""
        return max(0.0, min(self.end_ms, end_ms) - max(self.start_ms, start_ms))


def format_ms(ms: float) -> str:
    """Milliseconds with at most three decimals and no trailing zeros."""
    return f"{ms:.3f}".rstrip("0").rstrip(".")


def _parse(row: dict[str, str], where: str) -> Interval:
    video, label = (row.get("video") or "").strip(), (row.get("label") or "").strip()
    if not video or not label:
        raise GestureKitError("empty video or label", where)
    try:
        start, end = float(row["start_ms"]), float(row["end_ms"])
    except (TypeError, ValueError):
        raise GestureKitError(f"start_ms/end_ms must be numbers, got {row.get('start_ms')!r}, "
                              f"{row.get('end_ms')!r}", where) from None
    if not (0 <= start < end and math.isfinite(end)):
        raise GestureKitError(f"need 0 <= start_ms < end_ms, got {start:g}, {end:g}", where)
    return Interval(video, start, end, label)


def read_intervals(path: str | Path) -> list[Interval]:
    """The intervals of an ``intervals.csv`` (one-line errors naming ``file:line``)."""
    path = Path(path)
    if not path.is_file():
        raise GestureKitError("no such intervals file", path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(INTERVAL_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise GestureKitError(f"missing column(s) {', '.join(sorted(missing))}; expected "
                                  f"header {','.join(INTERVAL_COLUMNS)}", path)
        return [_parse(row, f"{path}:{reader.line_num}") for row in reader]


def write_intervals(intervals: Iterable[Interval], path: str | Path) -> Path:
    """Write ``intervals`` with the header :data:`INTERVAL_COLUMNS`."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(INTERVAL_COLUMNS)
        writer.writerows((i.video, format_ms(i.start_ms), format_ms(i.end_ms), i.label)
                         for i in intervals)
    return path
