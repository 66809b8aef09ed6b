"""``prelabels.csv``: which XML files were written by a model or by MediaPipe, and whether
anybody has reviewed them since (edited in labelImg, or marked verified)."""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .annotation import read_annotation
from .csv_rows import append_csv_rows
from .errors import GestureKitError
from .layout import VocLayout
from .naming import PRELABELS_FILE
from .text_io import open_csv

PRELABELS_HEADER = ("image_id", "source", "boxes", "sha1")


@dataclass(frozen=True)
class Prelabel:
    """One pre-labelled image: what wrote it and the checksum of the XML as written."""

    image_id: str
    source: str
    boxes: int
    sha1: str


def file_sha1(path: Path) -> str:
    """The SHA-1 of a file's bytes."""
    return hashlib.sha1(path.read_bytes()).hexdigest()


def record_prelabels(layout: VocLayout, records: Iterable[Prelabel]) -> None:
    """Append records to the dataset's prelabels.csv."""
    append_csv_rows(layout.root / PRELABELS_FILE, PRELABELS_HEADER,
                    [(r.image_id, r.source, r.boxes, r.sha1) for r in records])


def read_prelabels(layout: VocLayout) -> list[Prelabel]:
    """Every record of prelabels.csv (none when the file does not exist)."""
    path = layout.root / PRELABELS_FILE
    if not path.is_file():
        return []
    with open_csv(path) as handle:
        rows = list(csv.DictReader(handle))
    try:
        return [Prelabel(r["image_id"], r["source"], int(r["boxes"]), r["sha1"]) for r in rows]
    except (KeyError, TypeError, ValueError):
        raise GestureKitError(f"not a pre-label record (columns {', '.join(PRELABELS_HEADER)})",
                              path) from None


def unreviewed_prelabels(layout: VocLayout) -> list[Prelabel]:
    """Pre-labels whose XML is byte-for-byte as written and not marked verified."""
    latest = {r.image_id: r for r in read_prelabels(layout)}
    waiting = []
    for record in latest.values():
        xml = layout.annotation_path(record.image_id)
        if not xml.is_file() or file_sha1(xml) != record.sha1:
            continue
        try:
            if read_annotation(xml).verified:
                continue
        except GestureKitError:
            continue  # check reports the broken XML itself
        waiting.append(record)
    return sorted(waiting, key=lambda r: r.image_id)
