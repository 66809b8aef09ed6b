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
from .config import OUTSIDE_ANCHORS
import tensorflow as tf  # noqa: E402
from keras_retinanet.utils.anchors import anchor_targets_bbox  # noqa: E402
from tensorflow import keras  # noqa: E402


def anchor_targets(anchors: np.ndarray, image_group: list[np.ndarray],
                   annotations_group: list[dict], num_classes: int,
                   outside: str = "background") -> tuple[np.ndarray, np.ndarray]:
    """keras-retinanet's ``anchor_targets_bbox`` (IoU >= 0.5 object, < 0.4 background,
    between ignored), then for each anchor centred at or past the image's right or bottom
    edge: ``outside`` "ignore" ignores it (keras-retinanet's rule); "background" ignores
    it only where it overlaps an object (IoU >= 0.4), else it stays background."""
    if outside not in OUTSIDE_ANCHORS:
        raise ValueError(f"unknown outside-anchor rule {outside!r}; expected {OUTSIDE_ANCHORS}")
    shapeless = [np.empty(()) for _ in image_group]  # no shape: the stock rule is skipped
    regression, labels = anchor_targets_bbox(anchors, shapeless, annotations_group,
                                             num_classes)
    centre_x = (anchors[:, 0] + anchors[:, 2]) / 2
    centre_y = (anchors[:, 1] + anchors[:, 3]) / 2
    for index, image in enumerate(image_group):
        untaught = (centre_x >= image.shape[1]) | (centre_y >= image.shape[0])
        if outside == "background":
            untaught &= labels[index, :, -1] != 0
        labels[index, untaught, -1] = -1
        regression[index, untaught, -1] = -1
    return regression, labels


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
