"""VOC mAP: hand-worked AP values, the matching rules, and agreement with keras-retinanet."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from detector.evaluate import (box_overlaps, collect, compute_ap, evaluate_detections,
                               found_and_named, ground_truth_by_class, plot_pr_curves)
from gesturekit.cli import main
from voc_tools.errors import GestureKitError
from voc_tools.layout import VocLayout

# ---------------------------------------------------------------- compute_ap, by hand


def test_ap_both_methods_on_a_hand_worked_curve() -> None:
    # TP, FP, TP over 2 annotations: recall .5 .5 1, precision 1 .5 2/3.
    recall, precision = [0.5, 0.5, 1.0], [1.0, 0.5, 2 / 3]
    # all-points: 0.5 * 1 + 0.5 * 2/3 (the envelope lifts the 0.5 to 2/3)
    assert compute_ap(recall, precision) == pytest.approx(0.5 + 1 / 3)
    # 11-point: t = 0 .. 0.5 see precision 1, t = 0.6 .. 1 see 2/3
    assert compute_ap(recall, precision, "voc07_11pt") == pytest.approx((6 + 5 * 2 / 3) / 11)


def test_ap_when_recall_never_reaches_one() -> None:
    assert compute_ap([0.2, 0.4], [1.0, 1.0]) == pytest.approx(0.4)
    assert compute_ap([0.2, 0.4], [1.0, 1.0], "voc07_11pt") == pytest.approx(5 / 11)


def test_11_point_thresholds_are_exact_tenths() -> None:
    # recall 0.3 reaches the 0.3 threshold (np.arange(0, 1.1, 0.1) would give 0.30000000000000004)
    assert compute_ap([0.3], [1.0], "voc07_11pt") == pytest.approx(4 / 11)


def test_ap_without_detections_is_zero() -> None:
    assert compute_ap([], []) == 0.0
    assert compute_ap([], [], "voc07_11pt") == 0.0


def test_unknown_ap_method() -> None:
    with pytest.raises(ValueError, match="unknown AP method"):
        compute_ap([1.0], [1.0], "coco")


def test_all_points_ap_equals_keras_retinanet() -> None:
    from detector import compat  # noqa: F401  (before TensorFlow)
    from keras_retinanet.utils.eval import _compute_ap

    rng = np.random.default_rng(3)
    for _ in range(20):
        hits = rng.random(40) < 0.4
        tp, fp = np.cumsum(hits), np.cumsum(~hits)
        recall, precision = tp / 25.0, tp / np.maximum(tp + fp, 1e-12)
        assert compute_ap(recall, precision) == pytest.approx(_compute_ap(recall, precision),
                                                              abs=1e-12)


def test_box_overlaps_equals_keras_retinanet_compute_overlap() -> None:
    from keras_retinanet.utils.compute_overlap import compute_overlap

    rng = np.random.default_rng(0)
    corners = rng.uniform(0, 100, size=(2, 30, 2))
    boxes = np.concatenate([corners[0], corners[0] + rng.uniform(0, 40, (30, 2))], axis=1)
    queries = np.concatenate([corners[1], corners[1] + rng.uniform(0, 40, (30, 2))], axis=1)
    queries[0] = queries[1]  # includes identical and (below) touching boxes
    queries[2] = [boxes[0, 2], boxes[0, 1], boxes[0, 2] + 5, boxes[0, 3]]
    np.testing.assert_allclose(box_overlaps(boxes, queries), compute_overlap(boxes, queries),
                               rtol=0, atol=1e-12)


# ------------------------------------------------------- evaluate_detections, by hand


def _hand_case(shuffle: bool = False) -> tuple[list, list]:
    a, b = [0, 0, 10, 10], [20, 20, 30, 30]
    image0 = np.array([[0, 0, 10, 10, 0.9],      # TP on a
                       [1, 1, 10, 10, 0.8],      # IoU .81 with a, already taken: FP
                       [20, 20, 30, 30, 0.3]])   # TP on b
    if shuffle:
        image0 = image0[::-1]
    detections = [[image0, np.zeros((0, 5))],
                  [np.array([[50, 50, 60, 60, 0.7]]), np.array([[0, 0, 5, 5, 0.6]])]]
    annotations = [[np.array([a, b]), np.zeros((0, 4))],
                   [np.array([[0, 0, 10, 10]]), np.zeros((0, 4))]]
    return detections, annotations


def test_evaluate_detections_hand_worked() -> None:
    result = evaluate_detections(*_hand_case(), classes=["fist", "palm"])
    fist, palm = result.classes
    # ranked: .9 TP, .8 FP, .7 FP, .3 TP of 3 annotations
    np.testing.assert_allclose(fist.recall, [1 / 3, 1 / 3, 1 / 3, 2 / 3])
    np.testing.assert_allclose(fist.precision, [1, 1 / 2, 1 / 3, 1 / 2])
    assert fist.ap == pytest.approx(1 / 3 + 1 / 6)
    assert fist.ap_11pt == pytest.approx((4 * 1 + 3 * 0.5) / 11)
    assert (fist.num_annotations, fist.num_detections, fist.num_true_positives) == (3, 4, 2)
    # a class with no annotations: AP 0, counted detections, left out of the mAP
    assert (palm.ap, palm.num_annotations, palm.num_detections) == (0.0, 0, 1)
    assert result.map == pytest.approx(fist.ap)
    assert result.map_11pt == pytest.approx(fist.ap_11pt)
    summary = json.loads(result.to_json())
    assert summary["map"] == pytest.approx(0.5)
    assert [c["class"] for c in summary["classes"]] == ["fist", "palm"]


def test_detections_are_matched_best_first_within_an_image() -> None:
    ordered = evaluate_detections(*_hand_case(), classes=["fist", "palm"])
    shuffled = evaluate_detections(*_hand_case(shuffle=True), classes=["fist", "palm"])
    assert shuffled.classes[0].ap == ordered.classes[0].ap
    assert shuffled.classes[0].num_true_positives == 2


def test_iou_exactly_at_threshold_counts() -> None:
    detections = [[np.array([[0, 0, 10, 5, 0.9]])]]
    annotations = [[np.array([[0, 0, 10, 10]])]]
    assert evaluate_detections(detections, annotations, ["fist"], 0.5).map == 1.0
    assert evaluate_detections(detections, annotations, ["fist"], 0.51).map == 0.0


def test_nothing_annotated_gives_nan_map_and_null_json() -> None:
    result = evaluate_detections([[np.zeros((0, 5))]], [[np.zeros((0, 4))]], ["fist"])
    assert np.isnan(result.map)
    assert result.to_dict()["map"] is None


def test_found_and_named_separates_missed_boxes_from_confused_classes() -> None:
    result = evaluate_detections(*_hand_case(), classes=["fist", "palm"])
    # image 0: a and b are found by fist detections; image 1's box by nothing at IoU .5
    assert (result.num_boxes, result.boxes_found, result.boxes_named) == (3, 2, 2)
    box = [0, 0, 10, 10]
    detections = [[np.array([[0, 0, 9, 10, 0.5]]), np.array([box + [0.6]])],   # palm wins
                  [np.array([box + [0.9]]), np.array([box + [0.4]])]]          # fist wins
    annotations = [[np.array([box]), np.zeros((0, 4))], [np.array([box]), np.zeros((0, 4))]]
    assert found_and_named(detections, annotations) == (2, 1)
    result = evaluate_detections(detections, annotations, ["fist", "palm"])
    assert result.to_dict()["boxes_found"] == 2 and result.to_dict()["boxes_named"] == 1
    assert result.failure_summary().startswith("found 2 of 2 annotated boxes")
    assert "names 1 of them right (50%)" in result.failure_summary()


def test_pr_curve_png_is_written(tmp_path: Path) -> None:
    result = evaluate_detections(*_hand_case(), classes=["fist", "palm"])
    path = plot_pr_curves(result, tmp_path / "pr.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 5000


# ------------------------------------------------------------- ground truth and the CLI


def test_ground_truth_is_shifted_like_keras_retinanet(plums_voc: Path) -> None:
    boxes = ground_truth_by_class(VocLayout(plums_voc), "Batch1_0001", ["redPlum", "greenPlum"])
    assert boxes[0][0].tolist() == [44, 87, 83, 131]  # XML: 45 88 84 132
    assert len(boxes[1]) == 2  # both greenPlums of the dataset are here


def test_ground_truth_class_unknown_to_the_model(plums_voc: Path) -> None:
    with pytest.raises(GestureKitError, match=r"Batch1_0001\.xml: object \d+: class 'greenPlum' is not"):
        ground_truth_by_class(VocLayout(plums_voc), "Batch1_0001", ["redPlum"])


def test_cli_evaluate_without_metadata_is_one_line(plums_voc: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    model = tmp_path / "model.h5"
    model.write_bytes(b"not a model")
    assert main(["evaluate", str(model), str(plums_voc)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "gesturekit.json" in err


def test_cli_evaluate_missing_split(plums_voc: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture) -> None:
    assert main(["evaluate", str(tmp_path / "m.h5"), str(plums_voc), "--split", "test"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "test.txt" in err


# ------------------------------------------- agreement with keras-retinanet's evaluate

CLASSES = {"redPlum": 0, "greenPlum": 1}
BACKBONE = "mobilenet128_0.25"
MIN_SIDE, MAX_SIDE = 360, 480  # plums are ~30 px there, close to the 32 px anchors


def _real_inference_model():  # type: ignore[no-untyped-def]
    """A real keras-retinanet MobileNet RetinaNet, converted to an inference model.

    Keras' default init makes a random MobileNet's features vanish (every score is then
    exactly 0.5), so the convolution kernels are re-drawn He-normal with a fixed seed:
    scores vary, many detections land on plums, and the matching is exercised.
    """
    from detector import compat  # noqa: F401
    from keras_retinanet import models
    from tensorflow import keras

    keras.utils.set_random_seed(0)  # earlier tests in the process must not change the model
    rng = np.random.default_rng(0)
    model = models.backbone(BACKBONE).retinanet(num_classes=len(CLASSES))

    def reinit(layers) -> None:  # type: ignore[no-untyped-def]
        for layer in layers:
            if hasattr(layer, "layers"):
                reinit(layer.layers)
            elif isinstance(layer, keras.layers.Conv2D):
                weights = layer.get_weights()
                shape = weights[0].shape
                fan_in = shape[0] * shape[1] * (
                    1 if isinstance(layer, keras.layers.DepthwiseConv2D) else shape[2])
                weights[0] = rng.normal(0, np.sqrt(2 / fan_in), shape).astype(np.float32)
                if layer.name == "pyramid_classification":
                    weights[0] *= 0.1
                    weights[1][:] = -1.0
                if layer.name == "pyramid_regression":
                    weights[0] *= 0.01
                layer.set_weights(weights)

    reinit(model.layers)
    return models.convert_model(model)


@pytest.mark.slow
def test_evaluate_model_agrees_with_keras_retinanet(plums_voc: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    from detector import compat  # noqa: F401
    from keras_retinanet import models
    from keras_retinanet.preprocessing.pascal_voc import PascalVocGenerator
    from keras_retinanet.utils.eval import evaluate

    from detector.engine import load_detector
    from detector.card import detector_card

    root = tmp_path / "plums"
    shutil.copytree(plums_voc, root)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    model = _real_inference_model()
    model.save(str(model_dir / "model.h5"))
    detector_card(list(CLASSES), BACKBONE, MIN_SIDE, MAX_SIDE, "inference").save(model_dir)

    def theirs(split: str, iou: float) -> dict:
        generator = PascalVocGenerator(
            str(root), split, classes=CLASSES, image_min_side=MIN_SIDE,
            image_max_side=MAX_SIDE, shuffle_groups=False,
            preprocess_image=models.backbone(BACKBONE).preprocess_image)
        return evaluate(generator, model, iou_threshold=iou)[0]

    # evaluate_model, its files and the CLI, on val (greenPlum has no annotation there)
    assert main(["evaluate", str(model_dir / "model.h5"), str(root),
                 "--out", str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "report" / "eval_val.json").read_text())
    expected = theirs("val", 0.5)
    for label, name in enumerate(CLASSES):
        ours = next(c for c in report["classes"] if c["class"] == name)
        assert ours["ap"] == pytest.approx(float(expected[label][0]), rel=1e-6, abs=1e-9)
        assert ours["num_annotations"] == expected[label][1]
    assert report["classes"][0]["num_true_positives"] > 0
    assert report["classes"][1]["num_annotations"] == 0  # left out of the mAP
    assert report["map"] == pytest.approx(float(expected[0][0]), rel=1e-6, abs=1e-9)
    assert f"mAP@0.5 = {report['map']:.4f}" in out and "pr_val.png" in out
    assert report["boxes"] == sum(c["num_annotations"] for c in report["classes"])
    assert 0 < report["boxes_named"] <= report["boxes_found"] <= report["boxes"]
    assert f"found {report['boxes_found']} of {report['boxes']} annotated boxes" in out
    assert (tmp_path / "report" / "pr_val.png").stat().st_size > 5000

    # collect + evaluate_detections on trainval (both classes) at a looser IoU
    layout = VocLayout(root)
    detections, annotations = collect(load_detector(model_dir / "model.h5"), layout,
                                      layout.read_split("trainval"))
    ours = evaluate_detections(detections, annotations, list(CLASSES), iou_threshold=0.3)
    expected = theirs("trainval", 0.3)
    for label, result in enumerate(ours.classes):
        assert result.ap == pytest.approx(float(expected[label][0]), rel=1e-6, abs=1e-9)
        assert result.num_annotations == expected[label][1]
    assert ours.classes[0].num_true_positives > 10
    assert ours.map == pytest.approx(np.mean([float(ap) for ap, _ in expected.values()]),
                                     rel=1e-6, abs=1e-9)
