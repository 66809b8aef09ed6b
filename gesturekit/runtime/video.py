"""Video in and out for the live demo: a file or camera read in a background thread, and an
annotated video written in another, so that decoding and encoding overlap inference."""
from __future__ import annotations

import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from voc_tools.errors import GestureKitError

DEFAULT_CAMERA_FPS = 30.0
FOURCC = {".mp4": "mp4v", ".avi": "MJPG"}
_END = object()


@dataclass
class Source:
    """An opened video file or camera."""

    capture: Any
    name: str
    fps: float
    width: int
    height: int
    live: bool  # a camera: frames that wait too long are dropped
    frame_count: int = 0  # as the container claims (0: unknown, a camera)


def open_source(source: str | int) -> Source:
    """Open a video file, or a camera given by its index ("0"); one-line errors."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    import cv2

    text = str(source)
    live = text.isdigit()
    if live:
        logging = cv2.utils.logging
        level = logging.getLogLevel()
        logging.setLogLevel(logging.LOG_LEVEL_SILENT)  # the one-line error below says it
        try:
            capture = cv2.VideoCapture(int(text))
        finally:
            logging.setLogLevel(level)
        if not capture.isOpened():
            raise GestureKitError("cannot open the camera (no such device, or in use)",
                                  f"camera {text}")
    else:
        if not Path(text).is_file():
            raise GestureKitError("no such video file (give a path, or a camera index such "
                                  "as 0)", text)
        capture = cv2.VideoCapture(text)
        if not capture.isOpened():
            capture.release()
            raise GestureKitError("cannot open video (not a video file or unsupported codec)",
                                  text)
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    return Source(capture, f"camera {text}" if live else text,
                  fps if fps > 0 and fps == fps else DEFAULT_CAMERA_FPS,
                  int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                  int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), live,
                  0 if live else max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0), 0))


class FrameReader:
    """``(index, frame)`` pairs of a source, at most ``max_frames``; with ``threaded`` the
    frames are decoded ahead in a thread into a bounded queue (a camera's oldest waiting
    frame is dropped when the queue is full). ``timer(seconds)`` gets each decode time."""

    def __init__(self, source: Source, max_frames: int | None = None, threaded: bool = True,
                 queue_size: int = 8, timer: Callable[[float], None] | None = None) -> None:
        self.source, self.max_frames, self.timer = source, max_frames, timer
        self.read_count = 0
        self._queue: queue.Queue = queue.Queue(maxsize=2 if source.live else queue_size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fill, daemon=True) if threaded else None
        self._failure: BaseException | None = None

    def _decode(self) -> np.ndarray | None:
        if self.max_frames is not None and self.read_count >= self.max_frames:
            return None
        start = time.perf_counter()
        ok, frame = self.source.capture.read()
        if self.timer is not None:
            self.timer(time.perf_counter() - start)
        if not ok or frame is None:
            return None
        self.read_count += 1
        return frame

    def _put(self, item: Any) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                if self.source.live and item is not _END:
                    try:
                        self._queue.get_nowait()  # drop the oldest: stay live
                    except queue.Empty:
                        pass

    def _fill(self) -> None:
        try:
            index = 0
            while not self._stop.is_set():
                frame = self._decode()
                if frame is None:
                    break
                self._put((index, frame))
                index += 1
        except BaseException as err:  # re-raised in the consumer's thread
            self._failure = err
        self._put(_END)

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        if self._thread is None:
            index = 0
            while (frame := self._decode()) is not None:
                yield index, frame
                index += 1
        else:
            self._thread.start()
            while (item := self._queue.get()) is not _END:
                yield item
            if self._failure is not None:
                raise self._failure
        if self.read_count == 0:
            raise GestureKitError("video has no readable frames", self.source.name)

    def close(self) -> None:
        """Stop the decoding thread and release the source."""
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join()
        self.source.capture.release()


class VideoSink:
    """Writes frames to a video file (``.mp4`` mp4v, ``.avi`` MJPG) under a temporary name,
    renamed on :meth:`close`; with ``threaded`` the encoding runs in its own thread."""

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int],
                 threaded: bool = True, timer: Callable[[float], None] | None = None) -> None:
        import cv2

        self.path = Path(path)
        if self.path.suffix.lower() not in FOURCC:
            raise GestureKitError(f"unsupported output video (expected "
                                  f"{' or '.join(FOURCC)})", self.path)
        self.partial = self.path.with_name(f".{self.path.stem}.part{self.path.suffix}")
        self.writer = cv2.VideoWriter(str(self.partial), cv2.VideoWriter_fourcc(
            *FOURCC[self.path.suffix.lower()]), fps, size)
        if not self.writer.isOpened():
            raise GestureKitError("cannot open a video writer here", self.path)
        self.size, self.timer, self.count = size, timer, 0
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._drain, daemon=True) if threaded else None
        if self._thread is not None:
            self._thread.start()

    def _encode(self, frame: np.ndarray) -> None:
        start = time.perf_counter()
        self.writer.write(frame)
        if self.timer is not None:
            self.timer(time.perf_counter() - start)

    def _drain(self) -> None:
        while (frame := self._queue.get()) is not _END:
            self._encode(frame)

    def write(self, frame: np.ndarray) -> None:
        if frame.shape[1::-1] != self.size:
            raise GestureKitError(f"frame of {frame.shape[1]}x{frame.shape[0]} in a "
                                  f"{self.size[0]}x{self.size[1]} video", self.path)
        self.count += 1
        if self._thread is None:
            self._encode(frame)
        else:
            self._queue.put(frame)

    def close(self, keep: bool = True) -> None:
        """Finish the file and move it to its name (``keep``), or delete it."""
        if self._thread is not None:
            self._queue.put(_END)
            self._thread.join()
        self.writer.release()
        if keep and self.count:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)
