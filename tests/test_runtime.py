"""The CPU runtime: model cards, clip sampling and cropping, one Core serving our exported
detector beside a clip classifier and Open Model Zoo's person-detection-asl-0001, sync and
async, and one-line errors for bad models, cards and images."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import shared_path
from parity import matched as backends_agree
from voc_tools.errors import GestureKitError

from gesturekit.runtime import (Clip, ClipSampler, ModelServer, center_square, crop, load_detector,
                     read_card_file, sample_indices)
from gesturekit.runtime.backends import choose_backend

REPO = Path(__file__).resolve().parents[1]

OMZ = "person-detection-asl-0001"
CLIP_T, CLIP_SIZE, CLIP_CLASSES = 8, 64, ["swipe", "push", "pull", "none"]


def omz_xml() -> Path:
    return shared_path("models", OMZ, "FP32", f"{OMZ}.xml")


def video_frames(path: Path, indices: list[int]) -> list[np.ndarray]:
    """The BGR frames at ``indices`` (sorted) of a video."""
    capture, frames, index = cv2.VideoCapture(str(path)), [], 0
    try:
        for wanted in indices:
            while index <= wanted:
                ok, frame = capture.read()
                assert ok, f"{path} has no frame {index}"
                index += 1
            frames.append(frame)
    finally:
        capture.release()
    return frames


def write_card(path: Path, card: dict) -> Path:
    path.write_text(json.dumps(card) if path.suffix == ".json" else
                    __import__("yaml").safe_dump(card), encoding="utf-8")
    return path


# ---------------------------------------------------------------- sampling and cropping

def test_sample_indices_at_a_fixed_rate() -> None:
    # 25 fps video, 15 fps clips: the k-th frame back is round_half_up(k * 5/3) frames back
    assert sample_indices(100, 16, 25, 15) == [
        75, 77, 78, 80, 82, 83, 85, 87, 88, 90, 92, 93, 95, 97, 98, 100]
    assert sample_indices(10, 4, 30, 15) == [4, 6, 8, 10]          # every 2nd frame
    assert sample_indices(3, 4, 25, 25) == [0, 1, 2, 3]
    assert sample_indices(1, 4, 25, 25) == [0, 0, 0, 1]            # video start repeats
    with pytest.raises(ValueError):
        sample_indices(5, 0, 25, 15)


def test_clip_sampler_keeps_just_the_span_and_picks_the_sampled_frames() -> None:
    sampler = ClipSampler(16, 25, 15)
    for i in range(120):
        sampler.push(np.full((2, 2, 3), i, np.uint8))
        clip = [int(frame[0, 0, 0]) for frame in sampler.clip()]
        assert clip == sample_indices(i, 16, 25, 15)
    assert sampler._frames.maxlen == 26  # newest - oldest + 1 = 25 + 1


def test_center_square_and_crop() -> None:
    assert center_square((10, 20, 110, 60)) == (40, 20, 80, 60)      # side = shorter side
    assert center_square((10, 20, 110, 60), 0.5) == (50, 30, 70, 50)
    assert center_square((0, 0, 7, 7)) == (0, 0, 7, 7)
    image = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)
    np.testing.assert_array_equal(crop(image, (1, 2, 4, 5)), image[2:5, 1:4])
    outside = crop(image, (-2, -1, 2, 3))                              # black outside
    assert outside.shape == (4, 4, 3)
    np.testing.assert_array_equal(outside[1:, 2:], image[:3, :2])
    assert not outside[0].any() and not outside[:, :2].any()


# ---------------------------------------------------------------- a real clip classifier

@pytest.fixture(scope="module")
def clip_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    """A tiny (2+1)D Keras clip classifier (seeded random weights) exported to OpenVINO IR
    with input 1x3xTxHxW, and its card; returns (xml, card, keras model)."""
    import openvino as ov
    import tensorflow as tf
    from tensorflow import keras

    tf.keras.utils.set_random_seed(0)
    clip = keras.Input((3, CLIP_T, CLIP_SIZE, CLIP_SIZE), batch_size=1, name="clip")
    x = keras.layers.Permute((2, 3, 4, 1))(clip)                      # to NTHWC for Conv3D
    x = keras.layers.Conv3D(8, (1, 3, 3), strides=(1, 2, 2), activation="relu")(x)
    x = keras.layers.Conv3D(8, (3, 1, 1), activation="relu")(x)
    x = keras.layers.GlobalAveragePooling3D()(x)
    logits = keras.layers.Dense(len(CLIP_CLASSES), name="logits")(x)
    model = keras.Model(clip, logits)
    folder = tmp_path_factory.mktemp("clip")
    xml = folder / "clip.xml"
    ov.save_model(ov.convert_model(model), str(xml), compress_to_fp16=False)
    card = write_card(folder / "clip.yaml", {
        "kind": "clip_classifier", "classes": CLIP_CLASSES, "precision": "f32",
        "input": {"layout": "NCTHW", "height": CLIP_SIZE, "width": CLIP_SIZE,
                  "color_order": "RGB", "normalise": {"mean": [127.5] * 3,
                                                      "std": [127.5] * 3}},
        "output": {"format": "logits"},
        "clip": {"frames": CLIP_T, "fps": 12.5, "crop_scale": 0.875}})
    return xml, card, model


def test_clip_classifier_softmax_matches_keras_and_crops_the_right_pixels(
        clip_model: tuple[Path, Path, object]) -> None:
    xml, card, keras_model = clip_model
    served = ModelServer().add("gesture", xml, card)
    assert served.settings()["precision"] == "f32"
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (90, 120, 3), np.uint8) for _ in range(CLIP_T)]
    box = (20, 10, 100, 90)  # 80 x 80: centre square of side 70 at (25, 15)
    tensor, _ = served.adapter.prepare(Clip(frames, box))
    assert tensor.shape == (1, 3, CLIP_T, CLIP_SIZE, CLIP_SIZE) and tensor.dtype == np.float32
    expected = cv2.resize(frames[3][15:85, 25:95], (CLIP_SIZE, CLIP_SIZE))[..., ::-1]
    np.testing.assert_allclose(tensor[0, :, 3], (expected.transpose(2, 0, 1) - 127.5) / 127.5,
                               atol=1e-6)
    prediction = served.classify(Clip(frames, box))
    assert prediction.probabilities.shape == (len(CLIP_CLASSES),)
    assert prediction.probabilities.sum() == pytest.approx(1.0, abs=1e-6)
    logits = np.asarray(keras_model(tensor))[0]
    keras_probabilities = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(prediction.probabilities, keras_probabilities, atol=1e-5)
    assert prediction.name == CLIP_CLASSES[int(np.argmax(logits))]


def test_clip_classifier_on_sampled_video_frames_sync_equals_async(
        clip_model: tuple[Path, Path, object], hands_video: Path) -> None:
    xml, card, _ = clip_model
    served = ModelServer().add("gesture", xml, card)
    fps = cv2.VideoCapture(str(hands_video)).get(cv2.CAP_PROP_FPS)
    sampler, clips = ClipSampler(CLIP_T, fps, 12.5), []
    for i, frame in enumerate(video_frames(hands_video, list(range(60)))):
        sampler.push(frame)
        if i % 20 == 19:
            clips.append(Clip(sampler.clip(), (100, 50, 1180, 700)))
    assert [len(c.frames) for c in clips] == [CLIP_T] * 3
    sync = [served.classify(c).probabilities for c in clips]
    streamed = [p.probabilities for p in served.stream(clips)]
    np.testing.assert_allclose(np.stack(streamed), np.stack(sync), atol=1e-6)
    assert not np.allclose(sync[0], sync[2])  # different clips, different outputs


# ---------------------------------------------------------------- person-detection-asl-0001

def test_person_detector_finds_the_people_in_hands_video(hands_video: Path) -> None:
    server = ModelServer()
    person = server.add("person", omz_xml())  # the card shipped in gesturekit/runtime/cards
    assert person.card.path.name == f"{OMZ}.yaml"
    assert person.settings() == {"precision": "f32", "hint": "LATENCY", "requests": "1"}
    frames = video_frames(hands_video, [150, 200, 300, 900])
    found = [person.detect(frame, score_threshold=0.3) for frame in frames]
    assert [len(d) for d in found] == [2, 2, 1, 1], [d.records() for d in found]
    for detections in found:  # standing people in a 1280x720 frame
        boxes = detections.boxes
        assert (boxes[:, 0] >= -5).all() and (boxes[:, 2] <= 1285).all()
        assert ((boxes[:, 3] - boxes[:, 1]) > 400).all()
        assert detections.classes == ["person"]
    streamed = list(person.stream(frames, score_threshold=0.3))
    assert person.settings("THROUGHPUT")["hint"] == "THROUGHPUT"
    assert len(streamed) == len(frames)
    for a, b in zip(streamed, found):
        np.testing.assert_allclose(a.boxes, b.boxes, atol=1e-3)
        np.testing.assert_allclose(a.scores, b.scores, atol=1e-5)
    collected: list[int] = []
    assert person.process(iter(frames), lambda i, d: collected.append(i)) == len(frames)
    assert collected == list(range(len(frames)))


def test_testdetector_runs_an_openvino_model_with_its_shipped_card(tmp_path: Path,
                                                                   hands_video: Path) -> None:
    image = tmp_path / "frame.png"
    cv2.imwrite(str(image), video_frames(hands_video, [200])[0])
    command = [sys.executable, str(REPO / "testDetector.py"), "--model", str(omz_xml()),
               "--image", str(image), "--output", str(tmp_path / "drawn.jpg"),
               "--threshold", "0.3"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["class"] for r in records] == ["person", "person"]
    assert (tmp_path / "drawn.jpg").stat().st_size > 0
    result = subprocess.run(command + ["--backend", "keras"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "keras backend cannot run a .xml file" in result.stderr


# ---------------------------------------------------------------- bad input, one line each

def one_line(err: pytest.ExceptionInfo, path: Path) -> str:
    text = str(err.value)
    assert "\n" not in text and str(path) in text, text
    return text


def test_card_that_disagrees_with_the_model_input(tmp_path: Path) -> None:
    card = read_card_file(REPO / "gesturekit" / "runtime" / "cards" / f"{OMZ}.yaml")
    assert (card.input.height, card.input.width, card.input.layout, card.output) == (
        320, 320, "NCHW", "boxes_conf")
    data = __import__("yaml").safe_load((REPO / "gesturekit" / "runtime" / "cards" / f"{OMZ}.yaml")
                                        .read_text())
    data["input"]["height"] = data["input"]["width"] = 300
    bad = write_card(tmp_path / "bad.yaml", data)
    with pytest.raises(GestureKitError) as err:
        ModelServer().add("person", omz_xml(), bad)
    assert "300x300 disagrees" in one_line(err, bad) and "[1,3,320,320]" in str(err.value)
    data["input"].update(height=320, width=320, layout="NHWC")
    nhwc = write_card(tmp_path / "nhwc.json", data)
    with pytest.raises(GestureKitError) as err:
        ModelServer().add("person", omz_xml(), nhwc)
    assert "colour channels" in one_line(err, nhwc)


def test_card_of_the_wrong_kind_for_the_model(clip_model: tuple[Path, Path, object],
                                              tmp_path: Path) -> None:
    xml, _, _ = clip_model
    card = shutil.copy(REPO / "gesturekit" / "runtime" / "cards" / f"{OMZ}.yaml", tmp_path / "det.yaml")
    with pytest.raises(GestureKitError) as err:
        ModelServer().add("clip", xml, card)
    assert "rank 5" in one_line(err, Path(card))


@pytest.mark.parametrize("change, message", [
    ({"kind": "segmenter"}, "kind 'segmenter' is not one of detector, clip_classifier"),
    ({"classes": []}, "classes must be a non-empty list"),
    ({"precision": "int4"}, "precision 'int4'"),
    ({"input": {"layout": "NCHW", "height": 320}}, "give both input height and width"),
])
def test_bad_cards_are_one_line_errors(tmp_path: Path, change: dict, message: str) -> None:
    data = {"kind": "detector", "classes": ["person"],
            "input": {"layout": "NCHW", "height": 320, "width": 320}, **change}
    card = write_card(tmp_path / "card.yaml", data)
    with pytest.raises(GestureKitError) as err:
        read_card_file(card)
    assert message in one_line(err, card)
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: [detector\n")
    with pytest.raises(GestureKitError) as err:
        read_card_file(broken)
    assert "cannot read model card" in one_line(err, broken)


def test_images_with_the_wrong_channel_count() -> None:
    person = ModelServer().add("person", omz_xml())
    for image in (np.zeros((90, 160, 4), np.uint8), np.zeros((90, 160, 1), np.uint8),
                  np.zeros((90, 160), np.uint8)):
        with pytest.raises(GestureKitError) as err:
            person.detect(image)
        assert "expected a 3-channel BGR image" in one_line(err, omz_xml())
        with pytest.raises(GestureKitError):
            list(person.stream([image]))


def test_truncated_or_mismatched_ir_files(tmp_path: Path,
                                          clip_model: tuple[Path, Path, object]) -> None:
    source, card = omz_xml(), REPO / "gesturekit" / "runtime" / "cards" / f"{OMZ}.yaml"
    xml_text, weights = source.read_bytes(), source.with_suffix(".bin").read_bytes()
    cases = {"short_xml": (xml_text[: len(xml_text) // 2], weights, ".xml"),
             "short_bin": (xml_text, weights[: len(weights) // 2], ".bin"),
             "clip_bin": (xml_text, clip_model[0].with_suffix(".bin").read_bytes(), ".bin")}
    for name, (xml_bytes, bin_bytes, blamed) in cases.items():
        xml = tmp_path / name / f"{OMZ}.xml"
        xml.parent.mkdir()
        xml.write_bytes(xml_bytes)
        xml.with_suffix(".bin").write_bytes(bin_bytes)
        with pytest.raises(GestureKitError) as err:
            ModelServer().add("person", xml, card)
        assert "OpenVINO cannot read this model" in one_line(err, xml.with_suffix(blamed))
    xml.with_suffix(".bin").unlink()
    with pytest.raises(GestureKitError) as err:
        ModelServer().add("person", xml, card)
    assert "weights" in one_line(err, xml)


def test_backend_choice_from_the_file() -> None:
    assert choose_backend(Path("m.h5")) == "keras"
    assert choose_backend(Path("m.xml")) == "openvino"
    assert choose_backend(Path("m.onnx")) == "onnxruntime"
    assert choose_backend(Path("m.onnx"), "openvino") == "openvino"
    for path, backend in (("m.xml", "onnxruntime"), ("m.h5", "openvino"), ("m.pt", "auto"),
                          ("m.xml", "tensorrt")):
        with pytest.raises(GestureKitError) as err:
            choose_backend(Path(path), backend)
        one_line(err, Path(path))
    with pytest.raises(GestureKitError) as err:
        load_detector(REPO / "absent.xml")
    assert "not found" in one_line(err, REPO / "absent.xml")


# ---------------------------------------------------------------- our exported detector

@pytest.fixture(scope="module")
def exported(small_detector: dict) -> tuple[Path, Path]:
    """The session's small trained detector exported ('gesturekit export --format all');
    returns (export folder, VOC root)."""
    from gesturekit.cli import main

    folder = small_detector["base"] / "export_runtime"
    if not folder.exists():
        assert main(["export", str(small_detector["model"]), "--format", "all", "--out",
                     str(folder)]) == 0
    return folder, small_detector["root"]


def matched(a, b) -> None:  # type: ignore[no-untyped-def]
    """The same detections: IoU >= 0.99 box by box, scores within 1e-3, same labels."""
    assert len(a) == len(b)
    for box_a, box_b in zip(a.boxes, b.boxes):
        if (box_a[2:] <= box_a[:2]).any():  # an untrained model's empty box: no IoU
            np.testing.assert_allclose(box_a, box_b, atol=0.05)
            continue
        x1, y1 = np.maximum(box_a[:2], box_b[:2])
        x2, y2 = np.minimum(box_a[2:], box_b[2:])
        inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
        union = np.prod(box_a[2:] - box_a[:2]) + np.prod(box_b[2:] - box_b[:2]) - inter
        assert inter / union >= 0.99
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-3)
    np.testing.assert_array_equal(a.labels, b.labels)


@pytest.mark.slow
def test_exported_detector_beside_person_detector_and_clip_classifier_in_one_core(
        exported: tuple[Path, Path], clip_model: tuple[Path, Path, object],
        hands_video: Path) -> None:
    folder, root = exported
    server = ModelServer()
    hands = server.add("hands", folder / "model.xml")  # carries its own card
    person = server.add("person", omz_xml())
    gesture = server.add("gesture", clip_model[0], clip_model[1])
    assert server.names == ["hands", "person", "gesture"]
    assert all(m.server.core is server.core for m in (hands, person, gesture))
    assert hands.classes == ["grab", "drop"] and hands.settings()["precision"] == "f32"
    assert (hands.card.input.height, hands.card.input.width) == (128, 171)

    frames = video_frames(hands_video, [150, 200, 300, 900])
    people = list(server.stream("person", frames, score_threshold=0.3))
    assert [len(d) for d in people] == [2, 2, 1, 1]
    found = [hands.detect(frame, score_threshold=0.05) for frame in frames]
    for streamed, sync in zip(server.stream("hands", frames, score_threshold=0.05), found):
        matched(streamed, sync)
    best = people[0].boxes[0]
    sampler = ClipSampler(CLIP_T, 25, 12.5)
    for frame in video_frames(hands_video, list(range(150 - 14, 151))):
        sampler.push(frame)
    prediction = server.infer("gesture", Clip(sampler.clip(), best))
    assert prediction.probabilities.sum() == pytest.approx(1.0, abs=1e-6)

    onnx = load_detector(folder / "model.onnx")  # onnxruntime
    images = [cv2.imread(str(p)) for p in sorted((root / "JPEGImages").glob("*.jpg"))[:4]]
    for image in images + frames:
        ov_result = hands.detect(image, 0.05, 20)
        assert len(ov_result) > 0
        assert backends_agree(ov_result, onnx.detect(image, 0.05, 20))


@pytest.mark.slow
def test_testdetector_runs_exported_xml_and_onnx(exported: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    folder, root = exported
    image = sorted((root / "JPEGImages").glob("*.jpg"))[0]
    outputs = {}
    for model, backend in (("model.xml", "auto"), ("model.onnx", "auto"),
                           ("model.onnx", "onnxruntime")):
        result = subprocess.run(
            [sys.executable, str(REPO / "testDetector.py"), "--model", str(folder / model),
             "--image", str(image), "--output", str(tmp_path / "drawn.jpg"), "--threshold",
             "0.05", "--backend", backend], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        outputs[model] = [json.loads(line) for line in result.stdout.splitlines()]
        assert outputs[model] and {r["class"] for r in outputs[model]} <= {"grab", "drop"}
    assert [r["class"] for r in outputs["model.xml"]] == [r["class"] for r in
                                                          outputs["model.onnx"]]
    result = subprocess.run(
        [sys.executable, str(REPO / "testDetector.py"), "--model", str(folder / "model.onnx"),
         "--image", str(image), "--output", str(tmp_path / "drawn.jpg"), "--backend",
         "openvino"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "try --backend onnxruntime" in result.stderr and "Traceback" not in result.stderr
