"""Drawing detections on images."""
from __future__ import annotations

import colorsys

import cv2
import numpy as np

from .inference import Detections


def class_color(label: int) -> tuple[int, int, int]:
    """A distinct, stable BGR colour per class id."""
    r, g, b = colorsys.hsv_to_rgb((label * 0.618034) % 1.0, 0.85, 0.95)
    return int(b * 255), int(g * 255), int(r * 255)


def draw_detections(image_bgr: np.ndarray, detections: Detections) -> np.ndarray:
    """A copy of the image with each box, class name and score drawn."""
    canvas = image_bgr.copy()
    thickness = max(1, round(min(canvas.shape[:2]) / 240))
    for box, score, label in zip(detections.boxes, detections.scores, detections.labels):
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        color = class_color(int(label))
        cv2.rectangle(canvas, (x1, y1), (x2, y2), color, thickness, cv2.LINE_AA)
        text = f"{detections.classes[int(label)]} {score:.2f}"
        scale = 0.4 * thickness
        (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        top = max(y1 - h - base - 2, 0)
        cv2.rectangle(canvas, (x1, top), (x1 + w + 4, top + h + base + 2), color, -1)
        cv2.putText(canvas, text, (x1 + 2, top + h + 1), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return canvas
