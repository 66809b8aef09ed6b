"""The pose-classifier adapter of the kit's engine: hand features N x C in, class
probabilities N x classes out.

The features are :func:`gesturekit.pose.normalize.hand_features` of MediaPipe landmarks; the
card's ``pose.features_version`` must be the one this GestureKit computes. Importing this
module lets :mod:`detector.engine` run pose classifiers in every format.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from detector.card import ModelCard
from detector.engine import TensorInfo, find_output, register_adapter
from voc_tools.errors import GestureKitError

from .normalize import FEATURES, FEATURES_VERSION


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


class PoseAdapter:
    """Prepares feature rows for, and decodes outputs of, one pose classifier."""

    def __init__(self, card: ModelCard, outputs: list[TensorInfo],
                 model_path: Path | None) -> None:
        pose = card.pose
        if pose["features_version"] != FEATURES_VERSION or pose["features"] != FEATURES:
            raise GestureKitError(f"pose classifier made for features v{pose['features_version']}"
                                  f" ({pose['features']} values), this GestureKit computes "
                                  f"v{FEATURES_VERSION} ({FEATURES}); train and export it "
                                  "again", card.path or model_path)
        self.card, self.model_path = card, model_path
        n = len(card.classes)
        self.output = find_output(outputs, "probabilities", card.output_names,
                                  lambda o: not o.integer and o.last in (None, n), model_path)

    def prepare(self, features: np.ndarray) -> tuple[np.ndarray, int]:
        """The N x C input tensor of feature rows (one row or N)."""
        rows = np.asarray(features, np.float32)
        rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
        if rows.ndim != 2 or rows.shape[1] != self.card.pose["features"]:
            raise GestureKitError(f"expected hand features N x {self.card.pose['features']}, "
                                  f"got shape {np.shape(features)}", self.model_path)
        return np.ascontiguousarray(rows), len(rows)

    def decode(self, outputs: list[np.ndarray], meta: int) -> np.ndarray:
        """N x classes probabilities."""
        scores = np.asarray(outputs[self.output], np.float64).reshape(meta, -1)
        if scores.shape[1] != len(self.card.classes):
            raise GestureKitError(f"the model gives {scores.shape[1]} scores for "
                                  f"{len(self.card.classes)} card classes", self.model_path)
        probabilities = softmax_rows(scores) if self.card.output == "logits" else scores
        return probabilities.astype(np.float32)


register_adapter("pose_classifier", PoseAdapter)
