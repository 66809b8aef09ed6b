"""Hand landmarks → a fixed-length feature vector for the pose classifier.

``hand_features`` makes the 21 MediaPipe landmarks independent of where the hand is
(wrist at the origin), how big it is (divided by the palm size), and which hand it is
(left hands mirrored to right ones, x → -x, so that one model serves both). In-plane
rotation is kept: a rotated pose gives other features, as it should for gestures whose
direction matters. Features: x, y, z of landmarks 1..20 (the wrist is always 0), then
:func:`shape_features`, which do not depend on the person's hand proportions, the rotation
or the mirroring: the cosine of each finger's three joint angles, each finger's extension
(wrist-to-tip distance over the finger's length along its bones) and the cosine of the
angle between neighbouring fingers.

Landmarks are MediaPipe's: x, y normalised by the image's width and height, z relative to
the wrist in about the units of x. Pass ``aspect`` = width / height of the image so that
x and y are in the same units on a non-square image.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from voc_tools.errors import GestureKitError

LANDMARKS = 21
WRIST, INDEX_MCP, MIDDLE_MCP, PINKY_MCP = 0, 5, 9, 17
FINGERS = tuple(tuple(range(first, first + 4)) for first in (1, 5, 9, 13, 17))  # thumb..pinky
LANDMARK_FEATURES = (LANDMARKS - 1) * 3
SHAPE_FEATURES = 3 * len(FINGERS) + len(FINGERS) + len(FINGERS) - 1
FEATURES = LANDMARK_FEATURES + SHAPE_FEATURES
FEATURES_VERSION = 2  # bump when the features change: old models are refused
HANDEDNESS = ("Left", "Right")


def palm_size(points: np.ndarray) -> np.ndarray:
    """The mean x-y length of the palm's four outer edges (wrist to index, middle and
    pinky MCP, index MCP to pinky MCP) of ``points`` (..., 21, 3); stable across finger
    poses, unlike the hand's full extent."""
    xy = points[..., :2]
    edges = [(WRIST, INDEX_MCP), (WRIST, MIDDLE_MCP), (WRIST, PINKY_MCP),
             (INDEX_MCP, PINKY_MCP)]
    return np.mean([np.linalg.norm(xy[..., a, :] - xy[..., b, :], axis=-1)
                    for a, b in edges], axis=0)


def _checked(landmarks: np.ndarray) -> np.ndarray:
    points = np.asarray(landmarks, np.float64)
    if points.shape[-2:] != (LANDMARKS, 3):
        raise GestureKitError(f"expected {LANDMARKS} x 3 hand landmarks, got shape "
                              f"{points.shape}")
    return points


def _mirror_signs(handedness: Sequence[str]) -> np.ndarray:
    unknown = sorted(set(handedness) - set(HANDEDNESS))
    if unknown:
        raise GestureKitError(f"handedness must be Left or Right, got {unknown[0]!r}")
    return np.where(np.asarray(handedness) == "Left", -1.0, 1.0)


def normalized_points(landmarks: np.ndarray, handedness: Sequence[str],
                      aspect: np.ndarray | float = 1.0) -> np.ndarray:
    """Landmarks (N, 21, 3) moved, scaled and mirrored as described above: (N, 21, 3);
    ``aspect``: one width / height for all hands or one per hand (N,)."""
    points = _checked(landmarks).copy()
    aspect = np.asarray(aspect, np.float64)
    aspect = aspect[:, None] if aspect.ndim else aspect
    points[..., 0] *= aspect  # x in units of the image height, like y
    points[..., 2] *= aspect  # MediaPipe's z is in about the units of x
    points -= points[..., WRIST:WRIST + 1, :]
    points /= np.maximum(palm_size(points), 1e-6)[..., None, None]
    points[..., 0] *= _mirror_signs(handedness)[..., None]
    return points


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)


def shape_features(points: np.ndarray) -> np.ndarray:
    """Joint-angle cosines (5 fingers x 3), finger extensions (5) and neighbouring-finger
    spread cosines (4) of points (..., 21, 3): (..., SHAPE_FEATURES)."""
    chains = np.array([(WRIST, *finger) for finger in FINGERS])       # (5, 5)
    bones = points[..., chains[:, 1:], :] - points[..., chains[:, :-1], :]  # (..., 5, 4, 3)
    units = _unit(bones)
    bends = np.sum(units[..., 1:, :] * units[..., :-1, :], axis=-1)  # (..., 5, 3)
    length = np.linalg.norm(bones, axis=-1).sum(axis=-1)
    reach = np.linalg.norm(points[..., chains[:, -1], :] - points[..., [WRIST], :], axis=-1)
    extension = reach / np.maximum(length, 1e-9)                      # (..., 5)
    directions = _unit(points[..., chains[:, -1], :] - points[..., chains[:, 1], :])
    spread = np.sum(directions[..., 1:, :] * directions[..., :-1, :], axis=-1)  # (..., 4)
    return np.concatenate([bends.reshape(*bends.shape[:-2], -1), extension, spread], axis=-1)


def features_from_points(points: np.ndarray) -> np.ndarray:
    """Normalised points (N, 21, 3) → features (N, FEATURES) float32: the landmarks (wrist
    dropped), then :func:`shape_features`."""
    landmarks = points[..., WRIST + 1:, :].reshape(*points.shape[:-2], LANDMARK_FEATURES)
    return np.concatenate([landmarks, shape_features(points)], axis=-1).astype(np.float32)


def hand_features(landmarks: np.ndarray, handedness: str, aspect: float = 1.0) -> np.ndarray:
    """The features (FEATURES,) float32 of one hand's landmarks (21, 3)."""
    return features_from_points(normalized_points(landmarks[None], [handedness], aspect))[0]


def batch_features(landmarks: np.ndarray, handedness: Sequence[str],
                   aspects: np.ndarray | float = 1.0) -> np.ndarray:
    """The features (N, FEATURES) float32 of N hands' landmarks (N, 21, 3)."""
    points = _checked(landmarks)
    if len(points) == 0:
        return np.zeros((0, FEATURES), np.float32)
    return features_from_points(normalized_points(points, handedness, aspects))


def augment_points(points: np.ndarray, rng: np.random.Generator, rotation_deg: float = 10.0,
                   stretch: float = 0.08, jitter: float = 0.02) -> np.ndarray:
    """Randomly rotated (in plane, ± ``rotation_deg``), x/y-stretched (± ``stretch``) and
    jittered (Gaussian, ``jitter`` palm sizes) copies of normalised points (N, 21, 3),
    as a hand seen a little differently would give."""
    n = len(points)
    angle = np.deg2rad(rng.uniform(-rotation_deg, rotation_deg, n))
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    out = points.copy()
    out[..., :2] = np.einsum("nij,nkj->nki", rotation, points[..., :2])
    out[..., :2] *= rng.uniform(1 - stretch, 1 + stretch, (n, 1, 2))
    out += rng.normal(0, jitter, out.shape)
    out -= out[..., WRIST:WRIST + 1, :]
    return out
