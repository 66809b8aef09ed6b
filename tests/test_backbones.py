"""Every keras-retinanet backbone family (and the kit's CSP backbone) builds, trains a
step, converts and predicts on TF 2.21 + tf-keras, with no installed file edited."""
from __future__ import annotations

import numpy as np
import pytest

from detector import compat  # noqa: F401

FAMILIES = ["resnet50", "mobilenet128_1.0", "vgg16", "densenet121", "EfficientNetB0", "csp_n"]


@pytest.fixture(scope="module")
def batch():
    """One real training batch (image + anchor targets) at 128x160 from keras-retinanet's
    own target computation."""
    from keras_retinanet.utils.anchors import anchor_targets_bbox, anchors_for_shape

    rng = np.random.default_rng(0)
    image = rng.uniform(-1, 1, size=(1, 128, 160, 3)).astype(np.float32)
    return image, anchors_for_shape, anchor_targets_bbox


@pytest.mark.slow
@pytest.mark.parametrize("backbone_name", FAMILIES)
def test_backbone_trains_converts_and_predicts(backbone_name: str, batch) -> None:
    from keras_retinanet.utils.anchors import make_shapes_callback

    from detector.model import build_training_model, prediction_model

    image, anchors_for_shape, anchor_targets_bbox = batch
    model = build_training_model(backbone_name, 2, None, False, 1e-4)
    anchors = anchors_for_shape(image.shape[1:], shapes_callback=make_shapes_callback(model))
    boxes = np.array([[30.0, 20.0, 90.0, 100.0]])
    regression, labels = anchor_targets_bbox(anchors, [image[0]],
                                             [{"bboxes": boxes, "labels": np.array([1])}], 2)
    before = [w.copy() for w in model.get_weights()[:4]]
    loss = model.train_on_batch(image, [regression, labels])
    assert np.all(np.isfinite(loss))
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()[:4]))
    boxes_out, scores, classes = prediction_model(model).predict_on_batch(image)[:3]
    assert boxes_out.shape == (1, 300, 4) and scores.shape == (1, 300)
    assert classes.shape == (1, 300)


def test_keras_resnet_saw_tf_keras_and_keras_is_restored() -> None:
    import sys

    import keras_resnet.layers
    import tf_keras

    assert issubclass(keras_resnet.layers.BatchNormalization, tf_keras.layers.BatchNormalization)
    keras = sys.modules.get("keras")
    assert keras is None or keras is not tf_keras


def test_tensorflow_keras_is_tf_keras() -> None:
    import tf_keras
    from tensorflow import keras

    assert keras.layers.Dense is tf_keras.layers.Dense
