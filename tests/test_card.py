"""The one model card: every earlier card still loads, stage and kind tell models apart, and
what the writer writes reads back the same (JSON, YAML and IR rt_info)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from detector.card import (CARD_FILE, ModelCard, card_from_dict, card_from_rt_info,
                           detector_card, load_card, read_card_file)
from detector.preprocess import LETTERBOX, STRETCH, InputRule
from voc_tools.errors import GestureKitError

REPO = Path(__file__).resolve().parents[1]

# What the kit wrote before version 3, byte for byte in shape.
V1_TRAINING = {"format": "gesturekit-model", "version": 1, "classes": ["grab", "drop"],
               "backbone": "mobilenet224_0.5", "image_min_side": 192, "image_max_side": 256,
               "preprocess": "tf", "color_order": "BGR", "model_type": "training",
               "extra": {"data": {"train_images": 10}}}
V2_EXPORTED = {
    "format": "gesturekit-model", "version": 2, "kind": "detector", "classes": ["grab", "drop"],
    "files": {"onnx": "model.onnx", "openvino_fp32": "model.xml"},
    "input": {"name": "input", "layout": "NHWC", "height": 192, "width": 256,
              "dynamic": False, "color_order": "BGR", "dtype": "float32", "preprocess": "tf",
              "resize": {"rule": "keras_retinanet_letterbox", "min_side": 192,
                         "max_side": 256, "interpolation": "linear", "pad": "bottom_right",
                         "pad_value": 0.0, "pad_after_normalise": True}},
    "outputs": {"boxes": {"name": "boxes", "shape": [1, 300, 4]},
                "scores": {"name": "scores", "shape": [1, 300]},
                "labels": {"name": "labels", "shape": [1, 300]}},
    "precision": {"default": "int8", "inference_precision_hint": "f32", "weights": "int8"},
    "metadata": {"backbone": "mobilenet224_0.5", "image_min_side": 192,
                 "image_max_side": 256, "preprocess": "tf", "color_order": "BGR",
                 "model_type": "inference", "extra": {"source_snapshot": "s.h5"}},
    "export": {"nms": {"chosen": "openvino"}, "sha256": {}}}


def _write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_version_1_training_card_loads(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "snapshots").mkdir(parents=True)
    _write(run / CARD_FILE, V1_TRAINING)
    snapshot = run / "snapshots" / "epoch_001.h5"
    snapshot.write_bytes(b"")
    card = load_card(snapshot)  # a snapshot's card is its run's
    assert (card.stage, card.kind, card.classes) == ("training", "detector", ["grab", "drop"])
    assert card.backbone == "mobilenet224_0.5"
    assert card.input == InputRule(normalise="tf", color_order="BGR", resize=LETTERBOX,
                                   min_side=192, max_side=256)
    assert card.extra == {"data": {"train_images": 10}}
    inference = card_from_dict({**V1_TRAINING, "model_type": "inference"})
    assert inference.stage == "inference"


def test_a_version_2_exported_card_loads_from_json_and_rt_info(tmp_path: Path) -> None:
    path = _write(tmp_path / "export" / CARD_FILE, V2_EXPORTED)
    card = load_card(path.parent)
    assert (card.stage, card.kind) == ("exported", "detector")
    assert card.input == InputRule(normalise="tf", color_order="BGR", resize=LETTERBOX,
                                   min_side=192, max_side=256, height=192, width=256)
    assert card.output_names == {"boxes": "boxes", "scores": "scores", "labels": "labels"}
    assert card.precision["default"] == "int8" and card.precision_hint == "f32"
    assert card.file("onnx") == path.parent / "model.onnx"
    assert card.backbone == "mobilenet224_0.5" and card.export["nms"]["chosen"] == "openvino"
    dynamic = card_from_dict({**V2_EXPORTED, "input": {**V2_EXPORTED["input"],
                                                       "dynamic": True}})
    assert not dynamic.input.fixed_size

    rt_info = {key: json.dumps(V2_EXPORTED[key]) for key in
               ("classes", "input", "outputs", "precision", "metadata")}
    rt_info.update(format="gesturekit-model", version="2", kind="detector")
    from_ir = card_from_rt_info(rt_info, tmp_path / "model.xml")
    assert (from_ir.input, from_ir.classes) == (card.input, card.classes)


def test_runtime_cards_load_as_exported_models() -> None:
    card = read_card_file(REPO / "gesturekit" / "runtime" / "cards" /
                          "person-detection-asl-0001.yaml")
    assert (card.stage, card.kind, card.output, card.input.resize) == (
        "exported", "detector", "boxes_conf", STRETCH)
    clip = card_from_dict({"kind": "clip_classifier", "classes": ["a", "b"],
                           "precision": "fp32",
                           "input": {"layout": "NCTHW", "height": 32, "width": 32,
                                     "color_order": "RGB",
                                     "normalise": {"mean": [1, 2, 3], "std": [4, 5, 6]}},
                           "output": {"format": "logits"}, "clip": {"frames": 8, "fps": 15}})
    assert (clip.precision_hint, clip.clip["crop"], clip.clip["crop_scale"]) == ("f32", "box",
                                                                                1.0)
    letterbox = card_from_dict({"kind": "detector", "classes": ["hand"],
                                "input": {"layout": "NHWC", "resize": {
                                    "rule": LETTERBOX, "min_side": 96, "max_side": 128}},
                                "output": {"format": "retinanet"}})
    assert (letterbox.input.min_side, letterbox.input.fixed_size) == (96, False)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_what_is_written_reads_back_the_same(tmp_path: Path, suffix: str) -> None:
    card = detector_card(["grab", "drop"], "resnet50", 288, 384, "inference",
                         extra={"source_snapshot": "x.h5"}, canvas=(288, 384))
    card.files = {"onnx": "model.onnx"}
    path = card.save(tmp_path / f"card{suffix}")
    again = read_card_file(path)
    assert again.to_dict() == card.to_dict()
    assert again.input.canvas == (288, 384)
    assert again.input.normalise == "caffe"  # resnet's own preprocessing
    rt = card_from_rt_info(card.rt_info())
    assert (rt.stage, rt.input, rt.classes) == ("inference", card.input, card.classes)
    exported = card.at_stage("exported", input=InputRule(
        normalise="caffe", min_side=288, max_side=384, height=288, width=384))
    assert (exported.stage, card.stage, exported.path) == ("exported", "inference", None)


def test_a_card_from_before_the_canvas_field_reads_it_from_the_runs_data(
        tmp_path: Path) -> None:
    """Runs trained before ``input.canvas`` recorded their canvas with the run's data."""
    older = {**V1_TRAINING, "extra": {"data": {"train_images": 10, "train_canvas": [160, 256]}}}
    assert load_card(_write(tmp_path / CARD_FILE, older)).input.canvas == (160, 256)
    assert load_card(_write(tmp_path / "v1" / CARD_FILE, V1_TRAINING)).input.canvas is None
    assert "canvas" not in detector_card(["a"], "mobilenet224_0.5", 96, 128).to_dict()["input"]


def test_stage_and_kind_are_fields_not_file_types(tmp_path: Path) -> None:
    written = {stage: detector_card(["a"], "mobilenet224_0.5", 96, 128, stage)
               for stage in ("training", "inference")}
    for stage, card in written.items():
        assert load_card(card.save(tmp_path / stage)).stage == stage
    pose = ModelCard("pose_classifier", "exported", ["a", "b"], InputRule(resize=STRETCH,
                                                                          layout="NC"),
                     pose={"features": 84, "features_version": 2})
    assert load_card(pose.save(tmp_path / "pose.yaml")).kind == "pose_classifier"


@pytest.mark.parametrize("data, message", [
    ({**V1_TRAINING, "format": "something-else"}, "not a GestureKit model card"),
    ({"kind": "detector", "stage": "deployed", "classes": ["a"],
      "input": {"layout": "NCHW", "height": 9, "width": 9}}, "stage 'deployed'"),
    ({**V2_EXPORTED, "input": {**V2_EXPORTED["input"], "layout": "NCTHW"}},
     "detector input layout 'NCTHW'"),
    ({"kind": "clip_classifier", "classes": ["a"],
      "input": {"layout": "NCTHW", "height": 9, "width": 9}}, "clip.frames"),
    ({**V1_TRAINING, "extra": {"data": {"train_canvas": [0, 256]}}}, "input canvas"),
    ({**V1_TRAINING, "extra": {"data": {"train_canvas": [160]}}}, "bad model card"),
])
def test_bad_cards_are_one_line_errors_naming_the_file(tmp_path: Path, data: dict,
                                                        message: str) -> None:
    path = _write(tmp_path / CARD_FILE, data)
    with pytest.raises(GestureKitError) as err:
        load_card(path)
    assert message in str(err.value) and str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_the_classifiers_earlier_training_cards_load(tmp_path: Path) -> None:
    from gesturekit.clips.classifier.metadata import load_info, template_of
    from gesturekit.clips.classifier.templates import get_template
    from gesturekit.pose.model import load_info as load_pose_info
    from gesturekit.pose.normalize import FEATURES, FEATURES_VERSION

    template = get_template("r2plus1d-tiny")
    snapshot = tmp_path / "epoch_003.h5"
    snapshot.write_bytes(b"")
    _write(snapshot.with_suffix(".json"), {
        "format": "gesturekit-clip-classifier", "version": 1, "classes": ["left", "right"],
        "template": template.to_dict(), "epoch": 3, "val_top1": 0.5})
    clip = load_info(snapshot)
    assert (clip.stage, clip.kind, clip.classes) == ("training", "clip_classifier",
                                                    ["left", "right"])
    assert template_of(clip) == template and clip.metadata == {"epoch": 3, "val_top1": 0.5}
    assert clip.clip["frames"] == template.frames

    run = tmp_path / "pose"
    run.mkdir()
    (run / "pose_classifier.h5").write_bytes(b"")
    _write(run / "pose_classifier.json", {
        "format": "gesturekit-pose-classifier", "version": 1, "classes": ["grab", "drop"],
        "features": FEATURES, "features_version": FEATURES_VERSION, "train_rows": 20})
    pose = load_pose_info(run)
    assert (pose.stage, pose.kind, pose.pose["features"]) == ("training", "pose_classifier",
                                                              FEATURES)
    assert pose.metadata == {"train_rows": 20}
