"""Clip classifiers in the layout of OpenVINO's gesture/action recognition models.

Input B x C x T x H x W (e.g. 1 x 3 x 16 x 224 x 224): T frames sampled from the video at a
fixed rate (the card's ``clip.fps``) ending at the newest frame, each cropped to a square
centred on a box (e.g. the person or hand a detector found), resized to H x W and
normalised as the card says.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from detector.card import ModelCard
from detector.engine import TensorInfo, check_image, find_output, register_adapter
from detector.preprocess import normalise
from voc_tools.errors import GestureKitError


def sample_indices(newest: int, length: int, source_fps: float,
                   target_fps: float) -> list[int]:
    """Indices of ``length`` frames, oldest first, sampled at ``target_fps`` from a video at
    ``source_fps`` and ending at frame ``newest``; before the video's start, frame 0 repeats.

    The k-th frame back is ``newest - round_half_up(k * source_fps / target_fps)``.
    """
    if length < 1 or source_fps <= 0 or target_fps <= 0:
        raise ValueError("length, source_fps and target_fps must be positive")
    offsets = [math.floor(k * source_fps / target_fps + 0.5) for k in range(length)]
    return [max(0, newest - offset) for offset in reversed(offsets)]


class ClipSampler:
    """Keeps just enough recent frames of a video to cut the newest clip at any time."""

    def __init__(self, length: int, source_fps: float, target_fps: float) -> None:
        self.length, self.source_fps, self.target_fps = length, source_fps, target_fps
        newest = 1 << 30  # far from the start: the sampled span without clamping
        oldest = sample_indices(newest, length, source_fps, target_fps)[0]
        span = newest - oldest + 1
        self._frames: deque[np.ndarray] = deque(maxlen=span)
        self.count = 0

    def push(self, frame: np.ndarray) -> None:
        """Add the next frame of the video."""
        self._frames.append(frame)
        self.count += 1

    def clip(self) -> list[np.ndarray]:
        """The ``length`` sampled frames ending at the newest one, oldest first."""
        if not self.count:
            raise ValueError("no frame pushed yet")
        first = self.count - len(self._frames)
        return [self._frames[i - first] for i in
                sample_indices(self.count - 1, self.length, self.source_fps, self.target_fps)]


def center_square(box: Sequence[float], scale: float = 1.0) -> tuple[int, int, int, int]:
    """The square (x1, y1, x2, y2) of side ``int(scale * shorter side)`` centred on ``box``."""
    x1, y1, x2, y2 = (float(v) for v in box)
    side = max(1, int(scale * min(x2 - x1, y2 - y1)))
    left = math.floor((x1 + x2) / 2 - side / 2)
    top = math.floor((y1 + y2) / 2 - side / 2)
    return left, top, left + side, top + side


def crop(image: np.ndarray, square: tuple[int, int, int, int]) -> np.ndarray:
    """The pixels of ``square``; parts outside the image are black."""
    x1, y1, x2, y2 = square
    out = np.zeros((y2 - y1, x2 - x1) + image.shape[2:], image.dtype)
    h, w = image.shape[:2]
    sx1, sy1, sx2, sy2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
    if sx2 > sx1 and sy2 > sy1:
        out[sy1 - y1:sy2 - y1, sx1 - x1:sx2 - x1] = image[sy1:sy2, sx1:sx2]
    return out


@dataclass
class Clip:
    """T sampled BGR frames and the box (original pixels) to crop; None: the whole frame."""

    frames: Sequence[np.ndarray]
    box: Sequence[float] | None = None


@dataclass
class ClipPrediction:
    """A clip's class probabilities (softmax-normalised) and the best class."""

    probabilities: np.ndarray
    classes: list[str]

    @property
    def label(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def name(self) -> str:
        return self.classes[self.label]

    @property
    def score(self) -> float:
        return float(self.probabilities[self.label])


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max())
    return z / z.sum()


class ClipAdapter:
    """Prepares clips for, and decodes outputs of, one clip classifier."""

    def __init__(self, card: ModelCard, outputs: list[TensorInfo], model_path: Path) -> None:
        self.card, self.model_path = card, model_path
        n = len(card.classes)
        self.output = find_output(outputs, "probabilities", card.output_names,
                                  lambda o: not o.integer and o.last in (None, n), model_path)

    def prepare(self, clip: Clip) -> tuple[np.ndarray, None]:
        """The 1 x 3 x T x H x W input tensor of one clip."""
        if len(clip.frames) != self.card.clip["frames"]:
            raise GestureKitError(f"expected a clip of {self.card.clip['frames']} frames, got "
                                  f"{len(clip.frames)}", self.model_path)
        for frame in clip.frames:
            check_image(frame, self.model_path)
        h, w = clip.frames[0].shape[:2]
        square = center_square(clip.box if clip.box is not None else (0, 0, w, h),
                               self.card.clip["crop_scale"])
        size = (self.card.input.width, self.card.input.height)
        x = np.stack([normalise(cv2.resize(crop(f, square), size), self.card.input.normalise,
                                 self.card.input.color_order)
                      for f in clip.frames])
        return np.ascontiguousarray(x.transpose(3, 0, 1, 2)[None], dtype=np.float32), None

    def decode(self, outputs: list[np.ndarray], meta: None = None) -> ClipPrediction:
        scores = np.asarray(outputs[self.output], np.float64).reshape(-1)
        if len(scores) != len(self.card.classes):
            raise GestureKitError(f"the model gives {len(scores)} scores for "
                                  f"{len(self.card.classes)} card classes", self.model_path)
        probabilities = softmax(scores) if self.card.output == "logits" else scores
        return ClipPrediction(probabilities.astype(np.float32), self.card.classes)


register_adapter("clip_classifier", ClipAdapter)
