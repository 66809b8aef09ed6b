"""gesturekit export: ONNX / OpenVINO IR parity with Keras, INT8 report, card, bad inputs."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gesturekit import cli
from voc_tools.errors import GestureKitError


from detector.card import load_card  # noqa: E402
from convert.verify import verify_export  # noqa: E402
from parity import matched  # noqa: E402


@pytest.fixture
def cli_main():  # type: ignore[no-untyped-def]
    """The gesturekit command's entry point."""
    return cli.main


@pytest.fixture(scope="module")
def trained(small_detector: dict) -> dict:
    """The session's briefly trained small detector (tests/conftest.py)."""
    return small_detector


@pytest.fixture(scope="module")
def exported(trained) -> Path:  # type: ignore[no-untyped-def]
    """ONNX + OpenVINO FP32 + INT8 (20 calibration images), with the val mAP report."""
    out = trained["base"] / "exported_int8"
    argv = ["export", str(trained["model"] / "inference.h5"), "--format", "all",
            "--out", str(out), "--precision", "int8", "--calib", str(trained["root"]),
            "--calib-size", "20"]
    assert cli.main(argv) == 0
    return out


@pytest.mark.slow
def test_parity_keras_onnx_openvino(trained, exported) -> None:  # type: ignore[no-untyped-def]
    from gesturekit.runtime.backends import load_detector  # the engine users run
    from voc_tools.image_io import read_image_bgr
    from voc_tools.layout import VocLayout

    card = load_card(exported)
    keras = load_detector(trained["model"] / "inference.h5")
    backends = {"onnx": load_detector(card.file("onnx")),
                "openvino": load_detector(card.file("openvino_fp32"))}
    assert {b.backend for b in (keras, *backends.values())} == {"keras", "onnxruntime",
                                                                "openvino"}
    layout = VocLayout(trained["root"])
    ids = layout.read_split("val")[:5]
    total = 0
    for image_id in ids:
        image = read_image_bgr(layout.image_path(image_id))
        reference = keras.detect(image)
        total += len(reference)
        for name, backend in backends.items():
            assert matched(reference, backend.detect(image)), (name, image_id)
    assert total > 0, "the trained model found nothing; parity would be vacuous"


@pytest.mark.slow
def test_card_report_and_rt_info(exported) -> None:  # type: ignore[no-untyped-def]
    import openvino as ov

    card = load_card(exported / "model.xml")
    assert card.kind == "detector" and card.classes == ["grab", "drop"]
    assert (card.input.height, card.input.width, card.input.layout) == (128, 171, "NHWC")
    assert card.to_dict()["input"]["pad_after_normalise"] is True
    assert set(card.files) == {"onnx", "openvino_fp32", "openvino_int8"}
    assert card.precision["default"] == "int8"
    nms = card.export["nms"]
    assert nms["chosen"] in ("openvino", "tensorflow") and nms["detections_agree"]
    report = json.loads((exported / "export_report.json").read_text())
    for name in ("fp32", "bf16", "int8"):
        assert isinstance(report["map"][name], float) and 0.0 <= report["map"][name] <= 1.0
    assert report["map_change_vs_fp32"]["int8"] == pytest.approx(
        report["map"]["int8"] - report["map"]["fp32"], abs=1e-5)
    # The .xml alone describes the model: classes and input in its rt_info.
    model = ov.Core().read_model(str(exported / "model.xml"))
    in_ir = json.loads(model.get_rt_info(["gesturekit", "card"]).astype(str))
    assert in_ir["classes"] == card.classes
    alone = exported.parent / "alone"
    alone.mkdir()
    for name in ("model.xml", "model.bin"):
        shutil.copy(exported / name, alone / name)
    assert load_card(alone / "model.xml").input.height == 128
    assert verify_export(exported).files == card.files


@pytest.mark.slow
def test_the_default_input_size_is_the_canvas_it_was_trained_on(trained) -> None:  # type: ignore[no-untyped-def]
    """Frames of the training shape are padded as in training; a model whose card
    predates the record gets a 4:3 frame's training resize."""
    from dataclasses import replace

    from convert.preprocess import default_input_size

    card = load_card(trained["model"])
    assert card.input.canvas == (128, 171)  # the sample's 4:3 frames
    wide = replace(card, input=replace(card.input, canvas=(96, 171)))
    assert default_input_size(wide) == (96, 171)
    older = replace(card, input=replace(card.input, canvas=None))
    assert default_input_size(older) == (128, 171)


@pytest.mark.slow
def test_bf16_hint_recorded(trained, cli_main, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "bf16"
    assert cli_main(["export", str(trained["model"]), "--format", "openvino", "--out",
                     str(out), "--precision", "bf16", "--input-size", "96x128"]) == 0
    card = load_card(out)
    assert card.precision["inference_precision_hint"] == "bf16"
    assert "FP32" in card.export["cpu_optimization_capabilities"]
    assert (card.input.height, card.input.width) == (96, 128)
    assert card.export["nms"]["latency_ms_median"]["openvino"] > 0


def _copy_ir(exported: Path, folder: Path, with_card: bool) -> Path:
    folder.mkdir()
    for name in ("model.xml", "model.bin") + (("gesturekit.json",) if with_card else ()):
        shutil.copy(exported / name, folder / name)
    return folder / "model.xml"


@pytest.mark.slow
def test_truncated_bin_is_one_line_error(exported, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for with_card in (False, True):
        xml = _copy_ir(exported, tmp_path / f"card{with_card}", with_card)
        data = xml.with_suffix(".bin").read_bytes()
        xml.with_suffix(".bin").write_bytes(data[: len(data) // 2])
        with pytest.raises(GestureKitError) as err:
            verify_export(xml)
        assert "\n" not in str(err.value) and "model." in str(err.value)


@pytest.mark.slow
def test_bin_of_another_model_is_refused(exported, tmp_path) -> None:  # type: ignore[no-untyped-def]
    xml = _copy_ir(exported, tmp_path / "ir", with_card=False)
    shutil.copy(exported / "model_int8.bin", xml.with_suffix(".bin"))
    with pytest.raises(GestureKitError, match="model.xml.*(truncated|another model)"):
        verify_export(xml)
    with_card = _copy_ir(exported, tmp_path / "ir_card", with_card=True)
    shutil.copy(exported / "model_int8.bin", with_card.with_suffix(".bin"))
    with pytest.raises(GestureKitError, match="model.bin.*does not belong"):
        verify_export(with_card)


@pytest.mark.slow
def test_onnx_of_the_wrong_kind(exported, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("GlobalAveragePool", ["input"], ["pooled"]),
         helper.make_node("Flatten", ["pooled"], ["prob"])], "classifier",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 3])])
    onnx_path = tmp_path / "model.onnx"
    onnx.save(helper.make_model(graph), str(onnx_path))
    shutil.copy(exported / "gesturekit.json", tmp_path / "gesturekit.json")
    with pytest.raises(GestureKitError, match=r"model.onnx: not a GestureKit detector"):
        verify_export(onnx_path)


@pytest.mark.slow
def test_card_disagreeing_with_the_model(exported, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "edited"
    shutil.copytree(exported, folder)
    card = json.loads((folder / "gesturekit.json").read_text())
    card["input"]["height"] = 256
    (folder / "gesturekit.json").write_text(json.dumps(card))
    for name in ("model.onnx", "model.xml"):
        with pytest.raises(GestureKitError, match=f"{name}: the model's input shape"):
            verify_export(folder / name)


def test_non_empty_out_refused_without_force(cli_main, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    model = tmp_path / "model"
    (model / "saved_model").mkdir(parents=True)
    (model / "saved_model" / "saved_model.pb").write_bytes(b"x")
    (model / "inference.h5").write_bytes(b"x")
    (model / "gesturekit.json").write_text(json.dumps(
        {"format": "gesturekit-model", "version": 1, "classes": ["a"],
         "backbone": "mobilenet128_0.5", "image_min_side": 128, "image_max_side": 171,
         "model_type": "inference"}))
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    assert cli_main(["export", str(model), "--out", str(out)]) == 2
    message = capsys.readouterr().err.strip()
    assert "\n" not in message and str(out) in message and "--force" in message
    assert (out / "mine.txt").read_text() == "keep me"


def test_bad_model_path_is_one_line(cli_main, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli_main(["export", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "nope: not found" in capsys.readouterr().err


#: architecture options other than the default's, each exported with parity below
ARCHITECTURES = {"group-norm heads": ["--backbone", "mobilenet128_0.5", "--head-norm", "group"],
                 "csp backbone": ["--backbone", "csp_n"]}


@pytest.mark.slow
@pytest.mark.parametrize("options", list(ARCHITECTURES.values()), ids=list(ARCHITECTURES))
def test_other_architectures_export_with_parity_and_int8(options: list, tmp_path: Path) -> None:
    """A detector with GroupNorm heads (``--head-norm group``) or the CSP backbone
    (``--backbone csp_n``) exports to ONNX, FP32 and INT8 IR: the FP32 IR matches Keras,
    and quantizing INT8 leaves it so (NNCF once changed the GroupNorm constants the FP32
    IR shares in memory: val mAP 0.0). GroupNorm's INT8 model is much worse than FP32, so
    only that INT8 runs is checked."""
    from gesturekit.runtime.backends import load_detector
    from sample_voc import build_sample_voc
    from voc_tools.image_io import read_image_bgr
    from voc_tools.layout import VocLayout

    root = build_sample_voc(tmp_path / "data", videos=3, frames=12)
    run = tmp_path / "run"
    assert cli.main(["train", str(root), "--out", str(run), *options, "--weights", "none",
                     "--head-width", "32", "--image-min-side", "128", "--image-max-side",
                     "171", "--batch-size", "8", "--epochs", "1", "--steps", "20",
                     "--lr", "1e-3"]) == 0
    snapshot = sorted((run / "snapshots").glob("*.h5"))[-1]
    assert cli.main(["convert", str(snapshot), str(tmp_path / "model")]) == 0
    out = tmp_path / "exported"
    assert cli.main(["export", str(tmp_path / "model" / "inference.h5"), "--format", "all",
                     "--out", str(out), "--precision", "int8", "--calib", str(root),
                     "--calib-size", "20"]) == 0
    card = load_card(out)
    keras = load_detector(tmp_path / "model" / "inference.h5")
    fp32 = load_detector(card.file("openvino_fp32"))
    layout = VocLayout(root)
    found = 0
    for image_id in layout.read_split("val")[:5]:
        image = read_image_bgr(layout.image_path(image_id))
        reference = keras.detect(image)
        found += len(reference)
        assert matched(reference, fp32.detect(image)), image_id
    assert found > 0, "the trained model found nothing; parity would be vacuous"
    from detector.evaluate import collect, evaluate_detections

    report = json.loads((out / "export_report.json").read_text())
    assert set(report["map"]) == {"fp32", "bf16", "int8"}
    detections, annotations = collect(keras, layout, layout.read_split("val"), progress=False)
    keras_map = float(evaluate_detections(detections, annotations, keras.classes).map)
    assert keras_map > 0, "the trained model scores nothing; the comparison would be vacuous"
    # the saved FP32 IR scores as Keras does (it scored 0.0 when quantization changed it)
    assert abs(report["map"]["fp32"] - keras_map) <= 0.01
    # INT8 runs and finds hands, but GroupNorm heads quantize poorly (0.04 against Keras'
    # 0.23 on this model; the README says so), so only that is checked for every variant
    assert report["map"]["int8"] > 0
