"""Checking the images the runtime is given; the preprocessing itself is the kit's one
(:mod:`detector.preprocess`), fed by the card's input rule (:class:`detector.card.ModelCard`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from voc_tools.errors import GestureKitError


def check_image(image: np.ndarray, model_path: Path | None) -> None:
    """Refuse anything but an H x W x 3 image (the error names the model)."""
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
        shape = getattr(image, "shape", type(image).__name__)
        raise GestureKitError(f"expected a 3-channel BGR image (H x W x 3), got shape {shape}",
                              model_path)
