"""Multi-object tracking by box overlap, as OpenVINO's gesture demo tracks people.

Each frame's detections are matched to the live tracks by the Hungarian method on
``1 - IoU`` (pairs below ``iou_threshold`` stay unmatched). A matched track's box is an
exponential moving average of its detections (``smoothing`` = weight of the old box); an
unmatched detection starts a tentative track that is confirmed, and only then gets an id,
after ``min_hits`` consecutive hits; a confirmed track survives ``max_missed`` frames
without a detection and is dropped on the next miss. Ids count up from 1 and never repeat.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from detector.evaluate import box_overlaps


@dataclass
class Track:
    """One tracked object; ``id`` is 0 while the track is tentative."""

    id: int
    box: np.ndarray          # smoothed x1 y1 x2 y2
    score: float             # detector score of the last matched detection
    label: int               # detector class of the last matched detection
    hits: int = 1            # frames with a matched detection
    streak: int = 1          # consecutive hits up to the last one
    missed: int = 0          # frames since the last matched detection
    age: int = 1             # frames since the track started
    detection: int | None = field(default=0, repr=False)  # index in this frame's input

    @property
    def confirmed(self) -> bool:
        return self.id > 0


class IouTracker:
    """Frame-by-frame IoU tracker; :meth:`update` returns the confirmed live tracks."""

    def __init__(self, iou_threshold: float = 0.3, max_missed: int = 5, min_hits: int = 1,
                 smoothing: float = 0.5) -> None:
        if not 0 < iou_threshold <= 1 or max_missed < 0 or min_hits < 1 or not (
                0 <= smoothing < 1):
            raise ValueError("need 0 < iou_threshold <= 1, max_missed >= 0, min_hits >= 1 "
                             "and 0 <= smoothing < 1")
        self.iou_threshold, self.max_missed = iou_threshold, max_missed
        self.min_hits, self.smoothing = min_hits, smoothing
        self.tracks: list[Track] = []
        self.next_id = 1

    def match(self, boxes: np.ndarray) -> list[tuple[int, int]]:
        """(track index, detection index) pairs of the best total IoU, each at least the
        threshold."""
        if not self.tracks or not len(boxes):
            return []
        iou = box_overlaps(np.stack([t.box for t in self.tracks]), boxes)
        rows, cols = linear_sum_assignment(1.0 - iou)
        return [(int(r), int(c)) for r, c in zip(rows, cols) if iou[r, c] >= self.iou_threshold]

    def update(self, boxes: np.ndarray, scores: np.ndarray | None = None,
               labels: np.ndarray | None = None) -> list[Track]:
        """Advance one frame with its detections (N x 4 boxes, optional scores and labels);
        returns the confirmed tracks still alive, oldest id first. ``Track.detection`` is
        the index of the detection matched in this frame, None when it was missed."""
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        scores = np.ones(len(boxes)) if scores is None else np.asarray(scores).reshape(-1)
        labels = np.zeros(len(boxes), int) if labels is None else np.asarray(labels).reshape(-1)
        pairs = self.match(boxes)
        matched = dict(pairs)
        for index, track in enumerate(self.tracks):
            track.age += 1
            if index in matched:
                d = matched[index]
                track.box = self.smoothing * track.box + (1 - self.smoothing) * boxes[d]
                track.score, track.label, track.detection = float(scores[d]), int(labels[d]), d
                track.hits, track.missed = track.hits + 1, 0
                track.streak += 1
            else:
                track.missed, track.streak, track.detection = track.missed + 1, 0, None
        self.tracks = [t for t in self.tracks if t.missed == 0 or (
            t.confirmed and t.missed <= self.max_missed)]
        taken = {d for _, d in pairs}
        self.tracks += [Track(0, boxes[d].copy(), float(scores[d]), int(labels[d]),
                              detection=d) for d in range(len(boxes)) if d not in taken]
        for track in self.tracks:
            if not track.confirmed and track.streak >= self.min_hits:
                track.id, self.next_id = self.next_id, self.next_id + 1
        return sorted((t for t in self.tracks if t.confirmed), key=lambda t: t.id)
