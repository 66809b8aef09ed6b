"""``clips dump``: decode listed videos once into ``rawframes/<video>/00001.jpg`` and write
rawframes annotation files.

Input: video lists (``<rel_path_to_video> <label_id>``, paths relative to ``videos_dir``).
Output in ``data_dir``: ``rawframes/<rel_path_without_suffix>/NNNNN.jpg``, one rawframes
annotation per list under the list's file name, and ``classes.txt``. The clip of a record is
the whole video, or each labelled interval of the video when ``intervals.csv`` is given.
Resumable: frames already on disk are not re-encoded; files with other content are refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Sequence

from voc_tools.classes import CLASSES_FILE, read_classes
from voc_tools.errors import GestureKitError
from voc_tools.frames import FrameSelection, check_jpeg_quality, iter_kept_frames, probe_video
from voc_tools.frames import _write_jpeg as write_jpeg  # the kit's atomic JPEG write

from .intervals import Interval, read_intervals
from .rawframes import RAWFRAMES_DIR, ClipRecord, rawframes_text, write_rawframes_annotation
from .videolist import VideoEntry, read_video_list


@dataclass
class DumpedVideo:
    """The frames of one video on disk."""

    frames: int
    fps: float
    written: int
    skipped: int


@dataclass
class DumpResult:
    """What :func:`dump_clips` did."""

    data_dir: Path
    annotations: dict[str, list[ClipRecord]] = field(default_factory=dict)
    videos: dict[str, DumpedVideo] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)
    whole_videos: int = 0  # records without an interval when intervals were given

    def line(self) -> str:
        """The one-line report of ``gesturekit clips dump``."""
        written = sum(v.written for v in self.videos.values())
        skipped = sum(v.skipped for v in self.videos.values())
        lists = ", ".join(f"{name} {len(records)} clips"
                          for name, records in self.annotations.items())
        return (f"{len(self.videos)} videos, {written} frames written ({skipped} already "
                f"there); {lists}; {len(self.classes)} classes -> {self.data_dir}")


def video_dir_name(video: str) -> str:
    """The rawframes folder of a listed video: its relative path without the suffix."""
    return str(PurePosixPath(video).with_suffix(""))


def resolve_classes(annotation_files: Sequence[Path], classes: Path | None) -> Path:
    """``classes`` or the ``classes.txt`` beside the lists (which must all agree)."""
    if classes is not None:
        return classes
    found = {(path.parent / CLASSES_FILE).resolve() for path in annotation_files}
    texts = {p.read_bytes() if p.is_file() else b"" for p in found}
    if len(texts) > 1:
        raise GestureKitError("the lists' folders hold different classes.txt files; pass "
                              "--classes", annotation_files[0])
    return annotation_files[0].parent / CLASSES_FILE


def intervals_by_video(path: Path | None, classes: list[str]) -> dict[str, list[Interval]]:
    """The intervals of each video; labels must be class names."""
    if path is None:
        return {}
    grouped: dict[str, list[Interval]] = {}
    for interval in read_intervals(path):
        if interval.label not in classes:
            raise GestureKitError(f"interval label {interval.label!r} of {interval.video} is "
                                  f"not in classes.txt ({', '.join(classes)})", path)
        grouped.setdefault(interval.video, []).append(interval)
    return grouped


def dump_video(source: Path, target: Path, size: tuple[int, int] | None,
               max_frames: int | None, quality: int) -> DumpedVideo:
    """Write the frames of ``source`` into ``target`` as 00001.jpg ...; keep existing ones."""
    import cv2

    info = probe_video(source)
    target.mkdir(parents=True, exist_ok=True)
    result = DumpedVideo(frames=0, fps=info.fps, written=0, skipped=0)
    check_existing_size(target, size, source)
    selection = FrameSelection(end=None if max_frames is None else max_frames / info.fps)
    for index, image in iter_kept_frames(info, selection,
                                         lambda i: not (target / f"{i + 1:05d}.jpg").exists()):
        if image is None:
            result.skipped += 1
        else:
            if size is not None and image.shape[1::-1] != size:
                image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            write_jpeg(image, target / f"{index + 1:05d}.jpg", quality)
            result.written += 1
        result.frames = index + 1
    extra = target / f"{result.frames + 1:05d}.jpg"
    if extra.exists():
        raise GestureKitError(f"holds more frames than the {result.frames} of {source.name} "
                              f"(from another video or a larger --max-frames?); remove the "
                              f"folder or dump elsewhere", target)
    return result


def check_existing_size(target: Path, size: tuple[int, int] | None, source: Path) -> None:
    """Frames already in ``target`` must have the size this dump writes."""
    from voc_tools.image_io import read_image_bgr

    first = target / "00001.jpg"
    if not first.exists():
        return
    have = read_image_bgr(first).shape[1::-1]
    want = size or probe_size(source)
    if tuple(have) != tuple(want):
        raise GestureKitError(f"holds frames of {have[0]}x{have[1]}, this dump writes "
                              f"{want[0]}x{want[1]}; remove the folder or dump elsewhere",
                              target)


def probe_size(video: Path) -> tuple[int, int]:
    """Frame (width, height) a video reports."""
    import cv2

    capture = cv2.VideoCapture(str(video))
    try:
        return (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    finally:
        capture.release()


def clip_records(entry: VideoEntry, dumped: DumpedVideo, intervals: list[Interval] | None,
                 classes: list[str], where: Path) -> list[ClipRecord]:
    """The records of one listed video: the whole video, or one per interval."""
    whole = ClipRecord(video_dir_name(entry.video), entry.label, 1, dumped.frames, 1,
                       dumped.frames, dumped.fps)
    if intervals is None:
        return [whole]
    records = []
    for interval in intervals:
        if interval.label != classes[entry.label]:
            raise GestureKitError(f"{entry.video} is listed as {classes[entry.label]!r} but "
                                  f"its interval is labelled {interval.label!r}", where)
        first, last = interval.frame_range(dumped.fps)
        start, end = first + 1, min(last + 1, dumped.frames)
        if start > end:
            raise GestureKitError(f"interval {interval.start_ms:g}-{interval.end_ms:g} ms of "
                                  f"{entry.video} lies outside its {dumped.frames} dumped "
                                  f"frames", where)
        records.append(ClipRecord(whole.video_dir, entry.label, 1, dumped.frames, start, end,
                                  dumped.fps))
    return records


def dump_clips(videos_dir: str | Path, annotation_files: Sequence[str | Path],
               data_dir: str | Path, intervals: str | Path | None = None,
               classes: str | Path | None = None, size: tuple[int, int] | None = None,
               max_frames: int | None = None, overwrite: bool = False, quality: int = 95,
               progress: bool = True) -> DumpResult:
    """Dump the frames of every listed video once and write the rawframes annotations."""
    from tqdm import tqdm

    videos_dir, data_dir = Path(videos_dir), Path(data_dir)
    lists = [Path(p) for p in annotation_files]
    if not lists:
        raise GestureKitError("no annotation file given")
    if not videos_dir.is_dir():
        raise GestureKitError("no such videos folder", videos_dir)
    if max_frames is not None and max_frames < 1:
        raise GestureKitError(f"--max-frames must be at least 1, got {max_frames}")
    check_jpeg_quality(quality)
    if size is not None and min(size) < 1:
        raise GestureKitError(f"--size must be positive, got {size[0]}x{size[1]}")
    if len({p.name for p in lists}) < len(lists):
        raise GestureKitError("two annotation files share a file name; their outputs in "
                              "the data folder would collide", lists[0])
    classes_file = resolve_classes(lists, None if classes is None else Path(classes))
    names = read_classes(classes_file)
    entries = {path: read_video_list(path, names) for path in lists}
    by_video = intervals_by_video(None if intervals is None else Path(intervals), names)
    folders: dict[str, str] = {}
    for path, listed in entries.items():
        for entry in listed:
            other = folders.setdefault(video_dir_name(entry.video), entry.video)
            if other != entry.video:
                raise GestureKitError(f"{entry.video} and {other} would share one frames folder",
                                      path)
            if not (videos_dir / entry.video).is_file():
                raise GestureKitError(f"listed video {entry.video} not found in {videos_dir}",
                                      path)
    for video in folders.values():  # every video must open before any work
        probe_video(videos_dir / video)
    if data_dir.exists() and not data_dir.is_dir():
        raise GestureKitError("exists and is not a folder", data_dir)
    check_copy(classes_file, data_dir / CLASSES_FILE, overwrite)

    result = DumpResult(data_dir=data_dir, classes=names)
    for video in tqdm(sorted(folders.values()), desc="clips dump", unit="video",
                      disable=not progress, leave=False):
        result.videos[video] = dump_video(videos_dir / video,
                                          data_dir / RAWFRAMES_DIR / video_dir_name(video),
                                          size, max_frames, quality)
    for path, listed in entries.items():
        records = []
        for entry in listed:
            own = None
            if intervals is not None:
                own = by_video.get(entry.video)
                result.whole_videos += own is None
            records += clip_records(entry, result.videos[entry.video], own, names,
                                    Path(intervals or path))
        result.annotations[path.name] = records
    for name, records in result.annotations.items():  # check all before writing any
        check_text(data_dir / name, rawframes_text(records), overwrite)
    for name, records in result.annotations.items():
        write_rawframes_annotation(records, data_dir / name, overwrite=overwrite)
    (data_dir / CLASSES_FILE).write_bytes(classes_file.read_bytes())
    return result


def check_text(target: Path, text: str, overwrite: bool) -> None:
    """Refuse to replace ``target`` when it holds something else (unless ``overwrite``)."""
    if target.exists() and not overwrite and target.read_bytes() != text.encode("utf-8"):
        raise GestureKitError("exists with other content; use --overwrite to replace it",
                              target)


def check_copy(source: Path, target: Path, overwrite: bool) -> None:
    """``target`` may receive a copy of ``source``."""
    check_text(target, source.read_text(encoding="utf-8"), overwrite)
