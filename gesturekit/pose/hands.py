"""Hand landmarks from MediaPipe, served by a worker process in its own environment.

``HandLandmarker`` starts ``gesturekit/pose/mediapipe_worker.py`` with the Python of ``.venv-hands``
(made by ``scripts/setup_hands.sh``; another one via ``GESTUREKIT_HANDS_PYTHON``) and asks
it for the hands of image files or decoded frames. Everything runs offline: MediaPipe
0.10.14 carries its palm-detection and landmark models inside the wheel.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voc_tools.errors import GestureKitError

HANDS_PYTHON_ENV = "GESTUREKIT_HANDS_PYTHON"
WORKER = Path(__file__).with_name("mediapipe_worker.py")
SETUP_HINT = ("run scripts/setup_hands.sh (makes .venv-hands with MediaPipe 0.10.14; it cannot "
              "share the TensorFlow environment: protobuf <5 vs >=6.31)")
LANDMARKS = 21


@dataclass(frozen=True)
class Hand:
    """One hand: ``landmarks`` (21, 3) with x, y in [0, 1] of the image and relative z."""

    handedness: str
    score: float
    landmarks: np.ndarray

    def pixels(self, width: int, height: int) -> np.ndarray:
        """The 21 landmarks' (x, y) in pixels."""
        return self.landmarks[:, :2] * np.array([width, height], np.float32)

    def box(self, width: int, height: int, margin: float = 0.15) -> tuple[float, ...]:
        """The landmarks' extent grown by ``margin`` of its longer side on every edge,
        clipped to the image: 0-based pixel corners (x1, y1, x2, y2)."""
        points = self.pixels(width, height)
        (x1, y1), (x2, y2) = points.min(axis=0), points.max(axis=0)
        pad = margin * max(x2 - x1, y2 - y1)
        return (max(0.0, float(x1 - pad)), max(0.0, float(y1 - pad)),
                min(float(width), float(x2 + pad)), min(float(height), float(y2 + pad)))


@dataclass(frozen=True)
class HandsResult:
    """The hands found in one image of ``width`` x ``height`` pixels."""

    width: int
    height: int
    hands: list[Hand]


def hands_python() -> Path:
    """The Python interpreter of the MediaPipe environment; a clear error if it is missing."""
    configured = os.environ.get(HANDS_PYTHON_ENV)
    if configured:
        path = Path(configured)
    else:
        path = Path(__file__).resolve().parents[2] / ".venv-hands" / "bin" / "python"
    if not path.exists():
        raise GestureKitError(f"MediaPipe hand landmarker not installed: {SETUP_HINT}", path)
    if path.is_dir() or not os.access(path, os.X_OK):
        where = f" ({HANDS_PYTHON_ENV})" if configured else ""
        raise GestureKitError(f"not an executable Python interpreter{where}", path)
    return path


class HandLandmarker:
    """MediaPipe Hands in a worker process; use as a context manager.

    ``video=True`` tracks hands from frame to frame (consecutive frames of one video);
    the default treats every image on its own, as pre-labelling needs.
    """

    def __init__(self, max_hands: int = 2, min_confidence: float = 0.5,
                 video: bool = False) -> None:
        python = hands_python()
        command = [str(python), str(WORKER), "--max-hands", str(max_hands),
                   "--min-confidence", str(min_confidence)] + (["--video"] if video else [])
        env = dict(os.environ, GLOG_minloglevel="2", TF_CPP_MIN_LOG_LEVEL="3",
                   PYTHONWARNINGS="ignore")
        env.pop("MPLBACKEND", None)  # Jupyter's inline backend does not exist in .venv-hands
        self._stderr = open(os.devnull, "w") if not os.environ.get("GESTUREKIT_DEBUG") \
            else sys.stderr
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=self._stderr, env=env)
        hello = self._reply(python)
        self.version = hello.get("ready", "?")

    def _reply(self, what: str | Path) -> dict:
        line = self._process.stdout.readline() if self._process.stdout else b""
        if not line:
            code = self._process.wait()
            raise GestureKitError(f"the MediaPipe worker stopped (exit code {code}); "
                                  f"set GESTUREKIT_DEBUG=1 to see its log, or {SETUP_HINT}",
                                  what)
        return json.loads(line)

    def _ask(self, request: dict, payload: bytes, what: str | Path) -> HandsResult:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write((json.dumps(request) + "\n").encode() + payload)
            stdin.flush()
        except BrokenPipeError:
            pass  # _reply reports the worker's exit
        reply = self._reply(what)
        if "error" in reply:
            raise GestureKitError(reply["error"], what)
        hands = [Hand(h["handedness"], h["score"], np.asarray(h["landmarks"], np.float32))
                 for h in reply["hands"]]
        return HandsResult(reply["width"], reply["height"], hands)

    def detect_path(self, path: str | Path) -> HandsResult:
        """The hands in an image file."""
        return self._ask({"path": str(Path(path).resolve())}, b"", path)

    def detect(self, image_bgr: np.ndarray) -> HandsResult:
        """The hands in a decoded BGR frame."""
        frame = np.ascontiguousarray(image_bgr, dtype=np.uint8)
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise GestureKitError(f"expected a 3-channel BGR image, got shape {frame.shape}")
        return self._ask({"frame": list(frame.shape[:2])}, frame.tobytes(), "frame")

    def close(self) -> None:
        """Stop the worker."""
        if self._process.poll() is None:
            if self._process.stdin:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        if self._stderr is not sys.stderr:
            self._stderr.close()

    def __enter__(self) -> "HandLandmarker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
