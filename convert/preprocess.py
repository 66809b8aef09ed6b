"""The input size and resize entry an exported detector's card gets.

The rule itself (resize, colour, normalise, pad) is the kit's one preprocessing,
:func:`detector.preprocess.to_network`, fed by the card's :attr:`InputSpec.rule`.
"""
from __future__ import annotations

from detector.preprocess import LETTERBOX, resize_scale

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
