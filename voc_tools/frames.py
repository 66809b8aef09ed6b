"""Slice videos into JPEG frames with a resumable CSV manifest.

Frames are named ``naming.frame_name(video, index)`` where ``index`` is the frame's index
in the source video. Frames that are not kept are only ``grab()``-ed (demuxed and decoded
but never converted to BGR); kept frames are ``retrieve()``-d and JPEG-encoded. Frames
already on disk are skipped without encoding, and the manifest never gets duplicate rows.
Each row also records the video's fingerprint (size and a hash of its ends), so frames of
a different video with the same name stem are refused instead of being taken for done.
"""
from __future__ import annotations

import csv
import hashlib
import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .csv_rows import append_csv_rows
from .errors import GestureKitError
from .naming import FRAMES_MANIFEST, frame_name
from .text_io import open_csv

MANIFEST_COLUMNS = ("frame_file", "source_video", "frame_index", "timestamp_s")
#: Written by this version; manifests without it are still read (and appended to as they are).
FINGERPRINT_COLUMN = "video_fingerprint"
_ENDS = 4 * 1024 ** 2


@dataclass(frozen=True)
class FrameSelection:
    """Which frames to keep: every N-th frame or F frames per second, within [start, end)."""

    every: int | None = None
    fps: float | None = None
    start: float | None = None
    end: float | None = None

    def validate(self) -> "FrameSelection":
        if self.every is not None and self.fps is not None:
            raise GestureKitError("use either --every or --fps, not both")
        if self.every is not None and self.every < 1:
            raise GestureKitError(f"--every must be >= 1 (got {self.every})")
        if self.fps is not None and not self.fps > 0:
            raise GestureKitError(f"--fps must be > 0 (got {self.fps})")
        if self.start is not None and self.start < 0:
            raise GestureKitError(f"--start must be >= 0 (got {self.start})")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise GestureKitError(f"--end ({self.end}) must be after --start ({self.start})")
        return self

    def frame_range(self, video_fps: float) -> tuple[int, int | None]:
        """First frame index and the index past the last one (None: to the end)."""
        first = math.ceil(self.start * video_fps - 1e-6) if self.start else 0
        stop = math.ceil(self.end * video_fps - 1e-6) if self.end is not None else None
        return first, stop

    def keeps(self, index: int, first: int, video_fps: float) -> bool:
        """True when frame ``index`` (>= ``first``) is one to keep."""
        offset = index - first
        if self.fps is not None:
            # keep the first frame of each 1/fps time slot (relative to the first frame)
            slot = math.floor(offset * self.fps / video_fps + 1e-9)
            previous = math.floor((offset - 1) * self.fps / video_fps + 1e-9)
            return offset == 0 or slot != previous
        return offset % (self.every or 1) == 0


@dataclass
class FramesResult:
    """What one extraction did."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    manifest_rows_added: int = 0
    manifest: Path | None = None


@dataclass
class VideoInfo:
    path: Path
    fps: float
    frame_count: int


def probe_video(path: str | Path) -> VideoInfo:
    """Open ``path`` and read its frame rate and (container-reported) frame count."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # our one-line error says it all
    import cv2

    path = Path(path)
    if not path.is_file():
        raise GestureKitError("no such video file", path)
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise GestureKitError("cannot open video (not a video file or unsupported codec)",
                                  path)
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    finally:
        cap.release()
    if not fps > 0 or math.isnan(fps):
        raise GestureKitError("video reports no frame rate; cannot time its frames", path)
    return VideoInfo(path, fps, max(count, 0))


def read_manifest(path: Path) -> list[dict[str, str]]:
    """Rows of a frames manifest (empty when the file does not exist)."""
    if not path.is_file():
        return []
    with open_csv(path) as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            return []
        missing = set(MANIFEST_COLUMNS) - set(reader.fieldnames)
        if missing:
            raise GestureKitError(f"not a frames manifest (missing columns "
                                  f"{', '.join(sorted(missing))})", path)
        return list(reader)


def iter_kept_frames(info: VideoInfo, selection: FrameSelection,
                     want_pixels: Callable[[int], bool]) -> Iterator[tuple[int, object]]:
    """Yield ``(index, image or None)`` for every kept frame of the video.

    Skipped frames and frames in front of ``--start`` are only grabbed; a kept frame is
    retrieved (decoded to BGR) only when ``want_pixels(index)`` is true.
    """
    import cv2

    first, stop = selection.frame_range(info.fps)
    if stop is not None and stop <= first:
        raise GestureKitError(f"no frame lies between --start {selection.start} and "
                              f"--end {selection.end} at {info.fps:g} fps", info.path)
    cap = cv2.VideoCapture(str(info.path))
    if not cap.isOpened():
        raise GestureKitError("cannot open video", info.path)
    try:
        index = 0
        while stop is None or index < stop:
            if not cap.grab():
                if index == 0:
                    raise GestureKitError("no readable frames (empty or corrupt video)",
                                          info.path)
                break
            if index >= first and selection.keeps(index, first, info.fps):
                image = None
                if want_pixels(index):
                    ok, image = cap.retrieve()
                    if not ok or image is None:
                        raise GestureKitError(f"cannot decode frame {index}", info.path)
                yield index, image
            index += 1
    finally:
        cap.release()
    if index <= first:
        raise GestureKitError(f"no frames in the requested range: the video has {index} "
                              f"frames ({index / info.fps:.2f} s), --start is at frame {first}",
                              info.path)


def expected_frames(info: VideoInfo, selection: FrameSelection) -> int | None:
    """How many frames the selection keeps, from the container frame count (a tqdm total)."""
    if not info.frame_count:
        return None
    first, stop = selection.frame_range(info.fps)
    stop = info.frame_count if stop is None else min(stop, info.frame_count)
    return sum(1 for i in range(first, stop) if selection.keeps(i, first, info.fps))


def append_manifest_row(manifest: Path, row: tuple) -> None:
    """Append one row (the header first when the file is new) and flush it to disk; a row
    has a fingerprint last, dropped for a manifest written without that column."""
    columns = _manifest_columns(manifest)
    append_csv_rows(manifest, columns, [row[:len(columns)]])


def _manifest_columns(manifest: Path) -> tuple[str, ...]:
    if not manifest.is_file() or manifest.stat().st_size == 0:
        return (*MANIFEST_COLUMNS, FINGERPRINT_COLUMN)
    with open_csv(manifest) as handle:
        header = next(csv.reader(handle), [])
    return (*MANIFEST_COLUMNS, FINGERPRINT_COLUMN) if FINGERPRINT_COLUMN in header \
        else MANIFEST_COLUMNS


def video_fingerprint(path: Path) -> str:
    """``<size>:<hash>`` of a video: its size and a sha256 of its first and last 4 MiB."""
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(_ENDS))
        if size > 2 * _ENDS:
            handle.seek(size - _ENDS)
        digest.update(handle.read())
    return f"{size}:{digest.hexdigest()[:20]}"


def _refuse_other_video(info: VideoInfo, fingerprint: str, rows: list[dict[str, str]],
                        manifest: Path) -> None:
    """Frames listed under this video's names must come from this very video."""
    own = re.compile(re.escape(frame_name(info.path, 0)[:-len("000000.jpg")]) + r"\d{6}\.jpg")
    for row in rows:
        if not own.fullmatch(row["frame_file"]):
            continue
        recorded = row.get(FINGERPRINT_COLUMN) or ""
        source = Path(row["source_video"])
        if recorded:
            same = recorded == fingerprint
        else:  # a manifest of an older version: only the path can tell
            same = not source.exists() or os.path.samefile(source, info.path)
        if not same:
            raise GestureKitError(f"{manifest} already lists {row['frame_file']} from "
                                  f"another video ({source}, a different file); extract "
                                  "into another folder or rename this video", info.path)


def check_jpeg_quality(quality: int) -> int:
    """``quality`` when it is a JPEG quality OpenCV accepts (1-100), else a one-line error."""
    if not 1 <= quality <= 100:
        raise GestureKitError(f"--quality must be between 1 and 100 (got {quality})")
    return quality


def _write_jpeg(image, path: Path, quality: int) -> None:
    import cv2

    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise GestureKitError("JPEG encoding failed", path)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(encoded.tobytes())
    os.replace(tmp, path)  # a crash never leaves a half-written frame under its real name


def extract_frames(videos: Sequence[str | Path], out_dir: str | Path,
                   selection: FrameSelection = FrameSelection(),
                   jpeg_quality: int = 95, progress: bool = True) -> FramesResult:
    """Extract the selected frames of each video into ``out_dir`` and update its manifest.

    Resumable: frames already present are skipped (not re-encoded) and rows already in
    ``frames_manifest.csv`` are not repeated.
    """
    from tqdm import tqdm

    selection.validate()
    check_jpeg_quality(jpeg_quality)
    if not videos:
        raise GestureKitError("no video given")
    infos = [probe_video(v) for v in videos]  # every video must open before any work
    stems: dict[str, Path] = {}
    for info in infos:
        other = stems.setdefault(info.path.stem, info.path)
        if other != info.path:
            raise GestureKitError(f"two videos share the name stem '{info.path.stem}' "
                                  f"({other} and {info.path}); their frames would collide",
                                  info.path)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise GestureKitError("output is not a folder", out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / FRAMES_MANIFEST
    rows = read_manifest(manifest)
    listed = {row["frame_file"] for row in rows}
    fingerprints = {info.path: video_fingerprint(info.path) for info in infos}
    for info in infos:  # every video is checked before any frame is written
        _refuse_other_video(info, fingerprints[info.path], rows, manifest)
    result = FramesResult(manifest=manifest)

    for info in infos:
        bar = tqdm(total=expected_frames(info, selection), unit="frame",
                   desc=info.path.name, disable=not progress, leave=False)
        with bar:
            for index, image in iter_kept_frames(
                    info, selection,
                    lambda i, info=info: not (out_dir / frame_name(info.path, i)).exists()):
                target = out_dir / frame_name(info.path, index)
                if image is None:
                    result.skipped.append(target)
                else:
                    _write_jpeg(image, target, jpeg_quality)
                    result.written.append(target)
                if target.name not in listed:
                    append_manifest_row(manifest, (target.name, str(info.path), index,
                                                   f"{index / info.fps:.6f}",
                                                   fingerprints[info.path]))
                    listed.add(target.name)
                    result.manifest_rows_added += 1
                bar.update()
    return result


def read_video_frames(path: str | Path, count: int):  # type: ignore[no-untyped-def]
    """Yield up to ``count`` BGR frames from the start of a video, decoded once each;
    a video that cannot be opened or gives no frame is a one-line error."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise GestureKitError("cannot open video (not a video file or unsupported codec)",
                              path)
    read = 0
    try:
        while read < count:
            ok, frame = capture.read()
            if not ok:
                break
            read += 1
            yield frame
    finally:
        capture.release()
    if read == 0:
        raise GestureKitError("video has no readable frames", path)
