"""A second MediaPipe pass for images where the first found no hand.

MediaPipe misses hands that are small, blurred or only partly seen at its default palm
confidence. Where the first pass finds nothing, :class:`RetryLandmarker` asks again, in
order, until one pass finds a hand: at ``confidence`` (a lower minimum detection
confidence, in a second worker started on first use), on the mirrored image, and on the
image upscaled by ``upscale``. Landmarks come back in the original image's normalised
coordinates (a mirrored pass is flipped back and its handedness swapped), so features,
boxes and the landmark files do not change.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from voc_tools.errors import GestureKitError

from .classify import OTHER_HAND
from .hands import HandLandmarker, HandsResult


@dataclass(frozen=True)
class RetryOptions:
    """Which second passes to try where the first found no hand (all off: none)."""

    confidence: float | None = 0.2   # a lower min detection confidence; None: not tried
    mirror: bool = True              # the mirrored image
    upscale: float | None = 2.0      # the image resized by this factor (> 1)

    @property
    def any(self) -> bool:
        return self.confidence is not None or self.mirror or self.upscale is not None

    def to_dict(self) -> dict:
        return {"confidence": self.confidence, "mirror": self.mirror, "upscale": self.upscale}


NO_RETRY = RetryOptions(confidence=None, mirror=False, upscale=None)
#: Measured on the grouped real splits (bench/results/pose_real.md): the lower confidence
#: recovers most misses; mirror + 2x upscale add rf100 +0.05 mAP@0.5, fingers -0.003.
DEFAULT_RETRY = RetryOptions()


def mirrored_back(found: HandsResult) -> HandsResult:
    """The hands of a mirrored image in the original image: x -> 1 - x, the other hand."""
    hands = []
    for hand in found.hands:
        landmarks = hand.landmarks.copy()
        landmarks[:, 0] = 1 - landmarks[:, 0]
        hands.append(replace(hand, handedness=OTHER_HAND.get(hand.handedness, hand.handedness),
                             landmarks=landmarks))
    return HandsResult(found.width, found.height, hands)


class RetryLandmarker:
    """A :class:`~pose.hands.HandLandmarker` with :class:`RetryOptions` second passes;
    a context manager with ``detect``, ``detect_path`` and ``version`` like it, and
    ``counts``."""

    def __init__(self, max_hands: int = 2, min_confidence: float = 0.5,
                 retry: RetryOptions = DEFAULT_RETRY) -> None:
        if retry.upscale is not None and retry.upscale <= 1:
            raise GestureKitError(f"the retry upscale factor must be above 1, got "
                                  f"{retry.upscale:g}")
        self.retry, self.max_hands = retry, max_hands
        self.first = HandLandmarker(max_hands=max_hands, min_confidence=min_confidence)
        self.version = self.first.version
        self._low: HandLandmarker | None = None
        self.retried = self.recovered = 0  # images retried, and where a retry found a hand

    def _lower(self) -> HandLandmarker:
        if self._low is None:
            self._low = HandLandmarker(max_hands=self.max_hands,
                                       min_confidence=float(self.retry.confidence))
        return self._low

    def _second(self, image_bgr: np.ndarray, found: HandsResult) -> HandsResult:
        import cv2

        self.retried += 1
        passes = []
        if self.retry.confidence is not None:
            passes.append(lambda: self._lower().detect(image_bgr))
        if self.retry.mirror:
            passes.append(lambda: mirrored_back(self.first.detect(image_bgr[:, ::-1])))
        if self.retry.upscale is not None:
            factor = float(self.retry.upscale)
            passes.append(lambda: self.first.detect(cv2.resize(
                image_bgr, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)))
        for attempt in passes:
            again = attempt()
            if again.hands:
                self.recovered += 1
                return HandsResult(found.width, found.height, again.hands)
        return found

    def counts(self) -> dict[str, int]:
        """Images retried, and where a second pass found a hand."""
        return {"retried": self.retried, "recovered": self.recovered}

    def detect(self, image_bgr: np.ndarray) -> HandsResult:
        """The hands in a decoded BGR frame, with the second passes where none was found."""
        found = self.first.detect(image_bgr)
        return found if found.hands or not self.retry.any else self._second(image_bgr, found)

    def detect_path(self, path: str | Path) -> HandsResult:
        """The hands in an image file (decoded here only when a second pass is needed)."""
        found = self.first.detect_path(path)
        if found.hands or not self.retry.any:
            return found
        import cv2

        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        return found if image is None else self._second(image, found)

    def close(self) -> None:
        self.first.close()
        if self._low is not None:
            self._low.close()

    def __enter__(self) -> "RetryLandmarker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
