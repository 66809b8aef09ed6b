"""The default input size of an exported detector.

The rule itself (resize, colour, normalise, pad) is the kit's one preprocessing,
:func:`detector.preprocess.to_network`, fed by the card (:class:`detector.card.ModelCard`).
"""
from __future__ import annotations

from detector.card import ModelCard
from detector.preprocess import resize_scale

#: The frame whose training resize is the fallback fixed input size: 4:3, like a webcam.
REFERENCE_FRAME = (480, 640)


def default_input_size(card: ModelCard) -> tuple[int, int]:
    """(height, width) of the canvas the detector was trained on (its training frames'
    resized shape, padded to the largest; recorded by ``gesturekit train``), so an export
    pads frames like those as training did. Models trained before that was recorded get
    the training resize of a 4:3 frame, rounded as cv2.resize does.

    Why: anchors over padding that training never saw are untaught (the Keras model pads
    to the same canvas: ``InputRule.canvas``). rf100's 16:10 frames in a 4:3 canvas left a
    32-row strip, and a whole-frame box from it cost the IR 0.04 mAP@0.5 on the published
    test (0.896 against 0.938 at the training canvas, 160x256)."""
    if card.input.canvas:
        return card.input.canvas
    height, width = REFERENCE_FRAME
    scale = resize_scale(height, width, card.image_min_side, card.image_max_side)
    return int(round(height * scale)), int(round(width * scale))
