"""Fixed-length snippets of labelled videos for gesture / no-gesture classifiers.

A snippet covers ``length_ms`` of video: ``n = round(length_ms * fps / 1000)`` consecutive
frames starting at frame ``a`` (time ``[a / fps, (a + n) / fps)``), of which every
``sample_rate``-th is kept (frames ``a, a + R, ...``: ``ceil(n / R)`` frames). Snippets
start every ``stride_ms`` (default: ``length_ms``, i.e. back to back) and only whole ones are
cut. A snippet is positive (``gesture/``) when at least ``iou`` of its time lies inside
gesture intervals (rows of ``intervals.csv`` whose label is not a negative label), else
``nongesture/``. Each video goes whole to one split; files are written to
``ROOT/<name>_length_<L>_sample_rate_<R>_iou_<T>/{train,val,test}/{gesture,nongesture}/``
as ``<video>_<start frame:06d>.npz`` holding ``video`` (T x H x W x 3 uint8, RGB) and
metadata (``source``, ``start_frame``, ``frame_ids``, ``fps``, ``overlap``, ``label``).
"""
from __future__ import annotations

import io
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Sequence

import numpy as np

from voc_tools.errors import GestureKitError
from voc_tools.frames import FrameSelection, iter_kept_frames, probe_video
from voc_tools.split import SUBSETS, _assign, _check_fractions  # the kit's balanced split

from .intervals import Interval, format_ms, read_intervals
from .videolist import read_video_list

POSITIVE, NEGATIVE = "gesture", "nongesture"
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
NEGATIVE_LABELS = ("no_gesture",)


@dataclass(frozen=True)
class SnippetSpec:
    """How snippets are cut and labelled."""

    length_ms: float
    sample_rate: int
    iou: float
    stride_ms: float | None = None

    def validate(self) -> "SnippetSpec":
        if not self.length_ms > 0:
            raise GestureKitError(f"--length-ms must be positive, got {self.length_ms:g}")
        if self.sample_rate < 1:
            raise GestureKitError(f"--sample-rate must be at least 1, got {self.sample_rate}")
        if not 0 < self.iou <= 1:
            raise GestureKitError(f"--iou must be in (0, 1], got {self.iou:g}")
        if self.stride_ms is not None and not self.stride_ms > 0:
            raise GestureKitError(f"--stride-ms must be positive, got {self.stride_ms:g}")
        return self

    def folder_name(self, name: str) -> str:
        """``<name>_length_<L>_sample_rate_<R>_iou_<T>``."""
        return (f"{name}_length_{format_ms(self.length_ms)}_sample_rate_{self.sample_rate}"
                f"_iou_{self.iou:g}")

    def span(self, fps: float) -> int:
        """Video frames one snippet covers at ``fps``."""
        return max(1, round(self.length_ms * fps / 1000))

    def step(self, fps: float) -> int:
        """Frames between snippet starts at ``fps``."""
        return max(1, round((self.stride_ms or self.length_ms) * fps / 1000))


@dataclass(frozen=True)
class Snippet:
    """One planned snippet of a video."""

    video: str
    start: int  # 0-based first frame
    frame_ids: tuple[int, ...]
    fps: float
    overlap: float  # fraction of the snippet's time inside gesture intervals
    label: str  # the gesture label overlapping most, or ''
    positive: bool

    @property
    def kind(self) -> str:
        return POSITIVE if self.positive else NEGATIVE

    def file_name(self) -> str:
        stem = str(PurePosixPath(self.video).with_suffix("")).replace("/", "__")
        return f"{stem}_{self.start:06d}.npz"


@dataclass
class SnippetResult:
    """What :func:`make_snippets` wrote."""

    root: Path
    counts: dict[str, Counter] = field(default_factory=dict)  # split -> kind -> count
    videos: dict[str, str] = field(default_factory=dict)  # video -> split
    skipped_videos: list[str] = field(default_factory=list)  # too short or not in a list
    dropped: int = 0  # planned from the container's frame count, but the video ended first
    frames: int = 0  # frames per snippet (at the sample video's fps)

    def lines(self) -> list[str]:
        """The report: one line per split, then the output folder."""
        out = []
        for split in SUBSETS:
            count = self.counts.get(split, Counter())
            videos = sum(1 for s in self.videos.values() if s == split)
            out.append(f"{split}: {count[POSITIVE]} {POSITIVE}, {count[NEGATIVE]} {NEGATIVE} "
                       f"({videos} videos)")
        note = (f"; {len(self.skipped_videos)} video(s) skipped (shorter than a snippet or "
                f"in no split list)" if self.skipped_videos else "")
        if self.dropped:
            note += f"; {self.dropped} snippet(s) past the last readable frame dropped"
        out.append(f"{sum(sum(c.values()) for c in self.counts.values())} snippets of "
                   f"{self.frames} frames{note} -> {self.root}")
        return out


def overlap_ms(intervals: Sequence[Interval], start_ms: float, end_ms: float) -> float:
    """Time of ``[start_ms, end_ms)`` covered by the union of ``intervals``."""
    covered, edge = 0.0, start_ms
    for interval in sorted(intervals, key=lambda i: i.start_ms):
        lo, hi = max(interval.start_ms, edge), min(interval.end_ms, end_ms)
        if hi > lo:
            covered += hi - lo
            edge = hi
    return covered


def plan_video(video: str, frames: int, fps: float, spec: SnippetSpec,
               gestures: Sequence[Interval]) -> list[Snippet]:
    """All whole snippets of a video of ``frames`` frames, labelled by ``gestures``."""
    span, step = spec.span(fps), spec.step(fps)
    planned = []
    for start in range(0, frames - span + 1, step):
        start_ms, end_ms = start * 1000 / fps, (start + span) * 1000 / fps
        overlap = overlap_ms(gestures, start_ms, end_ms) / (end_ms - start_ms)
        best = max(gestures, key=lambda i: i.overlap_ms(start_ms, end_ms), default=None)
        label = best.label if best and best.overlap_ms(start_ms, end_ms) > 0 else ""
        planned.append(Snippet(video, start, tuple(range(start, start + span,
                                                         spec.sample_rate)),
                               fps, overlap, label, overlap >= spec.iou - 1e-9))
    return planned


def find_videos(videos_dir: Path) -> list[str]:
    """Video files under ``videos_dir`` (relative, '/'-separated, sorted)."""
    if not videos_dir.is_dir():
        raise GestureKitError("no such videos folder", videos_dir)
    found = sorted(p.relative_to(videos_dir).as_posix() for p in videos_dir.rglob("*")
                   if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS)
    if not found:
        raise GestureKitError(f"no video files ({', '.join(VIDEO_EXTENSIONS)})", videos_dir)
    return found


def parse_split(text: str) -> dict[str, float]:
    """``val=0.2,test=0.1`` -> train/val/test fractions (a missing key keeps its default:
    val 0.2, test 0.1; ``test=0`` for no test split)."""
    given: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        if key.strip() not in ("val", "test"):
            raise GestureKitError(f"--split: expected val=F[,test=F], got {text!r}")
        try:
            given[key.strip()] = float(value)
        except ValueError:
            raise GestureKitError(f"--split: {part!r} is not NAME=FRACTION") from None
    return _check_fractions(given.get("val", 0.2), given.get("test", 0.1))


def lists_assignment(lists: Sequence[Path]) -> dict[str, str]:
    """``video -> split`` from video lists named after their split (train.txt, val.txt ...)."""
    assignment: dict[str, str] = {}
    for path in lists:
        split = Path(path).stem
        if split not in SUBSETS:
            raise GestureKitError(f"a split list must be named train, val or test (.txt), "
                                  f"got {Path(path).name}", path)
        for entry in read_video_list(path):
            other = assignment.setdefault(entry.video, split)
            if other != split:
                raise GestureKitError(f"{entry.video} is listed in both {other} and {split}",
                                      path)
    return assignment


def balanced_assignment(plans: dict[str, list[Snippet]], fractions: dict[str, float],
                        seed: int) -> dict[str, str]:
    """``video -> split``: whole videos, gesture and nongesture counts near ``fractions``."""
    counts = {video: Counter(s.kind for s in snippets) for video, snippets in plans.items()}
    return _assign({video: [video] for video in plans}, counts, fractions, seed)


def save_snippet(path: Path, clip: np.ndarray, snippet: Snippet) -> None:
    """Write one compressed ``.npz`` atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, video=clip, source=np.array(snippet.video),
                        start_frame=np.int64(snippet.start),
                        frame_ids=np.array(snippet.frame_ids, np.int64),
                        fps=np.float64(snippet.fps), overlap=np.float64(snippet.overlap),
                        label=np.array(snippet.label))
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(buffer.getvalue())
    os.replace(tmp, path)


def cut_video(path: Path, snippets: list[Snippet], folders: dict[str, Path],
              size: tuple[int, int] | None) -> list[Snippet]:
    """Decode ``path`` once and write its snippets; return those written (a snippet past
    the last decodable frame, when the container promised more, is not)."""
    import cv2

    wanted: dict[int, list[Snippet]] = {}
    for snippet in snippets:
        for index in snippet.frame_ids:
            wanted.setdefault(index, []).append(snippet)
    last = max(wanted, default=-1)
    frames: dict[int, np.ndarray] = {}
    pending = {s: len(s.frame_ids) for s in snippets}
    written: list[Snippet] = []
    info = probe_video(path)
    selection = FrameSelection(end=(last + 1) / info.fps)
    for index, image in iter_kept_frames(info, selection, lambda i: i in wanted):
        if image is None:
            continue
        if size is not None:
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        frames[index] = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        for snippet in wanted[index]:
            pending[snippet] -= 1
            if pending[snippet] == 0:
                clip = np.stack([frames[i] for i in snippet.frame_ids])
                save_snippet(folders[snippet.kind] / snippet.file_name(), clip, snippet)
                written.append(snippet)
        for done in [i for i in frames if all(pending[s] == 0 for s in wanted[i])]:
            del frames[done]
    return written


def prepare_root(root: Path, overwrite: bool) -> dict[str, dict[str, Path]]:
    """The six output folders; existing snippets are refused unless ``overwrite``."""
    folders = {split: {kind: root / split / kind for kind in (POSITIVE, NEGATIVE)}
               for split in SUBSETS}
    old = [p for kinds in folders.values() for f in kinds.values() if f.is_dir()
           for p in f.glob("*.npz")]
    if old and not overwrite:
        raise GestureKitError(f"already holds {len(old)} snippets; use --overwrite to "
                              f"rebuild them", root)
    for path in old:
        path.unlink()
    for kinds in folders.values():
        for folder in kinds.values():
            folder.mkdir(parents=True, exist_ok=True)
    return folders


def default_name(videos_dir: Path) -> str:
    """The ``--videos`` folder's name, or its parent's when it is called ``videos``."""
    folder = videos_dir.resolve()
    return folder.parent.name if folder.name == "videos" else folder.name


def make_snippets(videos_dir: str | Path, intervals: str | Path, out: str | Path,
                  spec: SnippetSpec, name: str | None = None,
                  split: dict[str, float] | None = None,
                  split_lists: Sequence[str | Path] = (), seed: int = 0,
                  negative_labels: Sequence[str] = NEGATIVE_LABELS,
                  size: tuple[int, int] | None = None, overwrite: bool = False,
                  progress: bool = True) -> SnippetResult:
    """Cut snippets of every video under ``videos_dir`` and write them under ``out``.

    Splits come from ``split_lists`` (video lists named train/val/test; unlisted videos are
    skipped) or else from ``split`` fractions (default :func:`parse_split` ``""``), balanced over
    gesture and nongesture snippet counts with whole videos.
    """
    from tqdm import tqdm

    spec.validate()
    videos_dir, out = Path(videos_dir), Path(out)
    if size is not None and min(size) < 1:
        raise GestureKitError(f"--size must be positive, got {size[0]}x{size[1]}")
    videos = find_videos(videos_dir)
    rows = read_intervals(intervals)
    unknown = sorted({row.video for row in rows} - set(videos))
    if unknown:
        raise GestureKitError(f"interval for {unknown[0]!r}, which is not a video in "
                              f"{videos_dir}", intervals)
    gestures: dict[str, list[Interval]] = {}
    for row in rows:
        if row.label not in negative_labels:
            gestures.setdefault(row.video, []).append(row)
    assignment = lists_assignment([Path(p) for p in split_lists]) if split_lists else None
    if assignment is not None:
        missing = sorted(set(assignment) - set(videos))
        if missing:
            raise GestureKitError(f"a split list names {missing[0]!r}, which is not a video "
                                  f"in {videos_dir}")

    root = out / spec.folder_name(name or default_name(videos_dir))
    result = SnippetResult(root=root)
    plans: dict[str, list[Snippet]] = {}
    for video in videos:
        if assignment is not None and video not in assignment:
            result.skipped_videos.append(video)
            continue
        info = probe_video(videos_dir / video)
        frames = info.frame_count or sum(  # no count in the container: grab them all
            1 for _ in iter_kept_frames(info, FrameSelection(), lambda i: False))
        planned = plan_video(video, frames, info.fps, spec, gestures.get(video, []))
        if planned:
            plans[video] = planned
            result.frames = result.frames or len(planned[0].frame_ids)
        else:
            result.skipped_videos.append(video)
    if not plans:
        raise GestureKitError(f"no video is at least {format_ms(spec.length_ms)} ms long",
                              videos_dir)
    if assignment is None:
        assignment = balanced_assignment(plans, split or parse_split(""), seed)
    folders = prepare_root(root, overwrite)
    for video in tqdm(sorted(plans), desc="snippets", unit="video", disable=not progress,
                      leave=False):
        target = assignment[video]
        written = cut_video(videos_dir / video, plans[video], folders[target], size)
        result.videos[video] = target
        result.counts.setdefault(target, Counter()).update(s.kind for s in written)
        result.dropped += len(plans[video]) - len(written)
    return result
