"""Inference only from the anchors training taught: keras-retinanet's anchor targets mark
every anchor whose centre lies outside the image as ignored (neither object nor
background), so those anchors' class scores never learn anything, yet its inference model
reports them. :class:`InsideAnchors` zeroes those scores before the detections are
filtered."""
from __future__ import annotations

from . import compat  # noqa: F401
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402


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
