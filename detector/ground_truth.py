"""Ground-truth boxes of a VOC image, in the coordinates keras-retinanet trains on."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from voc_tools.annotation import VOC_PIXEL_OFFSET, read_annotation
from voc_tools.errors import GestureKitError
from voc_tools.layout import VocLayout


@dataclass
class GroundTruth:
    """One image's labelled boxes: labels (n,), boxes (n, 4) x1 y1 x2 y2, image size."""

    labels: np.ndarray
    boxes: np.ndarray
    width: int
    height: int


def read_ground_truth(layout: VocLayout, image_id: str, classes: Sequence[str],
                      skip_difficult: bool = False) -> GroundTruth:
    """Read ``Annotations/<image_id>.xml``; a class not in ``classes`` is a one-line error."""
    path = layout.annotation_path(image_id)
    if not path.is_file():
        raise GestureKitError("listed in ImageSets but has no annotation", path)
    ann = read_annotation(path)
    label_of = {name: i for i, name in enumerate(classes)}
    labels, boxes = [], []
    for index, box in enumerate(ann.boxes):
        if box.name not in label_of:
            raise GestureKitError(f"object {index}: class '{box.name}' is not one of the "
                                  f"model's classes ({', '.join(classes)})", path)
        if box.difficult and skip_difficult:
            continue
        labels.append(label_of[box.name])
        boxes.append([box.xmin, box.ymin, box.xmax, box.ymax])
    return GroundTruth(np.array(labels, dtype=np.int64),
                       np.array(boxes, dtype=np.float64).reshape(-1, 4) - VOC_PIXEL_OFFSET,
                       ann.width, ann.height)
