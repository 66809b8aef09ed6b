"""The dataset half of the tutorial through ``gesturekit.cli.main``, in-process.

sample -> frames (--every 2) -> voc init (--classes-file) -> voc add (--annotations)
-> split (--val 0.34 --seed 0) -> check, on a 3-video, 12-frame synthetic sample; then
re-running steps must change nothing (or refuse, for split).
"""
from __future__ import annotations

import contextlib
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hostile import tree_digest

from gesturekit.cli import main
from voc_tools.annotation import read_annotation

VIDEOS, FRAMES, EVERY = 3, 12, 2


@dataclass
class Step:
    """One CLI run: its exit code and what it printed."""

    rc: int
    out: str
    err: str


@dataclass
class Chain:
    """The folders of the tutorial run and every step's result, by name."""

    sample: Path
    frames: Path
    voc: Path
    steps: dict[str, Step] = field(default_factory=dict)


def gesturekit(*argv: str | Path) -> Step:
    """Run ``gesturekit ARGV`` in-process, capturing stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in argv])
    return Step(rc, out.getvalue(), err.getvalue())


def videos(chain: Chain) -> list[Path]:
    return sorted((chain.sample / "videos").glob("*.mp4"))


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    base = tmp_path_factory.mktemp("chain")
    run = Chain(sample=base / "sample", frames=base / "frames", voc=base / "voc")
    run.steps["sample"] = gesturekit("sample", run.sample, "--videos", VIDEOS,
                                     "--frames", FRAMES)
    run.steps["frames"] = gesturekit("frames", *videos(run), run.frames, "--every", EVERY)
    run.steps["init"] = gesturekit("voc", "init", run.voc, "--classes-file",
                                   run.sample / "classes.txt")
    run.steps["add"] = gesturekit("voc", "add", run.voc, run.frames,
                                  "--annotations", run.sample / "annotations")
    run.steps["split"] = gesturekit("split", run.voc, "--val", "0.34", "--seed", "0")
    run.steps["check"] = gesturekit("check", run.voc)
    return run


def frame_ids(chain: Chain) -> list[str]:
    return sorted(p.stem for p in chain.frames.glob("*.jpg"))


def video_of(image_id: str) -> str:
    """``take02_000004`` -> ``take02.mp4`` (the frame naming convention)."""
    return image_id.rsplit("_", 1)[0] + ".mp4"


def read_ids(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split()


def test_every_step_exits_0(chain: Chain) -> None:
    assert {name: step.rc for name, step in chain.steps.items()} == dict.fromkeys(
        chain.steps, 0), {name: step.err[-300:] for name, step in chain.steps.items()}


def test_frames_keeps_every_second_frame_of_each_video(chain: Chain) -> None:
    expected = [f"take{v:02d}_{i:06d}" for v in range(1, VIDEOS + 1)
                for i in range(0, FRAMES, EVERY)]
    assert frame_ids(chain) == expected


def test_add_copies_each_frames_xml_with_fixed_header(chain: Chain) -> None:
    voc_images = chain.voc / "JPEGImages"
    assert sorted(p.stem for p in voc_images.glob("*.jpg")) == frame_ids(chain)
    for image_id in frame_ids(chain):
        original = read_annotation(chain.sample / "annotations" / f"{image_id}.xml")
        copied = read_annotation(chain.voc / "Annotations" / f"{image_id}.xml")
        assert not original.path  # the sample writes an empty <path />
        assert copied.filename == f"{image_id}.jpg"
        assert copied.folder == "JPEGImages"
        assert Path(copied.path) == (voc_images / f"{image_id}.jpg").resolve()
        assert copied.boxes == original.boxes
        assert (copied.width, copied.height) == (original.width, original.height)
        assert (voc_images / f"{image_id}.jpg").read_bytes() == (
            chain.frames / f"{image_id}.jpg").read_bytes()
    assert (chain.voc / "classes.txt").read_text(encoding="utf-8") == (
        chain.sample / "classes.txt").read_text(encoding="utf-8")


def test_sources_csv_maps_each_image_to_its_video(chain: Chain) -> None:
    with (chain.voc / "sources.csv").open(newline="", encoding="utf-8") as handle:
        sources = {row["image_id"]: Path(row["source"]) for row in csv.DictReader(handle)}
    assert sorted(sources) == frame_ids(chain)
    for image_id, source in sources.items():
        assert source.resolve() == (chain.sample / "videos" / video_of(image_id)).resolve()


def test_split_keeps_videos_whole_and_covers_every_image_once(chain: Chain) -> None:
    sets = chain.voc / "ImageSets" / "Main"
    train, val = read_ids(sets / "train.txt"), read_ids(sets / "val.txt")
    assert train and val
    assert sorted(train + val) == frame_ids(chain)  # disjoint, complete, no duplicates
    assert sorted(read_ids(sets / "trainval.txt")) == frame_ids(chain)
    assert not (sets / "test.txt").exists()
    train_videos = {video_of(i) for i in train}
    val_videos = {video_of(i) for i in val}
    assert not train_videos & val_videos
    assert len(train_videos | val_videos) == VIDEOS


def test_check_reports_no_errors_and_counts_both_classes(chain: Chain) -> None:
    boxes = Counter(box.name for image_id in frame_ids(chain) for box in read_annotation(
        chain.sample / "annotations" / f"{image_id}.xml").boxes)
    assert set(boxes) == {"grab", "drop"}
    out = chain.steps["check"].out
    summary = next(line for line in out.splitlines() if " error(s)" in line)
    images = len(frame_ids(chain))
    assert summary.startswith(f"{images} images, {images} annotations, "
                              f"{sum(boxes.values())} boxes (drop {boxes['drop']}, "
                              f"grab {boxes['grab']}); 0 error(s)"), summary
    assert (chain.voc / "check_box_sizes.png").stat().st_size > 0


def test_voc_add_twice_changes_nothing(chain: Chain) -> None:
    before = tree_digest(chain.voc)
    again = gesturekit("voc", "add", chain.voc, chain.frames,
                       "--annotations", chain.sample / "annotations")
    assert again.rc == 0
    images = len(frame_ids(chain))
    assert f"copied 0 image(s) and 0 annotation(s); {2 * images} file(s) already present" \
        in again.out
    assert tree_digest(chain.voc) == before


def test_split_again_without_force_is_refused_in_one_line(chain: Chain) -> None:
    before = tree_digest(chain.voc / "ImageSets")
    again = gesturekit("split", chain.voc, "--val", "0.34", "--seed", "0")
    assert again.rc == 2
    lines = again.err.strip().splitlines()
    assert len(lines) == 1, again.err
    assert re.match(r"gesturekit split: error: .*ImageSets.*--force", lines[0]), lines[0]
    assert "Traceback" not in again.err
    assert tree_digest(chain.voc / "ImageSets") == before


def test_frames_again_writes_nothing_new(chain: Chain) -> None:
    before = tree_digest(chain.frames)
    again = gesturekit("frames", *videos(chain), chain.frames, "--every", EVERY)
    assert again.rc == 0
    assert again.out.startswith(f"0 frame(s) written, {len(frame_ids(chain))} already present; "
                                "0 manifest row(s) added"), again.out
    assert tree_digest(chain.frames) == before
