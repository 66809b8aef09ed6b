"""Image preprocessing in plain numpy, identical to keras-retinanet's per backbone."""
from __future__ import annotations

import cv2
import numpy as np

_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)
_TORCH_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_TORCH_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def normalize(image_bgr: np.ndarray, mode: str) -> np.ndarray:
    """keras-retinanet's ``preprocess_image`` for ``mode`` in caffe, tf, torch (BGR input)."""
    x = image_bgr.astype(np.float32)
    if mode == "caffe":
        return x - _CAFFE_MEAN_BGR
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":  # keras_applications 'torch' mode, applied to the BGR array as given
        return (x / 255.0 - _TORCH_MEAN) / _TORCH_STD
    raise ValueError(f"unknown preprocessing mode {mode!r}")


def resize_scale(height: int, width: int, min_side: int, max_side: int) -> float:
    """The scale keras-retinanet applies: smallest side to min_side, largest at most max_side."""
    scale = min_side / min(height, width)
    if max(height, width) * scale > max_side:
        scale = max_side / max(height, width)
    return scale


def resize(image: np.ndarray, min_side: int, max_side: int) -> tuple[np.ndarray, float]:
    """Resize like keras-retinanet's ``resize_image``; returns the image and its scale."""
    scale = resize_scale(image.shape[0], image.shape[1], min_side, max_side)
    return cv2.resize(image, None, fx=scale, fy=scale), scale
