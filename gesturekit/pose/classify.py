"""Class probabilities of hands from a pose classifier, with the optional test-time extras.

``mirror_tta`` averages the probabilities of each hand and of its mirror image (the
features of the same landmarks called the other hand), for gestures that mean the same
with either hand. ``prior`` reweights the probabilities by class (see :func:`class_prior`):
the classifier trains on inverse-frequency-weighted classes, so its outputs assume equal
classes; a prior brings the training set's class frequencies back.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from voc_tools.errors import GestureKitError

from .normalize import batch_features

OTHER_HAND = {"Left": "Right", "Right": "Left"}


def class_prior(counts: Sequence[int] | dict, classes: Sequence[str],
                weight: float) -> np.ndarray | None:
    """Per-class factors (C,) = (class frequency x C) ** ``weight`` from training counts
    (a list in class order, or a class -> count mapping); None when ``weight`` is 0."""
    if not weight:
        return None
    if isinstance(counts, dict):
        missing = [c for c in classes if c not in counts]
        if missing:
            raise GestureKitError(f"no training count of class '{missing[0]}' for the class "
                                  "prior (train the pose classifier again)")
        counts = [counts[c] for c in classes]
    frequency = np.asarray(counts, np.float64) / max(float(np.sum(counts)), 1.0)
    return np.maximum(frequency * len(frequency), 1e-3) ** float(weight)


def hand_probabilities(classifier: Any, landmarks: np.ndarray, handedness: Sequence[str],
                       aspects: np.ndarray | float = 1.0, mirror_tta: bool = False,
                       prior: np.ndarray | None = None) -> np.ndarray:
    """Class probabilities (N, C) of N hands' landmarks (N, 21, 3) by ``classifier``
    (``.predict(features) -> probabilities``)."""
    count = len(landmarks)
    probabilities = np.asarray(classifier.predict(
        batch_features(landmarks, handedness, aspects)), np.float64).reshape(count, -1)
    if mirror_tta and count:
        other = [OTHER_HAND.get(h, h) for h in handedness]
        mirrored = np.asarray(classifier.predict(batch_features(landmarks, other, aspects)),
                              np.float64).reshape(count, -1)
        probabilities = (probabilities + mirrored) / 2
    if prior is not None and count:
        probabilities = probabilities * prior
        probabilities /= np.maximum(probabilities.sum(axis=1, keepdims=True), 1e-12)
    return probabilities.astype(np.float32)
