"""Procedural hands: a closed fist (``grab``) and an open hand with spread fingers (``drop``).

A hand is a set of filled outlines in *hand units* (1 unit ~ the palm width), fingers up,
wrist down, origin at the palm centre. :func:`draw_hand` poses it (scale, rotation,
position), paints it with a skin tone and soft shading, and returns the pixel mask that
defines its ground-truth box.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

GRAB = "grab"
DROP = "drop"
GESTURES = (GRAB, DROP)

#: Alpha at or above this (of 255) counts as hand pixel for the ground-truth box.
MASK_THRESHOLD = 128

#: Realistic skin tones, BGR, from very light to very dark.
SKIN_TONES = np.array([
    (196, 224, 255), (173, 205, 241), (150, 190, 228), (120, 165, 224), (105, 145, 198),
    (80, 125, 190), (70, 105, 160), (55, 85, 141), (45, 70, 115), (37, 56, 90),
], dtype=np.float32)

_SUBPIXEL_BITS = 4


@dataclass(frozen=True)
class HandPose:
    """Where and how one hand is drawn; ``scale`` is pixels per hand unit."""

    gesture: str
    cx: float
    cy: float
    scale: float
    angle: float  # degrees, counter-clockwise on screen
    skin: tuple[float, float, float]  # BGR
    mirrored: bool = False  # left hand instead of right


@dataclass(frozen=True)
class Outline:
    """The drawing of one gesture in hand units."""

    fills: tuple[np.ndarray, ...]  # polygons filled with skin
    creases: tuple[np.ndarray, ...]  # open polylines drawn darker on top
    nails: tuple[np.ndarray, ...]  # small polygons drawn lighter on top


def _ellipse(cx: float, cy: float, ax: float, ay: float, angle: float = 0.0,
             start: float = 0.0, end: float = 360.0, n: int = 40) -> np.ndarray:
    t = np.radians(np.linspace(start, end, n))
    a = np.radians(angle)
    x, y = ax * np.cos(t), ay * np.sin(t)
    return np.stack([cx + x * np.cos(a) - y * np.sin(a),
                     cy + x * np.sin(a) + y * np.cos(a)], axis=1)


def _capsule(x0: float, y0: float, x1: float, y1: float, r0: float, r1: float,
             n: int = 14) -> np.ndarray:
    """A tapered finger: round ends of radius r0 at (x0, y0) and r1 at (x1, y1)."""
    direction = np.arctan2(y1 - y0, x1 - x0)
    tip = np.linspace(direction - np.pi / 2, direction + np.pi / 2, n)
    base = np.linspace(direction + np.pi / 2, direction + 3 * np.pi / 2, n)
    return np.concatenate([
        np.stack([x1 + r1 * np.cos(tip), y1 + r1 * np.sin(tip)], axis=1),
        np.stack([x0 + r0 * np.cos(base), y0 + r0 * np.sin(base)], axis=1),
    ])


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float,
                  n: int = 8) -> np.ndarray:
    corners = ((x1 - r, y1 - r, 0), (x0 + r, y1 - r, 90), (x0 + r, y0 + r, 180),
               (x1 - r, y0 + r, 270))
    return np.concatenate([_ellipse(cx, cy, r, r, 0, a, a + 90, n) for cx, cy, a in corners])


def _finger(x: float, y: float, angle: float, length: float, width: float) -> tuple:
    """Fill, knuckle creases and nail of a straight finger rooted at (x, y)."""
    a = np.radians(angle)
    ux, uy = np.sin(a), -np.cos(a)  # unit vector towards the tip
    tip_x, tip_y = x + ux * length, y + uy * length
    fill = _capsule(x, y, tip_x, tip_y, width / 2, width * 0.42)
    creases = []
    for frac in (0.42, 0.7):
        mx, my = x + ux * length * frac, y + uy * length * frac
        half = width * 0.3
        creases.append(np.array([[mx - uy * half, my + ux * half],
                                 [mx + uy * half, my - ux * half]]))
    nail_x, nail_y = x + ux * (length - width * 0.25), y + uy * (length - width * 0.25)
    nail = _ellipse(nail_x, nail_y, width * 0.22, width * 0.3, angle, n=16)
    return fill, creases, nail


@lru_cache(maxsize=None)
def outline(gesture: str) -> Outline:
    """The outline of ``gesture`` ('grab' or 'drop') in hand units."""
    if gesture == DROP:
        return _open_hand()
    if gesture == GRAB:
        return _fist()
    raise ValueError(f"unknown gesture {gesture!r}; expected one of {GESTURES}")


def _wrist() -> np.ndarray:
    return _rounded_rect(-0.3, 0.3, 0.3, 0.95, 0.12)


def _open_hand() -> Outline:
    palm = _rounded_rect(-0.5, -0.45, 0.5, 0.55, 0.3)
    fills, creases, nails = [_wrist(), palm], [], []
    # index, middle, ring, little: spread apart with visible gaps
    for x, angle, length, width in ((-0.35, -24, 0.95, 0.27), (-0.11, -7, 1.05, 0.28),
                                    (0.13, 9, 0.98, 0.27), (0.36, 26, 0.78, 0.24)):
        fill, lines, nail = _finger(x, -0.35, angle, length, width)
        fills.append(fill)
        creases += lines
        nails.append(nail)
    thumb, lines, nail = _finger(-0.42, 0.3, -62, 0.85, 0.3)
    fills.append(thumb)
    creases += lines[1:]
    nails.append(nail)
    creases.append(_ellipse(-0.05, 0.35, 0.32, 0.4, 0, 200, 300, 12))  # thumb crease
    creases.append(_ellipse(0.1, -0.3, 0.35, 0.12, 0, 30, 150, 12))  # heart line
    return Outline(tuple(fills), tuple(creases), tuple(nails))


def _fist() -> Outline:
    """Palm towards the camera, four curled fingers side by side, thumb folded across."""
    fills = [_wrist(), _rounded_rect(-0.52, -0.3, 0.52, 0.55, 0.34)]
    creases, nails = [], []
    xs = (-0.375, -0.125, 0.125, 0.375)
    for x in xs:  # the curled fingers, each with a rounded knuckle on top
        fills.append(_capsule(x, 0.0, x, -0.42, 0.13, 0.135))
        nails.append(_ellipse(x, 0.03, 0.075, 0.045, n=12))  # tucked fingertips
    for left, right in zip(xs[:-1], xs[1:]):  # grooves between the fingers
        mid = (left + right) / 2
        creases.append(np.array([[mid, -0.5], [mid, 0.08]]))
    creases.append(np.array([[-0.5, 0.1], [0.5, 0.1]]))  # where the fingertips meet the palm
    x0, y0, x1, y1, r = -0.5, 0.36, 0.18, 0.22, 0.15
    thumb = _capsule(x0, y0, x1, y1, r, r * 0.85)  # folded across the front
    fills.append(thumb)
    creases.append(np.concatenate([thumb[-1:], thumb[:8]]))  # its upper edge and tip
    nails.append(_ellipse(x1 - 0.02, y1, 0.09, 0.07, np.degrees(np.arctan2(y1 - y0, x1 - x0)),
                          n=12))
    return Outline(tuple(fills), tuple(creases), tuple(nails))


def _transform(points: np.ndarray, pose: HandPose) -> np.ndarray:
    a = np.radians(pose.angle)
    c, s = np.cos(a), np.sin(a)
    x = -points[:, 0] if pose.mirrored else points[:, 0]
    y = points[:, 1]
    return np.stack([pose.cx + pose.scale * (c * x + s * y),
                     pose.cy + pose.scale * (-s * x + c * y)], axis=1)


def extent(pose: HandPose) -> tuple[float, float, float, float]:
    """Float bounds (x0, y0, x1, y1) of the posed outline in frame pixels."""
    points = np.concatenate([_transform(p, pose) for p in outline(pose.gesture).fills])
    return (float(points[:, 0].min()), float(points[:, 1].min()),
            float(points[:, 0].max()), float(points[:, 1].max()))


def _fixed(points: np.ndarray, ox: int, oy: int) -> np.ndarray:
    shifted = (points - (ox, oy)) * (1 << _SUBPIXEL_BITS)
    return np.round(shifted).astype(np.int32).reshape(-1, 1, 2)


def rasterize(pose: HandPose, size: tuple[int, int]) -> tuple[np.ndarray, int, int]:
    """Antialiased coverage (uint8 alpha) of ``pose`` and its top-left offset in the frame.

    ``size`` is the frame's (width, height); the alpha covers only the hand's neighbourhood.
    """
    w, h = size
    x0, y0, x1, y1 = extent(pose)
    ox, oy = max(int(np.floor(x0)) - 2, 0), max(int(np.floor(y0)) - 2, 0)
    ex, ey = min(int(np.ceil(x1)) + 3, w), min(int(np.ceil(y1)) + 3, h)
    alpha = np.zeros((max(ey - oy, 1), max(ex - ox, 1)), np.uint8)
    for poly in outline(pose.gesture).fills:
        cv2.fillPoly(alpha, [_fixed(_transform(poly, pose), ox, oy)], 255, cv2.LINE_AA,
                     _SUBPIXEL_BITS)
    return alpha, ox, oy


def full_mask(alpha: np.ndarray, ox: int, oy: int, size: tuple[int, int],
              threshold: int = MASK_THRESHOLD) -> np.ndarray:
    """Boolean frame-sized mask of the pixels whose coverage is at least ``threshold``."""
    mask = np.zeros((size[1], size[0]), bool)
    mask[oy:oy + alpha.shape[0], ox:ox + alpha.shape[1]] = alpha >= threshold
    return mask


def draw_hand(image: np.ndarray, pose: HandPose) -> np.ndarray:
    """Paint ``pose`` onto ``image`` (BGR uint8, in place); return its boolean pixel mask.

    The mask (coverage >= :data:`MASK_THRESHOLD`) is what the ground-truth box encloses.
    """
    size = (image.shape[1], image.shape[0])
    alpha, ox, oy = rasterize(pose, size)
    ah, aw = alpha.shape
    shape = outline(pose.gesture)
    aa, bits = cv2.LINE_AA, _SUBPIXEL_BITS

    # shading: light from the finger side, darker towards the wrist and along the outline
    a = np.radians(pose.angle)
    yy, xx = np.mgrid[oy:oy + ah, ox:ox + aw].astype(np.float32)
    along = ((xx - pose.cx) * np.sin(a) + (yy - pose.cy) * np.cos(a)) / pose.scale
    light = 1.0 - 0.1 * np.clip(along, -1.2, 1.0)
    rim = cv2.GaussianBlur(alpha, (0, 0), max(pose.scale * 0.08, 0.8)).astype(np.float32)
    light *= 0.72 + 0.28 * (rim / 255.0)
    color = np.array(pose.skin, np.float32)[None, None, :] * light[..., None]

    detail = np.zeros_like(alpha)
    thickness = max(1, int(round(pose.scale * 0.035)))
    cv2.polylines(detail, [_fixed(_transform(c, pose), ox, oy) for c in shape.creases],
                  False, 255, thickness, aa, bits)
    color *= 1.0 - 0.35 * (detail[..., None] / 255.0)
    nails = np.zeros_like(alpha)
    for poly in shape.nails:
        cv2.fillPoly(nails, [_fixed(_transform(poly, pose), ox, oy)], 255, aa, bits)
    color += (255.0 - color) * 0.3 * (nails[..., None] / 255.0)

    roi = image[oy:oy + ah, ox:ox + aw].astype(np.float32)
    weight = alpha[..., None].astype(np.float32) / 255.0
    image[oy:oy + ah, ox:ox + aw] = np.clip(roi * (1 - weight) + color * weight,
                                            0, 255).astype(np.uint8)
    return full_mask(alpha, ox, oy, size)
