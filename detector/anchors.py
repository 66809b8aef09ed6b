"""Anchors centred outside the image: what training teaches them, and what inference
reports from them.

keras-retinanet's anchor targets mark every anchor whose centre lies outside the image as
ignored (neither object nor background), so their class scores never learn anything, yet
its inference model reports them. A fixed-size export pads a frame of another shape to its
canvas, and there those untaught anchors sit inside the canvas: on rf100 (16:10 frames in
the default 4:3 canvas) a whole-frame box from the padded strip cost the IR 0.04 mAP.

- :func:`anchor_targets` (training): such an anchor that overlaps no object trains as
  background, so padding and the strip past the edge learn to say "nothing";
- :class:`InsideAnchors` (inference): those anchors' scores are zeroed before the
  detections are filtered, for the models trained before, and for the anchors near an
  object that training still ignores.
"""
from __future__ import annotations

import numpy as np

from . import compat  # noqa: F401
from .config import ASSIGNERS, OUTSIDE_ANCHORS, default
import tensorflow as tf  # noqa: E402
from keras_retinanet.utils.anchors import (AnchorParameters, anchor_targets_bbox,  # noqa: E402
                                           bbox_transform)
from keras_retinanet.utils.compute_overlap import compute_overlap  # noqa: E402
from tensorflow import keras  # noqa: E402

#: ATSS's candidates per pyramid level for each object: the anchors whose centres lie
#: nearest the object's centre (the paper's k; with keras-retinanet's nine anchors per
#: location, the nearest location's nine, as mmdetection's assigner picks them).
ATSS_CANDIDATES_PER_LEVEL = 9


def anchor_targets(anchors: np.ndarray, image_group: list[np.ndarray],
                   annotations_group: list[dict], num_classes: int,
                   outside: str = default("outside_anchors"),
                   assigner: str = default("assigner")) -> tuple[np.ndarray, np.ndarray]:
    """keras-retinanet's (regression, labels) anchor targets, with ``assigner`` "iou"
    (``anchor_targets_bbox``: IoU >= 0.5 object, < 0.4 background, between ignored) or
    "atss" (:func:`atss_assignment`: no ignored band), then for each anchor centred at or
    past the image's right or bottom edge: ``outside`` "ignore" ignores it
    (keras-retinanet's rule); "background" ignores it only where it is an object or, with
    "iou", in the ignored band; otherwise it stays background."""
    if outside not in OUTSIDE_ANCHORS:
        raise ValueError(f"unknown outside-anchor rule {outside!r}; expected {OUTSIDE_ANCHORS}")
    if assigner not in ASSIGNERS:
        raise ValueError(f"unknown anchor assigner {assigner!r}; expected {ASSIGNERS}")
    if assigner == "iou":
        shapeless = [np.empty(()) for _ in image_group]  # no shape: the stock rule is skipped
        regression, labels = anchor_targets_bbox(anchors, shapeless, annotations_group,
                                                 num_classes)
    else:
        regression, labels = atss_targets(anchors, annotations_group, num_classes)
    centre_x = (anchors[:, 0] + anchors[:, 2]) / 2
    centre_y = (anchors[:, 1] + anchors[:, 3]) / 2
    for index, image in enumerate(image_group):
        untaught = (centre_x >= image.shape[1]) | (centre_y >= image.shape[0])
        if outside == "background":
            untaught &= labels[index, :, -1] != 0
        labels[index, untaught, -1] = -1
        regression[index, untaught, -1] = -1
    return regression, labels


def atss_targets(anchors: np.ndarray, annotations_group: list[dict],
                 num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(regression, labels) targets as ``anchor_targets_bbox`` lays them out, with the
    objects assigned by :func:`atss_assignment` and every other anchor background."""
    batch, count = len(annotations_group), len(anchors)
    regression = np.zeros((batch, count, 5), keras.backend.floatx())
    labels = np.zeros((batch, count, num_classes + 1), keras.backend.floatx())
    levels = anchor_levels(anchors)
    for index, annotation in enumerate(annotations_group):
        boxes = np.asarray(annotation["bboxes"], np.float64)
        if not len(boxes):
            continue
        positive, assigned = atss_assignment(anchors, levels, boxes)
        labels[index, positive, -1] = regression[index, positive, -1] = 1
        labels[index, positive, annotation["labels"][assigned[positive]].astype(int)] = 1
        regression[index, :, :-1] = bbox_transform(anchors, boxes[assigned])
    return regression, labels


def anchor_levels(anchors: np.ndarray) -> np.ndarray:
    """The pyramid level of each of keras-retinanet's default anchors (0 for P3), from its
    area: a level's sizes span one octave (its ratios keep the area)."""
    sides = np.sqrt((anchors[:, 2] - anchors[:, 0]) * (anchors[:, 3] - anchors[:, 1]))
    return np.floor(np.log2(sides / AnchorParameters.default.sizes[0]) + 1e-6).astype(int)


def atss_assignment(anchors: np.ndarray, levels: np.ndarray,
                    boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive training sample selection (Zhang et al., CVPR 2020): for each object, the
    :data:`ATSS_CANDIDATES_PER_LEVEL` anchors of each level whose centres lie nearest its
    centre are candidates; those whose IoU with it reaches the candidates' mean plus
    standard deviation, and whose centre lies inside it, are its positives. An anchor
    positive for several objects takes the one it overlaps most. Small, thin or large
    objects all get positives, where a fixed IoU of 0.5 gives a small object none.

    Returns (positive mask of the anchors, index of each anchor's object)."""
    overlaps = compute_overlap(anchors.astype(np.float64), boxes)  # (anchors, objects)
    centres = (anchors[:, :2] + anchors[:, 2:]) / 2
    box_centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    distances = np.linalg.norm(centres[:, None] - box_centres[None], axis=2)
    candidates = np.zeros_like(overlaps, dtype=bool)
    objects = np.arange(len(boxes))
    for level in np.unique(levels):
        members = np.flatnonzero(levels == level)
        take = min(ATSS_CANDIDATES_PER_LEVEL, len(members))
        nearest = np.argpartition(distances[members], take - 1, axis=0)[:take]
        candidates[members[nearest], objects] = True
    candidate_overlaps = np.where(candidates, overlaps, np.nan)
    threshold = np.nanmean(candidate_overlaps, 0) + np.nanstd(candidate_overlaps, 0)
    inside = np.all((centres[:, None] > boxes[None, :, :2])
                    & (centres[:, None] < boxes[None, :, 2:]), axis=2)
    chosen = candidates & (overlaps >= threshold) & inside
    assigned = np.argmax(np.where(chosen, overlaps, -1.0), axis=1)
    return chosen.any(axis=1), assigned


class InsideAnchors(keras.layers.Layer):
    """[image, anchors (B, N, 4), classification (B, N, C)] -> the classification with
    every anchor whose centre is at or beyond the image's right or bottom edge set to 0
    (the same rule as ``keras_retinanet.utils.anchors.anchor_targets_bbox``)."""

    def call(self, inputs):  # type: ignore[no-untyped-def]
        image, anchors, classification = inputs
        height_width = tf.cast(tf.shape(image)[1:3], anchors.dtype)
        centre_x = (anchors[..., 0] + anchors[..., 2]) / 2
        centre_y = (anchors[..., 1] + anchors[..., 3]) / 2
        # centres lie on a grid of half strides (>= 4 px): half a pixel of margin puts a
        # centre exactly on the edge outside, as the rule says, whatever the round-off
        # (keras-retinanet's float64 centres land on either side of it)
        inside = tf.logical_and(centre_x < height_width[1] - 0.5,
                                centre_y < height_width[0] - 0.5)
        return classification * tf.cast(inside, classification.dtype)[..., None]

    def compute_output_shape(self, input_shape):  # type: ignore[no-untyped-def]
        return input_shape[2]


#: What a saved inference model needs to load (beside keras-retinanet's own layers).
CUSTOM_OBJECTS = {"InsideAnchors": InsideAnchors}
