"""The GIoU box loss: computed from keras-retinanet's deltas without anchors, it equals GIoU
computed on the boxes in pixels."""
from __future__ import annotations

import numpy as np
import pytest

from detector.losses import box_loss, giou, giou_loss, unit_anchor_boxes
from detector.model import make_optimizer, training_losses
from keras_retinanet.utils.anchors import bbox_transform

ANCHORS = np.array([[10, 20, 50, 80], [100, 100, 132, 132], [0, 0, 64, 32]], dtype=float)
TRUTH = np.array([[12, 25, 55, 70], [90, 110, 140, 130], [5, 3, 60, 30]], dtype=float)
PREDICTED = np.array([[5, 18, 48, 90], [100, 90, 130, 140], [200, 200, 230, 220]], dtype=float)


def pixel_giou(boxes: np.ndarray, other: np.ndarray) -> np.ndarray:
    """GIoU of matching rows, straight from the definition, in pixels."""
    def area(b: np.ndarray) -> np.ndarray:
        return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    inner = np.stack([np.maximum(boxes[:, 0], other[:, 0]), np.maximum(boxes[:, 1], other[:, 1]),
                      np.minimum(boxes[:, 2], other[:, 2]), np.minimum(boxes[:, 3], other[:, 3])], 1)
    intersection = (np.clip(inner[:, 2] - inner[:, 0], 0, None)
                    * np.clip(inner[:, 3] - inner[:, 1], 0, None))
    union = area(boxes) + area(other) - intersection
    hull = area(np.stack([np.minimum(boxes[:, 0], other[:, 0]),
                          np.minimum(boxes[:, 1], other[:, 1]),
                          np.maximum(boxes[:, 2], other[:, 2]),
                          np.maximum(boxes[:, 3], other[:, 3])], 1))
    return intersection / union - (hull - union) / hull


def test_giou_from_deltas_is_giou_of_the_pixel_boxes() -> None:
    truth = unit_anchor_boxes(bbox_transform(ANCHORS, TRUTH))
    predicted = unit_anchor_boxes(bbox_transform(ANCHORS, PREDICTED))
    expected = pixel_giou(PREDICTED, TRUTH)
    assert expected[2] < 0  # disjoint boxes: GIoU goes below 0, where IoU stays at 0
    np.testing.assert_allclose(giou(predicted, truth).numpy(), expected, rtol=1e-6)


def test_the_loss_averages_over_positive_anchors_only() -> None:
    states = np.array([[1.0], [-1.0], [1.0]])  # positive, ignored, positive
    y_true = np.concatenate([bbox_transform(ANCHORS, TRUTH), states], 1)[None]
    y_pred = bbox_transform(ANCHORS, PREDICTED)[None]
    loss = float(giou_loss(weight=2.0)(y_true.astype(np.float32), y_pred.astype(np.float32)))
    expected = 2.0 * np.mean(1.0 - pixel_giou(PREDICTED, TRUTH)[[0, 2]])
    assert loss == pytest.approx(expected, rel=1e-5)
    perfect = float(giou_loss()(y_true.astype(np.float32), y_true[..., :4].astype(np.float32)))
    assert perfect == pytest.approx(0.0, abs=1e-6)


def test_no_positive_anchor_gives_zero() -> None:
    y_true = np.concatenate([bbox_transform(ANCHORS, TRUTH), np.zeros((3, 1))], 1)[None]
    y_pred = np.zeros((1, 3, 4), np.float32)
    assert float(giou_loss()(y_true.astype(np.float32), y_pred)) == 0.0


def test_the_named_losses_and_optimizers() -> None:
    assert set(training_losses("giou")) == {"regression", "classification"}
    assert make_optimizer("sgd", 1e-2).get_config()["nesterov"] is True
    assert make_optimizer("adam", 1e-3).get_config()["clipnorm"] == 0.001
    with pytest.raises(ValueError, match="unknown box loss"):
        box_loss("l2")
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("rmsprop", 1e-3)
