"""The default input size of an exported detector.

The rule itself (resize, colour, normalise, pad) is the kit's one preprocessing,
:func:`detector.preprocess.to_network`, fed by the card (:class:`detector.card.ModelCard`).
"""
from __future__ import annotations

from detector.preprocess import resize_scale

# The frame whose training resize is the default fixed input size: 4:3, like a webcam.
REFERENCE_FRAME = (480, 640)


def default_input_size(min_side: int, max_side: int) -> tuple[int, int]:
    """(height, width) keras-retinanet resizes a 4:3 frame to, rounded as cv2.resize does."""
    height, width = REFERENCE_FRAME
    scale = resize_scale(height, width, min_side, max_side)
    return int(round(height * scale)), int(round(width * scale))
