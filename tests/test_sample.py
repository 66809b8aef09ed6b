"""The synthetic sample: determinism, exact boxes, readable videos, the ``sample`` verb."""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from gesturekit.cli import sample as sample_verb
from sample_data import CLASSES, make_sample, mask_box, render_frame
from sample_data.hands import DROP, GRAB
from sample_data.render import box_iou, compose, random_pose
from sample_data.scenes import make_scene
from sample_data.sheet import sample_preview
from sample_data.takes import gesture_schedule
from voc_tools.annotation import read_annotation
from voc_tools.classes import read_classes
from voc_tools.errors import GestureKitError

VIDEOS, FRAMES, SIZE = 2, 30, (320, 240)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "out"
    make_sample(out, seed=3, videos=VIDEOS, frames=FRAMES, size=SIZE)
    return out


def first_frame(video: Path) -> np.ndarray:
    capture = cv2.VideoCapture(str(video))
    ok, image = capture.read()
    capture.release()
    assert ok, video
    return image


def xml_files(root: Path) -> list[Path]:
    return sorted((root / "annotations").glob("*.xml"))


def run_verb(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    sample_verb.add_arguments(parser)
    return sample_verb.run(parser.parse_args(argv))


def test_same_seed_gives_identical_files_and_frames(sample: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    make_sample(again, seed=3, videos=VIDEOS, frames=FRAMES, size=SIZE)
    first, second = xml_files(sample), xml_files(again)
    assert [p.name for p in first] == [p.name for p in second]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, second))
    for video in ("take01.mp4", "take02.mp4"):
        assert np.array_equal(first_frame(sample / "videos" / video),
                              first_frame(again / "videos" / video))


def test_other_seed_gives_other_data(sample: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    make_sample(other, seed=4, videos=1, frames=FRAMES, size=SIZE)
    assert (other / "annotations/take01_000000.xml").read_bytes() != \
        (sample / "annotations/take01_000000.xml").read_bytes()


def test_every_frame_has_an_annotation_with_boxes_inside(sample: Path) -> None:
    files = xml_files(sample)
    assert len(files) == VIDEOS * FRAMES
    assert read_classes(sample) == CLASSES == [GRAB, DROP]
    for take in range(1, VIDEOS + 1):
        for index in range(FRAMES):
            xml = sample / "annotations" / f"take{take:02d}_{index:06d}.xml"
            ann = read_annotation(xml)
            assert ann.filename == xml.with_suffix(".jpg").name
            assert (ann.width, ann.height, ann.depth) == (*SIZE, 3)
            assert ann.folder == "JPEGImages"
            assert 1 <= len(ann.boxes) <= 2
            for box in ann.boxes:
                assert box.name in CLASSES
                assert 1 <= box.xmin < box.xmax <= ann.width
                assert 1 <= box.ymin < box.ymax <= ann.height
                # hands are 20-45 % of the frame height (rotation may shrink the box a bit)
                assert 0.12 * ann.height <= box.height <= 0.5 * ann.height


def test_each_take_shows_both_gestures_and_two_hands_stay_apart(sample: Path) -> None:
    two_hands = 0
    for take in range(1, VIDEOS + 1):
        names = set()
        for xml in (sample / "annotations").glob(f"take{take:02d}_*.xml"):
            boxes = read_annotation(xml).boxes
            names |= {b.name for b in boxes}
            if len(boxes) == 2:
                two_hands += 1
                a, b = ([x.xmin, x.ymin, x.xmax, x.ymax] for x in boxes)
                assert box_iou(a, b) < 0.1, xml
        assert names == {GRAB, DROP}, take
    assert two_hands > 0


def test_short_takes_still_switch_gesture() -> None:
    for seed in range(20):
        assert set(gesture_schedule(np.random.default_rng(seed), 2)) == {GRAB, DROP}


def test_videos_read_back_with_all_frames(sample: Path) -> None:
    videos = sorted((sample / "videos").glob("*.mp4"))
    assert [v.name for v in videos] == ["take01.mp4", "take02.mp4"]
    for video in videos:
        capture = cv2.VideoCapture(str(video))
        count = 0
        while True:
            ok, image = capture.read()
            if not ok:
                break
            assert image.shape == (SIZE[1], SIZE[0], 3)
            count += 1
        capture.release()
        assert count == FRAMES


@pytest.mark.parametrize("seed", range(6))
def test_boxes_are_the_tight_extent_of_the_drawn_hand(seed: int) -> None:
    """The box encloses exactly the mask, and the pixels the hand changed end at it."""
    rng = np.random.default_rng(seed)
    scene = replace(make_scene(rng, SIZE), blur=0.0)
    pose = random_pose(rng, SIZE)
    with_hand = compose(scene, [pose], np.random.default_rng(99))
    without = compose(scene, [], np.random.default_rng(99))
    [box], [mask] = with_hand.boxes, with_hand.masks
    rows, cols = np.nonzero(mask)
    assert (box.xmin, box.ymin, box.xmax, box.ymax) == \
        (cols.min() + 1, rows.min() + 1, cols.max() + 1, rows.max() + 1)
    changed_rows, changed_cols = np.nonzero(np.any(with_hand.image != without.image, axis=2))
    # antialiased edge pixels (coverage < 50 %) may lie at most 2 px outside the box
    assert 0 <= box.xmin - 1 - changed_cols.min() <= 2
    assert 0 <= changed_cols.max() - (box.xmax - 1) <= 2
    assert 0 <= box.ymin - 1 - changed_rows.min() <= 2
    assert 0 <= changed_rows.max() - (box.ymax - 1) <= 2
    assert mask_box(mask, pose.gesture) == box


def test_render_frame_is_reproducible_and_hands_do_not_touch() -> None:
    a = render_frame(np.random.default_rng(5), second_hand=1.0)
    b = render_frame(np.random.default_rng(5), second_hand=1.0)
    assert np.array_equal(a.image, b.image) and a.boxes == b.boxes
    two = [render_frame(np.random.default_rng(s), second_hand=1.0) for s in range(10)]
    assert any(len(f.masks) == 2 for f in two)
    for frame in two:
        if len(frame.masks) == 2:
            assert not np.any(frame.masks[0] & frame.masks[1])


def test_open_hand_and_fist_differ_in_shape() -> None:
    """Same scale: the open hand covers a much larger, less filled box than the fist."""
    rng = np.random.default_rng(0)
    stats = {}
    for gesture in (GRAB, DROP):
        frame = compose(make_scene(rng, SIZE), [replace(random_pose(rng, SIZE, gesture),
                                                         angle=0.0)], rng)
        [box], [mask] = frame.boxes, frame.masks
        stats[gesture] = (box.height / box.width, mask.sum() / (box.width * box.height))
    assert stats[DROP][1] < stats[GRAB][1] - 0.1  # gaps between spread fingers


def test_verb_refuses_a_non_empty_folder_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "notes.txt"
    mine.write_text("mine")
    with pytest.raises(GestureKitError, match="not empty"):
        run_verb([str(out), "--videos", "1", "--frames", "4"])
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert run_verb([str(out), "--videos", "1", "--frames", "4", "--force"]) == 0
    assert mine.read_text() == "mine"
    assert len(xml_files(out)) == 4


def test_verb_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(GestureKitError, match="--frames"):
        run_verb([str(tmp_path / "a"), "--frames", "1"])
    with pytest.raises(GestureKitError, match="--size"):
        run_verb([str(tmp_path / "b"), "--size", "321x240"])
    with pytest.raises(SystemExit):
        run_verb([str(tmp_path / "c"), "--size", "big"])


def test_defaults_take_seconds(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert run_verb([str(tmp_path / "out")]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("sample: 4 videos, 240 frames, boxes: grab ")
    summary = make_sample(tmp_path / "out", force=True)
    assert summary.seconds < 30  # ~2-3 s on 2 cores; generous for a busy machine
    assert summary.leftovers == []


def test_contact_sheet(sample: Path, tmp_path: Path) -> None:
    png = sample_preview(sample, tmp_path / "sheet.png", per_video=4, columns=4)
    sheet = cv2.imread(str(png))
    assert sheet.shape == (SIZE[1] * VIDEOS, SIZE[0] * 4, 3)
