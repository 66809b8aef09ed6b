"""Mosaic augmentation (YOLOv4/v5/v8's): four training images around a random centre, so
one training image shows hands at other positions, crops and backgrounds than any frame.

The four images are each fitted to the first one's size, placed around a random centre
on a canvas twice that size (first top left of the centre, then top right, bottom left,
bottom right), and the first image's size is cut out of the canvas's middle. Boxes are
moved with their image and clipped to the cut; a box keeps its label only if at least
``min_visible`` of its area is still in view.
"""
from __future__ import annotations

import cv2
import numpy as np

#: The canvas colour where no image lies (YOLO's grey).
FILL = 114
MIN_VISIBLE = 0.4


def mosaic(images: list[np.ndarray], annotations: list[dict], rng: np.random.Generator,
           min_visible: float = MIN_VISIBLE) -> tuple[np.ndarray, dict]:
    """One image of ``images[0]``'s size made of the four ``images`` (HxWx3), with their
    ``annotations`` (keras-retinanet's dicts: ``bboxes`` x1,y1,x2,y2 and ``labels``)."""
    if len(images) != 4 or len(annotations) != 4:
        raise ValueError("a mosaic takes four images with their annotations")
    height, width = images[0].shape[:2]
    canvas = np.full((2 * height, 2 * width, 3), FILL, dtype=images[0].dtype)
    cx = int(rng.uniform(0.5 * width, 1.5 * width))
    cy = int(rng.uniform(0.5 * height, 1.5 * height))
    boxes, labels = [], []
    for quadrant, (image, truth) in enumerate(zip(images, annotations)):
        scale = min(height / image.shape[0], width / image.shape[1])
        h, w = max(1, round(image.shape[0] * scale)), max(1, round(image.shape[1] * scale))
        if (h, w) != image.shape[:2]:
            image = cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
        left = cx - w if quadrant in (0, 2) else cx
        top = cy - h if quadrant in (0, 1) else cy
        # the part of the image that lands on the canvas
        x1, y1 = max(left, 0), max(top, 0)
        x2, y2 = min(left + w, 2 * width), min(top + h, 2 * height)
        canvas[y1:y2, x1:x2] = image[y1 - top:y2 - top, x1 - left:x2 - left]
        placed = np.asarray(truth["bboxes"], dtype=np.float64).reshape(-1, 4) * scale
        boxes.append(placed + [left, top, left, top])
        labels.append(np.asarray(truth["labels"]).reshape(-1))
    x0, y0 = width // 2, height // 2
    image = canvas[y0:y0 + height, x0:x0 + width]
    boxes_all = np.concatenate(boxes) - [x0, y0, x0, y0]
    labels_all = np.concatenate(labels)
    clipped = boxes_all.copy()
    clipped[:, [0, 2]] = clipped[:, [0, 2]].clip(0, width)
    clipped[:, [1, 3]] = clipped[:, [1, 3]].clip(0, height)
    area = (boxes_all[:, 2] - boxes_all[:, 0]) * (boxes_all[:, 3] - boxes_all[:, 1])
    visible = (clipped[:, 2] - clipped[:, 0]).clip(0) * (clipped[:, 3] - clipped[:, 1]).clip(0)
    keep = (visible >= min_visible * np.maximum(area, 1e-9)) & (visible > 0)
    return np.ascontiguousarray(image), {"bboxes": clipped[keep],
                                         "labels": labels_all[keep].astype(np.float64)}
