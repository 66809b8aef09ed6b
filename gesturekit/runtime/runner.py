"""One loaded model = card + adapter + engine; ``infer`` runs one image or clip."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from detector.card import ModelCard
from voc_tools.errors import GestureKitError

from .cards import check_input_shape, resolve_card
from .clip import ClipAdapter
from .detector import DetectorAdapter
from .outputs import TensorInfo
from .pose_features import PoseAdapter


def make_adapter(card: ModelCard, inputs: list[TensorInfo], outputs: list[TensorInfo],
                 model_path: Path) -> DetectorAdapter | ClipAdapter | PoseAdapter:
    """Check the card against the model's input and build the adapter for its kind."""
    if len(inputs) != 1:
        raise GestureKitError(f"expected a model with one input, this one has {len(inputs)}",
                              model_path)
    shape = inputs[0].shape
    if shape is None:
        raise GestureKitError("the model's input rank is unknown", model_path)
    check_input_shape(card, list(shape), model_path)
    adapter = {"detector": DetectorAdapter, "clip_classifier": ClipAdapter,
               "pose_classifier": PoseAdapter}[card.kind]
    return adapter(card, outputs, model_path)


class ModelRunner:
    """A model ready to run synchronously; subclasses provide ``_run(tensor) -> outputs``."""

    def __init__(self, name: str, path: Path, card: ModelCard,
                 adapter: DetectorAdapter | ClipAdapter, backend: str) -> None:
        self.name, self.path, self.card, self.adapter = name, path, card, adapter
        self.backend = backend

    _run: Callable[[np.ndarray], list[np.ndarray]]

    @property
    def classes(self) -> list[str]:
        return self.card.classes

    @property
    def kind(self) -> str:
        return self.card.kind

    def infer(self, item: Any, **decode_args: Any) -> Any:
        """Run one item (a BGR image for detectors, a :class:`~runtime.clip.Clip` for clip
        classifiers) and decode the result."""
        tensor, meta = self.adapter.prepare(item)
        return self.adapter.decode(self._run(tensor), meta, **decode_args)

    def detect(self, image_bgr: np.ndarray, score_threshold: float = 0.05,
               max_detections: int = 100) -> Any:
        """Detections in original-image pixels (the KerasDetector interface)."""
        if self.kind != "detector":
            raise GestureKitError(f"'{self.name}' is a {self.kind}, not a detector", self.path)
        return self.infer(image_bgr, score_threshold=score_threshold,
                          max_detections=max_detections)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """A pose classifier's class probabilities (N x classes) of hand features N x C."""
        if self.kind != "pose_classifier":
            raise GestureKitError(f"'{self.name}' is a {self.kind}, not a pose classifier",
                                  self.path)
        return self.infer(features)

    def classify(self, clip: Any) -> Any:
        """The class probabilities of one clip."""
        if self.kind != "clip_classifier":
            raise GestureKitError(f"'{self.name}' is a {self.kind}, not a clip classifier",
                                  self.path)
        return self.infer(clip)


class OnnxRuntimeModel(ModelRunner):
    """A model run by onnxruntime (e.g. an exported detector whose NMS is an ONNX Loop)."""

    def __init__(self, path: str | Path, card_path: str | Path | None = None,
                 name: str = "model") -> None:
        from .engines import OnnxRuntimeSession

        path = Path(path)
        card = resolve_card(path, card_path)
        self.session = OnnxRuntimeSession(path)
        adapter = make_adapter(card, self.session.inputs, self.session.outputs, path)
        super().__init__(name, path, card, adapter, "onnxruntime")

    def _run(self, tensor: np.ndarray) -> list[np.ndarray]:
        return self.session.run(tensor)
