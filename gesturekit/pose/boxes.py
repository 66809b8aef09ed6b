"""The dataset's box convention, learned: from a hand's landmark box to the labelled box.

Labellers draw boxes their own way (tight on the fingers, with the wrist, with the whole
forearm, around both hands of a two-handed sign); MediaPipe's box is the landmarks' extent
plus a margin. :func:`fit_box_calibration` learns, per class, the median offset of each
labelled-box edge from the hand box's, in units of the hand box's width or height, from
the training rows of a landmark file; :func:`calibrate_boxes` moves hand boxes by the
offsets of their predicted class (a class with fewer than ``min_rows`` rows: every
class's median). Also the box geometry the pose route pairs and crops boxes with
(:func:`iou_matrix`, :func:`cover_matrix`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from voc_tools.annotation import VOC_PIXEL_OFFSET

from .hands import Hand

ALL_CLASSES = "*"


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU (len(a), len(b)) of x1 y1 x2 y2 boxes."""
    a, b = np.asarray(a, np.float64).reshape(-1, 1, 4), np.asarray(b, np.float64).reshape(1, -1, 4)
    lo, hi = np.maximum(a[..., :2], b[..., :2]), np.minimum(a[..., 2:], b[..., 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
    area = lambda boxes: np.prod(boxes[..., 2:] - boxes[..., :2], axis=-1)  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)


def cover_matrix(labelled: np.ndarray, hands: np.ndarray) -> np.ndarray:
    """The fraction (len(labelled), len(hands)) of each hand box inside each labelled box."""
    a = np.asarray(labelled, np.float64).reshape(-1, 1, 4)
    b = np.asarray(hands, np.float64).reshape(1, -1, 4)
    lo, hi = np.maximum(a[..., :2], b[..., :2]), np.minimum(a[..., 2:], b[..., 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
    return inter / np.maximum(np.prod(b[..., 2:] - b[..., :2], axis=-1), 1e-9)


def landmark_boxes(landmarks: np.ndarray, sizes: np.ndarray, margin: float) -> np.ndarray:
    """Hand boxes (N, 4), 0-based pixel corners, of landmarks (N, 21, 3) in images of
    ``sizes`` (N, 2) width, height (as :meth:`gesturekit.pose.hands.Hand.box`)."""
    return np.array([Hand("Right", 1.0, np.asarray(points, np.float32)).box(
        int(w), int(h), margin) for points, (w, h) in zip(landmarks, sizes)],
        np.float64).reshape(-1, 4)


def edge_offsets(hand_boxes: np.ndarray, labelled: np.ndarray) -> np.ndarray:
    """(N, 4) offsets of the labelled boxes' x1 y1 x2 y2 from the hand boxes', in hand
    box widths (x) and heights (y)."""
    hand_boxes, labelled = np.asarray(hand_boxes, np.float64), np.asarray(labelled, np.float64)
    size = np.maximum(hand_boxes[:, 2:] - hand_boxes[:, :2], 1e-6)
    return (labelled - hand_boxes) / np.tile(size, 2)


def fit_box_calibration(landmarks: np.ndarray, sizes: np.ndarray, voc_boxes: np.ndarray,
                        labels: np.ndarray, classes: Sequence[str], margin: float,
                        min_rows: int = 5) -> dict:
    """``{"margin": margin, "offsets": {class or "*": [dx1, dy1, dx2, dy2]}}`` from
    matched rows (labelled boxes as in the XML)."""
    labelled = np.asarray(voc_boxes, np.float64).reshape(-1, 4) - [VOC_PIXEL_OFFSET,
                                                                   VOC_PIXEL_OFFSET, 0, 0]
    offsets = edge_offsets(landmark_boxes(landmarks, sizes, margin), labelled)
    labels = np.asarray(labels)
    table = {ALL_CLASSES: np.median(offsets, axis=0) if len(offsets) else np.zeros(4)}
    for index, name in enumerate(classes):
        mine = offsets[labels == index]
        if len(mine) >= min_rows:
            table[name] = np.median(mine, axis=0)
    return {"margin": float(margin),
            "offsets": {k: [round(float(v), 4) for v in values] for k, values in table.items()}}


def calibrate_boxes(boxes: np.ndarray, labels: np.ndarray, classes: Sequence[str],
                    calibration: dict | None, width: int, height: int) -> np.ndarray:
    """Hand boxes (N, 4) moved by their class's offsets, clipped to the image; as given
    without a calibration."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not calibration or not len(boxes):
        return boxes
    table = calibration["offsets"]
    default = table.get(ALL_CLASSES, [0.0] * 4)
    offsets = np.array([table.get(classes[int(label)], default) for label in labels])
    size = np.tile(np.maximum(boxes[:, 2:] - boxes[:, :2], 1e-6), 2)
    moved = boxes + offsets * size
    return np.clip(moved, 0, [width, height, width, height])
