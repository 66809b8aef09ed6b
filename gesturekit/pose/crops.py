"""The hybrid route's landmarks (GestureDet's design): a hand detector finds the hands,
MediaPipe's landmarker runs on each detected box's crop, upscaled.

:class:`CropLandmarker` wraps a landmarker (e.g. :class:`~pose.retry.RetryLandmarker`):
MediaPipe first looks at the whole image as before (second passes included); where it found
no hand, every box the detector finds (that no hand found in an earlier box overlaps) is
cropped with a margin, resized so its longer side is ``crop_side`` and given to MediaPipe
on its own. (Cropping also where MediaPipe had found a hand recovered no more labelled
hands on fingers' val and found 6 more false ones.) Landmarks found in a crop come back in the
whole image's normalised coordinates, so features, boxes and keypoint files do not change.
A hand MediaPipe's palm detector misses on the whole frame (small, blurred, partly seen) is
recovered when the detector boxes it. The detector is duck-typed: anything with
``.detect(image_bgr, score_threshold)`` returning boxes in image pixels.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .boxes import cover_matrix
from .hands import Hand, HandLandmarker, HandsResult
from .retry import DEFAULT_RETRY, RetryLandmarker, RetryOptions

#: Crop margin (share of the box's longer side on every edge), the crop's longer side after
#: resizing, MediaPipe's palm confidence inside a crop (the detector already says "hand"),
#: the detector score a box needs, and the overlap that counts as "already found". On the
#: fingers set's grouped val, of 36 images MediaPipe finds no hand in, the detector boxes
#: 31; MediaPipe then finds 9 in crops at 0.25 / 256 px / 0.2 (3-4 at confidence 0.5,
#: 3-9 over margins 0.1-0.5 and sides 192-384).
CROP_MARGIN = 0.25
CROP_SIDE = 256
CROP_CONFIDENCE = 0.2
MIN_BOX_SCORE = 0.3
FOUND_OVERLAP = 0.3


def crop_region(box: np.ndarray, width: int, height: int,
                margin: float = CROP_MARGIN) -> tuple[int, int, int, int]:
    """A square-ish pixel region around ``box`` (x1, y1, x2, y2) grown by ``margin`` of its
    longer side on every edge, clipped to the image."""
    x1, y1, x2, y2 = (float(v) for v in box)
    pad = margin * max(x2 - x1, y2 - y1)
    return (max(0, int(np.floor(x1 - pad))), max(0, int(np.floor(y1 - pad))),
            min(width, int(np.ceil(x2 + pad))), min(height, int(np.ceil(y2 + pad))))


def to_image(found: HandsResult, region: tuple[int, int, int, int], width: int,
             height: int) -> list[Hand]:
    """Hands found in a crop of ``region``, with landmarks in the whole image's normalised
    coordinates (z scaled like x)."""
    x0, y0, x1, y1 = region
    scale = np.array([(x1 - x0) / width, (y1 - y0) / height, (x1 - x0) / width], np.float32)
    offset = np.array([x0 / width, y0 / height, 0.0], np.float32)
    return [replace(hand, landmarks=hand.landmarks * scale + offset) for hand in found.hands]


class CropLandmarker:
    """``landmarker``, then, where it found no hand, MediaPipe on ``hand_detector``'s box
    crops; a context manager with ``detect``, ``detect_path``, ``version`` and ``counts``
    like it (``cropped``: crops tried, ``from_crops``: hands found in them)."""

    def __init__(self, landmarker: Any, hand_detector: Any, max_hands: int = 2,
                 min_box_score: float = MIN_BOX_SCORE, crop_side: int = CROP_SIDE) -> None:
        self.landmarker, self.detector = landmarker, hand_detector
        self.max_hands, self.min_box_score, self.crop_side = max_hands, min_box_score, crop_side
        self.version = landmarker.version
        self.cropped = self.from_crops = 0
        self._in_crops: HandLandmarker | None = None

    def counts(self) -> dict[str, int]:
        """The wrapped landmarker's counts, and crops tried / hands found in them."""
        return {**self.landmarker.counts(), "cropped": self.cropped,
                "from_crops": self.from_crops}

    def _in_crop(self, crop_bgr: np.ndarray) -> HandsResult:
        """MediaPipe on one crop (its own worker: one hand, CROP_CONFIDENCE)."""
        if self._in_crops is None:
            self._in_crops = HandLandmarker(max_hands=1, min_confidence=CROP_CONFIDENCE)
        return self._in_crops.detect(crop_bgr)

    def detect(self, image_bgr: np.ndarray) -> HandsResult:
        """The hands in a BGR frame: MediaPipe's, else those found in the detector's boxes."""
        found = self.landmarker.detect(image_bgr)  # the whole frame, second passes included
        return found if found.hands else self._from_crops(image_bgr)

    def _from_crops(self, image_bgr: np.ndarray) -> HandsResult:
        """The hands MediaPipe finds in the crops of the detector's boxes."""
        import cv2

        height, width = image_bgr.shape[:2]
        hands: list[Hand] = []
        boxes: list[tuple[float, ...]] = []  # the hands found in earlier crops
        detections = self.detector.detect(image_bgr, score_threshold=self.min_box_score)
        for box in np.asarray(detections.boxes, np.float32):
            if len(hands) >= self.max_hands:
                break
            if boxes and max(cover_matrix(box, boxes).max(),  # intersection / smaller box
                             cover_matrix(boxes, box).max()) > FOUND_OVERLAP:
                continue
            region = crop_region(box, width, height)
            x0, y0, x1, y1 = region
            if x1 - x0 < 8 or y1 - y0 < 8:
                continue
            crop = image_bgr[y0:y1, x0:x1]
            factor = self.crop_side / max(crop.shape[:2])
            crop = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
            self.cropped += 1
            in_crop = self._in_crop(np.ascontiguousarray(crop))
            if not in_crop.hands:
                continue
            hand = to_image(in_crop, region, width, height)[0]
            self.from_crops += 1
            hands.append(hand)
            boxes.append(hand.box(width, height, 0.0))
        return HandsResult(width, height, hands)

    def detect_path(self, path: str | Path) -> HandsResult:
        """The hands in an image file (decoded here only when the crops are needed)."""
        from voc_tools.image_io import read_image_bgr

        found = self.landmarker.detect_path(path)
        return found if found.hands else self._from_crops(read_image_bgr(path))

    def close(self) -> None:
        self.landmarker.close()
        if self._in_crops is not None:
            self._in_crops.close()

    def __enter__(self) -> "CropLandmarker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def hybrid_landmarker(max_hands: int = 2, min_confidence: float = 0.5,
                      retry: RetryOptions = DEFAULT_RETRY, hand_detector: bool = False) -> Any:
    """MediaPipe's landmarker with its second passes; with ``hand_detector``, also on the
    crops of the kit's shipped hand detector's boxes (the hybrid route)."""
    landmarker = RetryLandmarker(max_hands, min_confidence, retry)
    if not hand_detector:
        return landmarker
    try:
        from detector.hands import hand_detector as shipped_hand_detector

        return CropLandmarker(landmarker, shipped_hand_detector(), max_hands)
    except BaseException:
        landmarker.close()
        raise
