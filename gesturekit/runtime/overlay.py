"""Drawing the demo's tracks (id, gesture label and score) and its frame rate on a frame."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from detector.draw import draw_detections
from detector.inference import Detections


@dataclass
class TrackView:
    """What one track shows in one frame (and what the per-frame results record)."""

    id: int
    box: tuple[float, float, float, float]
    detector_class: str
    detector_score: float
    missed: int
    label: str | None = None   # gesture, once the track's clip was classified
    score: float | None = None  # its probability
    clip_frame: int | None = None  # the newest frame of the clip that gave the label

    def record(self) -> dict:
        return {"id": self.id, "box": [round(v, 1) for v in self.box],
                "detector_class": self.detector_class,
                "detector_score": round(self.detector_score, 4), "missed": self.missed,
                "label": self.label, "score": None if self.score is None else
                round(self.score, 4), "clip_frame": self.clip_frame}


def draw_tracks(frame: np.ndarray, views: list[TrackView]) -> np.ndarray:
    """A copy of ``frame`` with each track's box in its id's colour and the text
    ``#id gesture score`` (``#id detector-class score`` before the first label)."""
    if not views:
        return frame.copy()
    texts = [""] * (max(v.id for v in views) + 1)
    for view in views:
        texts[view.id] = f"#{view.id} {view.label or view.detector_class}"
    detections = Detections(
        np.array([v.box for v in views], np.float32),
        np.array([v.detector_score if v.score is None else v.score for v in views],
                 np.float32),
        np.array([v.id for v in views], np.int64), texts)
    return draw_detections(frame, detections)


def draw_fps(canvas: np.ndarray, fps: float) -> np.ndarray:
    """Write ``FPS n.n`` in the top-left corner (in place) and return the canvas."""
    text = f"FPS {fps:.1f}"
    scale = max(0.5, min(canvas.shape[:2]) / 480)
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    cv2.rectangle(canvas, (0, 0), (w + 12, h + base + 12), (0, 0, 0), -1)
    cv2.putText(canvas, text, (6, h + 6), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255),
                2, cv2.LINE_AA)
    return canvas
