"""The pose route: landmark features, gesturekit keypoints / pose-train / pose-eval /
pose-export on the synthetic sample (MediaPipe finds its drawn hands), the pose classifier
served beside a detector and a clip classifier, and one-line errors for bad input."""
from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from gesturekit.cli import main
from gesturekit.pose.extract import match_boxes
from gesturekit.pose.normalize import FEATURES, batch_features, hand_features
from voc_tools.annotation import read_annotation, write_annotation
from voc_tools.errors import GestureKitError

REPO = Path(__file__).resolve().parents[1]
TWO_HANDS, NO_HAND = "twohands_000000", "nohand_000000"


def hand(seed: int = 0) -> np.ndarray:
    """A plausible right hand: 21 landmarks around (0.5, 0.5), z small."""
    rng = np.random.default_rng(seed)
    points = np.zeros((21, 3), np.float32)
    points[1:, :2] = rng.uniform(-0.15, 0.15, (20, 2))
    points[1:, 2] = rng.uniform(-0.05, 0.05, 20)
    points[:, :2] += 0.5
    return points


def test_features_ignore_position_size_and_which_hand() -> None:
    right = hand()
    reference = hand_features(right, "Right")
    assert reference.shape == (FEATURES,) and reference.dtype == np.float32
    moved = right.copy()
    moved[:, :2] += [0.2, -0.1]
    bigger = right.copy()
    bigger[:, :2] = 0.5 + 1.7 * (bigger[:, :2] - 0.5)
    bigger[:, 2] *= 1.7
    left = right.copy()  # the mirror image, as MediaPipe reports the other hand
    left[:, 0] = 1 - left[:, 0]
    for other, handedness in ((moved, "Right"), (bigger, "Right"), (left, "Left")):
        np.testing.assert_allclose(hand_features(other, handedness), reference, atol=1e-5)
    # the mirror image called a right hand is another pose
    assert np.abs(hand_features(left, "Right") - reference).max() > 0.1


def test_features_see_rotation_and_pose_and_use_the_image_aspect() -> None:
    right = hand()
    angle = np.deg2rad(30)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    turned = right.copy()
    turned[:, :2] = 0.5 + (turned[:, :2] - 0.5) @ rotation.T
    reference = hand_features(right, "Right")
    assert np.abs(hand_features(turned, "Right") - reference).max() > 0.1
    assert np.abs(hand_features(hand(1), "Right") - reference).max() > 0.1
    # the same hand in pixels of a 640x480 and a 480x480 image: same features with aspect
    pixels = right[:, :2] * 400
    wide, square = right.copy(), right.copy()
    wide[:, :2], square[:, :2] = pixels / [640, 480], pixels / [480, 480]
    wide[:, 2], square[:, 2] = right[:, 2] * 400 / 640, right[:, 2] * 400 / 480
    np.testing.assert_allclose(hand_features(wide, "Right", aspect=640 / 480),
                               hand_features(square, "Right"), atol=1e-5)
    batch = batch_features(np.stack([wide, square]), ["Right", "Right"], [640 / 480, 1.0])
    np.testing.assert_allclose(batch[0], batch[1], atol=1e-5)


def test_bad_landmarks_are_one_line_errors() -> None:
    with pytest.raises(GestureKitError, match="21 x 3"):
        hand_features(np.zeros((20, 3)), "Right")
    with pytest.raises(GestureKitError, match="Left or Right"):
        hand_features(hand(), "left")


def test_two_hands_one_box_pairs_the_better_overlap() -> None:
    labelled = np.array([[100, 100, 150, 160]], float)
    hands = np.array([[10, 10, 60, 60], [104, 98, 152, 158]], float)
    pairs = match_boxes(labelled, hands, 0.3)
    assert [(b, h) for b, h, _ in pairs] == [(0, 1)] and pairs[0][2] > 0.8
    assert match_boxes(labelled, hands[:1], 0.3) == []  # no overlap: not paired


def _finger_hand(curl: float = 0.0) -> np.ndarray:
    """A right hand with straight fingers pointing up, each bent by ``curl`` radians at
    every joint."""
    points = np.zeros((21, 3), np.float32)
    points[0] = [0.5, 0.8, 0]
    for finger, first in enumerate((1, 5, 9, 13, 17)):
        points[first] = [0.4 + 0.05 * finger, 0.7, 0]
        for joint in range(1, 4):
            angle = curl * joint
            step = np.array([np.sin(angle), -np.cos(angle), 0]) * 0.04
            points[first + joint] = points[first + joint - 1] + step
    return points


def test_shape_features_see_finger_bends_not_size_rotation_or_side() -> None:
    from gesturekit.pose.normalize import (LANDMARK_FEATURES, SHAPE_FEATURES, normalized_points,
                                shape_features)

    assert FEATURES == LANDMARK_FEATURES + SHAPE_FEATURES == 60 + 24
    straight, curled = _finger_hand(0.0), _finger_hand(0.8)
    shape = shape_features(normalized_points(straight[None], ["Right"]))[0]
    assert shape.shape == (SHAPE_FEATURES,)
    joints = shape[:15].reshape(5, 3)  # per finger: at the MCP, PIP and DIP joints
    np.testing.assert_allclose(joints[:, 1:], 1.0, atol=1e-6)  # straight: cos 0 = 1
    np.testing.assert_allclose(joints[2, 0], 1.0, atol=1e-6)   # middle finger over the wrist
    bent = shape_features(normalized_points(curled[None], ["Right"]))[0]
    assert np.all(bent[15:20] < shape[15:20])                # curled fingers reach less
    np.testing.assert_allclose(bent[1:15:3], np.cos(0.8), atol=1e-5)  # pip joints
    features = hand_features(right := hand(2), "Right")
    np.testing.assert_allclose(features[:LANDMARK_FEATURES],
                               hand_features(right, "Right")[:LANDMARK_FEATURES])
    angle = np.deg2rad(40)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    turned, mirrored = right.copy(), right.copy()
    turned[:, :2] = 0.5 + 1.5 * (turned[:, :2] - 0.5) @ rotation.T
    turned[:, 2] *= 1.5
    mirrored[:, 0] = 1 - mirrored[:, 0]
    for other, side in ((turned, "Right"), (mirrored, "Right"), (mirrored, "Left")):
        np.testing.assert_allclose(hand_features(other, side)[LANDMARK_FEATURES:],
                                   features[LANDMARK_FEATURES:], atol=1e-5)


def test_models_of_the_old_features_are_refused_in_one_line(tmp_path: Path) -> None:
    from gesturekit.pose.model import FORMAT, load_info
    from gesturekit.pose.normalize import FEATURES_VERSION
    from detector.card import card_from_dict
    from gesturekit.pose.adapter import PoseAdapter

    assert FEATURES_VERSION == 2
    (tmp_path / "pose_classifier.h5").write_bytes(b"")
    (tmp_path / "pose_classifier.json").write_text(json.dumps(
        {"format": FORMAT, "version": 1, "classes": ["a", "b"], "features": 60,
         "features_version": 1}))
    with pytest.raises(GestureKitError, match=r"features v1 \(60 values\), this GestureKit "
                                              r"computes v2 \(84\); train it again"):
        load_info(tmp_path)
    card = card_from_dict({"kind": "pose_classifier", "classes": ["a", "b"],
                           "input": {"layout": "NC"}, "output": {"format": "probabilities"},
                           "pose": {"features": 60, "features_version": 1}})
    with pytest.raises(GestureKitError, match="features v1 .* train and export it again"):
        PoseAdapter(card, [], tmp_path / "m.xml")


def test_a_hand_inside_a_forearm_box_pairs_on_cover() -> None:
    labelled = np.array([[100, 100, 300, 400]], float)  # hand + forearm
    hands = np.array([[150, 110, 250, 190], [400, 10, 450, 60]], float)
    assert match_boxes(labelled, hands, 0.3) == []  # IoU 0.13
    pairs = match_boxes(labelled, hands, 0.3, cover_threshold=0.8)
    assert [(b, h) for b, h, _ in pairs] == [(0, 0)] and pairs[0][2] < 0.3
    half_in = np.array([[250, 110, 350, 190]], float)
    assert match_boxes(labelled, half_in, 0.3, cover_threshold=0.8) == []


def test_box_calibration_learns_the_labelled_boxes_convention() -> None:
    from gesturekit.pose.boxes import ALL_CLASSES, calibrate_boxes, fit_box_calibration, landmark_boxes

    rng = np.random.default_rng(0)
    landmarks = np.stack([hand(i) for i in range(12)])
    landmarks[:, :, :2] = 0.3 + 0.4 * (landmarks[:, :, :2] - 0.3)
    sizes = np.tile([640, 480], (12, 1))
    hands = landmark_boxes(landmarks, sizes, 0.15)
    width, height = hands[:, 2] - hands[:, 0], hands[:, 3] - hands[:, 1]
    labels = np.array([0] * 6 + [1] * 6)
    # class 0: the box also holds the forearm below the hand; class 1: tight on the hand
    labelled = hands + np.where(labels[:, None] == 0, [0, 0, 0, 1.5], [0.1, 0.1, -0.1, -0.1]) \
        * np.stack([width, height, width, height], 1)
    labelled += rng.normal(0, 0.5, labelled.shape)
    voc = labelled + [1, 1, 0, 0]  # as in the XML
    calibration = fit_box_calibration(landmarks, sizes, voc, labels, ["arm", "hand"], 0.15)
    assert set(calibration["offsets"]) == {ALL_CLASSES, "arm", "hand"}
    np.testing.assert_allclose(calibration["offsets"]["arm"], [0, 0, 0, 1.5], atol=0.02)
    moved = calibrate_boxes(hands, labels, ["arm", "hand"], calibration, 640, 480)
    np.testing.assert_allclose(moved, np.clip(labelled, 0, [640, 480, 640, 480]), atol=3)
    np.testing.assert_allclose(calibrate_boxes(hands, labels, ["arm", "hand"], None, 640, 480),
                               hands)
    rare = fit_box_calibration(landmarks[:3], sizes[:3], voc[:3], labels[:3], ["arm", "hand"],
                               0.15)
    assert set(rare["offsets"]) == {ALL_CLASSES}  # under 5 rows: every class's median


class _FakeLandmarker:
    """Finds ``hands`` in images whose mean is above ``brighter_than``."""

    def __init__(self, hands: list, brighter_than: float = -1.0) -> None:
        self.hands, self.brighter_than, self.seen = hands, brighter_than, []

    def detect(self, image: np.ndarray):  # type: ignore[no-untyped-def]
        from gesturekit.pose.hands import HandsResult

        self.seen.append(image.shape)
        found = self.hands if image.mean() > self.brighter_than else []
        return HandsResult(image.shape[1], image.shape[0], list(found))


def _retrying(retry, first, low=None):  # type: ignore[no-untyped-def]
    from gesturekit.pose.retry import RetryLandmarker

    landmarker = RetryLandmarker.__new__(RetryLandmarker)  # no MediaPipe worker
    landmarker.retry, landmarker.first, landmarker._low = retry, first, low
    landmarker.retried = landmarker.recovered = 0
    return landmarker


def test_second_pass_only_where_no_hand_was_found() -> None:
    from gesturekit.pose.hands import Hand
    from gesturekit.pose.retry import NO_RETRY, RetryOptions, mirrored_back

    found = Hand("Left", 0.9, hand())
    image = np.zeros((40, 60, 3), np.uint8)
    # the first pass finds a hand: no second pass
    first, low = _FakeLandmarker([found]), _FakeLandmarker([found])
    assert len(_retrying(RetryOptions(), first, low).detect(image).hands) == 1
    assert low.seen == []
    # none found: the lower confidence finds it; counted
    first = _FakeLandmarker([found], brighter_than=10)
    landmarker = _retrying(RetryOptions(confidence=0.2, mirror=False, upscale=None), first, low)
    result = landmarker.detect(image)
    assert len(result.hands) == 1 and (result.width, result.height) == (60, 40)
    assert (landmarker.retried, landmarker.recovered) == (1, 1)
    # no second pass configured: nothing tried
    assert _retrying(NO_RETRY, first).detect(image).hands == []
    # upscaled: the first landmarker sees the bigger image; landmarks stay normalised
    first = _FakeLandmarker([found], brighter_than=10)
    landmarker = _retrying(RetryOptions(confidence=None, mirror=False, upscale=2.0), first)
    assert landmarker.detect(image).hands == [] and first.seen == [(40, 60, 3), (80, 120, 3)]
    # mirrored back: x flipped, the other hand
    back = mirrored_back(type(result)(60, 40, [found])).hands[0]
    assert back.handedness == "Right"
    np.testing.assert_allclose(back.landmarks[:, 0], 1 - found.landmarks[:, 0])
    np.testing.assert_allclose(back.landmarks[:, 1:], found.landmarks[:, 1:])


def test_mirror_tta_and_class_prior() -> None:
    from gesturekit.pose.classify import class_prior, hand_probabilities
    from gesturekit.pose.normalize import LANDMARK_FEATURES

    class Sided:  # "a" for hands whose thumb tip is left of the wrist, else "b"
        classes = ["a", "b"]

        def predict(self, features: np.ndarray) -> np.ndarray:
            left = features[:, 3 * 3] < 0  # landmark 4 (thumb tip) x
            return np.where(left[:, None], [[0.9, 0.1]], [[0.2, 0.8]])

    right = hand(0)
    landmarks = np.stack([right, right])
    plain = hand_probabilities(Sided(), landmarks, ["Right", "Left"])
    assert plain.shape == (2, 2) and not np.allclose(plain[0], plain[1])
    both = hand_probabilities(Sided(), landmarks, ["Right", "Left"], mirror_tta=True)
    np.testing.assert_allclose(both, [[0.55, 0.45], [0.55, 0.45]], atol=1e-6)
    assert class_prior([30, 10], ["a", "b"], 0.0) is None
    prior = class_prior({"a": 30, "b": 10}, ["a", "b"], 1.0)
    np.testing.assert_allclose(prior, [1.5, 0.5])
    weighted = hand_probabilities(Sided(), landmarks, ["Right", "Left"], prior=prior)
    np.testing.assert_allclose(weighted.sum(axis=1), 1, atol=1e-6)
    assert weighted[:, 0].min() > plain[:, 0].min()
    with pytest.raises(GestureKitError, match="no training count of class 'b'"):
        class_prior({"a": 3}, ["a", "b"], 1.0)
    assert LANDMARK_FEATURES == 60


def test_pose_card_is_checked_in_one_line() -> None:
    from detector.card import card_from_dict

    good = {"kind": "pose_classifier", "classes": ["grab", "drop"], "input": {"layout": "NC"},
            "output": {"format": "probabilities"},
            "pose": {"features": FEATURES, "features_version": 1}}
    card = card_from_dict(good)
    assert (card.input.layout, card.pose["features"], card.pose["features_version"]) == (
        "NC", FEATURES, 1)
    with pytest.raises(GestureKitError, match="pose.features"):
        card_from_dict({**good, "pose": {}})
    with pytest.raises(GestureKitError, match="layout"):
        card_from_dict({**good, "input": {"layout": "NCHW"}})


def test_without_mediapipe_keypoints_says_how_to_install(tmp_path: Path, monkeypatch,
                                                        capsys) -> None:
    from sample_voc import build_sample_voc

    root = build_sample_voc(tmp_path, videos=2, frames=2)
    monkeypatch.setenv("GESTUREKIT_HANDS_PYTHON", str(tmp_path / "no-python"))
    capsys.readouterr()
    assert main(["keypoints", str(root), "--out", str(tmp_path / "kp.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "scripts/setup_hands.sh" in err
    assert not (tmp_path / "kp.npz").exists()


def _hands_or_skip() -> None:
    from gesturekit.pose.hands import hands_python

    try:
        hands_python()
    except GestureKitError as err:
        pytest.skip(f"MediaPipe environment (.venv-hands) absent: {err}")


def _cli(argv: list[str]) -> str:
    """Run the CLI, assert success, return its stdout."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0, argv
    return out.getvalue()


def _add_image(root: Path, image_id: str, image: np.ndarray, like: str, boxes: list) -> None:
    assert cv2.imwrite(str(root / "JPEGImages" / f"{image_id}.jpg"), image)
    ann = read_annotation(root / "Annotations" / f"{like}.xml")
    ann.filename, ann.boxes = f"{image_id}.jpg", boxes
    write_annotation(ann, root / "Annotations" / f"{image_id}.xml")


@pytest.fixture(scope="module")
def pose_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The sample (3 takes x 12 frames, seed 0) plus, outside its splits, an image with a
    labelled box but no hand and a two-hand image with one box; its landmark file and a
    pose classifier trained through the CLI."""
    _hands_or_skip()
    from sample_voc import build_sample_voc

    base = tmp_path_factory.mktemp("pose")
    root = build_sample_voc(base)
    two = "take02_000010"  # two open hands, both labelled drop: keep one box
    ann = read_annotation(root / "Annotations" / f"{two}.xml")
    assert len(ann.boxes) == 2
    _add_image(root, TWO_HANDS, cv2.imread(str(root / "JPEGImages" / f"{two}.jpg")), two,
               ann.boxes[:1])
    _add_image(root, NO_HAND, np.full((240, 320, 3), 90, np.uint8), two, ann.boxes[:1])
    keypoints, run = base / "hands.npz", base / "run"
    summary = _cli(["keypoints", str(root), "--out", str(keypoints)])
    trained = _cli(["pose-train", str(keypoints), "--out", str(run), "--epochs", "40",
                    "--quiet"])
    return {"root": root, "keypoints": keypoints, "run": run, "base": base,
            "summary": summary, "trained": trained}


@pytest.mark.slow  # the module's sample, landmarks and training: ~20 s once
def test_keypoints_match_boxes_and_report_the_rest(pose_run: dict) -> None:
    from gesturekit.pose.keypoints import load_keypoints

    keypoints = load_keypoints(pose_run["keypoints"])
    meta, report = keypoints.meta, keypoints.meta["report"]
    assert meta["classes"] == ["grab", "drop"] and meta["dataset"] == "voc"
    assert len(meta["images"]) == 38 and report["images"] == 38
    assert report["matched"] == len(keypoints) >= 30  # MediaPipe finds most drawn hands
    assert keypoints.landmarks.shape == (len(keypoints), 21, 3)
    assert set(keypoints.handedness) <= {"Left", "Right"}
    assert (keypoints.ious >= 0.3).all() and (keypoints.sizes == [320, 240]).all()
    assert NO_HAND in report["no_hand_images"]
    assert NO_HAND in [u["image"] for u in report["unmatched_boxes"]]
    # two hands, one box: the box is matched, the other hand reported as unlabelled
    assert TWO_HANDS in keypoints.image_ids
    assert [u["image"] for u in report["unlabelled_hands"]].count(TWO_HANDS) == 1
    assert 0 < report["ms_per_image"] < 1000
    lines = pose_run["summary"].splitlines()
    boxes = len(keypoints) + len(report["unmatched_boxes"])
    assert lines[0].startswith(f"{len(keypoints)} of {boxes} labelled boxes matched")
    assert any("hands without a labelled box" in line for line in lines)
    assert any("no hand found" in line and NO_HAND in line for line in lines)


@pytest.mark.slow  # the module's sample, landmarks and training: ~20 s once
def test_pose_classifier_learns_the_sample_gestures(pose_run: dict, capsys) -> None:
    run = pose_run["run"]
    from gesturekit.pose.model import load_info

    card = load_info(run)
    info = card.metadata  # what pose-train recorded
    assert card.classes == ["grab", "drop"] and card.pose["features"] == FEATURES
    assert info["train_rows"] >= 20 and info["val_rows"] >= 8
    assert info["val_accuracy"] >= 0.9  # measured 1.0 (seeds 0-2); 8/9 on other samples
    assert (run / "curves.png").stat().st_size > 1000
    assert len((run / "metrics.csv").read_text().splitlines()) == 41
    assert main(["pose-eval", str(run), str(pose_run["keypoints"])]) == 0
    report = json.loads((run / "pose_eval_val.json").read_text())
    assert report["hands"] == info["val_rows"]
    assert report["accuracy"] == pytest.approx(info["val_accuracy"])
    assert np.trace(report["confusion_matrix"]) == round(report["accuracy"] * report["hands"])
    assert (run / "confusion_val.png").is_file()
    assert f"accuracy {report['accuracy']:.4f}" in capsys.readouterr().out


@pytest.mark.slow
def test_pose_route_map_on_the_val_split_like_evaluate(pose_run: dict, capsys) -> None:
    out = pose_run["base"] / "eval"
    assert main(["pose-eval", str(pose_run["run"]), "--voc", str(pose_run["root"]),
                 "--out", str(out)]) == 0
    report = json.loads((out / "eval_val.json").read_text())
    assert report["route"] == "pose" and report["num_images"] == 12
    assert report["iou_threshold"] == 0.5 and report["map"] >= 0.8  # measured 0.94
    assert {c["class"] for c in report["classes"]} == {"grab", "drop"}
    assert 0 < report["ms_per_image"] < 2000
    assert (out / "pr_val.png").is_file()
    assert f"pose route mAP@0.5 = {report['map']:.4f}" in capsys.readouterr().out


@pytest.mark.slow
def test_export_parity_and_testdetector_pose(pose_run: dict, tmp_path: Path) -> None:
    import yaml

    from gesturekit.runtime.pose_detector import PoseDetector, is_pose_model, load_pose_classifier

    export = pose_run["base"] / "export"
    _cli(["pose-export", str(pose_run["run"]), "--out", str(export)])
    card = yaml.safe_load((export / "pose_classifier.yaml").read_text())
    parity = card["export"]["parity"]
    assert card["kind"] == "pose_classifier" and card["pose"]["features"] == FEATURES
    assert parity["on"] == "landmark file hands" and parity["same_top1"]
    assert parity["openvino_max_abs_diff"] < 1e-5 and parity["onnx_max_abs_diff"] < 1e-5
    from gesturekit.pose.keypoints import load_keypoints

    features = load_keypoints(pose_run["keypoints"]).features()
    keras = load_pose_classifier(pose_run["run"]).predict(features)
    for model in (export, export / "pose_classifier.onnx"):
        assert is_pose_model(model)
        np.testing.assert_allclose(load_pose_classifier(model).predict(features), keras,
                                   atol=1e-5)
    image = pose_run["root"] / "JPEGImages" / f"{TWO_HANDS}.jpg"
    with PoseDetector(export) as detector:
        found = detector.detect(cv2.imread(str(image)), score_threshold=0.5)
    assert len(found) == 2 and [found.classes[i] for i in found.labels] == ["drop", "drop"]
    sys.path.insert(0, str(REPO))
    try:
        import testDetector
    finally:
        sys.path.remove(str(REPO))
    drawn = tmp_path / "drawn.jpg"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert testDetector.main(["--pose", str(pose_run["run"]), "--image", str(image),
                                  "--output", str(drawn)]) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["class"] for r in records] == ["drop", "drop"]
    np.testing.assert_allclose(sorted(r["score"] for r in records),
                               sorted(np.round(found.scores, 4)), atol=2e-4)
    assert cv2.imread(str(drawn)).shape == (240, 320, 3)


@pytest.mark.slow
def test_pose_route_runs_in_the_demo_as_a_detector(pose_run: dict, tmp_path: Path) -> None:
    from gesturekit.runtime.demo import DemoOptions, run_demo
    from gesturekit.runtime.pose_detector import is_pose_model, open_pose_route

    run = pose_run["run"]
    assert is_pose_model(run) and is_pose_model(run / "pose_classifier.h5")
    assert not is_pose_model(pose_run["root"]) and open_pose_route(pose_run["root"]) is None
    video = pose_run["base"] / "sample" / "videos" / "take03.mp4"
    output = tmp_path / "demo.mp4"
    result = run_demo(video, open_pose_route(run), None,
                      DemoOptions(window=False, max_frames=12, progress=False), output)
    records = [json.loads(line) for line in output.with_suffix(".jsonl").read_text().splitlines()]
    assert result.frames == len(records) == 12
    found = [t["detector_class"] for r in records for t in r["tracks"] if t["missed"] == 0]
    assert len(found) >= 10 and set(found) == {"grab", "drop"}  # take03: grab, drop, grab


@pytest.mark.slow
def test_model_server_serves_detector_clip_and_pose_classifiers(pose_run: dict) -> None:
    from test_runtime import OMZ, omz_xml

    from gesturekit.runtime.server import ModelServer

    export = pose_run["base"] / "export"
    if not export.is_dir():
        _cli(["pose-export", str(pose_run["run"]), "--out", str(export)])
    detector_xml = omz_xml()
    clip_xml, clip_card = _tiny_clip_classifier(pose_run["base"] / "clip")
    server = ModelServer()
    server.add("person", detector_xml)
    server.add("gesture", clip_xml, clip_card)
    pose = server.add("pose", export / "pose_classifier.xml", export / "pose_classifier.yaml")
    assert sorted(server.names) == ["gesture", "person", "pose"]
    assert [server[n].kind for n in ("person", "gesture", "pose")] == [
        "detector", "clip_classifier", "pose_classifier"]
    assert pose.settings()["precision"] == "f32"
    from gesturekit.pose.keypoints import load_keypoints

    features = load_keypoints(pose_run["keypoints"]).features()[:5]
    probabilities = pose.predict(features)
    assert probabilities.shape == (5, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    frame = cv2.imread(str(pose_run["root"] / "JPEGImages" / "take01_000000.jpg"))
    assert server["person"].detect(frame).classes == ["person"]
    from gesturekit.runtime.clip import Clip

    assert server["gesture"].classify(Clip([frame] * 4)).probabilities.shape == (2,)
    with pytest.raises(GestureKitError, match="not a pose classifier"):
        server["person"].predict(features)
    assert OMZ in detector_xml.name


def _tiny_clip_classifier(folder: Path) -> tuple[Path, Path]:
    """A 4-frame clip classifier (random weights) as IR + card, to serve beside the others."""
    import openvino as ov
    import yaml

    from detector import compat  # noqa: F401
    from tensorflow import keras

    folder.mkdir(exist_ok=True)
    clip = keras.Input((3, 4, 32, 32), batch_size=1, name="clip")
    x = keras.layers.GlobalAveragePooling3D(data_format="channels_first")(clip)
    model = keras.Model(clip, keras.layers.Dense(2, name="logits")(x))
    xml = folder / "clip.xml"
    ov.save_model(ov.convert_model(model), str(xml), compress_to_fp16=False)
    card = folder / "clip.yaml"
    card.write_text(yaml.safe_dump({
        "kind": "clip_classifier", "classes": ["a", "b"],
        "input": {"layout": "NCTHW", "height": 32, "width": 32},
        "output": {"format": "logits"}, "clip": {"frames": 4, "fps": 10}}))
    return xml, card


def _one_line_error(argv: list[str], capsys) -> str:
    capsys.readouterr()
    assert main(argv) == 2, argv
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.slow  # the module's sample, landmarks and training: ~20 s once
def test_a_landmark_file_from_another_dataset_is_refused(pose_run: dict, tmp_path: Path,
                                                         capsys) -> None:
    keypoints, run = str(pose_run["keypoints"]), str(pose_run["run"])
    other = tmp_path / "other"
    shutil.copytree(pose_run["root"], other)
    for xml in (other / "Annotations").glob("take01_*.xml"):
        xml.rename(xml.with_name(xml.name.replace("take01", "clip09")))
    err = _one_line_error(["pose-train", keypoints, "--out", str(tmp_path / "r"),
                           "--voc", str(other)], capsys)
    assert "landmark file made from another dataset 'voc'" in err and "take01_" in err
    assert not (tmp_path / "r" / "pose_classifier.h5").exists()
    err = _one_line_error(["pose-eval", run, keypoints, "--voc", str(other)], capsys)
    assert "another dataset" in err
    # same images, a box moved since: the landmarks are stale
    changed = tmp_path / "changed"
    shutil.copytree(pose_run["root"], changed)
    xml = changed / "Annotations" / "take03_000001.xml"
    ann = read_annotation(xml)
    ann.boxes[0].xmin += 5
    write_annotation(ann, xml, overwrite=True)
    err = _one_line_error(["pose-train", keypoints, "--out", str(tmp_path / "r2"),
                           "--voc", str(changed)], capsys)
    assert "annotations" in err and "changed" in err and "gesturekit keypoints" in err


@pytest.mark.slow  # the module's sample, landmarks and training: ~20 s once
def test_bad_files_and_existing_outputs_are_one_line_errors(pose_run: dict, tmp_path: Path,
                                                            capsys) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a numpy file")
    assert "not a landmark file" in _one_line_error(
        ["pose-train", str(junk), "--out", str(tmp_path / "r")], capsys)
    assert "already exists" in _one_line_error(
        ["keypoints", str(pose_run["root"]), "--out", str(pose_run["keypoints"])], capsys)
    assert "already holds pose_classifier.h5" in _one_line_error(
        ["pose-train", str(pose_run["keypoints"]), "--out", str(pose_run["run"])], capsys)
    assert "no pose classifier here" in _one_line_error(
        ["pose-eval", str(tmp_path), str(pose_run["keypoints"])], capsys)
