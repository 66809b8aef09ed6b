"""Turn a uint8 BGR image into a model's input as its card says (resize, colour,
normalise, layout)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detector.preprocess import normalize, resize_scale
from voc_tools.errors import GestureKitError

from .cards import RuntimeCard


def check_image(image: np.ndarray, model_path: Path | None) -> None:
    """Refuse anything but an H x W x 3 image (the error names the model)."""
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
        shape = getattr(image, "shape", type(image).__name__)
        raise GestureKitError(f"expected a 3-channel BGR image (H x W x 3), got shape {shape}",
                              model_path)


def normalise(image: np.ndarray, card: RuntimeCard) -> np.ndarray:
    """Colour order and value normalisation; ``image`` is BGR, the result float32 HWC.

    Named modes are keras-retinanet's (applied to the BGR array, as it does); a mean/std
    pair is applied after converting to the card's colour order."""
    if isinstance(card.normalise, str) and card.normalise in ("caffe", "tf", "torch"):
        x = normalize(image, card.normalise)
        return x[..., ::-1] if card.color_order == "RGB" else x
    x = (image[..., ::-1] if card.color_order == "RGB" else image).astype(np.float32)
    if isinstance(card.normalise, dict):
        x = (x - np.asarray(card.normalise["mean"], np.float32)) / np.asarray(
            card.normalise["std"], np.float32)
    return x


def letterbox_scale(height: int, width: int, card: RuntimeCard) -> float:
    """keras-retinanet's scale, reduced if needed so the image fits a fixed input."""
    scale = resize_scale(height, width, card.min_side, card.max_side)
    if card.fixed_size:
        scale = min(scale, card.height / height, card.width / width)
    return scale


def to_network(image_bgr: np.ndarray, card: RuntimeCard) -> tuple[np.ndarray, np.ndarray]:
    """The batch-of-one input tensor and the (sx, sy) factors from image to network pixels."""
    h, w = image_bgr.shape[:2]
    if card.resize == "stretch":
        sx, sy = card.width / w, card.height / h
        x = normalise(cv2.resize(image_bgr, (card.width, card.height)), card)
    else:
        sx = sy = letterbox_scale(h, w, card)
        x = normalise(cv2.resize(image_bgr, None, fx=sx, fy=sx), card)
        if card.fixed_size:  # zeros after normalisation, as keras-retinanet pads batches
            padded = np.zeros((card.height, card.width, 3), np.float32)
            padded[:x.shape[0], :x.shape[1]] = x
            x = padded
    if card.layout == "NCHW":
        x = x.transpose(2, 0, 1)
    return np.ascontiguousarray(x[None], dtype=np.float32), np.array([sx, sy], np.float32)
