"""Write a synthetic sample: videos, one VOC XML per frame, classes.txt."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np
from tqdm import tqdm

from voc_tools.annotation import Annotation, write_annotation
from voc_tools.classes import CLASSES_FILE, write_classes
from voc_tools.errors import GestureKitError
from voc_tools.naming import frame_name

from .hands import DROP, GRAB
from .render import RenderedFrame
from .takes import plan_take, render_take

#: Class names in class-id order.
CLASSES = [GRAB, DROP]
VIDEOS_DIR = "videos"
ANNOTATIONS_DIR = "annotations"
MIN_SIDE = 64


@dataclass
class SampleSummary:
    """What :func:`make_sample` wrote."""

    root: Path
    videos: list[Path]
    annotations: list[Path]
    classes_file: Path
    boxes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    leftovers: list[Path] = field(default_factory=list)  # older files this run did not write

    @property
    def frames(self) -> int:
        return len(self.annotations)

    def line(self) -> str:
        """The one-line report printed by ``gesturekit sample``."""
        counts = ", ".join(f"{name} {n}" for name, n in self.boxes.items())
        line = (f"{len(self.videos)} videos, {self.frames} frames, boxes: {counts}; "
                f"{self.seconds:.1f} s -> {self.root}")
        if self.leftovers:
            line += (f" ({len(self.leftovers)} older files in {VIDEOS_DIR}/ and "
                     f"{ANNOTATIONS_DIR}/ left in place)")
        return line


def take_rng(seed: int, take: int) -> np.random.Generator:
    """The random state of take ``take`` (0-based): independent of every other take."""
    return np.random.default_rng([seed, take])


def video_name(take: int, videos: int) -> str:
    """``take01.mp4``, ``take02.mp4``, ... (wider numbers beyond 99 takes)."""
    return f"take{take + 1:0{max(2, len(str(videos)))}d}.mp4"


def _check_arguments(out: Path, videos: int, frames: int, size: tuple[int, int], fps: float,
                     force: bool) -> None:
    if videos < 1:
        raise GestureKitError(f"--videos must be at least 1, got {videos}", out)
    if frames < 2:
        raise GestureKitError(f"--frames must be at least 2 (each take shows both gestures), "
                              f"got {frames}", out)
    w, h = size
    if min(w, h) < MIN_SIDE or w % 2 or h % 2:
        raise GestureKitError(f"--size {w}x{h}: width and height must be even and at least "
                              f"{MIN_SIDE}", out)
    if not fps > 0:
        raise GestureKitError(f"--fps must be positive, got {fps}", out)
    check_out_dir(out, force)


def check_out_dir(out: Path, force: bool) -> None:
    """``out`` must be a new or empty folder, unless ``force``."""
    if out.exists() and not out.is_dir():
        raise GestureKitError("exists and is not a folder", out)
    if out.is_dir() and any(out.iterdir()) and not force:
        raise GestureKitError("folder is not empty; use --force to replace the sample files "
                              "in it", out)


def _verify_video(path: Path, frames: int, size: tuple[int, int]) -> None:
    capture = cv2.VideoCapture(str(path))
    try:
        ok, first = capture.read()
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    if not ok or first.shape[1::-1] != tuple(size) or count != frames:
        raise GestureKitError(f"written video does not read back as {frames} frames of "
                              f"{size[0]}x{size[1]} (OpenCV without an mp4v encoder?)", path)


def write_take(video: Path, annotations: Path, take_index: int, seed: int, frames: int,
               size: tuple[int, int], fps: float, force: bool, boxes: dict[str, int],
               progress: tqdm | None = None) -> list[Path]:
    """Render one take into ``video`` and its per-frame XML files; return the XML paths."""
    rng = take_rng(seed, take_index)
    take = plan_take(rng, frames, size)
    return write_frames(video, annotations, render_take(take, rng), frames, size, fps, force,
                        boxes, progress)


def write_frames(video: Path, annotations: Path, rendered: Iterable[RenderedFrame],
                 frames: int, size: tuple[int, int], fps: float, force: bool,
                 boxes: dict[str, int], progress: tqdm | None = None) -> list[Path]:
    """Write ``frames`` rendered frames into ``video`` (mp4v, checked by reading it back)
    and one VOC XML per frame into ``annotations``; count boxes per class into ``boxes``."""
    tmp = video.with_name(video.stem + ".part.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), size)
    if not writer.isOpened():
        raise GestureKitError("cannot open an mp4v video writer", tmp)
    written = []
    try:
        for i, frame in enumerate(rendered):
            writer.write(frame.image)
            ann = Annotation(filename=frame_name(video, i), width=size[0], height=size[1],
                             depth=3, boxes=frame.boxes, folder="JPEGImages")
            xml = annotations / frame_name(video, i, ".xml")
            written.append(write_annotation(ann, xml, overwrite=force))
            for box in frame.boxes:
                boxes[box.name] = boxes.get(box.name, 0) + 1
            if progress is not None:
                progress.update(1)
    finally:
        writer.release()
    _verify_video(tmp, frames, size)
    tmp.replace(video)
    return written


def make_sample(out: Path, seed: int = 0, videos: int = 4, frames: int = 60,
                size: tuple[int, int] = (320, 240), fps: float = 10.0,
                force: bool = False) -> SampleSummary:
    """Generate a deterministic synthetic gesture dataset under ``out``.

    Writes ``videos/takeNN.mp4``, ``annotations/takeNN_<frame>.xml`` for every frame and
    ``classes.txt``. A non-empty ``out`` is refused unless ``force``; even then only the
    files this function generates are replaced.
    """
    start = time.perf_counter()
    out = Path(out)
    size = (int(size[0]), int(size[1]))
    _check_arguments(out, videos, frames, size, fps, force)
    video_dir, ann_dir = out / VIDEOS_DIR, out / ANNOTATIONS_DIR
    video_dir.mkdir(parents=True, exist_ok=True)
    ann_dir.mkdir(parents=True, exist_ok=True)
    summary = SampleSummary(root=out, videos=[], annotations=[],
                            classes_file=out / CLASSES_FILE,
                            boxes={name: 0 for name in CLASSES})
    with tqdm(total=videos * frames, desc="sample", unit="frame", leave=False) as progress:
        for k in range(videos):
            video = video_dir / video_name(k, videos)
            summary.annotations += write_take(video, ann_dir, k, seed, frames, size, fps,
                                              force, summary.boxes, progress)
            summary.videos.append(video)
    write_classes(CLASSES, summary.classes_file)
    written = set(summary.videos) | set(summary.annotations)
    summary.leftovers = sorted(p for folder in (video_dir, ann_dir) for p in folder.iterdir()
                               if p not in written)
    summary.seconds = time.perf_counter() - start
    return summary
