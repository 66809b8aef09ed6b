"""Fit the user's box convention: from a hand box (landmarks' extent + margin) to the box
the user would have drawn, learned per class from their own labels.

People draw a fist or an open hand to their own taste (with or without the wrist, tight
or loose); MediaPipe's landmarks do not move with that taste. The rows of a
``gesturekit keypoints`` file pair each labelled box with its hand's landmarks, so the
median offset of every edge, in units of the hand box's longer side, says how to move a
hand box of that class to look like the user's. Pseudo-labels with the user's convention
train a detector that is scored against the user's boxes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voc_tools.annotation import VOC_PIXEL_OFFSET
from voc_tools.errors import GestureKitError

MIN_ROWS = 5  # fewer labelled boxes of a class than this: its boxes are left as found


@dataclass(frozen=True)
class BoxFit:
    """Per class, the median (x1, y1, x2, y2) offset of the labelled box from the hand box,
    divided by the hand box's longer side; and how many labelled boxes it comes from."""

    offsets: dict[str, tuple[float, float, float, float]]
    rows: dict[str, int]

    def apply(self, name: str, corners: tuple[float, ...], width: int,
              height: int) -> tuple[float, ...]:
        """``corners`` (0-based pixels) moved by the class's offsets, clipped to the image."""
        if name not in self.offsets:
            return tuple(corners)
        x1, y1, x2, y2 = corners
        side = max(x2 - x1, y2 - y1)
        dx1, dy1, dx2, dy2 = (side * value for value in self.offsets[name])
        return (max(0.0, x1 + dx1), max(0.0, y1 + dy1), min(float(width), x2 + dx2),
                min(float(height), y2 + dy2))

    def describe(self) -> str:
        """``grab (31 boxes): x1 +0.02 y1 -0.04 x2 -0.01 y2 +0.21; ...``."""
        parts = []
        for name, rows in sorted(self.rows.items()):
            if name in self.offsets:
                values = " ".join(f"{edge} {value:+.2f}" for edge, value
                                  in zip(("x1", "y1", "x2", "y2"), self.offsets[name]))
                parts.append(f"{name} ({rows} boxes): {values}")
            else:
                parts.append(f"{name} ({rows} boxes, < {MIN_ROWS}): left as found")
        return "; ".join(parts)


def fit_boxes(keypoints: str | Path, margin: float = 0.15) -> BoxFit:
    """Fit the offsets on a landmark file of ``gesturekit keypoints`` (the user's labels)."""
    from gesturekit.pose.hands import Hand
    from gesturekit.pose.keypoints import load_keypoints

    rows = load_keypoints(keypoints)
    if not len(rows):
        raise GestureKitError("no labelled box matched to a hand in this landmark file; "
                              "nothing to fit boxes on", keypoints)
    found: dict[str, list[np.ndarray]] = {}
    for index, label in enumerate(rows.labels):
        width, height = (int(v) for v in rows.sizes[index])
        hand = Hand(str(rows.handedness[index]), float(rows.scores[index]),
                    rows.landmarks[index])
        box = np.array(hand.box(width, height, margin))
        side = max(box[2] - box[0], box[3] - box[1])
        labelled = rows.boxes[index].astype(float) - VOC_PIXEL_OFFSET
        found.setdefault(rows.classes[int(label)], []).append((labelled - box) / side)
    offsets = {name: tuple(float(v) for v in np.median(values, axis=0))
               for name, values in found.items() if len(values) >= MIN_ROWS}
    return BoxFit(offsets, {name: len(values) for name, values in found.items()})
