"""Backgrounds, lighting and camera effects for the synthetic takes.

Background colours are drawn away from skin tones so that hands keep good contrast;
clutter shapes stay smaller than a hand and are never hand-like (no blobs with fingers).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .hands import SKIN_TONES

_SKIN_LAB = cv2.cvtColor(SKIN_TONES.reshape(1, -1, 3).astype(np.uint8),
                         cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
_MIN_SKIN_DISTANCE = 30.0


@dataclass(frozen=True)
class Scene:
    """Everything that stays the same during one take."""

    background: np.ndarray  # BGR uint8, H x W x 3
    gain: float  # overall brightness
    contrast: float
    cast: tuple[float, float, float]  # per-channel colour cast, BGR
    noise: float  # sensor noise standard deviation in grey levels
    blur: float  # probability that a frame is slightly out of focus


def background_color(rng: np.random.Generator) -> np.ndarray:
    """A BGR colour (float32) clearly different from every skin tone."""
    while True:
        if rng.random() < 0.2:  # neutral grey
            hsv = (0, 0, rng.uniform(30, 240))
        else:  # greens, cyans, blues, purples, magentas: skin hues (reds/oranges) avoided
            hsv = (rng.uniform(38, 155), rng.uniform(50, 220), rng.uniform(60, 245))
        pixel = np.array([[hsv]], np.uint8)
        bgr = cv2.cvtColor(pixel, cv2.COLOR_HSV2BGR)
        lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB).reshape(3).astype(np.float32)
        if np.linalg.norm(_SKIN_LAB - lab, axis=1).min() >= _MIN_SKIN_DISTANCE:
            return bgr.reshape(3).astype(np.float32)


def _gradient(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A smooth linear or radial blend of two background colours."""
    c0, c1 = background_color(rng), background_color(rng)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if rng.random() < 0.6:
        a = rng.uniform(0, 2 * np.pi)
        t = (xx - w / 2) * np.cos(a) + (yy - h / 2) * np.sin(a)
    else:
        t = np.hypot(xx - rng.uniform(0, w), yy - rng.uniform(0, h))
    t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
    return c0 * (1 - t[..., None]) + c1 * t[..., None]


def _texture(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Low-frequency blotches plus, sometimes, fine grain or stripes (grey levels)."""
    cells = rng.normal(0, rng.uniform(4, 14), (int(rng.integers(3, 9)), int(rng.integers(3, 9))))
    tex = cv2.resize(cells.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    kind = rng.random()
    if kind < 0.35:
        tex += rng.normal(0, rng.uniform(3, 8), (h, w)).astype(np.float32)
    elif kind < 0.6:
        a, period = rng.uniform(0, np.pi), rng.uniform(6, 24)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        tex += rng.uniform(4, 12) * np.sin((xx * np.cos(a) + yy * np.sin(a)) * 2 * np.pi / period)
    return tex


def _surface(rng: np.random.Generator, image: np.ndarray) -> None:
    """Sometimes a wall/table split: a big flat region with its own colour."""
    if rng.random() < 0.5:
        return
    h, w = image.shape[:2]
    y = int(rng.uniform(0.55, 0.85) * h)
    tilt = int(rng.uniform(-0.1, 0.1) * h)
    poly = np.array([[0, y], [w, y + tilt], [w, h], [0, h]], np.int32)
    cv2.fillPoly(image, [poly], background_color(rng).tolist(), cv2.LINE_AA)


def _clutter(rng: np.random.Generator, image: np.ndarray) -> None:
    """Rectangles, discs, triangles and thin lines, all smaller than a hand."""
    h, w = image.shape[:2]
    small = 0.12 * h
    for _ in range(int(rng.integers(3, 13))):
        color = background_color(rng).tolist()
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        kind = rng.integers(0, 4)
        if kind == 0:
            bw, bh = rng.uniform(0.2, 1.0, 2) * small
            a = np.radians(rng.uniform(0, 180))
            box = cv2.boxPoints(((x, y), (bw, bh), np.degrees(a)))
            cv2.fillPoly(image, [np.round(box).astype(np.int32)], color, cv2.LINE_AA)
        elif kind == 1:
            cv2.circle(image, (int(x), int(y)), int(rng.uniform(0.1, 0.5) * small), color, -1,
                       cv2.LINE_AA)
        elif kind == 2:
            pts = np.array([x, y]) + rng.uniform(-0.5, 0.5, (3, 2)) * small
            cv2.fillPoly(image, [np.round(pts).astype(np.int32)], color, cv2.LINE_AA)
        else:
            end = np.array([x, y]) + rng.uniform(-2.5, 2.5, 2) * small
            cv2.line(image, (int(x), int(y)), (int(end[0]), int(end[1])), color,
                     int(rng.integers(1, 3)), cv2.LINE_AA)


def make_scene(rng: np.random.Generator, size: tuple[int, int]) -> Scene:
    """A random background and lighting for a frame of ``size`` = (width, height)."""
    w, h = size
    background = _gradient(rng, w, h) + _texture(rng, w, h)[..., None]
    background = np.clip(background, 0, 255).astype(np.uint8)
    _surface(rng, background)
    _clutter(rng, background)
    cast = tuple(float(c) for c in rng.uniform(0.92, 1.08, 3))
    return Scene(background=background, gain=float(rng.uniform(0.75, 1.2)),
                 contrast=float(rng.uniform(0.8, 1.15)), cast=cast,  # type: ignore[arg-type]
                 noise=float(rng.uniform(1.5, 5.0)), blur=float(rng.uniform(0.0, 0.4)))


def camera(image: np.ndarray, scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """Lighting, slight flicker, occasional defocus and sensor noise of one frame."""
    gain = scene.gain * rng.uniform(0.97, 1.03)
    scale = np.array(scene.cast, np.float32) * gain * scene.contrast
    offset = 128.0 * gain * (1.0 - scene.contrast)
    matrix = np.zeros((3, 4), np.float32)
    matrix[np.arange(3), np.arange(3)] = scale
    matrix[:, 3] = offset * np.array(scene.cast, np.float32)
    out = cv2.transform(image, matrix)
    if rng.random() < scene.blur:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.0))
    noise = rng.standard_normal(out.shape, dtype=np.float32) * scene.noise
    return np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
