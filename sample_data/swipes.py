"""Dynamic gestures for the clip sample: one open hand swiping left, right, or idling.

A video is a static-sample scene and a :class:`~sample_data.takes.Track` of the open hand
whose horizontal position follows a swipe (idle, then a quick eased move across the frame,
then idle again) or, for ``no_gesture``, stays put with small jitter. Left and right are
the image's: ``swipe_left`` moves the hand towards the image's left edge.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hands import DROP
from .render import HAND_HEIGHT, MAX_ANGLE, random_skin
from .scenes import make_scene
from .takes import Take, Track, wave

SWIPE_LEFT, SWIPE_RIGHT, NO_GESTURE = "swipe_left", "swipe_right", "no_gesture"
#: Class names in class-id order.
DYNAMIC_CLASSES = [SWIPE_LEFT, SWIPE_RIGHT, NO_GESTURE]
#: Seconds: whole video, the gesture interval, and the least idle time before and after it.
DURATION = (2.2, 3.0)
GESTURE = (0.6, 1.3)
IDLE = 0.3
#: Where a swipe starts / ends on the placement axis ([-1, 1] spans the free room).
SWIPE_FROM = (0.5, 1.0)
JITTER = (0.02, 0.06)


@dataclass
class DynamicVideo:
    """A planned video: what to render and its labelled interval (0-based frames, inclusive)."""

    label: str
    take: Take
    start: int
    end: int

    @property
    def frames(self) -> int:
        return self.take.frames


def smoothstep(t: np.ndarray) -> np.ndarray:
    """Eased progress 0 -> 1 (slow start, fast middle, slow end)."""
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3 - 2 * t)


def swipe_course(rng: np.random.Generator, label: str, frames: int, start: int,
                 end: int) -> np.ndarray:
    """Horizontal placement per frame: from one side to the other during [start, end]."""
    if label == NO_GESTURE:
        return np.full(frames, rng.uniform(-0.9, 0.9))
    sign = 1.0 if label == SWIPE_LEFT else -1.0  # a left swipe starts on the right
    x0, x1 = sign * rng.uniform(*SWIPE_FROM), -sign * rng.uniform(*SWIPE_FROM)
    progress = smoothstep((np.arange(frames) - start + 0.5) / (end - start + 1))
    return x0 + (x1 - x0) * progress


def plan_dynamic(rng: np.random.Generator, label: str, size: tuple[int, int],
                 fps: float) -> DynamicVideo:
    """A random video of gesture ``label`` (one of :data:`DYNAMIC_CLASSES`)."""
    if label not in DYNAMIC_CLASSES:
        raise ValueError(f"unknown dynamic gesture {label!r}; expected one of {DYNAMIC_CLASSES}")
    frames = max(3, round(rng.uniform(*DURATION) * fps))
    idle = max(1, round(IDLE * fps))
    length = min(max(2, round(rng.uniform(*GESTURE) * fps)), frames - 2 * idle)
    start = int(rng.integers(idle, frames - idle - length + 1))
    end = start + length - 1
    x = swipe_course(rng, label, frames, start, end)
    jitter = rng.uniform(*JITTER)
    base_y, base_angle = rng.uniform(-0.8, 0.8), rng.uniform(-20, 20)
    hand = Track(gestures=[DROP] * frames,
                 x=np.clip(x + jitter * wave(rng, frames, (1.0, 3.0)), -1, 1),
                 y=np.clip(base_y + jitter * wave(rng, frames, (1.0, 3.0)), -1, 1),
                 angle=np.clip(base_angle + 5 * wave(rng, frames), -MAX_ANGLE, MAX_ANGLE),
                 size=rng.uniform(*HAND_HEIGHT) + 0.02 * wave(rng, frames),
                 skin=random_skin(rng), mirrored=bool(rng.random() < 0.5))
    take = Take(scene=make_scene(rng, size), size=size, main=hand, second=hand,
                second_shown=np.zeros(frames, bool))
    return DynamicVideo(label=label, take=take, start=start, end=end)
