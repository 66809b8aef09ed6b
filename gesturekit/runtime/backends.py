"""One entry point for every detector file: .h5 (Keras), .onnx and .xml."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from voc_tools.errors import GestureKitError

BACKENDS = ("auto", "keras", "openvino", "onnxruntime")
_ALLOWED = {".h5": ("keras",), ".xml": ("openvino",), ".onnx": ("onnxruntime", "openvino")}


def choose_backend(path: Path, backend: str = "auto") -> str:
    """The backend for a model file: from its suffix, or the one asked for if it can run it."""
    if backend not in BACKENDS:
        raise GestureKitError(f"unknown backend '{backend}' (one of {', '.join(BACKENDS)})",
                              path)
    allowed = _ALLOWED.get(path.suffix)
    if allowed is None:
        raise GestureKitError("unsupported model file (expected .h5, .onnx or .xml)", path)
    if backend == "auto":
        return allowed[0]
    if backend not in allowed:
        raise GestureKitError(f"the {backend} backend cannot run a {path.suffix} file "
                              f"(use {' or '.join(allowed)})", path)
    return backend


def load_detector(path: str | Path, backend: str = "auto",
                  card_path: str | Path | None = None) -> Any:
    """A detector with ``.classes`` and ``.detect(image_bgr, score_threshold,
    max_detections) -> Detections`` (boxes in original-image pixels), whatever the file.

    ``auto``: .h5 -> Keras, .onnx -> onnxruntime (OpenVINO rejects the ONNX Loop tf2onnx
    makes of the NMS), .xml -> OpenVINO.
    """
    path = Path(path)
    chosen = choose_backend(path, backend)
    if chosen == "keras":
        from detector.inference import load_detector as load_keras_detector

        return load_keras_detector(path)
    if chosen == "onnxruntime":
        from .runner import OnnxRuntimeModel

        detector = OnnxRuntimeModel(path, card_path, name=path.stem)
    else:
        from .server import ModelServer

        detector = ModelServer().add(path.stem, path, card_path)
    if detector.kind != "detector":
        raise GestureKitError(f"this model is a {detector.kind}, not a detector", path)
    return detector
