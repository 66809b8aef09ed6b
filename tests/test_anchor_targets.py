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


def canvas_anchors(height: int = 160, width: int = 256) -> np.ndarray:
    from keras_retinanet.utils.anchors import anchors_for_shape

    return anchors_for_shape((height, width, 3))


def test_anchor_levels_follow_the_pyramid() -> None:
    from detector.anchors import anchor_levels

    anchors = canvas_anchors()
    levels = anchor_levels(anchors)
    counts = [int((levels == level).sum()) for level in range(5)]
    # P3..P7 of a 160x256 canvas: 20x32, 10x16, 5x8, 3x4, 2x2 locations, nine anchors each
    assert counts == [9 * n for n in (640, 160, 40, 12, 4)]
    assert list(levels) == sorted(levels)  # keras-retinanet lists them level by level


def test_atss_gives_a_small_object_anchors_where_the_fixed_iou_gives_none() -> None:
    anchors = canvas_anchors()
    small = {"bboxes": np.array([[100.0, 60.0, 114.0, 74.0]]), "labels": np.array([1.0])}
    image = np.zeros((160, 256, 3))
    _, iou_labels = anchor_targets(anchors, [image], [small], 2, assigner="iou")
    assert (iou_labels[0, :, -1] == 1).sum() == 0
    regression, labels = anchor_targets(anchors, [image], [small], 2, assigner="atss")
    positive = labels[0, :, -1] == 1
    assert 1 <= positive.sum() <= 9 and (labels[0, positive, 1] == 1).all()
    centres = (anchors[positive, :2] + anchors[positive, 2:]) / 2
    assert ((centres > [100, 60]) & (centres < [114, 74])).all()
    assert (labels[0, :, -1] >= 0).all()  # no ignored band
    np.testing.assert_array_equal(regression[0, :, -1], labels[0, :, -1])


def test_atss_matches_each_object_at_the_levels_of_its_size() -> None:
    from detector.anchors import anchor_levels, atss_assignment

    anchors = canvas_anchors()
    levels = anchor_levels(anchors)
    boxes = np.array([[30.0, 30.0, 62.0, 62.0],      # 32 px: P3's anchors
                      [90.0, 10.0, 250.0, 150.0]])   # ~150 px: P5-P6's
    positive, assigned = atss_assignment(anchors, levels, boxes)
    for index, box in enumerate(boxes):
        mine = positive & (assigned == index)
        centres = (anchors[mine, :2] + anchors[mine, 2:]) / 2
        assert mine.any() and ((centres > box[:2]) & (centres < box[2:])).all()
    assert set(levels[positive & (assigned == 0)]) <= {0, 1}
    assert set(levels[positive & (assigned == 1)]) <= {2, 3}
