"""The kit's CSP backbone (detector.csp): its pyramid inputs, names and preprocessing."""
from __future__ import annotations

import pytest

from detector import compat  # noqa: F401
from voc_tools.errors import GestureKitError


@pytest.mark.parametrize("name", ["csp_n", "csp_s"])
def test_features_have_strides_8_16_32_and_the_scale_widths(name: str) -> None:
    from tensorflow import keras

    from detector.csp import BASE_CHANNELS, SCALES, csp_features

    inputs = keras.layers.Input((128, 160, 3))
    c3, c4, c5 = csp_features(inputs, name)
    width = SCALES[name][0]
    assert tuple(c3.shape[1:3]) == (16, 20) and tuple(c4.shape[1:3]) == (8, 10)
    assert tuple(c5.shape[1:3]) == (4, 5)
    assert [t.shape[-1] for t in (c3, c4, c5)] == [round(c * width)
                                                   for c in BASE_CHANNELS[2:]]


def test_csp_n_has_yolov8n_sized_backbone() -> None:
    """YOLOv8n's backbone has ~1.27 M parameters; the two-1x1 split adds a few."""
    from tensorflow import keras

    from detector.csp import csp_features

    inputs = keras.layers.Input((None, None, 3))
    params = keras.Model(inputs, csp_features(inputs, "csp_n")).count_params()
    assert 1.1e6 < params < 1.5e6


def test_unknown_scale_is_one_line_error() -> None:
    from detector.model import get_backbone

    with pytest.raises(GestureKitError, match="backbone 'csp_x'"):
        get_backbone("csp_x")


def test_preprocessing_and_imagenet_refusal() -> None:
    from detector.card import preprocess_mode
    from detector.model import imagenet_weights

    assert preprocess_mode("csp_n") == "tf"
    with pytest.raises(GestureKitError, match="^there are no ImageNet weights for csp_n; train it with --weights none$"):
        imagenet_weights("csp_n")
