"""Clips from a rawframes dataset, prepared exactly as the runtime prepares a live clip.

A clip is T frames sampled at the template's fps (every ``video_fps / fps``-th frame, rounded)
from a record's video: when the sampled span fits in the labelled interval the window lies
inside it, otherwise the window covers the whole interval and takes its context from the
video around it (frames past the video's ends repeat the first/last one, as the runtime
repeats frame 0 at a video's start). Training windows are placed at random within those
bounds (and their step varies by +-15 %); evaluation windows are centred.

Each frame: the centre square of the whole frame (side = ``crop_scale`` x the shorter side),
resized with ``cv2.resize`` (bilinear) to ``input_size``, BGR -> RGB, ``(x - mean) / std``,
the runtime's ``ClipAdapter`` steps. A record whose video has fewer frames than T is a
one-line error (a clip cannot be shorter than the model's frames); so is a label id outside
``classes.txt``. Decoded, resized frames are cached in memory (up to ``cache_mb``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from detector import preprocess
from gesturekit.clips.rawframes import ClipRecord, frame_path, read_rawframes_annotation
from voc_tools.classes import read_classes
from voc_tools.errors import GestureKitError

from .templates import Template

STEP_JITTER = 0.15  # training windows use a step of (1 +- this) x the template's


@dataclass
class ClipSplit:
    """The records of one annotation file of a rawframes dataset, and the class names."""

    data_dir: Path
    annotation: Path
    records: list[ClipRecord]
    classes: list[str]

    @property
    def labels(self) -> np.ndarray:
        return np.array([r.label for r in self.records], np.int64)


def resolve_annotation(data_dir: Path, name: str | Path) -> Path:
    """An annotation file given as a path, or by name inside ``DATA_DIR``."""
    path = Path(name)
    inside = data_dir / path
    return inside if not path.is_absolute() and inside.is_file() else path


def load_split(data_dir: str | Path, annotation: str | Path, frames: int,
               classes: list[str] | None = None) -> ClipSplit:
    """Read and check one split: labels within the classes, videos of at least ``frames``
    frames (``classes`` default: ``DATA_DIR/classes.txt``)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise GestureKitError("data folder not found", data_dir)
    path = resolve_annotation(data_dir, annotation)
    records = read_rawframes_annotation(path)
    if not records:
        raise GestureKitError("no clips in the annotation file", path)
    names = classes if classes is not None else read_classes(data_dir)
    for record in records:
        if record.label >= len(names):
            raise GestureKitError(f"{record.video_dir}: label id {record.label} is outside the "
                                  f"{len(names)} classes (ids 0..{len(names) - 1})", path)
        if record.frames < frames:
            raise GestureKitError(f"{record.video_dir}: the clip has {record.frames} frames, "
                                  f"fewer than the model's {frames} frames per clip (lower "
                                  "--frames or drop the clip)", path)
    return ClipSplit(data_dir, path, records, list(names))


def window_ids(record: ClipRecord, frames: int, fps: float, position: float = 0.5,
               stretch: float = 1.0) -> list[int]:
    """Frame ids (1-based) of one clip; ``position`` 0..1 moves the window from its earliest
    to its latest allowed place (0.5: centred), ``stretch`` scales the sampling step."""
    step = record.fps / fps * stretch
    offsets = [math.floor(k * step + 0.5) for k in range(frames)]
    span, room = offsets[-1], record.clip_end - record.clip_start
    low, high = ((record.clip_start, record.clip_end - span) if span <= room
                 else (record.clip_end - span, record.clip_start))
    first = low + math.floor(position * (high - low) + 0.5)
    return [min(max(first + o, record.start_frame), record.end_frame) for o in offsets]


def frame_square(height: int, width: int, scale: float) -> tuple[int, int, int, int]:
    """(x1, y1, x2, y2) of the centred square of side ``int(scale * shorter side)``
    (the runtime's ``center_square`` of the whole frame)."""
    side = max(1, int(scale * min(height, width)))
    left, top = math.floor(width / 2 - side / 2), math.floor(height / 2 - side / 2)
    return left, top, left + side, top + side


def normalise(frames_bgr: np.ndarray, template: Template) -> np.ndarray:
    """uint8 BGR frames -> float32 in the template's colour order, ``(x - mean) / std``
    (the kit's one preprocessing, :func:`detector.preprocess.normalise`)."""
    return preprocess.normalise(frames_bgr, template.normalise, template.color_order)


class FrameCache:
    """Frames read from disk, centre-cropped and resized (uint8 BGR), kept in memory."""

    def __init__(self, data_dir: Path, size: int, crop_scale: float,
                 cache_mb: float = 1024) -> None:
        self.data_dir, self.size, self.crop_scale = data_dir, size, crop_scale
        self.capacity = int(cache_mb * 2**20 / (size * size * 3))
        self._frames: dict[tuple[str, int], np.ndarray] = {}

    def get(self, record: ClipRecord, frame_id: int) -> np.ndarray:
        key = (record.video_dir, frame_id)
        frame = self._frames.get(key)
        if frame is None:
            frame = self._read(frame_path(self.data_dir, record, frame_id))
            if len(self._frames) < self.capacity:
                self._frames[key] = frame
        return frame

    def _read(self, path: Path) -> np.ndarray:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise GestureKitError("missing or unreadable frame (dump the clips again with "
                                  "'gesturekit clips dump')", path)
        x1, y1, x2, y2 = frame_square(*image.shape[:2], self.crop_scale)
        return cv2.resize(image[y1:y2, x1:x2], (self.size, self.size))

    def warm(self, records: list[ClipRecord], ids_of) -> None:  # type: ignore[no-untyped-def]
        """Decode, with a progress bar, the frames ``ids_of(record)`` lists (while they fit)."""
        wanted = [(r, i) for r in records for i in sorted(set(ids_of(r)))]
        wanted = [(r, i) for r, i in wanted if (r.video_dir, i) not in self._frames]
        for record, frame_id in tqdm(wanted[:max(0, self.capacity - len(self._frames))],
                                     desc="decoding frames", unit="frame", leave=False):
            self.get(record, frame_id)


def augment(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same random zoom/shift and brightness/contrast for every frame of a clip (never
    a flip: it would swap left and right swipes)."""
    size = frames.shape[1]
    scale = rng.uniform(0.9, 1.1)
    shift = rng.uniform(-0.08, 0.08, 2) * size
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), 0.0, scale)
    matrix[:, 2] += shift
    gain = rng.uniform(0.75, 1.25) * rng.uniform(0.85, 1.15, 3)  # brightness, colour cast
    bias = rng.uniform(-25, 25)
    moved = [cv2.warpAffine(f, matrix, (size, size), borderMode=cv2.BORDER_REPLICATE)
             for f in frames]
    return np.clip(np.stack(moved).astype(np.float32) * gain + bias, 0, 255).astype(np.uint8)


class ClipBatches:
    """Batches (x: B x T x S x S x 3 float32, y: B int labels) of one split; ``train``
    shuffles, jitters the windows and augments (seeded), otherwise centred windows in
    file order. Use :func:`keras_sequence` for ``model.fit``."""

    def __init__(self, split: ClipSplit, template: Template, batch_size: int, train: bool,
                 seed: int = 0, cache: FrameCache | None = None) -> None:
        self.split, self.template, self.batch_size, self.train = split, template, batch_size, train
        self.cache = cache or FrameCache(split.data_dir, template.input_size,
                                         template.crop_scale)
        self.rng = np.random.default_rng(seed)
        self.order = np.arange(len(split.records))
        if train:
            self.rng.shuffle(self.order)
            self.cache.warm(split.records, lambda r: range(r.start_frame, r.end_frame + 1))
        else:
            self.cache.warm(split.records, self.centred_ids)

    def centred_ids(self, record: ClipRecord) -> list[int]:
        return window_ids(record, self.template.frames, self.template.fps)

    def __len__(self) -> int:
        return math.ceil(len(self.order) / self.batch_size)

    def clip(self, index: int) -> np.ndarray:
        """Clip ``index`` of the split as uint8 BGR frames (T x S x S x 3)."""
        record = self.split.records[index]
        if self.train:
            ids = window_ids(record, self.template.frames, self.template.fps,
                             self.rng.uniform(), self.rng.uniform(1 - STEP_JITTER,
                                                                  1 + STEP_JITTER))
        else:
            ids = self.centred_ids(record)
        frames = np.stack([self.cache.get(record, i) for i in ids])
        return augment(frames, self.rng) if self.train else frames

    def batch(self, number: int) -> tuple[np.ndarray, np.ndarray]:
        chosen = self.order[number * self.batch_size:(number + 1) * self.batch_size]
        x = np.stack([normalise(self.clip(int(i)), self.template) for i in chosen])
        return x, self.split.labels[chosen]

    def shuffle(self) -> None:
        if self.train:
            self.rng.shuffle(self.order)


def keras_sequence(batches: ClipBatches):  # type: ignore[no-untyped-def]
    """A ``keras.utils.Sequence`` over ``batches`` (reshuffled after every epoch)."""
    from detector import compat  # noqa: F401
    from tensorflow import keras

    class ClipSequence(keras.utils.Sequence):
        def __len__(self) -> int:
            return len(batches)

        def __getitem__(self, number: int):  # type: ignore[no-untyped-def]
            return batches.batch(number)

        def on_epoch_end(self) -> None:
            batches.shuffle()

    return ClipSequence()
