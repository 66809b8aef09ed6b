"""One synthetic frame: a scene, one or two posed hands, exact boxes from the hand masks."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from voc_tools.annotation import Box

from .hands import GESTURES, GRAB, SKIN_TONES, HandPose, draw_hand, extent, rasterize
from .scenes import Scene, camera, make_scene

#: Pixels kept free between a hand and the frame border.
MARGIN = 3
#: Unrotated open-hand height as a fraction of the frame height (the fist is ~0.7 of it).
HAND_HEIGHT = (0.30, 0.47)
#: The fist is drawn a little larger than anatomy says, so it stays well above anchor size.
FIST_SCALE = 1.15
MAX_ANGLE = 40.0
_OPEN_HAND_UNITS = 2.45  # unrotated height of the open hand in hand units
MAX_IOU = 0.1


@dataclass
class RenderedFrame:
    """A finished frame (BGR uint8), its boxes (VOC, 1-based inclusive) and hand masks."""

    image: np.ndarray
    boxes: list[Box]
    masks: list[np.ndarray]


def mask_box(mask: np.ndarray, name: str) -> Box:
    """The tight VOC box of a boolean mask: 1-based, inclusive pixel coordinates."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return Box(name=name, xmin=int(cols[0]) + 1, ymin=int(rows[0]) + 1,
               xmax=int(cols[-1]) + 1, ymax=int(rows[-1]) + 1)


def box_iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def hand_scale(fraction: float, gesture: str, size: tuple[int, int]) -> float:
    """Pixels per hand unit for an open hand ``fraction`` of the frame height tall."""
    w, h = size
    scale = fraction * min(h, 0.8 * w) / _OPEN_HAND_UNITS
    return scale * FIST_SCALE if gesture == GRAB else scale


def place(pose: HandPose, size: tuple[int, int], ux: float, uy: float) -> HandPose:
    """Move ``pose`` so its extent lies inside the frame; ux, uy in [-1, 1] span the room."""
    w, h = size
    x0, y0, x1, y1 = extent(replace(pose, cx=0.0, cy=0.0))
    lo_x, hi_x = MARGIN - x0, w - 1 - MARGIN - x1
    lo_y, hi_y = MARGIN - y0, h - 1 - MARGIN - y1
    if lo_x > hi_x or lo_y > hi_y:  # too big for this frame: shrink and retry
        return place(replace(pose, scale=pose.scale * 0.9), size, ux, uy)
    return replace(pose, cx=lo_x + (ux + 1) / 2 * (hi_x - lo_x),
                   cy=lo_y + (uy + 1) / 2 * (hi_y - lo_y))


def random_skin(rng: np.random.Generator) -> tuple[float, float, float]:
    """A skin tone between two neighbouring entries of :data:`SKIN_TONES`."""
    i = rng.uniform(0, len(SKIN_TONES) - 1)
    lo = int(i)
    hi = min(lo + 1, len(SKIN_TONES) - 1)
    tone = SKIN_TONES[lo] + (SKIN_TONES[hi] - SKIN_TONES[lo]) * (i - lo)
    return tuple(float(c) for c in tone)  # type: ignore[return-value]


def random_pose(rng: np.random.Generator, size: tuple[int, int],
                gesture: str | None = None) -> HandPose:
    """A hand of random gesture, size, rotation, side and skin, placed at random."""
    gesture = gesture or str(rng.choice(GESTURES))
    pose = HandPose(gesture=gesture, cx=0.0, cy=0.0,
                    scale=hand_scale(rng.uniform(*HAND_HEIGHT), gesture, size),
                    angle=float(rng.uniform(-MAX_ANGLE, MAX_ANGLE)), skin=random_skin(rng),
                    mirrored=bool(rng.random() < 0.5))
    return place(pose, size, *rng.uniform(-1, 1, 2))


def apart(pose: HandPose, others: list[HandPose], size: tuple[int, int]) -> bool:
    """True when ``pose`` touches none of ``others`` and its box has IoU < 0.1 with theirs."""
    alpha, ox, oy = rasterize(pose, size)
    for other in others:
        if box_iou(extent(pose), extent(other)) >= MAX_IOU:
            return False
        o_alpha, o_x, o_y = rasterize(other, size)
        x0, y0 = max(ox, o_x), max(oy, o_y)
        x1 = min(ox + alpha.shape[1], o_x + o_alpha.shape[1])
        y1 = min(oy + alpha.shape[0], o_y + o_alpha.shape[0])
        if x0 < x1 and y0 < y1:
            mine = alpha[y0 - oy:y1 - oy, x0 - ox:x1 - ox]
            theirs = o_alpha[y0 - o_y:y1 - o_y, x0 - o_x:x1 - o_x]
            if np.any((mine > 0) & (theirs > 0)):
                return False
    return True


def find_room(pose: HandPose, others: list[HandPose], size: tuple[int, int],
              ux: float, uy: float) -> HandPose | None:
    """``pose`` placed at (ux, uy), or the nearest free spot; None when nothing fits."""
    candidates = [(ux, uy), (-ux, uy)]
    grid = [(x, y) for x in np.linspace(-1, 1, 5) for y in np.linspace(-1, 1, 3)]
    candidates += sorted(grid, key=lambda p: (p[0] - ux) ** 2 + (p[1] - uy) ** 2)
    for cx, cy in candidates:
        placed = place(pose, size, float(cx), float(cy))
        if apart(placed, others, size):
            return placed
    return None


def compose(scene: Scene, poses: list[HandPose], rng: np.random.Generator) -> RenderedFrame:
    """Draw ``poses`` on the scene background, then apply the camera; boxes from masks."""
    image = scene.background.copy()
    masks = [draw_hand(image, pose) for pose in poses]
    boxes = [mask_box(mask, pose.gesture) for pose, mask in zip(poses, masks)]
    return RenderedFrame(image=camera(image, scene, rng), boxes=boxes, masks=masks)


def render_frame(rng: np.random.Generator, size: tuple[int, int] = (320, 240),
                 second_hand: float = 0.2) -> RenderedFrame:
    """One independent random frame (no video): new scene, one hand, sometimes two."""
    scene = make_scene(rng, size)
    poses = [random_pose(rng, size)]
    if rng.random() < second_hand:
        other = find_room(random_pose(rng, size), poses, size, *rng.uniform(-1, 1, 2))
        if other is not None:
            poses.append(other)
    return compose(scene, poses, rng)
