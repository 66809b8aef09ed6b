"""Run an exported detector (OpenVINO IR or ONNX) with the KerasDetector interface, so
detector.evaluate measures exported models exactly as it measures Keras ones."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from detector.inference import Detections, select
from voc_tools.errors import GestureKitError

from detector.card import ModelCard
from detector.preprocess import to_network

# OpenVINO's names for the card's precisions.
OV_PRECISION = {"fp32": "f32", "bf16": "bf16", "int8": "f32"}


class ExportedDetector:
    """``detect(image_bgr)`` through ``infer(batch) -> (boxes, scores, labels)``."""

    def __init__(self, infer: Callable[[np.ndarray], tuple], card: ModelCard) -> None:
        self.infer = infer
        self.card = card

    @property
    def classes(self) -> list[str]:
        return self.card.classes

    def detect(self, image_bgr: np.ndarray, score_threshold: float = 0.05,
               max_detections: int = 100) -> Detections:
        batch, scale = to_network(image_bgr, self.card.input.rule)
        boxes, scores, labels = self.infer(batch)
        return select(np.asarray(boxes)[0] / np.tile(scale, 2), np.asarray(scores)[0],
                      np.asarray(labels)[0], self.classes, score_threshold, max_detections)


def openvino_detector(model, card: ModelCard, precision_hint: str = "f32",  # type: ignore[no-untyped-def]
                      core=None, threads: int | None = None) -> ExportedDetector:
    """An ``ov.Model`` or IR path compiled for CPU with an explicit precision hint."""
    import openvino as ov

    core = core or ov.Core()
    config = {"INFERENCE_PRECISION_HINT": precision_hint}
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
    compiled = core.compile_model(str(model) if isinstance(model, Path) else model, "CPU",
                                  config)
    request = compiled.create_infer_request()

    def infer(batch: np.ndarray) -> tuple:
        out = request.infer({0: batch})
        return tuple(out[compiled.output(name)] for name in ("boxes", "scores", "labels"))

    return ExportedDetector(infer, card)


def onnx_detector(path: Path, card: ModelCard) -> ExportedDetector:
    """An ONNX file run by onnxruntime on CPU."""
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own exception types
        raise GestureKitError(f"onnxruntime cannot load it ({str(err).splitlines()[0]})",
                              path) from None
    names = [o.name for o in session.get_outputs()]
    if sorted(names) != ["boxes", "labels", "scores"]:
        raise GestureKitError(f"not a GestureKit detector: outputs {names}", path)

    def infer(batch: np.ndarray) -> tuple:
        return tuple(session.run(["boxes", "scores", "labels"], {card.input.name: batch}))

    return ExportedDetector(infer, card)
