"""Reading images with one-line errors instead of silent ``None``."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .errors import GestureKitError


def read_image_bgr(path: str | Path) -> np.ndarray:
    """Read an image as an H×W×3 uint8 BGR array (grayscale and alpha converted)."""
    path = Path(path)
    if not path.is_file():
        raise GestureKitError("image not found", path)
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None:
        raise GestureKitError("not a readable image", path)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.dtype == np.uint16:  # 65535 -> 255: the same scale for every image
        image = (image // 257).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(1, int(image.max())))
    return image
