"""One entry point for every detector file, .h5 (Keras), .onnx and .xml: the kit's one
engine (:mod:`detector.engine`), which also finds the cards shipped here."""
from __future__ import annotations

from pathlib import Path

from detector.engine import BACKENDS, ModelRunner, choose_backend
from detector.engine import load_detector as _load_detector

from .cards import SHIPPED_CARDS

__all__ = ["BACKENDS", "choose_backend", "load_detector"]


def load_detector(path: str | Path, backend: str = "auto",
                  card_path: str | Path | None = None) -> ModelRunner:
    """A detector with ``.classes`` and ``.detect(image_bgr, score_threshold,
    max_detections) -> Detections`` (boxes in original-image pixels), whatever the file.

    ``auto``: .h5 -> Keras, .onnx -> onnxruntime (OpenVINO rejects the ONNX Loop tf2onnx
    makes of the NMS), .xml -> OpenVINO.
    """
    return _load_detector(path, backend, card_path, cards_dir=SHIPPED_CARDS)
