"""Clip classifiers: models, templates, clip data, and the whole path through the real
commands: dynamic sample -> clips dump -> clip-train -> clip-eval -> clip-export ->
ModelServer."""
from __future__ import annotations

import csv
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from gesturekit.cli import build_parser, main

TINY_CLASSES = ["left", "right", "still"]
TINY = ["--frames", "4", "--fps", "10", "--input-size", "32", "--batch-size", "4"]


def _write_video_frames(folder: Path, xs: list[float], size: tuple[int, int] = (48, 40)) -> None:
    """A bright square at horizontal positions ``xs`` (fractions of the width)."""
    folder.mkdir(parents=True)
    width, height = size
    for number, x in enumerate(xs, start=1):
        image = np.full((height, width, 3), (40, 90, 30), np.uint8)
        left = int(x * (width - 10))
        image[15:25, left:left + 10] = (210, 190, 250)
        cv2.imwrite(str(folder / f"{number:05d}.jpg"), image)


@pytest.fixture(scope="module")
def tiny_clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rawframes DATA_DIR: 4 videos per class of 8 frames (48x40), a square moving left,
    right or staying; train.txt (3 per class) and val.txt (1 per class)."""
    from gesturekit.clips.rawframes import ClipRecord, write_rawframes_annotation
    from voc_tools.classes import write_classes

    data = tmp_path_factory.mktemp("tiny_clips")
    rng = np.random.default_rng(0)
    records: dict[str, list[ClipRecord]] = {"train": [], "val": []}
    for label, name in enumerate(TINY_CLASSES):
        for index in range(4):
            start = rng.uniform(0.1, 0.3)
            course = {"left": np.linspace(1 - start, start, 8),
                      "right": np.linspace(start, 1 - start, 8),
                      "still": np.full(8, 0.5 + start - 0.2)}[name]
            video = f"{name}_{index}"
            _write_video_frames(data / "rawframes" / video, list(course))
            records["val" if index == 3 else "train"].append(
                ClipRecord(video, label, 1, 8, 2, 7, 10.0))
    for split, rows in records.items():
        write_rawframes_annotation(rows, data / f"{split}.txt")
    write_classes(TINY_CLASSES, data / "classes.txt")
    return data


def _work(tmp_path: Path, template: str = "sample-r2plus1d-tiny") -> Path:
    assert main(["template", "instantiate", template, str(tmp_path / "work")]) == 0
    return tmp_path / "work"


# ---------------------------------------------------------------- models

def test_both_architectures_give_logits_and_tsm_is_keras_mobilenetv3_small() -> None:
    from gesturekit.clips.classifier.model import ARCHITECTURES, build_model, keras

    clips = np.random.default_rng(0).normal(0, 1, (2, 4, 32, 32, 3)).astype(np.float32)
    for architecture in ARCHITECTURES:
        model = build_model(architecture, 5, frames=4, size=32)
        assert model.input_shape == (None, 4, 32, 32, 3)
        logits = np.asarray(model(clips, training=True))  # batch statistics: untrained BN
        assert logits.shape == (2, 5) and np.isfinite(logits).all()
        assert not np.allclose(logits[0], logits[1])
    tsm = build_model("tsm-mobilenetv3-small", 5, frames=4, size=32)
    backbone = keras.applications.MobileNetV3Small(
        input_shape=(32, 32, 3), include_top=False, weights=None, include_preprocessing=False)
    # the same layers (names, shapes) as Keras' own: ImageNet weights copy in by name
    assert tsm.count_params() == backbone.count_params() + 576 * 5 + 5
    names = {layer.name for layer in tsm.layers}
    assert all(layer.name in names for layer in backbone.layers if layer.weights)
    with pytest.raises(Exception, match="unknown architecture 'x3d'"):
        build_model("x3d", 5, 4, 32)


def test_imagenet_weights_copy_in_or_say_what_to_do_offline() -> None:
    from gesturekit.clips.classifier.model import build_model, copy_imagenet_weights
    from voc_tools.errors import GestureKitError

    model = build_model("tsm-mobilenetv3-small", 3, frames=2, size=32)
    try:
        copied = copy_imagenet_weights(model, 32)
    except GestureKitError as err:
        message = str(err)
        assert "weights: none" in message and "\n" not in message
    else:  # online: every backbone layer with weights got ImageNet's
        assert copied == 86  # the layers with weights in Keras MobileNetV3Small, no top
    with pytest.raises(GestureKitError, match="no ImageNet weights for r2plus1d-tiny"):
        build_model("r2plus1d-tiny", 3, 2, 32, weights="imagenet")


def test_temporal_shift_takes_an_eighth_from_each_neighbour() -> None:
    from gesturekit.clips.classifier.model import TemporalShift

    frames, channels = 3, 16
    values = np.array([[t * 100 + c for c in range(channels)] for t in range(frames)],
                      np.float32).reshape(frames, 1, 1, channels)
    shifted = np.asarray(TemporalShift(frames)(values)).reshape(frames, channels)
    assert shifted[0, :2].tolist() == [100, 101] and shifted[2, :2].tolist() == [0, 0]
    assert shifted[1, 2:4].tolist() == [2, 3] and shifted[0, 2:4].tolist() == [0, 0]
    assert shifted[:, 4:].tolist() == values.reshape(frames, channels)[:, 4:].tolist()


# ---------------------------------------------------------------- templates

def test_template_list_and_instantiate_refuses_to_overwrite(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from gesturekit.clips.classifier.templates import TEMPLATES, get_template, read_template

    assert main(["template", "list"]) == 0
    listed = capsys.readouterr().out
    assert all(f"{name}:" in listed for name in TEMPLATES)
    work = _work(tmp_path)
    assert read_template(work) == get_template("sample-r2plus1d-tiny")
    text = (work / "template.yaml").read_text()
    (work / "template.yaml").write_text(text.replace("epochs: 15", "epochs: 7"))
    assert main(["template", "instantiate", "r2plus1d-tiny", str(work)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "refusing to overwrite" in err
    assert read_template(work).epochs == 7  # the user's edit survived
    assert main(["template", "instantiate", "r2plus1d-tiny", str(work), "--force"]) == 0
    assert read_template(work).name == "r2plus1d-tiny"
    assert main(["template", "instantiate", "resnet-9000", str(tmp_path / "w2")]) == 2
    err = capsys.readouterr().err
    assert "unknown template 'resnet-9000'" in err and "sample-r2plus1d-tiny" in err


def test_every_template_value_is_overridable_on_the_command_line(tmp_path: Path) -> None:
    from gesturekit.cli.template import work_template

    work = _work(tmp_path)
    args = build_parser().parse_args([
        "clip-train", str(work), "--data", "d", "--epochs", "3", "--lr", "1e-4",
        "--frames", "4", "--fps", "7.5", "--input-size", "40", "--batch-size", "2",
        "--architecture", "tsm-mobilenetv3-small", "--weights", "none", "--crop-scale",
        "0.8", "--dropout", "0.1", "--mean", "1", "2", "3"])
    template, given = work_template(args)
    assert (template.epochs, template.learning_rate, template.frames, template.fps) == (
        3, 1e-4, 4, 7.5)
    assert (template.input_size, template.batch_size, template.architecture) == (
        40, 2, "tsm-mobilenetv3-small")
    assert (template.crop_scale, template.dropout) == (0.8, 0.1)
    assert template.normalise == {"mean": [1, 2, 3], "std": [127.5] * 3}
    assert len(given) == 11


@pytest.mark.parametrize("old, new, message", [
    (None, None, "no template.yaml; start a work folder with 'gesturekit template instantiate"),
    ("frames: 8", "frames: 0", "bad template: frames must be a positive integer"),
    ("crop: frame", "crop: box", "bad template: crop 'box' is not one of frame"),
    ("dropout:", "colour: RGB\ndropout:", "unknown key(s) colour"),
])
def test_missing_or_bad_template_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture,
                                             tiny_clips: Path, old: str | None,
                                             new: str | None, message: str) -> None:
    work = tmp_path / "work"
    if old is not None:
        work = _work(tmp_path)
        path = work / "template.yaml"
        path.write_text(path.read_text().replace(old, new))
    assert main(["clip-train", str(work), "--data", str(tiny_clips)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_eval_and_export_without_a_trained_snapshot_are_one_line(
        tmp_path: Path, tiny_clips: Path, capsys: pytest.CaptureFixture) -> None:
    work = _work(tmp_path)
    assert main(["clip-eval", str(work), "--data", str(tiny_clips)]) == 2
    assert "no best snapshot in metrics.csv; train first" in capsys.readouterr().err
    assert main(["clip-export", str(work), "--out", str(tmp_path / "x"), "--snapshot",
                 str(work / "nope.h5")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope.h5: snapshot not found" in err
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------- clip data

def test_windows_cover_the_gesture_and_stay_in_the_video() -> None:
    from gesturekit.clips.classifier.data import window_ids
    from gesturekit.clips.rawframes import ClipRecord

    record = ClipRecord("v", 0, 1, 30, 11, 16, 10.0)  # a 6-frame gesture in 30 frames
    # 8 frames at 5 fps span 14 frames > the gesture: the window holds the whole gesture
    for position in (0.0, 0.5, 1.0):
        ids = window_ids(record, 8, 5, position)
        assert ids[0] <= 11 and ids[-1] >= 16 and np.all(np.diff(ids) == 2)
    assert window_ids(record, 8, 5) == list(range(7, 22, 2))  # centred on it
    inside = window_ids(ClipRecord("v", 0, 1, 30, 5, 25, 10.0), 4, 10, 0.0)
    assert inside == [5, 6, 7, 8]
    edge = window_ids(ClipRecord("v", 0, 1, 9, 1, 9, 10.0), 8, 5)  # repeats the ends
    assert edge[0] == 1 and edge[-1] == 9 and len(edge) == 8


def test_clip_preprocessing_is_the_runtimes(tiny_clips: Path) -> None:
    from gesturekit.clips.classifier.data import ClipBatches, load_split, normalise, window_ids
    from gesturekit.clips.classifier.templates import get_template, with_overrides
    from gesturekit.clips.rawframes import frame_path
    from convert.clip_export import exported_card
    from gesturekit.runtime.clip import Clip, ClipAdapter
    from detector.engine import TensorInfo

    template = with_overrides(get_template("r2plus1d-tiny"),
                              {"frames": 4, "fps": 10, "input_size": 32, "crop_scale": 0.9})
    split = load_split(tiny_clips, "val.txt", 4)
    ours = normalise(ClipBatches(split, template, 2, train=False).clip(1), template)
    card = exported_card(TINY_CLASSES, template)
    adapter = ClipAdapter(card, [TensorInfo(frozenset({"logits"}), (1, 3), False)], Path("m"))
    record = split.records[1]
    frames = [cv2.imread(str(frame_path(tiny_clips, record, i)))
              for i in window_ids(record, 4, 10)]
    tensor, _ = adapter.prepare(Clip(frames, None))
    np.testing.assert_allclose(tensor[0].transpose(1, 2, 3, 0), ours, atol=1e-6)


def test_bad_clips_are_one_line_errors(tiny_clips: Path, tmp_path: Path) -> None:
    import shutil

    from gesturekit.clips.classifier.data import load_split
    from voc_tools.errors import GestureKitError

    with pytest.raises(GestureKitError, match="the clip has 8 frames, fewer than the "
                                              "model's 16 frames per clip"):
        load_split(tiny_clips, "train.txt", 16)
    data = tmp_path / "data"
    shutil.copytree(tiny_clips, data)
    (data / "bad.txt").write_text("left_0 3 1 8 2 7 10\n")
    with pytest.raises(GestureKitError, match=r"bad.txt: left_0: label id 3 is outside the "
                                              r"3 classes \(ids 0..2\)"):
        load_split(data, "bad.txt", 4)
    (data / "bad.txt").write_text("left_0 0 1 8 2 7\n")
    with pytest.raises(GestureKitError, match="bad.txt:1: expected 7 fields"):
        load_split(data, "bad.txt", 4)


# ---------------------------------------------------------------- train / eval / export

@pytest.mark.slow
def test_clip_train_resume_finetune_eval_on_tiny_clips(
        tiny_clips: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    work = _work(tmp_path)
    data = ["--data", str(tiny_clips)]
    assert main(["clip-train", str(work), *data, *TINY, "--epochs", "1"]) == 0
    rows = list(csv.DictReader((work / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1"] and rows[0]["val_top1"]
    snapshot = work / "snapshots" / "epoch_001.h5"
    assert snapshot.is_file() and (work / "curves.png").stat().st_size > 0
    card = yaml.safe_load(snapshot.with_suffix(".json").read_text())  # the one card
    info = {"classes": card["classes"], "template": card["clip"]["template"]}
    assert info["classes"] == TINY_CLASSES and info["template"]["frames"] == 4
    assert info["template"]["crop"] == "frame" and info["template"]["input_size"] == 32
    assert (card["stage"], card["kind"]) == ("training", "clip_classifier")

    capsys.readouterr()
    assert main(["clip-train", str(work), *data, *TINY, "--epochs", "1"]) == 2
    assert "already holds a training run" in capsys.readouterr().err
    assert main(["clip-train", str(work), *data, *TINY, "--epochs", "2", "--resume"]) == 0
    assert [r["epoch"] for r in csv.DictReader((work / "metrics.csv").open())] == ["1", "2"]
    assert main(["clip-train", str(work), *data, "--resume", "--epochs", "3",
                 "--frames", "6"]) == 2
    assert "--resume cannot change frames" in capsys.readouterr().err

    tuned = _work(tmp_path / "tuned")
    assert main(["clip-train", str(tuned), *data, *TINY, "--epochs", "1", "--load-from",
                 str(work / "snapshots" / "epoch_002.h5"), "--lr", "1e-4"]) == 0
    rows = list(csv.DictReader((tuned / "metrics.csv").open()))
    assert float(rows[0]["lr"]) == pytest.approx(1e-4)

    assert main(["clip-eval", str(work), *data, "--split", "val.txt"]) == 0
    metrics = yaml.safe_load((work / "metrics.yaml").read_text())
    assert metrics["clips"] == 3 and np.sum(metrics["confusion_matrix"]) == 3
    assert metrics["parameters"] > 1000 and metrics["gflops"] > 0
    assert (work / "confusion.png").stat().st_size > 0
    assert main(["clip-eval", str(work), *data, "--frames", "8"]) == 2
    assert "trained with frames 4" in capsys.readouterr().err


@pytest.mark.slow
def test_dynamic_sample_to_served_classifier_end_to_end(
        tmp_path: Path, capsys: pytest.CaptureFixture, small_detector: dict) -> None:
    """The issue's path on the synthetic swipes: a learned classifier (val top-1 >= 0.9)
    that the runtime serves with the same answers as Keras, and the demo (the session's
    small hand detector -> tracker -> this classifier) labels val videos as they are."""
    from gesturekit.clips.classifier.data import ClipBatches, load_split, normalise, window_ids
    from gesturekit.clips.classifier.metadata import load_info, template_of
    from gesturekit.clips.classifier.model import load_model
    from gesturekit.clips.classifier.run_log import best_snapshot
    from gesturekit.clips.rawframes import frame_path
    from detector.card import read_card_file
    from gesturekit.runtime.clip import Clip
    from gesturekit.runtime.server import ModelServer

    started = time.perf_counter()
    sample, data, work, out = (tmp_path / name for name in ("sample", "data", "work", "out"))
    assert main(["sample", str(sample), "--dynamic"]) == 0  # 24 videos per class
    assert main(["clips", "dump", "--videos", str(sample / "videos"), "--annotation",
                 str(sample / "train.txt"), str(sample / "val.txt"), "--intervals",
                 str(sample / "intervals.csv"), "--out", str(data)]) == 0
    work = _work(tmp_path)
    assert main(["clip-train", str(work), "--data", str(data)]) == 0
    trained = time.perf_counter()
    assert main(["clip-eval", str(work), "--data", str(data), "--split", "val.txt"]) == 0
    metrics = yaml.safe_load((work / "metrics.yaml").read_text())
    assert metrics["top1"] >= 0.9, metrics
    assert metrics["mean_class_accuracy"] >= 0.85
    assert metrics["classes"] == ["swipe_left", "swipe_right", "no_gesture"]
    assert 0 < metrics["gflops"] < 1 and metrics["parameters"] < 1_000_000

    assert main(["clip-export", str(work), "--out", str(out), "--data", str(data)]) == 0
    card = yaml.safe_load((out / "model.yaml").read_text())
    assert card["export"]["parity"]["openvino_max_abs_diff"] < 1e-4
    assert card["export"]["parity"]["onnx_max_abs_diff"] < 1e-4
    runtime_card = read_card_file(out / "model.yaml")
    assert (runtime_card.kind, runtime_card.input.layout, runtime_card.clip["crop"]) == (
        "clip_classifier", "NCTHW", "frame")

    snapshot = best_snapshot(work)
    template, model = template_of(load_info(snapshot)), load_model(snapshot)
    split = load_split(data, "val.txt", template.frames)
    batches = ClipBatches(split, template, 1, train=False)
    server = ModelServer()
    served = server.add("gesture", out / "model.xml")  # finds model.yaml beside it
    served_onnx = server.add("gesture_onnx", out / "model.onnx", out / "model.yaml")
    right = 0
    for index, record in enumerate(split.records):
        frames = [cv2.imread(str(frame_path(data, record, i)))
                  for i in window_ids(record, template.frames, template.fps)]
        prediction = served.classify(Clip(frames, None))
        keras_label = int(np.argmax(model(normalise(batches.clip(index), template)[None])))
        assert prediction.label == keras_label, record
        if index < 3:
            assert served_onnx.classify(Clip(frames, None)).label == keras_label
        right += prediction.label == record.label
    assert right / len(split.records) == pytest.approx(metrics["top1"], abs=1e-3)
    _demo_labels_match_ground_truth(sample, out, small_detector["model"] / "inference.h5",
                                    tmp_path / "demo")
    print(f"end to end {time.perf_counter() - started:.0f} s (to trained "
          f"{trained - started:.0f} s), val top-1 {metrics['top1']}")


def _demo_labels_match_ground_truth(sample: Path, classifier: Path, detector: Path,
                                    out: Path) -> None:
    """One val video per class through ``gesturekit demo`` (headless): the label drawn at
    the end of the labelled interval, once the clip covers the gesture, is the video's."""
    import json

    classes = (sample / "classes.txt").read_text().split()
    val = dict(line.split() for line in (sample / "val.txt").read_text().splitlines())
    with (sample / "intervals.csv").open() as handle:
        ends = {row["video"]: int(row["end_ms"]) for row in csv.DictReader(handle)}
    chosen = {classes[int(label)]: video for video, label in sorted(val.items())}
    assert set(chosen) == set(classes)
    out.mkdir()
    for name, video in chosen.items():
        output = out / f"{Path(video).stem}.mp4"
        assert main(["demo", str(sample / "videos" / video), "--detector", str(detector),
                     "--classifier", str(classifier / "model.xml"), "--output", str(output),
                     "--no-window", "--threshold", "0.05"]) == 0
        frames = [json.loads(line) for line in output.with_suffix(".jsonl").open()]
        fps = cv2.VideoCapture(str(sample / "videos" / video)).get(cv2.CAP_PROP_FPS)
        end = min(len(frames) - 1, round(ends[video] / 1000 * fps))
        labelled = [t["label"] for f in frames[end:] for t in f["tracks"] if t["label"]]
        assert labelled, f"{video}: no labelled track from frame {end} on"
        assert labelled[0] == name, (video, labelled[:5])

