"""The kit's one image preprocessing: a uint8 BGR image -> a model's input tensor.

Every path that feeds a model goes through here: training batches (:func:`normalize`),
the Keras detector, export calibration and checks, and the runtime for every backend and
kind (:func:`to_network`, :func:`normalise`). The rule, as a card states it
(:class:`InputRule`):

1. resize: ``keras_retinanet_letterbox`` (smallest side to ``min_side``, largest at most
   ``max_side``, scale further capped so the image fits a fixed input; bottom/right
   padded with zeros *after* normalisation, as keras-retinanet pads its batches, to the
   fixed input, or for a free size to at least the ``canvas`` training padded its
   batches to), or ``stretch`` to the fixed ``height`` x ``width``;
2. colour: the BGR image is put in the model's ``color_order`` first;
3. values: a named mode is keras-retinanet's ``preprocess_image`` (``caffe``, ``tf``) or
   its EfficientNet backbones' (``torch``), applied to the array in the model's colour
   order, as keras-retinanet applies it to whatever array it is given; ``none`` keeps
   0..255; a ``{mean, std}`` pair is per channel in the model's colour order, in pixels;
4. layout: NHWC, or NCHW (channels first), with a batch axis of one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

LETTERBOX = "keras_retinanet_letterbox"
STRETCH = "stretch"
COLOR_ORDERS = ("BGR", "RGB")
NAMED_NORMALISATIONS = ("none", "caffe", "tf", "torch")

_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)
_TORCH_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_TORCH_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def normalize(image: np.ndarray, mode: str) -> np.ndarray:
    """keras-retinanet's ``preprocess_image`` for ``mode`` (caffe, tf; torch as its
    EfficientNet backbones; none), on the array as given (float32 result)."""
    x = image.astype(np.float32)
    if mode == "caffe":
        return x - _CAFFE_MEAN_BGR
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":  # keras_applications 'torch' mode, applied to the array as given
        return (x / 255.0 - _TORCH_MEAN) / _TORCH_STD
    if mode == "none":
        return x
    raise ValueError(f"unknown preprocessing mode {mode!r}")


def normalise(image_bgr: np.ndarray, values: str | dict, color_order: str = "BGR") -> np.ndarray:
    """Colour order first, then values (step 2 and 3 above) of any ``[..., 3]`` BGR array."""
    x = image_bgr[..., ::-1] if color_order == "RGB" else image_bgr
    if isinstance(values, dict):
        return ((x.astype(np.float32) - np.asarray(values["mean"], np.float32))
                / np.asarray(values["std"], np.float32))
    return normalize(x, values)


def resize_scale(height: int, width: int, min_side: int, max_side: int) -> float:
    """The scale keras-retinanet applies: smallest side to min_side, largest at most max_side."""
    scale = min_side / min(height, width)
    if max(height, width) * scale > max_side:
        scale = max_side / max(height, width)
    return scale


@dataclass(frozen=True)
class InputRule:
    """How a uint8 BGR image becomes one model's input: the input fields of its card."""

    normalise: Any = "none"          # a named mode, or {"mean": [..], "std": [..]}
    color_order: str = "BGR"
    resize: str = LETTERBOX
    min_side: int | None = None      # letterbox only
    max_side: int | None = None
    height: int | None = None        # fixed input size; None for a free (dynamic) size
    width: int | None = None
    layout: str = "NHWC"
    #: free size, letterbox: the (height, width) training padded its batches to. Images
    #: that fit are padded to it, as in training; anchors over a border training never
    #: saw are untaught (rf100's published test, mean of three seeds: mAP@0.5 0.922
    #: unpadded, 0.949 padded to the canvas).
    canvas: tuple[int, int] | None = None

    @property
    def fixed_size(self) -> bool:
        return self.height is not None and self.width is not None

    def shape(self) -> list[int]:
        """The image input's shape with batch 1 (-1 for a free dimension)."""
        h, w = (self.height, self.width) if self.fixed_size else (-1, -1)
        return [1, h, w, 3] if self.layout == "NHWC" else [1, 3, h, w]

    def scale(self, height: int, width: int) -> float:
        """The letterbox scale of a height x width image (capped to fit a fixed input)."""
        scale = resize_scale(height, width, self.min_side, self.max_side)
        if self.fixed_size:  # sizes below the bound never round above it
            scale = min(scale, self.height / height, self.width / width)
        return scale


def to_network(image_bgr: np.ndarray, rule: InputRule) -> tuple[np.ndarray, np.ndarray]:
    """The batch-of-one float32 input tensor of one uint8 BGR image, and the (sx, sy)
    factors from image to network pixels (divide network boxes by them)."""
    height, width = image_bgr.shape[:2]
    if rule.resize == STRETCH:
        sx, sy = rule.width / width, rule.height / height
        x = normalise(cv2.resize(image_bgr, (rule.width, rule.height)), rule.normalise,
                      rule.color_order)
    else:
        sx = sy = rule.scale(height, width)
        x = normalise(cv2.resize(image_bgr, None, fx=sx, fy=sx), rule.normalise,
                      rule.color_order)
        pad_to = (rule.height, rule.width) if rule.fixed_size else rule.canvas
        if pad_to:  # zeros after normalisation, as keras-retinanet pads batches
            padded = np.zeros((max(pad_to[0], x.shape[0]), max(pad_to[1], x.shape[1]), 3),
                              np.float32)
            padded[:x.shape[0], :x.shape[1]] = x
            x = padded
    if rule.layout == "NCHW":
        x = x.transpose(2, 0, 1)
    return np.ascontiguousarray(x[None], dtype=np.float32), np.array([sx, sy], np.float32)
