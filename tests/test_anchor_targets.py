"""What anchors centred outside the image learn (detector.anchors.anchor_targets)."""
from __future__ import annotations

import numpy as np
import pytest

from detector.anchors import anchor_targets
from keras_retinanet.utils.anchors import anchor_targets_bbox

ANCHORS = np.array([[0, 0, 64, 64],           # centre (32, 32): inside, on the object
                    [100, 20, 164, 84],       # centre (132, 52): inside, empty
                    [-85, 69, 277, 251],      # centre (96, 160): on the bottom edge, empty
                    [200, 10, 320, 50],       # centre (260, 30): past the right edge, empty
                    [150, 120, 250, 180],     # centre (200, 150): in the padding, IoU 0.5
                    ], np.float64)
OBJECT = {"bboxes": np.array([[0.0, 0.0, 64.0, 64.0], [150.0, 120.0, 250.0, 155.0]]),
          "labels": np.array([1.0, 0.0])}
IMAGE = np.zeros((150, 256, 3))  # shorter than the 160-row canvas: the rest is padding


def states(outside: str) -> np.ndarray:
    regression, labels = anchor_targets(ANCHORS, [IMAGE], [OBJECT], 2, outside)
    np.testing.assert_array_equal(regression[0, :, -1], labels[0, :, -1])
    return labels[0, :, -1]


def test_ignore_is_keras_retinanets_rule() -> None:
    stock_regression, stock_labels = anchor_targets_bbox(ANCHORS, [IMAGE], [OBJECT], 2)
    regression, labels = anchor_targets(ANCHORS, [IMAGE], [OBJECT], 2, "ignore")
    np.testing.assert_array_equal(labels, stock_labels)
    np.testing.assert_array_equal(regression, stock_regression)
    np.testing.assert_array_equal(states("ignore"), [1, 0, -1, -1, -1])


def test_background_teaches_empty_outside_anchors_and_still_ignores_those_on_objects() -> None:
    """Past the edge and in the padding, an anchor overlapping nothing is background; one
    on an object (here IoU 0.5 with the box the padding cuts) stays ignored."""
    np.testing.assert_array_equal(states("background"), [1, 0, 0, 0, -1])


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="outside-anchor rule"):
        anchor_targets(ANCHORS, [IMAGE], [OBJECT], 2, "drop")
