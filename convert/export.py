"""``export_model``: a converted detector -> ONNX and/or OpenVINO IR, with its model card.

OpenVINO IR: both ways of putting NMS in the graph are built (keras-retinanet's NMS
converted from the SavedModel, and the raw network + OpenVINO's NonMaxSuppression); their
detections are compared and their latencies measured (interleaved, median); the faster
one becomes ``model.xml`` when they agree. FP32 weights always (no FP16 compression).
"""
from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from detector.card import ModelCard
from detector.preprocess import InputRule, to_network
from voc_tools.errors import GestureKitError
from voc_tools.outputs import prepare_output_folder

from .preprocess import default_input_size
from .source import ConvertedModel, find_converted

FORMATS = ("onnx", "openvino")
PRECISIONS = ("fp32", "bf16", "int8")
ONNX_FILE, IR_FILE, IR_INT8_FILE = "model.onnx", "model.xml", "model_int8.xml"
REPORT_FILE = "export_report.json"
# OpenVINO's inference precision hint for each export precision.
OV_PRECISION = {"fp32": "f32", "bf16": "bf16", "int8": "f32"}
OUTPUTS = {
    "boxes": {"name": "boxes", "shape": [1, 300, 4], "dtype": "float32",
              "meaning": "x1 y1 x2 y2 in network-input pixels (divide by the resize scale "
                         "for image pixels); rows past the detections are -1"},
    "scores": {"name": "scores", "shape": [1, 300], "dtype": "float32",
               "meaning": "confidence, best first; -1 past the detections"},
    "labels": {"name": "labels", "shape": [1, 300], "dtype": "int32",
               "meaning": "index into classes; -1 past the detections"},
}


@dataclass
class ExportConfig:
    """What :func:`export_model` is asked to do; its defaults are ``gesturekit export``'s.

    ``model``: a ``gesturekit convert`` folder or its inference.h5; ``out``: the export
    folder; ``input_size`` (height, width): None for the canvas it was trained on
    (:func:`convert.preprocess.default_input_size`);
    ``root``: a VOC root whose train split calibrates INT8 (at most ``calib_size`` images)
    and whose val split gets the mAP report (``export_report.json``)."""

    model: str | Path
    out: str | Path
    formats: tuple[str, ...] = FORMATS
    precision: str = "fp32"
    input_size: tuple[int, int] | None = None
    dynamic: bool = False
    root: str | Path | None = None
    calib_size: int = 300


@dataclass
class ExportResult:
    """What ``export_model`` wrote, with the measurements it made."""

    out: Path
    card: ModelCard
    files: dict[str, Path] = field(default_factory=dict)
    report: dict | None = None


def _tool_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("tensorflow", "tf-keras", "keras-retinanet", "tf2onnx", "onnx",
                 "onnxruntime", "openvino", "nncf"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def cpu_capabilities() -> list[str]:
    """What OpenVINO's CPU plugin reports in OPTIMIZATION_CAPABILITIES."""
    import openvino as ov

    return [str(c) for c in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")]


def _prepare_out(out: Path, force: bool) -> None:
    prepare_output_folder(out, force, "export")


def _input_rule(source: ConvertedModel, input_size: tuple[int, int] | None,
                dynamic: bool) -> InputRule:
    """The converted model's input rule at the export's size (free when ``dynamic``)."""
    rule = source.metadata.input
    height, width = input_size or default_input_size(source.metadata)
    if height < 32 or width < 32:
        raise GestureKitError(f"input size {height}x{width} is too small (at least 32x32)")
    return replace(rule, height=None if dynamic else int(height),
                   width=None if dynamic else int(width))


def _probe_batch(rule: InputRule, calib: Path | None) -> np.ndarray:
    """A real image for comparing and timing (first val image), else a mid-gray frame."""
    from voc_tools.image_io import read_image_bgr
    from voc_tools.layout import VocLayout

    image = np.full((480, 640, 3), 127, np.uint8)
    if calib is not None:
        layout = VocLayout(Path(calib)).require()
        ids = layout.read_split("val") or layout.read_split("train")
        if ids:
            image = read_image_bgr(layout.image_path(ids[0]))
    return to_network(image, rule)[0]


def _same_detections(a: dict, b: dict) -> bool:
    keep_a, keep_b = a["scores"][0] > -1, b["scores"][0] > -1
    if keep_a.sum() != keep_b.sum():
        return False
    return bool(np.allclose(a["boxes"][0][keep_a], b["boxes"][0][keep_b], atol=1e-2)
                and np.allclose(a["scores"][0][keep_a], b["scores"][0][keep_b], atol=1e-4)
                and (a["labels"][0][keep_a] == b["labels"][0][keep_b]).all())


def _build_openvino(source: ConvertedModel, card: ModelCard, batch: np.ndarray,
                    info: dict):  # type: ignore[no-untyped-def]
    """Both NMS variants; returns (chosen model, raw model, NMS settings)."""
    import openvino as ov

    from detector.inference import load_keras_model

    from .latency import interleaved_median_ms
    from .openvino_export import attach_nms, openvino_raw, openvino_with_tf_nms
    from .tf_graph import filter_settings

    start = time.perf_counter()
    keras_model = load_keras_model(source.h5, source.metadata.backbone)
    settings = filter_settings(keras_model)
    variants = {"tensorflow": openvino_with_tf_nms(source.saved_model, card)}
    raw = openvino_raw(keras_model, card)
    variants["openvino"] = attach_nms(raw, settings)
    info["timings_s"]["openvino"] = round(time.perf_counter() - start, 2)
    core = ov.Core()
    compiled = {name: core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
                for name, model in variants.items()}
    results = {name: {k: v for k, v in zip(("boxes", "scores", "labels"),
                                           (c(batch)[c.output(n)] for n in
                                            ("boxes", "scores", "labels")))}
               for name, c in compiled.items()}
    agree = _same_detections(results["tensorflow"], results["openvino"])
    requests = {name: c.create_infer_request() for name, c in compiled.items()}
    latency = interleaved_median_ms({name: (lambda r=r: r.infer({0: batch}))
                                     for name, r in requests.items()})
    chosen = min(latency, key=latency.get) if agree else "tensorflow"
    info["nms"] = {"chosen": chosen, "latency_ms_median": latency,
                   "detections_agree": agree, "settings": settings,
                   "variants": {"tensorflow": "keras-retinanet FilterDetections converted "
                                              "from the SavedModel",
                                "openvino": "raw network + OpenVINO NonMaxSuppression-9"}}
    return variants[chosen], raw, settings


def _evaluate(detector, calib: Path, split: str = "val") -> float:  # type: ignore[no-untyped-def]
    from detector.evaluate import collect, evaluate_detections
    from voc_tools.layout import VocLayout

    layout = VocLayout(Path(calib)).require()
    ids = layout.read_split(split)
    if not ids:
        raise GestureKitError(f"the '{split}' list is empty", layout.split_path(split))
    detections, annotations = collect(detector, layout, ids, progress=True)
    return float(evaluate_detections(detections, annotations, detector.classes).map)


def _check_choices(config: ExportConfig) -> None:
    """One-line errors for a precision or format the export does not offer."""
    formats, precision = tuple(config.formats), config.precision
    if precision not in PRECISIONS:
        raise GestureKitError(f"unknown precision '{precision}' (one of {PRECISIONS})")
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise GestureKitError(f"unknown format {bad} (choose from {FORMATS})")
    if precision == "int8" and "openvino" not in formats:
        raise GestureKitError("INT8 is an OpenVINO export: use --format openvino or all")
    if precision == "int8" and config.root is None:
        raise GestureKitError("INT8 needs calibration images: pass --root ROOT")


def _parity_report(out: Path, calib: Path, formats: tuple, has_int8: bool, info: dict) -> dict:
    """Val-split mAP of every exported file (and OpenVINO bf16) beside the FP32 one."""
    from detector.engine import load_detector

    if "openvino" in formats:
        detectors = {"fp32": load_detector(out / IR_FILE, precision="f32"),
                     "bf16": load_detector(out / IR_FILE, precision="bf16")}
    else:
        detectors = {"fp32": load_detector(out / ONNX_FILE)}
    if has_int8:
        detectors["int8"] = load_detector(out / IR_INT8_FILE, precision="f32")
    maps = {name: round(_evaluate(detector, calib), 6) for name, detector in detectors.items()}
    return {"root": str(calib), "split": "val", "map": maps,
            "map_change_vs_fp32": {name: round(value - maps["fp32"], 6)
                                   for name, value in maps.items() if name != "fp32"},
            "nms": info.get("nms"), "timings_s": info["timings_s"]}


def export_model(config: ExportConfig, force: bool = False) -> ExportResult:
    """Export the converted model ``config.model`` into ``config.out`` (``force``: into a
    non-empty folder).

    Writes model.onnx and/or model.xml/.bin (FP32, NMS inside), model_int8.xml/.bin for
    ``precision='int8'`` (NNCF, calibrated on ``config.root``'s train split),
    ``gesturekit.json`` and, when ``config.root`` is given, ``export_report.json`` with
    val-split mAPs.
    """
    from .openvino_export import attach_nms, save_ir
    from .verify import sha256, verify_export

    _check_choices(config)
    formats, precision = tuple(config.formats), config.precision
    source = find_converted(config.model)
    calib = None if config.root is None else Path(config.root)
    out = Path(config.out)
    rule = _input_rule(source, config.input_size, config.dynamic)
    _prepare_out(out, force)

    info: dict = {"tools": _tool_versions(), "timings_s": {}, "source": str(source.folder),
                  "platform": platform.processor() or platform.machine(), "sha256": {}}
    card = source.metadata.at_stage(
        "exported", input=rule, output_names={role: tensor["name"] for role, tensor in
                                              OUTPUTS.items()},
        output_tensors=OUTPUTS, files={}, export=info,
        precision={"default": precision, "inference_precision_hint": OV_PRECISION[precision],
                   "weights": "fp32" if precision != "int8" else "int8 (NNCF, NMS float)"})
    result = ExportResult(out, card)
    batch = _probe_batch(rule, calib)
    if precision == "bf16" or "openvino" in formats:
        info["cpu_optimization_capabilities"] = cpu_capabilities()

    if "onnx" in formats:
        from .onnx_export import export_onnx

        start = time.perf_counter()
        card.files["onnx"] = ONNX_FILE
        result.files["onnx"] = export_onnx(source.saved_model, card, out / ONNX_FILE)
        info["timings_s"]["onnx"] = round(time.perf_counter() - start, 2)
    raw = settings = None
    if "openvino" in formats:
        ir_model, raw, settings = _build_openvino(source, card, batch, info)
        card.files["openvino_fp32"] = IR_FILE
        # Saved before INT8: NNCF's quantization of ``raw`` changed constants that this
        # model shares in memory (a GroupNorm-head detector's FP32 IR then scored val mAP
        # 0.0). The card's rt_info part (no files, no export record) is final already.
        result.files["openvino_fp32"] = save_ir(ir_model, out / IR_FILE, card)
    if precision == "int8":
        from .quantize import calibration_images, quantize_int8

        start = time.perf_counter()
        images = calibration_images(calib, "train", config.calib_size)
        int8_model = attach_nms(quantize_int8(raw, rule, images), settings)
        info["timings_s"]["int8"] = round(time.perf_counter() - start, 2)
        info["int8"] = {"calibration": f"{len(images)} images of {calib} train split",
                        "quantized": "network only; NMS, TopK and padding stay float"}
        card.files["openvino_int8"] = IR_INT8_FILE
        result.files["openvino_int8"] = save_ir(int8_model, out / IR_INT8_FILE, card)
    for path in list(result.files.values()):
        for part in (path, path.with_suffix(".bin")):
            if part.is_file() and part.suffix != ".xml":
                info["sha256"][part.name] = sha256(part)
    card.save(out)
    verify_export(out)

    if calib is not None:
        result.report = _parity_report(out, calib, formats, precision == "int8", info)
        (out / REPORT_FILE).write_text(json.dumps(result.report, indent=2) + "\n", encoding="utf-8")
        info["map_val"] = result.report["map"]
        card.save(out)
    return result
