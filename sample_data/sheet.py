"""Contact sheets: a grid of frames with their boxes drawn, for a quick visual check."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from voc_tools.annotation import Box
from voc_tools.errors import GestureKitError

_COLORS = ((0, 0, 255), (255, 128, 0), (0, 200, 0), (200, 0, 200))


def draw_boxes(image: np.ndarray, boxes: Sequence[Box], classes: Sequence[str] = ()) -> np.ndarray:
    """A copy of ``image`` with each VOC box (1-based, inclusive) outlined and labelled."""
    out = image.copy()
    for box in boxes:
        k = list(classes).index(box.name) if box.name in classes else 0
        color = _COLORS[k % len(_COLORS)]
        p0 = (int(box.xmin) - 1, int(box.ymin) - 1)
        p1 = (int(box.xmax) - 1, int(box.ymax) - 1)
        cv2.rectangle(out, p0, p1, color, 1)
        cv2.putText(out, box.name, (p0[0], max(p0[1] - 3, 10)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4, color, 1, cv2.LINE_AA)
    return out


def contact_sheet(out_png: str | Path, frames: Sequence[tuple[np.ndarray, Sequence[Box]]],
                  columns: int = 4, classes: Sequence[str] = ()) -> Path:
    """Write a PNG grid of ``frames`` (BGR image, boxes) with the boxes drawn."""
    if not frames:
        raise GestureKitError("no frames for the contact sheet", out_png)
    out_png = Path(out_png)
    h, w = frames[0][0].shape[:2]
    tiles = [cv2.resize(draw_boxes(img, boxes, classes), (w, h)) for img, boxes in frames]
    blank = np.full((h, w, 3), 255, np.uint8)
    tiles += [blank] * (-len(tiles) % columns)
    rows = [np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)]
    out_png.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out_png), np.vstack(rows)):
        raise GestureKitError("cannot write the contact sheet", out_png)
    return out_png


def sample_preview(root: str | Path, out_png: str | Path, per_video: int = 4,
                   columns: int = 4) -> Path:
    """A contact sheet of ``per_video`` evenly spaced frames of each video of a sample.

    Frames are decoded from ``root/videos/*.mp4`` and boxed from ``root/annotations``.
    """
    from voc_tools.annotation import read_annotation
    from voc_tools.classes import read_classes
    from voc_tools.naming import frame_name

    root = Path(root)
    classes = read_classes(root)
    frames = []
    for video in sorted((root / "videos").glob("*.mp4")):
        capture = cv2.VideoCapture(str(video))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        wanted = set(np.linspace(0, count - 1, per_video).round().astype(int).tolist())
        for index in range(count):
            ok, image = capture.read()
            if not ok:
                break
            if index in wanted:
                ann = read_annotation(root / "annotations" / frame_name(video, index, ".xml"))
                frames.append((image, ann.boxes))
        capture.release()
    return contact_sheet(out_png, frames, columns, classes)
