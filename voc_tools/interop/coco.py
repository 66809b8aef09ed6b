"""COCO detection JSON export of a VOC root.

``images``: ``id`` (1, 2, ... in image-id order), ``file_name`` (the file name inside
``ROOT/JPEGImages``, the image root to give a COCO loader), ``width``, ``height``.
``annotations``: ``bbox`` ``[x, y, w, h]``, ``area`` ``w*h``, ``iscrowd`` 0, and VOC's
``difficult``/``truncated`` flags under ``attributes`` (as CVAT/Datumaro write them).
``categories``: classes.txt in order, ids from 1.

Pixel convention: VOC coordinates are 1-based; the kit (like keras-retinanet) subtracts
:data:`VOC_PIXEL_OFFSET` before training and evaluating, and COCO is 0-based, so
``x = xmin - 1``, ``y = ymin - 1``, ``w = xmax - xmin``, ``h = ymax - ymin``: exactly the
boxes the kit trains on and the keras-retinanet CSV export writes. Back to VOC:
``xmin = x + 1``, ``xmax = x + w + 1``. Fractional coordinates stay fractional.
Images without objects are listed in ``images`` with no annotation.
"""
from __future__ import annotations

import json
from pathlib import Path

from .boxes import export_corners
from .exporting import export_items, write_output
from .report import InteropReport


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 6)


def export_coco(root: str | Path, out: str | Path, split: str | None = None,
                force: bool = False, progress: bool = True) -> InteropReport:
    """Write the COCO JSON of the VOC root (all annotated images, or ``split``) to ``out``."""
    report = InteropReport()
    classes, items = export_items(root, split, report, progress)
    category_of = {name: index for index, name in enumerate(classes, 1)}
    images, annotations = [], []
    for item in items:
        ann = item.annotation
        corners, notes = export_corners(ann.boxes, whole_pixels=False)
        where = f"Annotations/{item.image_id}.xml"
        if corners is None:
            report.skip(where, f"{notes[0]}; image not exported")
            continue
        for line in notes:
            report.fix(where, line)
        image_number = len(images) + 1
        images.append({"id": image_number, "file_name": item.image.name,
                       "width": ann.width, "height": ann.height})
        for box, (x1, y1, x2, y2) in zip(ann.boxes, corners):
            width, height = x2 - x1, y2 - y1
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_number,
                "category_id": category_of[box.name],
                "bbox": [_number(x1), _number(y1), _number(width), _number(height)],
                "area": _number(width * height), "iscrowd": 0,
                "attributes": {"difficult": box.difficult, "truncated": box.truncated}})
        report.images += 1
        report.empty += not corners
        report.boxes += len(corners)
    document = {
        "info": {"description": f"exported by gesturekit from {Path(root).name}",
                 "image_root": "JPEGImages"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i, "name": n, "supercategory": ""} for n, i in category_of.items()],
    }
    write_output(Path(out), json.dumps(document, indent=1) + "\n", force, report)
    return report
