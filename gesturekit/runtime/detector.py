"""Detector adapters: raw image -> input tensor, and raw outputs -> Detections.

Two output formats: ``retinanet`` (GestureKit's exported detectors: boxes N x 4 in network
pixels, scores, labels, padded with -1; NMS already inside the model) and ``boxes_conf``
(Open Model Zoo style, e.g. person-detection-asl-0001: N x 5 rows of x_min, y_min, x_max,
y_max, conf; one class).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from detector.inference import Detections, select

from detector.card import ModelCard
from detector.preprocess import to_network

from .imaging import check_image
from .outputs import TensorInfo, find_output


class DetectorAdapter:
    """Prepares images for, and decodes outputs of, one detector model."""

    def __init__(self, card: ModelCard, outputs: list[TensorInfo], model_path: Path) -> None:
        self.card, self.model_path = card, model_path
        names = card.output_names
        if card.output == "retinanet":
            self.boxes = find_output(outputs, "boxes", names,
                                     lambda o: o.rank == 3 and o.last == 4 and not o.integer,
                                     model_path)
            self.scores = find_output(outputs, "scores", names,
                                      lambda o: o.rank == 2 and not o.integer, model_path)
            self.labels = find_output(outputs, "labels", names, lambda o: o.integer,
                                      model_path)
        else:
            self.boxes = find_output(outputs, "boxes", names,
                                     lambda o: o.last == 5 and not o.integer, model_path)

    def prepare(self, image_bgr: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, tuple]]:
        """The input tensor, and what decoding needs: the scale and the image size."""
        check_image(image_bgr, self.model_path)
        tensor, scale = to_network(image_bgr, self.card.input)
        return tensor, (scale, image_bgr.shape[:2])

    def decode(self, outputs: list[np.ndarray], meta: tuple[np.ndarray, tuple],
               score_threshold: float = 0.05, max_detections: int = 100) -> Detections:
        """Detections in original-image pixels, best first, above the threshold."""
        scale, (height, width) = meta
        if self.card.output == "retinanet":
            boxes = np.asarray(outputs[self.boxes]).reshape(-1, 4) / np.tile(scale, 2)
            scores = np.asarray(outputs[self.scores]).reshape(-1)
            labels = np.asarray(outputs[self.labels]).reshape(-1)
        else:
            rows = np.asarray(outputs[self.boxes], np.float32).reshape(-1, 5)
            factor = (np.array([width, height], np.float32) if self.card.box_units ==
                      "normalised" else 1.0 / scale)
            boxes, scores = rows[:, :4] * np.tile(factor, 2), rows[:, 4]
            labels = np.zeros(len(rows), np.int64)
        return select(boxes, scores, labels, self.card.classes, score_threshold,
                      max_detections)
