"""Load a converted detector and run it on images: the one place detections are made."""
from __future__ import annotations

import contextlib
import logging
import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from voc_tools.errors import GestureKitError

from .card import ModelCard, load_card
from .preprocess import to_network


@dataclass
class Detections:
    """Detections of one image, boxes in original-image pixels (x1, y1, x2, y2)."""

    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    classes: list[str]

    def __len__(self) -> int:
        return len(self.scores)

    def in_original_pixels(self, scale: float) -> "Detections":
        """These detections, made on an image decoded at ``scale`` (see
        ``read_image_bounded``), with boxes in the original image's pixels."""
        return self if scale == 1.0 else replace(self, boxes=self.boxes / np.float32(scale))

    def records(self) -> list[dict]:
        """One JSON-ready dict per detection."""
        return [{"class": self.classes[int(label)], "score": round(float(score), 4),
                 "box": [round(float(v), 1) for v in box]}
                for box, score, label in zip(self.boxes, self.scores, self.labels)]


def select(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, classes: list[str],
           score_threshold: float, max_detections: int) -> Detections:
    """Keep detections above the threshold, best first, as keras-retinanet's evaluate does."""
    keep = np.where(scores > score_threshold)[0]
    order = keep[np.argsort(-scores[keep], kind="stable")][:max_detections]
    return Detections(boxes[order].astype(np.float32), scores[order].astype(np.float32),
                      labels[order].astype(np.int64), classes)


class KerasDetector:
    """A keras-retinanet inference model (.h5) with its metadata."""

    def __init__(self, model, metadata: ModelCard) -> None:  # type: ignore[no-untyped-def]
        self.model = model
        self.metadata = metadata

    @property
    def classes(self) -> list[str]:
        return self.metadata.classes

    def prepare(self, image_bgr: np.ndarray) -> tuple[np.ndarray, float]:
        """One BGR image -> the (1, H, W, 3) network input and its scale."""
        tensor, scale = to_network(image_bgr, self.metadata.input)
        return tensor, float(scale[0])

    def detect(self, image_bgr: np.ndarray, score_threshold: float = 0.05,
               max_detections: int = 100) -> Detections:
        """Detect gestures in one BGR image."""
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
            raise GestureKitError(f"expected a 3-channel BGR image, got shape {image_bgr.shape}")
        image, scale = self.prepare(image_bgr)
        boxes, scores, labels = self.model.predict_on_batch(image)[:3]
        boxes = np.asarray(boxes)[0] / scale
        return select(boxes, np.asarray(scores)[0], np.asarray(labels)[0], self.classes,
                      score_threshold, max_detections)


def load_keras_model(path: str | Path, backbone: str):  # type: ignore[no-untyped-def]
    """Load a keras-retinanet .h5 (training or inference) with its custom layers."""
    from . import compat  # noqa: F401  (must precede TensorFlow)
    from keras_retinanet import models
    from tensorflow import keras

    path = Path(path)
    if not path.is_file():
        raise GestureKitError("model file not found", path)
    try:
        return keras.models.load_model(str(path), compile=False,
                                       custom_objects=models.backbone(backbone).custom_objects)
    except (OSError, ValueError) as err:
        raise GestureKitError(f"not a keras-retinanet model ({str(err).splitlines()[0]})",
                              path) from None


@contextlib.contextmanager
def quiet_saving():  # type: ignore[no-untyped-def]
    """Keras' saving warns that a model compiled for training "has yet to build" its
    metrics and that .h5 is legacy: noise to a user saving a model; silenced here."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*HDF5 file.*legacy")
            yield
    finally:
        logger.setLevel(level)


def save_h5(model, path: str | Path) -> None:  # type: ignore[no-untyped-def]
    """Save a whole model as .h5 (keras-retinanet's format), without the optimizer.

    Written to a temporary name and renamed into place, so a full disk or a kill never
    leaves a truncated file under ``path`` (an earlier file of that name is kept)."""
    path = Path(path)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        with quiet_saving():
            model.save(str(partial), include_optimizer=False)
        os.replace(partial, path)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise GestureKitError(f"cannot write the model ({err.strerror or err})",
                              path) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def is_training_model(model) -> bool:  # type: ignore[no-untyped-def]
    """A training model has two outputs (regression, classification), no NMS."""
    return len(model.outputs) == 2


def load_detector(path: str | Path) -> KerasDetector:
    """Load a converted (inference) model and its metadata; training models are refused."""
    path = Path(path)
    metadata = load_card(path)
    if path.suffix != ".h5":
        raise GestureKitError("unsupported model file (expected a .h5 inference model)", path)
    model = load_keras_model(path, metadata.backbone)
    if is_training_model(model):
        raise GestureKitError("this is a training model; convert it first with "
                              "'gesturekit convert SNAPSHOT OUT'", path)
    return KerasDetector(model, metadata)
