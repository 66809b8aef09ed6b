"""The box losses a training run can use: keras-retinanet's smooth L1 on the box deltas, or
a GIoU loss on the boxes those deltas describe.

keras-retinanet's targets are corner offsets over the anchor's size, divided by 0.2
(``utils.anchors.bbox_transform``'s default std, which its ``RegressBoxes`` layer undoes).
In the frame where the anchor is the unit square (0, 0, 1, 1) a delta row ``d`` is the box
(0.2 d0, 0.2 d1, 1 + 0.2 d2, 1 + 0.2 d3). IoU and GIoU are ratios of areas, unchanged by
scaling each axis, so the loss is computed in that frame and needs no anchors.
"""
from __future__ import annotations

from typing import Callable

from . import compat  # noqa: F401
import tensorflow as tf  # noqa: E402
from keras_retinanet import losses  # noqa: E402

from .config import BOX_LOSSES  # noqa: E402

#: keras-retinanet's delta normalisation (``bbox_transform`` and ``RegressBoxes`` defaults)
DELTA_STD = 0.2
#: GIoU's weight against the focal loss: mmdetection's RetinaNet with a GIoU box loss
#: (``retinanet_r50_fpn_giou``) weighs it 2.0, both normalised by the positive anchors.
GIOU_WEIGHT = 2.0


def unit_anchor_boxes(deltas: tf.Tensor) -> tf.Tensor:
    """Boxes (x1, y1, x2, y2) described by keras-retinanet deltas (..., 4), in the frame
    where their anchor is the unit square."""
    return deltas * DELTA_STD + tf.constant([0.0, 0.0, 1.0, 1.0], dtype=deltas.dtype)


def giou(boxes: tf.Tensor, other: tf.Tensor) -> tf.Tensor:
    """Generalised IoU (Rezatofighi et al. 2019) of matching rows of two box tensors
    (..., 4); an inverted predicted box counts as empty."""
    width = tf.nn.relu(boxes[..., 2] - boxes[..., 0])
    height = tf.nn.relu(boxes[..., 3] - boxes[..., 1])
    other_area = (other[..., 2] - other[..., 0]) * (other[..., 3] - other[..., 1])
    inner_w = tf.nn.relu(tf.minimum(boxes[..., 2], other[..., 2])
                         - tf.maximum(boxes[..., 0], other[..., 0]))
    inner_h = tf.nn.relu(tf.minimum(boxes[..., 3], other[..., 3])
                         - tf.maximum(boxes[..., 1], other[..., 1]))
    intersection = inner_w * inner_h
    union = width * height + other_area - intersection
    hull = ((tf.maximum(boxes[..., 2], other[..., 2]) - tf.minimum(boxes[..., 0], other[..., 0]))
            * (tf.maximum(boxes[..., 3], other[..., 3])
               - tf.minimum(boxes[..., 1], other[..., 1])))
    eps = tf.constant(1e-7, dtype=boxes.dtype)
    return intersection / (union + eps) - (hull - union) / (hull + eps)


def giou_loss(weight: float = GIOU_WEIGHT) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """A box loss with keras-retinanet's signature: ``weight`` × (1 − GIoU) summed over the
    positive anchors (state 1 in ``y_true``'s last column) over their number."""

    def _giou_loss(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        positive = tf.where(tf.equal(y_true[:, :, -1], 1))
        target = unit_anchor_boxes(tf.gather_nd(y_true[:, :, :-1], positive))
        predicted = unit_anchor_boxes(tf.cast(tf.gather_nd(y_pred, positive), target.dtype))
        normalizer = tf.cast(tf.maximum(1, tf.shape(positive)[0]), target.dtype)
        return weight * tf.reduce_sum(1.0 - giou(predicted, target)) / normalizer

    return _giou_loss


def box_loss(name: str) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """The box loss called ``name`` (one of :data:`BOX_LOSSES`)."""
    if name == "smooth_l1":
        return losses.smooth_l1()
    if name == "giou":
        return giou_loss()
    raise ValueError(f"unknown box loss {name!r}; expected one of {BOX_LOSSES}")
