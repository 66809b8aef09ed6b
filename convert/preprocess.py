"""The input rule of an exported detector, in numpy: what a runtime must reproduce.

A fixed-size model takes one H×W image: the keras-retinanet resize (smallest side to
``min_side``, largest at most ``max_side``, scale capped so the image fits), normalised,
then padded bottom/right with zeros *after* normalisation, exactly as keras-retinanet pads
its training batches. A dynamic model takes the resized image as it is. Boxes come back in
network pixels; divide by the returned scale for original-image pixels.
"""
from __future__ import annotations

import cv2
import numpy as np

from detector.preprocess import normalize, resize_scale
from voc_tools.errors import GestureKitError

from .card import InputSpec

LETTERBOX = "keras_retinanet_letterbox"
# The frame whose training resize is the default fixed input size: 4:3, like a webcam.
REFERENCE_FRAME = (480, 640)


def default_input_size(min_side: int, max_side: int) -> tuple[int, int]:
    """(height, width) keras-retinanet resizes a 4:3 frame to, rounded as cv2.resize does."""
    height, width = REFERENCE_FRAME
    scale = resize_scale(height, width, min_side, max_side)
    return int(round(height * scale)), int(round(width * scale))


def resize_rule(min_side: int, max_side: int) -> dict:
    """The card's ``input.resize`` entry for the letterbox rule."""
    return {"rule": LETTERBOX, "min_side": int(min_side), "max_side": int(max_side),
            "interpolation": "linear", "pad": "bottom_right", "pad_value": 0.0,
            "pad_after_normalise": True, "reference_frame_hw": list(REFERENCE_FRAME)}


def input_scale(height: int, width: int, spec: InputSpec) -> float:
    """The resize scale of an image of height × width for the model input ``spec``."""
    rule = spec.resize
    scale = resize_scale(height, width, rule["min_side"], rule["max_side"])
    if not spec.dynamic:  # sizes below the bound never round above it
        scale = min(scale, spec.height / height, spec.width / width)
    return scale


def prepare_input(image_bgr: np.ndarray, spec: InputSpec) -> tuple[np.ndarray, float]:
    """One uint8 BGR image -> the model's (1, H, W, 3) float32 input and its scale."""
    if image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
        raise GestureKitError(f"expected a 3-channel BGR image, got shape {image_bgr.shape}")
    if spec.resize.get("rule") != LETTERBOX or spec.layout != "NHWC":
        raise GestureKitError(f"unsupported input rule {spec.resize.get('rule')!r} / layout "
                              f"{spec.layout!r} for a detector")
    if spec.color_order == "RGB":
        image_bgr = image_bgr[..., ::-1]
    scale = input_scale(image_bgr.shape[0], image_bgr.shape[1], spec)
    resized = cv2.resize(image_bgr, None, fx=scale, fy=scale)
    image = normalize(resized, spec.preprocess)
    if spec.dynamic:
        return image[None], scale
    batch = np.zeros((1, spec.height, spec.width, 3), dtype=np.float32)
    batch[0, :image.shape[0], :image.shape[1]] = image
    return batch, scale
