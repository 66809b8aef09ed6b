"""Clip datasets: rawframes format, the dynamic sample, ``clips dump`` and ``snippets``."""
from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from gesturekit.clips import ClipRecord, frame_path, read_rawframes_annotation, write_rawframes_annotation
from gesturekit.clips.intervals import read_intervals
from gesturekit.clips.videolist import read_video_list
from gesturekit.cli import main as gesturekit
from sample_data import DYNAMIC_CLASSES, make_dynamic_sample
from voc_tools.annotation import read_annotation
from voc_tools.classes import read_classes
from voc_tools.errors import GestureKitError
from voc_tools.naming import frame_name

PER_CLASS, SEED = 3, 7


def video_frames(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def one_line_error(argv: list[str], capsys: pytest.CaptureFixture) -> str:
    """Run the CLI, expect exit 2 and return its single stderr line."""
    capsys.readouterr()
    assert gesturekit(argv) == 2
    lines = [line for line in capsys.readouterr().err.splitlines()
             if line.strip() and "%|" not in line]  # tqdm redraws its bar with \r
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"gesturekit {argv[0]}: error: ")
    return lines[0]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dynamic sample (3 videos per class) made through the CLI."""
    out = tmp_path_factory.mktemp("dynamic") / "sample"
    assert gesturekit(["sample", str(out), "--dynamic", "--videos", str(PER_CLASS),
                       "--seed", str(SEED)]) == 0
    return out


@pytest.fixture(scope="module")
def lengths(sample: Path) -> dict[str, int]:
    """Decoded frame count of every sample video."""
    return {p.name: len(video_frames(p)) for p in sorted((sample / "videos").glob("*.mp4"))}


@pytest.fixture(scope="module")
def dumped(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("dump") / "data"
    assert gesturekit(["clips", "dump", "--videos", str(sample / "videos"), "--annotation",
                       str(sample / "train.txt"), str(sample / "val.txt"), "--out", str(data),
                       "--intervals", str(sample / "intervals.csv")]) == 0
    return data


# --- rawframes format -------------------------------------------------------------------

def test_rawframes_round_trip_and_frame_paths(tmp_path: Path) -> None:
    records = [ClipRecord("swipe_left_01", 0, 1, 27, 8, 15, 10.0),
               ClipRecord("sub/hands", 2, 1, 1090, 1, 1090, 24.9837941988604)]
    path = write_rawframes_annotation(records, tmp_path / "train.txt")
    assert path.read_text().splitlines() == ["swipe_left_01 0 1 27 8 15 10",
                                            "sub/hands 2 1 1090 1 1090 24.9837942"]
    back = read_rawframes_annotation(path)
    assert [(r.video_dir, r.label, r.clip_start, r.clip_end) for r in back] == \
        [(r.video_dir, r.label, r.clip_start, r.clip_end) for r in records]
    assert back[1].fps == pytest.approx(records[1].fps, rel=1e-8)
    assert back[0].frames == 27 and back[0].clip_frames == 8
    assert frame_path(tmp_path, back[1], 7) == tmp_path / "rawframes/sub/hands/00007.jpg"
    write_rawframes_annotation(records, path)  # same content: fine
    with pytest.raises(GestureKitError, match="other content"):
        write_rawframes_annotation(records[:1], path)
    write_rawframes_annotation(records[:1], path, overwrite=True)
    assert len(read_rawframes_annotation(path)) == 1


@pytest.mark.parametrize("line, message", [
    ("clip 0 1 10 1 10", "expected 7 fields"),
    ("clip zero 1 10 1 10 10", "must be integers"),
    ("clip 0 1 10 5 11 10", "do not lie inside"),
    ("clip 0 0 10 1 10 10", "1 <= start <= end"),
    ("clip 0 1 10 1 10 0", "not a positive number"),
    ("/abs/clip 0 1 10 1 10 10", "must be relative"),
    ("clip -1 1 10 1 10 10", "negative"),
])
def test_rawframes_bad_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "val.txt"
    path.write_text(f"# comment\nok 0 1 10 1 10 10\n\n{line}\n")
    with pytest.raises(GestureKitError, match=message) as err:
        read_rawframes_annotation(path)
    assert str(err.value).startswith(f"{path}:4: ") and "\n" not in str(err.value)


# --- the dynamic sample -----------------------------------------------------------------

def test_dynamic_sample_files_splits_and_intervals(sample: Path, lengths: dict[str, int]) -> None:
    assert read_classes(sample) == ["swipe_left", "swipe_right", "no_gesture"]
    train, val = read_video_list(sample / "train.txt"), read_video_list(sample / "val.txt")
    assert {e.video for e in train} | {e.video for e in val} == set(lengths)
    assert not {e.video for e in train} & {e.video for e in val}
    for label in range(3):  # balanced: 2 train + 1 val per class
        assert sum(e.label == label for e in train) == 2
        assert sum(e.label == label for e in val) == 1
    for entry in train + val:
        assert entry.video.startswith(DYNAMIC_CLASSES[entry.label])
    intervals = {i.video: i for i in read_intervals(sample / "intervals.csv")}
    assert set(intervals) == set(lengths)
    for video, frames in lengths.items():
        assert 22 <= frames <= 30  # 2.2-3 s at 10 fps
        first, last = intervals[video].frame_range(10.0)
        assert 3 <= first and last <= frames - 4, (video, first, last)  # idle before/after
        assert intervals[video].label == video.rsplit("_", 1)[0]
    image = video_frames(sample / "videos" / "swipe_left_01.mp4")[0]
    assert image.shape == (240, 320, 3)


def hand_x(sample: Path, video: str, frame: int) -> float:
    """Centre x of the hand box in a frame, as a fraction of the width."""
    box = read_annotation(sample / "annotations" / frame_name(video, frame, ".xml")).boxes[0]
    return (box.xmin + box.xmax) / 2 / 320


def test_dynamic_gestures_move_as_labelled(sample: Path) -> None:
    for interval in read_intervals(sample / "intervals.csv"):
        first, last = interval.frame_range(10.0)
        moved = hand_x(sample, interval.video, last) - hand_x(sample, interval.video, first)
        if interval.label == "swipe_left":
            assert moved < -0.25, (interval.video, moved)
        elif interval.label == "swipe_right":
            assert moved > 0.25, (interval.video, moved)
        else:
            assert abs(moved) < 0.1, (interval.video, moved)


def test_dynamic_sample_is_deterministic_and_refuses_bad_options(
        sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    again = make_dynamic_sample(tmp_path / "again", seed=SEED, videos=2)
    assert again.line().startswith("6 dynamic videos")
    video = "swipe_right_02.mp4"
    assert np.array_equal(video_frames(again.root / "videos" / video)[5],
                          video_frames(sample / "videos" / video)[5])
    rows = (sample / "intervals.csv").read_text().splitlines()
    assert f"{video}," in (again.root / "intervals.csv").read_text()
    assert [r for r in rows if r.startswith(video)] == \
        [r for r in (again.root / "intervals.csv").read_text().splitlines()
         if r.startswith(video)]
    assert "--frames does not apply" in one_line_error(
        ["sample", str(tmp_path / "x"), "--dynamic", "--frames", "20"], capsys)
    assert "at least 2 per class" in one_line_error(
        ["sample", str(tmp_path / "y"), "--dynamic", "--videos", "1"], capsys)
    assert "not empty" in one_line_error(["sample", str(sample), "--dynamic"], capsys)


# --- clips dump -------------------------------------------------------------------------

def test_dump_writes_frames_and_rawframes_annotations(
        sample: Path, dumped: Path, lengths: dict[str, int]) -> None:
    assert read_classes(dumped) == DYNAMIC_CLASSES
    intervals = {i.video: i for i in read_intervals(sample / "intervals.csv")}
    for split in ("train", "val"):
        listed = read_video_list(sample / f"{split}.txt")
        records = read_rawframes_annotation(dumped / f"{split}.txt")
        assert [r.video_dir for r in records] == [e.video[:-4] for e in listed]
        for record, entry in zip(records, listed):
            frames = lengths[entry.video]
            start_ms, end_ms = intervals[entry.video].start_ms, intervals[entry.video].end_ms
            assert (record.label, record.start_frame, record.end_frame, record.fps) == \
                (entry.label, 1, frames, 10.0)
            # at 10 fps frame i (1-based) shows at (i - 1) * 100 ms
            assert (record.clip_start, record.clip_end) == \
                (int(start_ms // 100) + 1, int(end_ms // 100))
            folder = dumped / "rawframes" / record.video_dir
            assert len(list(folder.glob("*.jpg"))) == frames
            assert frame_path(dumped, record, frames).is_file()
    record = read_rawframes_annotation(dumped / "val.txt")[0]
    first = cv2.imread(str(frame_path(dumped, record, 1)))
    original = video_frames(sample / "videos" / f"{record.video_dir}.mp4")[0]
    assert np.abs(first.astype(int) - original).mean() < 3  # the same frame, JPEG-encoded


def test_dump_resumes_and_never_overwrites(sample: Path, dumped: Path,
                                           capsys: pytest.CaptureFixture) -> None:
    base = ["clips", "dump", "--videos", str(sample / "videos"), "--annotation",
            str(sample / "train.txt"), str(sample / "val.txt"), "--out", str(dumped),
            "--intervals", str(sample / "intervals.csv")]
    stamp = frame_path(dumped, read_rawframes_annotation(dumped / "train.txt")[0], 1)
    mtime = stamp.stat().st_mtime_ns
    capsys.readouterr()
    assert gesturekit(base) == 0
    out = capsys.readouterr().out
    assert f"0 frames written ({sum(1 for _ in dumped.rglob('*.jpg'))} already there)" in out
    assert stamp.stat().st_mtime_ns == mtime
    # the whole videos as clips: a different train.txt is refused, with --overwrite written
    whole = base[:-2]
    assert "exists with other content" in one_line_error(whole, capsys)
    assert gesturekit(whole + ["--overwrite"]) == 0
    record = read_rawframes_annotation(dumped / "train.txt")[0]
    assert (record.clip_start, record.clip_end) == (1, record.end_frame)
    assert gesturekit(base + ["--overwrite"]) == 0  # back as the other tests expect


def test_dump_real_video_resized_and_limited(hands_video: Path, tmp_path: Path) -> None:
    (tmp_path / "classes.txt").write_text("hand\n")
    (tmp_path / "list.txt").write_text("hands.mp4 0\n")
    data = tmp_path / "data"
    assert gesturekit(["clips", "dump", "--videos", str(hands_video.parent), "--annotation",
                       str(tmp_path / "list.txt"), "--out", str(data), "--size", "160x90",
                       "--max-frames", "12"]) == 0
    [record] = read_rawframes_annotation(data / "list.txt")
    assert (record.video_dir, record.start_frame, record.end_frame) == ("hands", 1, 12)
    assert (record.clip_start, record.clip_end) == (1, 12)
    assert record.fps == pytest.approx(24.98, abs=0.01)
    frames = sorted((data / "rawframes" / "hands").glob("*.jpg"))
    assert [p.name for p in frames] == [f"{i:05d}.jpg" for i in range(1, 13)]
    assert cv2.imread(str(frames[-1])).shape == (90, 160, 3)
    assert read_classes(data) == ["hand"]


def test_dump_bad_inputs_are_one_line_errors(sample: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "good.mp4").write_bytes((sample / "videos" / "swipe_left_01.mp4").read_bytes())
    (videos / "broken.mp4").write_bytes(b"not a video at all" * 100)
    (tmp_path / "classes.txt").write_text("a\nb\n")

    def dump(lines: str) -> str:
        (tmp_path / "list.txt").write_text(lines)
        return one_line_error(["clips", "dump", "--videos", str(videos), "--annotation",
                               str(tmp_path / "list.txt"), "--out", str(tmp_path / "d")],
                              capsys)

    assert "list.txt: listed video missing.mp4 not found" in dump("good.mp4 0\nmissing.mp4 1\n")
    broken = dump("broken.mp4 0\n")
    assert "broken.mp4: cannot open video" in broken or "broken.mp4: no readable" in broken
    assert "list.txt:2: label id 2 is outside the classes" in dump("good.mp4 0\ngood.mp4 2\n")
    assert "list.txt:1: expected '<rel_path_to_video> <label_id>'" in dump("good.mp4\n")
    assert "list.txt:1: label id 'x' is not an integer" in dump("good.mp4 x\n")
    (tmp_path / "bad.csv").write_text("video,start_ms,end_ms,label\ngood.mp4,900,400,a\n")
    (tmp_path / "list.txt").write_text("good.mp4 0\n")
    assert "bad.csv:2: need 0 <= start_ms < end_ms" in one_line_error(
        ["clips", "dump", "--videos", str(videos), "--annotation", str(tmp_path / "list.txt"),
         "--out", str(tmp_path / "d"), "--intervals", str(tmp_path / "bad.csv")], capsys)


# --- snippets ---------------------------------------------------------------------------

def expected_snippets(sample: Path, lengths: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Hand count for L=1000 ms, R=2, T=0.5 at 10 fps: snippets of frames [a, a + 10),
    a = 0, 10, 20, ...; positive when >= 500 ms of it is inside a swipe interval."""
    counts: dict[str, tuple[int, int]] = {}
    with (sample / "intervals.csv").open() as handle:
        rows = {row["video"]: row for row in csv.DictReader(handle)}
    for video, frames in lengths.items():
        row = rows[video]
        positive = negative = 0
        for a in range(0, frames - 9, 10):
            inside = max(0.0, min(float(row["end_ms"]), a * 100 + 1000)
                         - max(float(row["start_ms"]), a * 100))
            if row["label"] != "no_gesture" and inside >= 500:
                positive += 1
            else:
                negative += 1
        counts[video] = (positive, negative)
    return counts


def snippet_files(root: Path) -> dict[tuple[str, str], list[Path]]:
    return {(split, kind): sorted((root / split / kind).glob("*.npz"))
            for split in ("train", "val", "test") for kind in ("gesture", "nongesture")}


def test_snippets_layout_and_counts(sample: Path, lengths: dict[str, int], tmp_path: Path,
                                    capsys: pytest.CaptureFixture) -> None:
    assert gesturekit(["snippets", "--videos", str(sample / "videos"), "--intervals",
                       str(sample / "intervals.csv"), "--length-ms", "1000", "--sample-rate",
                       "2", "--iou", "0.5", "--out", str(tmp_path), "--size", "64x48",
                       "--split-lists", str(sample / "train.txt"),
                       str(sample / "val.txt")]) == 0
    root = tmp_path / "sample_length_1000_sample_rate_2_iou_0.5"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("*/*/*")) == [
        f"{root.name}/{s}/{k}" for s in ("test", "train", "val")
        for k in ("gesture", "nongesture")]
    files = snippet_files(root)
    expected = expected_snippets(sample, lengths)
    for split in ("train", "val"):
        videos = [e.video for e in read_video_list(sample / f"{split}.txt")]
        assert len(files[split, "gesture"]) == sum(expected[v][0] for v in videos)
        assert len(files[split, "nongesture"]) == sum(expected[v][1] for v in videos)
    assert not files["test", "gesture"] and not files["test", "nongesture"]
    assert sum(p for p, _ in expected.values()) > 0 and sum(n for _, n in expected.values()) > 0
    out = capsys.readouterr().out
    train = read_video_list(sample / "train.txt")
    positives = sum(expected[e.video][0] for e in train)
    assert f"train: {positives} gesture," in out

    path = files["train", "gesture"][0]
    with np.load(path) as snippet:
        clip, source = snippet["video"], str(snippet["source"])
        start, ids = int(snippet["start_frame"]), list(snippet["frame_ids"])
        assert snippet["overlap"] >= 0.5 and str(snippet["label"]).startswith("swipe_")
    assert clip.shape == (5, 48, 64, 3) and clip.dtype == np.uint8
    assert ids == [start + 2 * k for k in range(5)]
    assert path.name == f"{source[:-4]}_{start:06d}.npz"
    original = video_frames(sample / "videos" / source)[ids[1]]
    rgb = cv2.cvtColor(cv2.resize(original, (64, 48), interpolation=cv2.INTER_AREA),
                       cv2.COLOR_BGR2RGB)
    assert np.abs(clip[1].astype(int) - rgb).mean() < 1  # RGB, frame ids as recorded


def test_snippets_split_keeps_videos_whole(sample: Path, lengths: dict[str, int],
                                           tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    argv = ["snippets", "--videos", str(sample / "videos"), "--intervals",
            str(sample / "intervals.csv"), "--length-ms", "800", "--sample-rate", "1",
            "--iou", "0.3", "--stride-ms", "400", "--out", str(tmp_path), "--name", "dyn",
            "--size", "32x24", "--split", "val=0.25,test=0.2"]
    assert gesturekit(argv) == 0
    root = tmp_path / "dyn_length_800_sample_rate_1_iou_0.3"
    split_of: dict[str, set[str]] = {}
    total = 0
    for (split, _), paths in snippet_files(root).items():
        total += len(paths)
        for path in paths:
            split_of.setdefault(path.name.rsplit("_", 1)[0], set()).add(split)
    assert all(len(splits) == 1 for splits in split_of.values())
    assert {next(iter(s)) for s in split_of.values()} == {"train", "val", "test"}
    # 8 frames every 4 frames: (N - 8) // 4 + 1 snippets per video
    assert total == sum((n - 8) // 4 + 1 for n in lengths.values())
    assert "already holds" in one_line_error(argv, capsys)
    assert gesturekit(argv + ["--overwrite"]) == 0
    assert sum(len(p) for p in snippet_files(root).values()) == total


def test_snippets_bad_inputs(sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base = ["snippets", "--videos", str(sample / "videos"), "--out", str(tmp_path),
            "--sample-rate", "2"]
    good = ["--intervals", str(sample / "intervals.csv"), "--length-ms", "1000"]
    assert "--iou must be in (0, 1]" in one_line_error(base + good + ["--iou", "0"], capsys)
    assert "no video is at least 9000 ms long" in one_line_error(
        base + ["--intervals", str(sample / "intervals.csv"), "--length-ms", "9000",
                "--iou", "0.5"], capsys)
    bad = tmp_path / "intervals.csv"
    bad.write_text("video,start_ms,end_ms,label\nnope.mp4,0,100,swipe_left\n")
    assert "not a video in" in one_line_error(
        base + ["--intervals", str(bad), "--length-ms", "1000", "--iou", "0.5"], capsys)
    bad.write_text("video,begin,end_ms,label\n")
    assert "missing column(s) start_ms" in one_line_error(
        base + ["--intervals", str(bad), "--length-ms", "1000", "--iou", "0.5"], capsys)
    (tmp_path / "extra.txt").write_text("swipe_left_01.mp4 0\n")
    assert "must be named train, val or test" in one_line_error(
        base + good + ["--iou", "0.5", "--split-lists", str(tmp_path / "extra.txt")], capsys)
