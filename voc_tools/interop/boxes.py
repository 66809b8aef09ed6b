"""Box rules shared by the importers and exporters.

Imported boxes become what labelImg writes: whole pixels, 1-based, inside the image
(``1 <= xmin < xmax <= width``). Exported boxes are the 0-based corners keras-retinanet
trains on: VOC minus :data:`VOC_PIXEL_OFFSET` (the same shift the kit's own training and
evaluation apply), so a model trained on an export sees exactly the boxes it would see
when trained on the VOC root.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from ..annotation import VOC_PIXEL_OFFSET, Box

CORNERS = ("xmin", "ymin", "xmax", "ymax")


def _describe(label: str, box: Box) -> str:
    return f"{label} ({box.name})"


@dataclass
class CleanBoxes:
    """What :func:`clean_boxes` made of one image's boxes."""

    boxes: list[Box] | None
    fatal: list[str]
    fixed: list[str]
    rounded: int


def clean_boxes(boxes: Sequence[Box], labels: Sequence[str], width: int, height: int,
                classes: Sequence[str] | None, note_rounding: bool = True) -> CleanBoxes:
    """Validate and normalise foreign boxes of one image.

    ``boxes`` of the result is None when the image must be left out
    (unknown class, negative or far-outside coordinates, empty box: importing the image
    without that object would teach the detector that the object is background).
    ``fixed`` lists what was changed: fractional coordinates rounded, edges at 0 moved
    to 1 and edges 1 px past the border clamped (tools differ on 0- or 1-based pixels),
    duplicates (same class and box) dropped; rounding only when ``note_rounding`` (it is
    always counted in ``rounded``). ``labels`` name each box in messages.
    """
    fatal: list[str] = []
    kept: list[Box] = []
    first_label: dict[tuple, str] = {}
    rounded = moved = clamped = 0
    duplicates: list[str] = []
    for label, box in zip(labels, boxes):
        what = _describe(label, box)
        if classes is not None and box.name not in classes:
            fatal.append(f"{what}: class '{box.name}' is not in the class list "
                         f"({', '.join(classes)})")
            continue
        negative = [f"{tag} {getattr(box, tag):g}" for tag in CORNERS if getattr(box, tag) < 0]
        if negative:
            fatal.append(f"{what}: negative coordinate ({', '.join(negative)})")
            continue
        values = {tag: float(getattr(box, tag)) for tag in CORNERS}
        rounded += sum(1 for v in values.values() if not v.is_integer())
        values = {tag: int(round(v)) for tag, v in values.items()}
        for tag in ("xmin", "ymin"):
            if values[tag] == 0:
                values[tag] = 1
                moved += 1
        problem = None
        for tag, limit, edge in (("xmax", width, "right"), ("ymax", height, "bottom")):
            over = values[tag] - limit
            if over == 1:
                values[tag] = limit
                clamped += 1
            elif over > 1:
                problem = f"box extends {over} px past the {edge} edge ({tag} {values[tag]}, " \
                          f"image {'width' if tag == 'xmax' else 'height'} {limit})"
        for low, high in (("xmin", "xmax"), ("ymin", "ymax")):
            if problem is None and values[low] >= values[high]:
                problem = f"empty box ({low} {values[low]} >= {high} {values[high]})"
        if problem:
            fatal.append(f"{what}: {problem}")
            continue
        key = (box.name, *values.values())
        if key in first_label:
            duplicates.append(f"{what} duplicates {first_label[key]}; dropped")
            continue
        first_label[key] = label
        kept.append(replace(box, **values))
    fixed = duplicates
    for count, text in ((rounded * note_rounding,
                         "fractional coordinate(s) rounded to whole pixels"),
                        (moved, "box edge(s) at 0 moved to 1 (VOC pixels start at 1)"),
                        (clamped, "box edge(s) 1 px past the image border clamped")):
        if count:
            fixed.append(f"{count} {text}")
    return CleanBoxes(None if fatal else kept, fatal, fixed, rounded)


def training_corners(box: Box) -> tuple[float, float, float, float]:
    """0-based ``x1, y1, x2, y2`` as the kit trains on them: VOC minus the pixel offset."""
    x1, y1, x2, y2 = (float(getattr(box, tag)) - VOC_PIXEL_OFFSET for tag in CORNERS)
    return x1, y1, x2, y2


def export_corners(boxes: Sequence[Box], whole_pixels: bool
                   ) -> tuple[list[tuple[float, float, float, float]] | None, list[str]]:
    """:func:`training_corners` of every box, ready for a format that wants corners >= 0
    (and whole pixels when ``whole_pixels``). Returns ``(corners, notes)``; corners is
    None when rounding leaves an empty box."""
    corners, notes = [], []
    rounded = clamped = 0
    for number, box in enumerate(boxes, 1):
        values = list(training_corners(box))
        if whole_pixels:
            rounded += sum(1 for v in values if not v.is_integer())
            values = [float(round(v)) for v in values]
        clamped += sum(1 for v in values[:2] if v < 0)
        x1, y1, x2, y2 = max(values[0], 0.0), max(values[1], 0.0), values[2], values[3]
        if x2 <= x1 or y2 <= y1:
            return None, [f"object {number} ({box.name}): empty box after rounding to whole "
                          "pixels"]
        corners.append((x1, y1, x2, y2))
    if rounded:
        notes.append(f"{rounded} fractional coordinate(s) rounded to whole pixels")
    if clamped:
        notes.append(f"{clamped} box edge(s) at VOC 0 (pixel -1 after the VOC offset) "
                     "exported as 0")
    return corners, notes
