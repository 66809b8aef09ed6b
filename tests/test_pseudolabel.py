"""Pseudo-labels: ``gesturekit pseudolabel`` (pose route over unlabelled sample videos) and
``gesturekit train --pseudo`` (hand labels + pseudo-labelled frames, validated on hand
labels only). MediaPipe tests skip when .venv-hands is absent."""
from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from detector.card import load_card
from gesturekit.cli import main

from sample_voc import build_sample_voc

TRAIN = ["--backbone", "mobilenet128_0.25", "--weights", "none", "--head-width", "16",
         "--image-min-side", "96", "--image-max-side", "128", "--batch-size", "2",
         "--epochs", "1", "--steps", "2"]


def _error_line(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def hand_voc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's hand labels: 3 sample videos x 4 frames, split by video."""
    return build_sample_voc(tmp_path_factory.mktemp("hand"), videos=3, frames=4)


def _copy_as_pseudo(root: Path, out: Path, keep_lists: bool = False) -> Path:
    shutil.copytree(root, out)
    if not keep_lists:
        shutil.rmtree(out / "ImageSets")
        (out / "ImageSets" / "Main").mkdir(parents=True)
    return out


# --- choosing the pseudo-labelled frames (no TensorFlow, no MediaPipe) ---------------------

def test_pseudo_ids_all_or_train_list_and_min_score(hand_voc: Path, tmp_path: Path) -> None:
    from detector.pseudo import PseudoBox, pseudo_image_ids, read_pseudo_scores, \
        record_pseudo_boxes, sampling_repeats
    from voc_tools.layout import VocLayout

    pseudo = _copy_as_pseudo(hand_voc, tmp_path / "pseudo")
    ids = VocLayout(pseudo).annotated_ids()
    assert pseudo_image_ids(pseudo, ["grab", "drop"]) == ids  # no train list: all of them
    assert pseudo_image_ids(pseudo, ["drop", "grab"]) == ids  # class order does not matter

    # two boxes in the first image, the lower score decides; a later run's row wins
    record_pseudo_boxes(pseudo, [PseudoBox(ids[0], 1, "grab", 0.95),
                                 PseudoBox(ids[0], 2, "drop", 0.55),
                                 PseudoBox(ids[1], 1, "drop", 0.40)])
    record_pseudo_boxes(pseudo, [PseudoBox(ids[1], 1, "drop", 0.80)])
    assert read_pseudo_scores(pseudo) == {ids[0]: 0.55, ids[1]: 0.80}
    assert pseudo_image_ids(pseudo, ["grab", "drop"], min_score=0.5) == ids[:2]
    assert pseudo_image_ids(pseudo, ["grab", "drop"], min_score=0.6) == [ids[1]]

    assert [sampling_repeats(w) for w in (None, 1, 0.3, 0.25, 2.4, 3)] == \
        [(1, 1), (1, 1), (3, 1), (4, 1), (1, 2), (1, 3)]

    listed = _copy_as_pseudo(hand_voc, tmp_path / "listed", keep_lists=True)
    assert pseudo_image_ids(listed, ["grab", "drop"]) == VocLayout(listed).read_split("train")


def test_pseudo_ids_bad_roots_are_one_line(hand_voc: Path, tmp_path: Path) -> None:
    from detector.pseudo import pseudo_image_ids
    from voc_tools.errors import GestureKitError

    pseudo = _copy_as_pseudo(hand_voc, tmp_path / "pseudo")
    with pytest.raises(GestureKitError, match="no pseudolabels.csv"):
        pseudo_image_ids(pseudo, ["grab", "drop"], min_score=0.5)
    (pseudo / "pseudolabels.csv").write_text("image_id,object,class,score\nx,1,grab,high\n")
    with pytest.raises(GestureKitError, match="not a pseudo-label list"):
        pseudo_image_ids(pseudo, ["grab", "drop"], min_score=0.5)
    (pseudo / "pseudolabels.csv").write_text("image_id,object,class,score\nx,1,grab,0.2\n")
    with pytest.raises(GestureKitError, match="no pseudo-labelled image scoring >= 0.5"):
        pseudo_image_ids(pseudo, ["grab", "drop"], min_score=0.5)
    with pytest.raises(GestureKitError, match=r"classes \(grab, drop\) differ .* \(fist\)"):
        pseudo_image_ids(pseudo, ["fist"])


def test_generator_lists_hand_frames_again_then_the_pseudo_frames(
        hand_voc: Path, tmp_path: Path) -> None:
    from detector.data import VocGenerator
    from voc_tools.layout import VocLayout

    pseudo = _copy_as_pseudo(hand_voc, tmp_path / "pseudo")
    pseudo_ids = VocLayout(pseudo).annotated_ids()[:2]
    own = VocLayout(hand_voc).read_split("train")
    generator = VocGenerator(hand_voc, "train", ["grab", "drop"], repeat=3,
                             extra=[(pseudo, pseudo_ids)],
                             batch_size=2, image_min_side=240, image_max_side=320,
                             group_method="none", shuffle_groups=False)
    assert generator.size() == 3 * len(own) + 2
    assert generator.image_path(len(own)) == generator.image_path(0)  # listed again
    assert generator.image_path(3 * len(own)) == str(pseudo / "JPEGImages" /
                                                     f"{pseudo_ids[0]}.jpg")
    _, (_, labels) = generator.compute_input_output([0, 3 * len(own) + 1])
    assert (labels[:, :, -1] == 1).any(axis=1).all()  # both images bring boxes
    assert generator.load_image(len(own)).shape == (240, 320, 3)  # a repeat of image 0
    assert len(generator._cache) == 2  # one cached copy per image, not per listing


# --- gesturekit train --pseudo ----------------------------------------------------------

def test_train_pseudo_with_other_classes_is_one_line(hand_voc: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    pseudo = _copy_as_pseudo(hand_voc, tmp_path / "pseudo")
    (pseudo / "classes.txt").write_text("grab\nwave\n")
    run = tmp_path / "run"
    assert main(["train", str(hand_voc), "--out", str(run), "--pseudo", str(pseudo),
                 *TRAIN]) == 2
    err = _error_line(capsys)
    assert "classes (grab, wave) differ" in err and "--classes-from" in err
    assert not run.exists()  # refused before the run folder was made

    assert main(["train", str(hand_voc), "--out", str(run), "--pseudo-min-score", "0.7",
                 *TRAIN]) == 2
    assert "--pseudo-min-score needs --pseudo" in _error_line(capsys)
    (pseudo / "classes.txt").write_text("drop\ngrab\n")
    assert main(["train", str(hand_voc), "--out", str(run), "--pseudo", str(pseudo),
                 "--pseudo-weight", "0", *TRAIN]) == 2
    assert "--pseudo-weight must be > 0" in _error_line(capsys)
    assert not run.exists()
    assert main(["train", str(hand_voc), "--out", str(run), "--pseudo",
                 str(tmp_path / "absent"), *TRAIN]) == 2
    assert "not a VOC root" in _error_line(capsys)


@pytest.mark.slow
def test_train_pseudo_trains_on_both_validates_on_hand_labels(
        hand_voc: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from voc_tools.layout import VocLayout

    other = build_sample_voc(tmp_path / "other", videos=2, frames=3, seed=7)
    pseudo = _copy_as_pseudo(other, tmp_path / "pseudo")
    run = tmp_path / "run"
    assert main(["train", str(hand_voc), "--out", str(run), "--pseudo", str(pseudo),
                 "--pseudo-weight", "0.5", *TRAIN]) == 0
    hand = VocLayout(hand_voc)
    out = capsys.readouterr().out
    assert (f"({len(hand.read_split('train'))} hand-labelled + 6 pseudo-labelled from {pseudo}"
            ", pseudo weight 0.5)" in out)
    card = load_card(run)
    assert card.input.canvas == (96, 128)  # the sample's 4:3 frames at 96..128 px
    assert card.extra["data"] == {"root": str(hand_voc), "train_split": "train",
                    "train_images": len(hand.read_split("train")),
                    "pseudo_root": str(pseudo), "pseudo_images": 6, "pseudo_min_score": None,
                    "pseudo_weight": 0.5, "listed_per_pass": {"hand": 2, "pseudo": 1},
                    "val_split": "val", "val_images": len(hand.read_split("val"))}
    config = json.loads((run / "train_config.json").read_text())
    assert config["pseudo_root"] == str(pseudo) and config["root"] == str(hand_voc)
    with (run / "metrics.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1 and 0.0 <= float(rows[0]["map"]) <= 1.0  # mAP on the hand val


# --- gesturekit pseudolabel (MediaPipe) -------------------------------------------------

def _hands_or_skip() -> None:
    from gesturekit.pose.hands import hands_python
    from voc_tools.errors import GestureKitError

    try:
        hands_python()
    except GestureKitError as err:
        pytest.skip(f"MediaPipe environment (.venv-hands) absent: {err}")


def _run(argv: list[str], capsys: pytest.CaptureFixture) -> str:
    assert main(argv) == 0, (argv, capsys.readouterr().err)
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def pose_model(hand_voc: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A pose classifier trained through the CLI on the hand labels' keypoints, and two
    unlabelled sample videos (another seed) plus a folder with one hand-less frame."""
    _hands_or_skip()
    import cv2
    import numpy as np

    base = tmp_path_factory.mktemp("pseudo")
    assert main(["keypoints", str(hand_voc), "--out", str(base / "kp.npz")]) == 0
    assert main(["pose-train", str(base / "kp.npz"), "--out", str(base / "pose"),
                 "--epochs", "30", "--quiet"]) == 0
    assert main(["sample", str(base / "unlabelled"), "--videos", "2", "--frames", "5",
                 "--seed", "3"]) == 0
    blank = base / "blank"
    blank.mkdir()
    assert cv2.imwrite(str(blank / "wall_000000.jpg"), np.full((240, 320, 3), 90, np.uint8))
    return {"pose": base / "pose", "keypoints": base / "kp.npz",
            "videos": sorted((base / "unlabelled" / "videos").glob("*.mp4")),
            "truth": base / "unlabelled" / "annotations", "blank": blank}


@pytest.mark.slow  # keypoints + pose-train + MediaPipe on 11 frames: ~20 s
def test_pseudolabel_videos_make_a_checked_dataset_grouped_by_video(
        pose_model: dict, hand_voc: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    from detector.pseudo import pseudo_image_ids, read_pseudo_scores
    from voc_tools.annotation import read_annotation
    from voc_tools.check import check_dataset
    from voc_tools.classes import read_classes
    from voc_tools.layout import VocLayout
    from voc_tools.prelabels import unreviewed_prelabels
    from voc_tools.voc_init import read_sources

    out = tmp_path / "pseudo"
    argv = ["pseudolabel", *map(str, pose_model["videos"]), str(pose_model["blank"]),
            "--out", str(out), "--pose", str(pose_model["pose"]), "--classes-from",
            str(hand_voc)]
    printed = _run(argv, capsys)
    layout = VocLayout(out)
    kept = layout.annotated_ids()
    summary = printed.splitlines()[0]
    assert summary.startswith("pseudo: pose pose (score >= 0.6): 11 frame(s) seen; "
                              f"kept {len(kept)} with ")
    skipped, no_hand, low = map(int, re.search(
        r"skipped (\d+): (\d+) without a hand, (\d+) with a hand scoring < 0.6",
        summary).groups())
    assert kept and len(kept) + skipped == 11 and skipped == no_hand + low
    assert "wall_000000" not in kept and no_hand >= 1  # the wall at least

    report = check_dataset(out)
    assert report.ok, [str(p) for p in report.errors]
    assert read_classes(layout.classes_file) == read_classes(VocLayout(hand_voc).classes_file)
    sources = read_sources(out)  # frames grouped by their video for gesturekit split
    assert set(sources) == set(kept)
    assert all(Path(sources[i]).stem == i.rsplit("_", 1)[0] for i in kept)
    assert {r.image_id for r in unreviewed_prelabels(layout)} == set(kept)
    scores = read_pseudo_scores(out)
    assert set(scores) == set(kept) and min(scores.values()) >= 0.6
    truth_boxes = 0
    for image_id in kept:
        ann = read_annotation(layout.annotation_path(image_id))
        assert ann.verified is False and ann.boxes
        truth_boxes += len(read_annotation(pose_model["truth"] / f"{image_id}.xml").boxes)
    assert pseudo_image_ids(out, ["grab", "drop"]) == kept  # train --pseudo accepts it

    # split keeps each video whole; running again adds nothing and replaces nothing
    assert main(["split", str(out), "--val", "0.5"]) == 0
    val = layout.read_split("val")
    assert val and {sources[i] for i in val}.isdisjoint(
        {sources[i] for i in layout.read_split("train")})
    before = {p.name: p.read_bytes() for p in layout.annotations.iterdir()}
    again = _run(argv, capsys)
    assert f"({len(kept)} already there)" in again
    assert {p.name: p.read_bytes() for p in layout.annotations.iterdir()} == before
    assert len((out / "prelabels.csv").read_text().splitlines()) == len(kept) + 1


@pytest.mark.slow
def test_pseudolabel_counts_low_scores_and_refuses_other_classes(
        pose_model: dict, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "strict"
    printed = _run(["pseudolabel", str(pose_model["videos"][0]), "--out", str(out), "--pose",
                    str(pose_model["pose"]), "--min-score", "1", "--every", "2"], capsys)
    # frames 0, 2, 4 of a 5-frame take; no score reaches 1 (hand score x class probability)
    assert "3 frame(s) seen; kept 0 with 0 box(es) (none); skipped 3:" in printed
    assert not list((out / "Annotations").iterdir())

    other = tmp_path / "other"
    other.mkdir()
    (other / "classes.txt").write_text("wave\n")
    assert main(["pseudolabel", str(pose_model["videos"][0]), "--out", str(tmp_path / "x"),
                 "--pose", str(pose_model["pose"]), "--classes-from", str(other)]) == 2
    assert "classes grab, drop are not in classes.txt (wave)" in _error_line(capsys)


def test_pseudolabel_bad_inputs_are_one_line(hand_voc: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not a video")
    common = ["--pose", str(tmp_path / "no_model")]
    cases = [
        (["pseudolabel", str(tmp_path / "absent.mp4"), "--out", str(tmp_path / "o"), *common],
         "no such video, image or folder"),
        (["pseudolabel", str(video), "--out", str(tmp_path / "o"), "--every", "0", *common],
         "--every must be >= 1"),
        (["pseudolabel", str(video), "--out", str(tmp_path / "o"), "--min-score", "2",
          *common], "--min-score must be between 0 and 1"),
        (["pseudolabel", str(video), "--out", str(hand_voc), *common],
         "is not an earlier gesturekit pseudolabel output"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert message in _error_line(capsys)
    assert not (tmp_path / "o").exists()


def _mean_iou_with_truth(root: Path, truth: Path) -> float:
    import numpy as np

    from detector.evaluate import box_overlaps
    from voc_tools.annotation import read_annotation

    def corners(xml: Path) -> np.ndarray:
        return np.array([[b.xmin, b.ymin, b.xmax, b.ymax] for b in read_annotation(xml).boxes])

    best = [box_overlaps(corners(xml), corners(truth / xml.name)).max(axis=1)
            for xml in sorted((root / "Annotations").glob("*.xml"))]
    return float(np.concatenate(best).mean())


@pytest.mark.slow
def test_fit_boxes_moves_pseudo_boxes_to_the_users_convention(
        pose_model: dict, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from gesturekit.labeling.box_fit import MIN_ROWS, fit_boxes

    fit = fit_boxes(pose_model["keypoints"])
    assert set(fit.offsets) == {"grab", "drop"} and min(fit.rows.values()) >= MIN_ROWS
    moved = fit.apply("drop", (10.0, 20.0, 50.0, 100.0), 320, 240)
    assert moved == pytest.approx(tuple(v + 80 * d for v, d in
                                        zip((10, 20, 50, 100), fit.offsets["drop"])))
    assert fit.apply("drop", (0.0, 0.0, 320.0, 240.0), 320, 240)[2:] <= (320, 240)

    roots = {}
    # as found: MediaPipe's boxes; calibrated: moved by the pose model's learned box
    # convention (the default); fitted: --fit-boxes from the landmark file instead
    for name, extra in (("as_found", ["--no-box-calibration"]), ("calibrated", []),
                        ("fitted", ["--fit-boxes", str(pose_model["keypoints"])])):
        roots[name] = tmp_path / name
        printed = _run(["pseudolabel", *map(str, pose_model["videos"]), "--out",
                        str(roots[name]), "--pose", str(pose_model["pose"]), *extra], capsys)
    assert printed.startswith("box fit from ") and "boxes fitted to kp.npz" in printed
    # the same frames kept, boxes closer to the sample's true ones (drawn by its renderer)
    assert sorted(p.name for p in (roots["fitted"] / "Annotations").iterdir()) == \
        sorted(p.name for p in (roots["as_found"] / "Annotations").iterdir())
    ious = {name: _mean_iou_with_truth(root, pose_model["truth"]) for name, root in roots.items()}
    assert ious["fitted"] > ious["as_found"] + 0.03, ious
    assert ious["calibrated"] > ious["as_found"] + 0.03, ious
