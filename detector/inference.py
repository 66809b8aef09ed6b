"""Detections, and loading and saving keras-retinanet models (.h5); models run through
:mod:`detector.engine`."""
from __future__ import annotations

import contextlib
import logging
import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from voc_tools.errors import GestureKitError



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


def load_keras_model(path: str | Path, backbone: str):  # type: ignore[no-untyped-def]
    """Load a keras-retinanet .h5 (training or inference) with its custom layers."""
    from . import compat  # noqa: F401  (must precede TensorFlow)
    from tensorflow import keras

    from .anchors import CUSTOM_OBJECTS
    from .model import get_backbone

    path = Path(path)
    if not path.is_file():
        raise GestureKitError("model file not found", path)
    try:
        return keras.models.load_model(str(path), compile=False, custom_objects={
            **get_backbone(backbone).custom_objects, **CUSTOM_OBJECTS})
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
