"""Write the dynamic-gesture sample: short videos of swipes and idle hands for clip classifiers.

Layout of ``out``: ``videos/<class>_NN.mp4``, ``annotations/<video>_<frame>.xml`` (the open
hand's box in every frame, class ``drop`` as in the static sample), ``classes.txt``,
``train.txt`` / ``val.txt`` (``<video> <label_id>``, ~70/30 per class) and
``intervals.csv`` (each video's labelled interval; idle hand before and after it).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gesturekit.clips.intervals import INTERVALS_FILE, Interval, write_intervals
from gesturekit.clips.videolist import VideoEntry, write_video_list
from voc_tools.classes import CLASSES_FILE, write_classes
from voc_tools.errors import GestureKitError

from .make import ANNOTATIONS_DIR, MIN_SIDE, VIDEOS_DIR, check_out_dir, write_frames
from .swipes import DYNAMIC_CLASSES, DynamicVideo, plan_dynamic
from .takes import render_take

VAL_FRACTION = 0.3
#: Default videos per class: ~12 s to render on one core, enough to train a small classifier.
DYNAMIC_VIDEOS = 24
SPLITS = ("train", "val")


@dataclass
class DynamicSummary:
    """What :func:`make_dynamic_sample` wrote."""

    root: Path
    videos: list[Path] = field(default_factory=list)
    annotations: list[Path] = field(default_factory=list)
    intervals: list[Interval] = field(default_factory=list)
    splits: dict[str, list[VideoEntry]] = field(default_factory=dict)
    seconds: float = 0.0
    leftovers: list[Path] = field(default_factory=list)  # older files this run did not write

    def line(self) -> str:
        """The one-line report printed by ``gesturekit sample --dynamic``."""
        per_class = len(self.videos) // len(DYNAMIC_CLASSES)
        splits = ", ".join(f"{name} {len(entries)}" for name, entries in self.splits.items())
        line = (f"{len(self.videos)} dynamic videos ({per_class} each of "
                f"{', '.join(DYNAMIC_CLASSES)}), {len(self.annotations)} frames; {splits}; "
                f"{self.seconds:.1f} s -> {self.root}")
        if self.leftovers:
            line += f" ({len(self.leftovers)} older files left in place)"
        return line


def dynamic_rng(seed: int, label_id: int, index: int) -> np.random.Generator:
    """Random state of video ``index`` of class ``label_id``: the same whatever the count."""
    return np.random.default_rng([seed, label_id, index])


def val_indices(seed: int, label_id: int, videos: int) -> set[int]:
    """Which of a class's ``videos`` go to val: ~30 %, at least one when there are two."""
    count = round(videos * VAL_FRACTION) if videos >= 4 else min(1, videos - 1)
    order = np.random.default_rng([seed, label_id]).permutation(videos)
    return {int(i) for i in order[:count]}


def dynamic_video_name(label: str, index: int, videos: int) -> str:
    """``swipe_left_01.mp4`` ... (wider numbers beyond 99 videos per class)."""
    return f"{label}_{index + 1:0{max(2, len(str(videos)))}d}.mp4"


def interval_of(video: str, planned: DynamicVideo, fps: float) -> Interval:
    """The labelled interval ``[start, end + 1)`` frames in milliseconds."""
    return Interval(video, planned.start * 1000 / fps, (planned.end + 1) * 1000 / fps,
                    planned.label)


def render_video(video: Path, annotations: Path, seed: int, label_id: int, index: int,
                 size: tuple[int, int], fps: float, force: bool) -> tuple[list[Path], Interval]:
    """Render and write one video and its XML files; return those and its interval."""
    rng = dynamic_rng(seed, label_id, index)
    planned = plan_dynamic(rng, DYNAMIC_CLASSES[label_id], size, fps)
    written = write_frames(video, annotations, render_take(planned.take, rng), planned.frames,
                           size, fps, force, {})
    return written, interval_of(video.name, planned, fps)


def make_dynamic_sample(out: Path, seed: int = 0, videos: int = DYNAMIC_VIDEOS,
                        size: tuple[int, int] = (320, 240), fps: float = 10.0,
                        force: bool = False) -> DynamicSummary:
    """Generate ``videos`` deterministic videos per class of :data:`DYNAMIC_CLASSES`.

    A non-empty ``out`` is refused unless ``force``; even then only the files this function
    generates are replaced. Video ``k`` of a class is the same whatever ``videos`` is.
    """
    start = time.perf_counter()
    out, size = Path(out), (int(size[0]), int(size[1]))
    if videos < 2:
        raise GestureKitError(f"--videos must be at least 2 per class (train and val), "
                              f"got {videos}", out)
    if min(size) < MIN_SIDE or size[0] % 2 or size[1] % 2:
        raise GestureKitError(f"--size {size[0]}x{size[1]}: width and height must be even and "
                              f"at least {MIN_SIDE}", out)
    if not 5 <= fps <= 120:
        raise GestureKitError(f"--fps must be between 5 and 120 for dynamic gestures, got {fps}",
                              out)
    check_out_dir(out, force)
    video_dir, ann_dir = out / VIDEOS_DIR, out / ANNOTATIONS_DIR
    video_dir.mkdir(parents=True, exist_ok=True)
    ann_dir.mkdir(parents=True, exist_ok=True)
    summary = DynamicSummary(root=out, splits={name: [] for name in SPLITS})
    with tqdm(total=videos * len(DYNAMIC_CLASSES), desc="sample --dynamic", unit="video",
              leave=False) as progress:
        for label_id, label in enumerate(DYNAMIC_CLASSES):
            val = val_indices(seed, label_id, videos)
            for index in range(videos):
                video = video_dir / dynamic_video_name(label, index, videos)
                written, interval = render_video(video, ann_dir, seed, label_id, index, size,
                                                 fps, force)
                summary.annotations += written
                summary.videos.append(video)
                summary.intervals.append(interval)
                split = "val" if index in val else "train"
                summary.splits[split].append(VideoEntry(video.name, label_id))
                progress.update(1)
    write_classes(DYNAMIC_CLASSES, out / CLASSES_FILE)
    for name, entries in summary.splits.items():
        write_video_list(entries, out / f"{name}.txt")
    write_intervals(summary.intervals, out / INTERVALS_FILE)
    written_files = set(summary.videos) | set(summary.annotations)
    summary.leftovers = sorted(p for folder in (video_dir, ann_dir) for p in folder.iterdir()
                               if p not in written_files)
    summary.seconds = time.perf_counter() - start
    return summary
