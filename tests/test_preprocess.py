"""The kit's one preprocessing (detector.preprocess) against keras-retinanet's own, for both
colour orders and every normalisation, and every backend's input going through it."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from detector.card import load_card
from detector.preprocess import STRETCH, InputRule, to_network

# keras-retinanet's backbones and the preprocessing each applies (its own preprocess_image)
BACKBONE_OF_MODE = {"caffe": "resnet50", "tf": "mobilenet224_1.0", "torch": "EfficientNetB0"}


def _image(height: int = 97, width: int = 131) -> np.ndarray:
    """A uint8 BGR image whose three channels differ everywhere (a flip would show)."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    image[..., 0] //= 4  # blue dark, red bright: BGR and RGB disagree
    image[..., 2] = 255 - image[..., 0]
    return image


def _keras_retinanet_input(image_bgr: np.ndarray, mode: str, color_order: str,
                           min_side: int, max_side: int) -> np.ndarray:
    """What keras-retinanet feeds a model: its resize_image, then its backbone's own
    preprocess_image, on the image in the model's colour order."""
    from detector import compat  # noqa: F401  (before keras_retinanet)
    from keras_retinanet import models
    from keras_retinanet.utils.image import resize_image

    image = image_bgr[..., ::-1] if color_order == "RGB" else image_bgr
    resized, _ = resize_image(np.ascontiguousarray(image), min_side, max_side)
    return np.asarray(models.backbone(BACKBONE_OF_MODE[mode]).preprocess_image(
        resized.astype(np.float32)), np.float32)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("color_order", ["BGR", "RGB"])
def test_letterbox_input_is_keras_retinanets(mode: str, color_order: str) -> None:
    image = _image()
    expected = _keras_retinanet_input(image, mode, color_order, 64, 90)
    free = InputRule(normalise=mode, color_order=color_order, min_side=64, max_side=90)
    tensor, scale = to_network(image, free)
    assert tensor.shape == (1, *expected.shape)
    np.testing.assert_allclose(tensor[0], expected, rtol=0, atol=1e-4)
    assert scale[0] == scale[1] == pytest.approx(64 / 97)

    # a fixed input: the same pixels top-left, zeros after normalisation elsewhere
    fixed = InputRule(normalise=mode, color_order=color_order, min_side=64, max_side=90,
                      height=72, width=96, layout="NCHW")
    tensor, _ = to_network(image, fixed)
    h, w = expected.shape[:2]
    assert tensor.shape == (1, 3, 72, 96)
    np.testing.assert_allclose(tensor[0, :, :h, :w], expected.transpose(2, 0, 1), atol=1e-4)
    assert not tensor[0, :, h:, :].any() and not tensor[0, :, :, w:].any()


def test_a_free_input_is_padded_to_at_least_its_training_canvas() -> None:
    """As training batches were: zeros bottom/right up to the canvas; a dimension the
    resized image exceeds keeps the image's size, and nothing is cropped."""
    image = _image()  # 97 x 131 -> 64 x 86 at 64..90 px
    bare = InputRule(normalise="tf", min_side=64, max_side=90)
    expected, scale = to_network(image, bare)
    h, w = expected.shape[1:3]
    tall = InputRule(normalise="tf", min_side=64, max_side=90, canvas=(80, 72))
    tensor, padded_scale = to_network(image, tall)
    assert tensor.shape == (1, 80, w, 3)
    np.testing.assert_array_equal(tensor[:, :h, :w], expected)
    assert not tensor[:, h:].any()
    np.testing.assert_array_equal(padded_scale, scale)


def test_mean_std_is_per_channel_in_the_models_order() -> None:
    image = _image()
    rule = InputRule(normalise={"mean": [10.0, 20.0, 30.0], "std": [2.0, 4.0, 8.0]},
                     color_order="RGB", resize=STRETCH, height=50, width=40)
    tensor, scale = to_network(image, rule)
    import cv2

    rgb = cv2.resize(image, (40, 50))[..., ::-1].astype(np.float32)
    np.testing.assert_allclose(tensor[0], (rgb - [10, 20, 30]) / [2, 4, 8], atol=1e-5)
    np.testing.assert_allclose(scale, [40 / 131, 50 / 97])


@pytest.mark.slow
def test_rgb_caffe_reaches_every_backend_as_keras_retinanet_makes_it(
        small_detector: dict, tmp_path: Path) -> None:
    """An RGB, caffe-normalised model: the tensor each backend is fed (Keras .h5, ONNX
    Runtime, OpenVINO IR) is keras-retinanet's preprocessing of the RGB image."""
    import shutil

    from gesturekit import cli
    from gesturekit.runtime.backends import load_detector

    converted = tmp_path / "model"
    shutil.copytree(small_detector["model"], converted)
    metadata = load_card(converted)
    metadata.input = replace(metadata.input, color_order="RGB", normalise="caffe")
    metadata.save(converted)
    export = tmp_path / "export"
    assert cli.main(["export", str(converted / "inference.h5"), "--format", "all",
                     "--out", str(export)]) == 0
    card = load_card(export)
    assert (card.input.color_order, card.input.normalise) == ("RGB", "caffe")

    image = _image(240, 320)
    fed = {"keras": load_detector(converted / "inference.h5").prepare(image)}
    for name, path in (("onnxruntime", export / "model.onnx"), ("openvino", export / "model.xml")):
        detector = load_detector(path)
        assert (detector.card.input.color_order, detector.card.input.normalise) == ("RGB", "caffe")
        fed[name] = detector.prepare(image)
    expected = _keras_retinanet_input(image, "caffe", "RGB", metadata.image_min_side,
                                      metadata.image_max_side)
    h, w = expected.shape[:2]
    for name, tensor in fed.items():
        np.testing.assert_allclose(tensor[0, :h, :w], expected, atol=1e-4, err_msg=name)
        assert not tensor[0, h:].any() and not tensor[0, :, w:].any(), name
