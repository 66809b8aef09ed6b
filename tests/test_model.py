"""The RetinaNet builder's widths: heads and feature pyramid narrower than the paper's."""
from __future__ import annotations

import numpy as np

from detector.model import build_training_model, head_submodels, prediction_model


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
