"""One synthetic take: a scene plus hands that move smoothly and switch gestures."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator

import numpy as np

from .hands import DROP, GESTURES, GRAB, HandPose
from .render import (HAND_HEIGHT, MAX_ANGLE, RenderedFrame, compose, find_room, hand_scale,
                     place, random_pose)
from .scenes import Scene, make_scene

#: Frames a gesture is held before switching (inclusive bounds).
HOLD = (5, 12)
#: Per-frame chances that a second hand enters / leaves: it is visible ~20 % of the time.
ENTER, LEAVE = 0.05, 0.2


def wave(rng: np.random.Generator, frames: int,
         cycles: tuple[float, float] = (0.3, 1.3)) -> np.ndarray:
    """A smooth random curve in [-1, 1] over ``frames``: two mixed sinusoids."""
    t = np.arange(frames) / max(frames, 1)
    amps = rng.uniform(0.3, 1.0, 2)
    freqs = rng.uniform(*cycles, 2)
    phases = rng.uniform(0, 2 * np.pi, 2)
    curve = sum(a * np.sin(2 * np.pi * f * t + p) for a, f, p in zip(amps, freqs, phases))
    return curve / amps.sum()


def gesture_schedule(rng: np.random.Generator, frames: int) -> list[str]:
    """Gesture per frame, alternating every few frames; both appear when frames >= 2."""
    current = str(rng.choice(GESTURES))
    out: list[str] = []
    while len(out) < frames:
        out += [current] * int(rng.integers(HOLD[0], HOLD[1] + 1))
        current = GRAB if current == DROP else DROP
    out = out[:frames]
    if frames >= 2 and len(set(out)) < 2:  # too short to switch on its own
        other = GRAB if out[0] == DROP else DROP
        out[frames // 2:] = [other] * (frames - frames // 2)
    return out


def presence(rng: np.random.Generator, frames: int) -> np.ndarray:
    """Which frames show the second hand: runs of a few frames, ~20 % in all."""
    shown = np.zeros(frames, bool)
    state = False
    for i in range(frames):
        state = rng.random() >= LEAVE if state else rng.random() < ENTER
        shown[i] = state
    return shown


@dataclass
class Track:
    """A hand's course through the take: its gestures and smooth motion curves."""

    gestures: list[str]
    x: np.ndarray
    y: np.ndarray
    angle: np.ndarray
    size: np.ndarray  # open-hand height as a fraction of the frame height
    skin: tuple[float, float, float]
    mirrored: bool

    def pose(self, i: int, frame_size: tuple[int, int]) -> HandPose:
        gesture = self.gestures[i]
        pose = HandPose(gesture=gesture, cx=0.0, cy=0.0,
                        scale=hand_scale(float(self.size[i]), gesture, frame_size),
                        angle=float(self.angle[i]), skin=self.skin, mirrored=self.mirrored)
        return place(pose, frame_size, float(self.x[i]), float(self.y[i]))


def make_track(rng: np.random.Generator, frames: int, frame_size: tuple[int, int]) -> Track:
    """A random smooth course: position, rotation (within ±40°) and size all drift."""
    template = random_pose(rng, frame_size)
    lo, hi = HAND_HEIGHT
    base = rng.uniform(lo, hi)
    spread = min(base - lo, hi - base, 0.06)
    base_angle = rng.uniform(-25, 25)
    angle = base_angle + rng.uniform(5, 15) * wave(rng, frames)
    return Track(gestures=gesture_schedule(rng, frames), x=wave(rng, frames),
                 y=wave(rng, frames), angle=np.clip(angle, -MAX_ANGLE, MAX_ANGLE),
                 size=base + spread * wave(rng, frames), skin=template.skin,
                 mirrored=template.mirrored)


@dataclass
class Take:
    """Everything needed to render the frames of one video."""

    scene: Scene
    size: tuple[int, int]
    main: Track
    second: Track
    second_shown: np.ndarray

    @property
    def frames(self) -> int:
        return len(self.main.gestures)

    def poses(self, i: int) -> list[HandPose]:
        """The hands of frame ``i``: the main hand, plus the second one when it fits apart."""
        poses = [self.main.pose(i, self.size)]
        if self.second_shown[i]:
            other = self.second.pose(i, self.size)
            other = find_room(other, poses, self.size, float(self.second.x[i]),
                              float(self.second.y[i]))
            if other is not None:
                poses.append(other)
        return poses


def plan_take(rng: np.random.Generator, frames: int, size: tuple[int, int]) -> Take:
    """A random take of ``frames`` frames at ``size`` = (width, height)."""
    scene = make_scene(rng, size)
    main = make_track(rng, frames, size)
    second = make_track(rng, frames, size)
    second = replace(second, mirrored=not main.mirrored)
    return Take(scene=scene, size=size, main=main, second=second,
                second_shown=presence(rng, frames))


def render_take(take: Take, rng: np.random.Generator) -> Iterator[RenderedFrame]:
    """Yield the rendered frames of ``take`` in order (``rng`` drives the camera noise)."""
    for i in range(take.frames):
        yield compose(take.scene, take.poses(i), rng)

