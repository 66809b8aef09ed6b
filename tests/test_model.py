"""The RetinaNet builder's widths: heads and feature pyramid narrower than the paper's."""
from __future__ import annotations

import numpy as np

from detector.model import build_training_model, head_submodels, prediction_model, shapes_callback


def test_paper_widths_are_keras_retinanets_own_model() -> None:
    assert head_submodels(3, 256, 256) is None


def test_narrow_pyramid_feeds_narrow_heads_and_converts() -> None:
    model = build_training_model("mobilenet128_0.25", 2, None, False, 1e-3, head_width=16,
                                 fpn_width=24)
    assert {model.get_layer(name).filters for name in ("P3", "P4", "P5", "P6", "P7")} == {24}
    for head in ("classification_submodel", "regression_submodel"):
        assert model.get_layer(head).input_shape[-1] == 24
    wide = build_training_model("mobilenet128_0.25", 2, None, False, 1e-3, head_width=16)
    assert model.count_params() < wide.count_params()
    boxes, scores, labels = prediction_model(model).predict(
        np.zeros((1, 96, 128, 3), "float32"), verbose=0)
    assert boxes.shape == (1, 300, 4) and scores.shape == labels.shape == (1, 300)


def test_group_norm_heads_normalise_every_hidden_layer_and_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest
    from tensorflow import keras

    from detector.hands import HANDS_WEIGHTS, stored_head_norm
    from detector.inference import load_keras_model
    from voc_tools.errors import GestureKitError

    model = build_training_model("mobilenet128_0.25", 2, None, False, 1e-3, head_width=16,
                                 fpn_width=16, head_norm="group")
    for head, prefix in (("classification_submodel", "pyramid_classification"),
                         ("regression_submodel", "pyramid_regression")):
        layers = {layer.name: layer for layer in model.get_layer(head).layers}
        for i in range(4):
            assert layers[f"{prefix}_{i}"].activation is keras.activations.linear
            norm = layers[f"{prefix}_{i}_gn"]
            assert isinstance(norm, keras.layers.GroupNormalization) and norm.groups == 2
            assert isinstance(layers[f"{prefix}_{i}_relu"], keras.layers.ReLU)
    # the classification prior (bias -log((1-0.01)/0.01)) is keras-retinanet's
    bias = model.get_layer("classification_submodel").get_layer(
        "pyramid_classification").get_weights()[1]
    np.testing.assert_allclose(bias, -np.log(99.0), rtol=1e-5)
    saved = tmp_path / "gn.h5"
    model.save(str(saved))
    assert stored_head_norm(saved) == "group"
    assert stored_head_norm(HANDS_WEIGHTS) == "none"
    loaded = load_keras_model(saved, "mobilenet128_0.25")
    image = np.random.default_rng(0).uniform(-1, 1, (1, 96, 128, 3)).astype("float32")
    for ours, theirs in zip(model.predict(image, verbose=0), loaded.predict(image, verbose=0)):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
    with pytest.raises(GestureKitError, match="weights file not found"):
        stored_head_norm(tmp_path / "missing.h5")
    with pytest.raises(GestureKitError, match="--head-norm must be one of none, group"):
        head_submodels(2, 16, 16, "batch")


def test_anchors_training_ignores_report_nothing() -> None:
    """Anchors centred at or past the image's right or bottom edge are ignored by
    keras-retinanet's targets, so the inference model zeroes their scores."""
    from detector.anchors import InsideAnchors

    image = np.zeros((1, 160, 256, 3), "float32")
    anchors = np.array([[[0, 0, 64, 64],          # centre (32, 32): inside
                         [-85, 69, 277, 251],     # centre (96, 160): on the bottom edge
                         [200, 10, 320, 50],      # centre (260, 30): past the right edge
                         [-300, -300, 500, 500]]], "float32")  # centre (100, 100): inside
    scores = np.full((1, 4, 3), 0.7, "float32")
    masked = InsideAnchors()([image, anchors, scores]).numpy()
    np.testing.assert_array_equal(masked[0, :, 0], np.float32([0.7, 0.0, 0.0, 0.7]))
    np.testing.assert_array_equal(masked[..., 1:], masked[..., :1].repeat(2, axis=-1))


def test_the_inference_model_drops_untrained_anchors_and_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from keras_retinanet.utils.anchors import anchors_for_shape
    from tensorflow import keras

    from detector.inference import load_keras_model, save_h5

    model = build_training_model("mobilenet128_0.25", 2, None, False, 1e-3, head_width=8,
                                 fpn_width=8)
    image = np.random.default_rng(0).uniform(-1, 1, (1, 96, 160, 3)).astype("float32")
    inference = prediction_model(model)
    probe = keras.Model(inference.inputs, inference.get_layer("inside_anchors").output)
    scores = probe.predict(image, verbose=0)[0]
    anchors = anchors_for_shape((96, 160, 3), shapes_callback=shapes_callback(model))
    centres = np.round((anchors[:, :2] + anchors[:, 2:]) / 2, 3)  # exact: on the edge is out
    outside = (centres[:, 0] >= 160) | (centres[:, 1] >= 96)
    assert scores.shape == (len(anchors), 2) and 0 < outside.sum() < len(anchors)
    assert (scores[outside] == 0).all() and (scores[~outside] > 0).all()
    path = tmp_path / "inference.h5"
    save_h5(inference, path)
    for ours, loaded in zip(inference.predict(image, verbose=0),
                            load_keras_model(path, "mobilenet128_0.25").predict(image, verbose=0)):
        np.testing.assert_allclose(ours, loaded, atol=1e-6)
