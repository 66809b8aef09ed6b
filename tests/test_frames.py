"""gesturekit frames: selection, naming, manifest, resumability, hostile videos."""
from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
from hostile import empty_video, frameless_video, garbage_video, run_verb

from voc_tools.errors import GestureKitError
from voc_tools.frames import FrameSelection, extract_frames
from voc_tools.naming import FRAMES_MANIFEST


@pytest.fixture
def small_video(tmp_path: Path) -> Path:
    """30 frames at 10 fps, 64x48; frame i is filled with grey level 8*i."""
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(30):
        writer.write(np.full((48, 64, 3), 8 * i, np.uint8))
    writer.release()
    return path


def manifest_rows(out: Path) -> list[dict[str, str]]:
    with (out / FRAMES_MANIFEST).open(newline="") as handle:
        return list(csv.DictReader(handle))


def frame_indices(out: Path) -> list[int]:
    return [int(r["frame_index"]) for r in manifest_rows(out)]


def test_every_nth_frame_names_and_manifest(small_video: Path, tmp_path: Path) -> None:
    out = tmp_path / "frames"
    result = extract_frames([small_video], out, FrameSelection(every=3), progress=False)
    assert [p.name for p in result.written] == [f"clip_{i:06d}.jpg" for i in range(0, 30, 3)]
    rows = manifest_rows(out)
    assert list(rows[0]) == ["frame_file", "source_video", "frame_index", "timestamp_s",
                             "video_fingerprint"]
    assert rows[4] == {"frame_file": "clip_000012.jpg", "source_video": str(small_video),
                       "frame_index": "12", "timestamp_s": "1.200000",
                       "video_fingerprint": f"{small_video.stat().st_size}:"
                                            + rows[0]["video_fingerprint"].split(":")[1]}
    # the pixels are those of the source frame with that index (grey level 8 * index)
    assert abs(cv2.imread(str(out / "clip_000012.jpg")).mean() - 96) < 3


def test_fps_and_time_range(small_video: Path, tmp_path: Path) -> None:
    extract_frames([small_video], tmp_path / "a", FrameSelection(fps=2), progress=False)
    assert frame_indices(tmp_path / "a") == [0, 5, 10, 15, 20, 25]
    extract_frames([small_video], tmp_path / "b", FrameSelection(start=1.0, end=2.0),
                   progress=False)
    assert frame_indices(tmp_path / "b") == list(range(10, 20))
    extract_frames([small_video], tmp_path / "c", FrameSelection(every=4, start=0.5, end=2.5),
                   progress=False)
    assert frame_indices(tmp_path / "c") == [5, 9, 13, 17, 21]


def test_resume_writes_nothing_new(small_video: Path, tmp_path: Path) -> None:
    out = tmp_path / "frames"
    extract_frames([small_video], out, FrameSelection(every=2), progress=False)
    manifest = (out / FRAMES_MANIFEST).read_bytes()
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.jpg")}
    again = extract_frames([small_video], out, FrameSelection(every=2), progress=False)
    assert again.written == [] and len(again.skipped) == 15
    assert again.manifest_rows_added == 0
    assert (out / FRAMES_MANIFEST).read_bytes() == manifest
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.jpg")} == stamps
    # an interrupted run: one frame lost -> only that one is written, no duplicate rows
    (out / "clip_000010.jpg").unlink()
    third = extract_frames([small_video], out, FrameSelection(every=2), progress=False)
    assert [p.name for p in third.written] == ["clip_000010.jpg"]
    assert (out / FRAMES_MANIFEST).read_bytes() == manifest
    # a wider selection adds only the new frames' rows
    extract_frames([small_video], out, FrameSelection(every=1), progress=False)
    files = [r["frame_file"] for r in manifest_rows(out)]
    assert len(files) == len(set(files)) == 30


def test_hands_video_range(hands_video: Path, tmp_path: Path) -> None:
    out = tmp_path / "hands"
    assert run_verb("frames", [str(hands_video), str(out), "--every", "5",
                               "--start", "2", "--end", "3"]) == 0
    assert frame_indices(out) == [50, 55, 60, 65, 70]
    image = cv2.imread(str(out / "hands_000050.jpg"))
    assert image.shape == (720, 1280, 3)
    assert float(manifest_rows(out)[0]["timestamp_s"]) == pytest.approx(2.0, abs=0.01)
    extract_frames([hands_video], tmp_path / "fps", FrameSelection(fps=5, start=10, end=11),
                   progress=False)
    assert frame_indices(tmp_path / "fps") == [250, 255, 260, 265, 270]


def test_two_videos_in_one_run(small_video: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.avi"
    other.write_bytes(small_video.read_bytes())
    out = tmp_path / "frames"
    extract_frames([small_video, other], out, FrameSelection(every=10), progress=False)
    assert sorted(r["frame_file"] for r in manifest_rows(out)) == [
        "clip_000000.jpg", "clip_000010.jpg", "clip_000020.jpg",
        "other_000000.jpg", "other_000010.jpg", "other_000020.jpg"]


@pytest.mark.parametrize("make", [garbage_video, empty_video, frameless_video])
def test_unreadable_videos_give_one_line_errors(make, tmp_path: Path, capsys) -> None:
    video = make(tmp_path / "bad.avi")
    with pytest.raises(GestureKitError) as err:
        extract_frames([video], tmp_path / "out", progress=False)
    assert str(video) in str(err.value)
    assert run_verb("frames", [str(video), str(tmp_path / "out")]) == 2
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and "bad.avi" in printed[0]


def test_bad_selection_and_range(small_video: Path, tmp_path: Path) -> None:
    with pytest.raises(GestureKitError, match="--end"):
        extract_frames([small_video], tmp_path / "o", FrameSelection(start=2, end=1))
    with pytest.raises(GestureKitError, match="no frames in the requested range"):
        extract_frames([small_video], tmp_path / "o", FrameSelection(start=60),
                       progress=False)
    assert not (tmp_path / "o" / FRAMES_MANIFEST).exists()  # no half-made manifest
    with pytest.raises(GestureKitError, match="share the name stem"):
        copy = tmp_path / "sub" / small_video.name
        copy.parent.mkdir()
        copy.write_bytes(small_video.read_bytes())
        extract_frames([small_video, copy], tmp_path / "o", progress=False)
