"""The kit's benchmarks of trained models (the library behind ``gesturekit bench``).

Two measurements:

* every CPU backend of one detector side by side (:func:`run_benchmark`): TF
  ``predict_on_batch``, a TF ``tf.function`` with a fixed input signature, onnxruntime,
  OpenVINO FP32 / bf16 (``INFERENCE_PRECISION_HINT``) and OpenVINO INT8 (NNCF), all on the
  same preprocessed inputs of one fixed size, NMS inside each. Latency runs are interleaved:
  run ``r`` feeds one input to every backend, in an order rotated by ``r``, so machine drift
  hits every backend alike. Each backend's val mAP@0.5 comes from
  :func:`detector.evaluate.collect` with that backend's detector object. An end-to-end line
  (decode + preprocess + infer + select) gives frames/s of OpenVINO FP32 and INT8.
* models as the runtime serves them (:func:`serve_benchmark`): sync latency and async
  (``AsyncInferQueue``) throughput on video frames, pre- and post-processing included.

Public API: :class:`BenchConfig` with :func:`run_benchmark`, :class:`ServeConfig` with
:func:`serve_benchmark`, :func:`rotated_order`, :func:`interleaved_times`,
:func:`latency_stats`, :func:`write_report`, :func:`markdown`, :func:`read_frames`,
:func:`measure_served`, :data:`BACKENDS`; describing the machine (used by ``bench/``'s
scripts too): :func:`machine_info`, :func:`machine_summary`, :func:`cpu_summary`,
:func:`cpu_model`, :func:`cpu_flags`, :func:`package_version`, :func:`package_versions`,
:func:`opencv_info`, :func:`loadavg_1min_since`.
"""
from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from convert.export import ExportConfig
from detector.machine import CPU_FLAGS, cpu_flags, cpu_model  # noqa: F401  (re-exported)
from voc_tools.errors import GestureKitError

BACKENDS = ("tf_predict", "tf_function", "onnxruntime", "openvino_fp32", "openvino_bf16",
            "openvino_int8")
DESCRIPTIONS = {
    "tf_predict": "TF keras predict_on_batch (inference.h5)",
    "tf_function": "TF tf.function(jit_compile=False), fixed input signature",
    "onnxruntime": "onnxruntime CPUExecutionProvider (model.onnx)",
    "openvino_fp32": "OpenVINO CPU, INFERENCE_PRECISION_HINT f32 (model.xml)",
    "openvino_bf16": "OpenVINO CPU, INFERENCE_PRECISION_HINT bf16 (model.xml)",
    "openvino_int8": "OpenVINO CPU, NNCF INT8 network, f32 NMS (model_int8.xml)",
}
OPENVINO = {"openvino_fp32": ("openvino_fp32", "f32"), "openvino_bf16": ("openvino_fp32", "bf16"),
            "openvino_int8": ("openvino_int8", "f32")}
REFERENCE = "tf_predict"
END_TO_END = ("openvino_fp32", "openvino_int8")
JSON_FILE, MD_FILE, EXPORT_DIR = "bench.json", "bench.md", "export"
ABSENT = "absent"  # package_version of a distribution that is not installed
# The targets (quoted for resnet50 / mobilenet224 at 512 px input).
TARGET_FP32_SPEEDUP, TARGET_INT8_SPEEDUP, TARGET_INT8_MAP_LOSS, TARGET_FPS = 1.5, 3.0, 0.01, 30.0


@dataclass
class BenchConfig:
    """What :func:`run_benchmark` is asked to do; its defaults are ``gesturekit bench``'s.

    ``model``: a ``gesturekit convert`` folder (or its inference.h5); ``root``: the VOC root
    whose ``split`` is timed and scored and whose train split calibrates INT8 (at most
    ``calib_size`` images); ``out``: where bench.json, bench.md and the export (``export/``,
    reused by later runs) go, None for a temporary folder; ``input_size`` (height, width):
    None for the canvas it was trained on; ``video``: also time end to end on its
    first ``video_frames`` frames; ``note``: a sentence stored with the report."""

    model: str | Path
    root: str | Path
    out: str | Path | None = None
    input_size: tuple[int, int] | None = None
    runs: int = 50
    warmup: int = 5
    split: str = "val"
    backends: tuple[str, ...] = BACKENDS
    video: str | Path | None = None
    video_frames: int = 200
    measure_map: bool = True
    async_repeats: int = 3
    calib_size: int = ExportConfig.calib_size  # export's default: the same calibration
    note: str = ""


@dataclass
class ServeConfig:
    """What :func:`serve_benchmark` is asked to do: serve each ``MODEL[=CARD]`` of
    ``models`` (an IR or ONNX file, with its card YAML when it has none of its own) and time
    it on the first ``frames`` frames of ``video`` after ``warmup`` untimed ones."""

    video: str | Path
    models: tuple[str, ...]
    frames: int = BenchConfig.video_frames  # the detector benchmark's video frames
    warmup: int = BenchConfig.warmup


# -- scheduling and statistics ---------------------------------------------------------------

def rotated_order(names: Sequence[str], run: int) -> list[str]:
    """The order of run ``run``: ``names`` rotated left by ``run`` places."""
    if not names:
        return []
    shift = run % len(names)
    return list(names[shift:]) + list(names[:shift])


def interleaved_times(runners: dict[str, Callable[[np.ndarray], object]],
                      inputs: Sequence[np.ndarray], runs: int, warmup: int = 0,
                      progress: bool = False) -> dict[str, list[float]]:
    """Milliseconds of every call: run ``r`` gives ``inputs[r % len]`` to each runner once,
    in :func:`rotated_order`; the first ``warmup`` runs are not recorded."""
    from tqdm import tqdm

    if not inputs:
        raise ValueError("no inputs to time")
    names = list(runners)
    times: dict[str, list[float]] = {name: [] for name in names}
    for run in tqdm(range(warmup + runs), desc="latency (interleaved)", unit="run",
                    disable=not progress):
        batch = inputs[run % len(inputs)]
        for name in rotated_order(names, run):
            start = time.perf_counter()
            runners[name](batch)
            elapsed = (time.perf_counter() - start) * 1000.0
            if run >= warmup:
                times[name].append(elapsed)
    return times


def latency_stats(times_ms: Sequence[float]) -> dict[str, float]:
    """Median, p90 (linear interpolation), mean, min (ms) and sequential images/s."""
    values = np.asarray(times_ms, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no timings")
    return {"median_ms": round(float(np.median(values)), 3),
            "p90_ms": round(float(np.percentile(values, 90)), 3),
            "mean_ms": round(float(values.mean()), 3),
            "min_ms": round(float(values.min()), 3),
            "images_per_s": round(1000.0 / float(values.mean()), 2),
            "n": int(values.size)}


# -- backends --------------------------------------------------------------------------------

def _tensorflow_infers(keras_model, shape: list[int]) -> dict[str, Callable]:  # type: ignore[no-untyped-def]
    """predict_on_batch and a fixed-signature tf.function over the same Keras model."""
    from convert import _tf_setup  # noqa: F401  (tf-keras before TensorFlow)
    import tensorflow as tf

    function = tf.function(lambda x: keras_model(x, training=False),
                           input_signature=[tf.TensorSpec(shape, tf.float32)],
                           jit_compile=False)

    def predict(batch: np.ndarray) -> tuple:
        return tuple(np.asarray(o) for o in keras_model.predict_on_batch(batch)[:3])

    def traced(batch: np.ndarray) -> tuple:
        return tuple(o.numpy() for o in function(tf.constant(batch))[:3])

    return {"tf_predict": predict, "tf_function": traced}


def build_detectors(keras_model, card, names: Sequence[str], core=None) -> dict:  # type: ignore[no-untyped-def]
    """name -> the engine's detector (``detect``, ``run``, ``classes``) per backend in ``names``.

    ``keras_model`` is the converted (inference) Keras model, ``card`` the exported model's
    card: its fixed input spec is used by every backend, the TF ones included.
    """
    from detector.engine import KerasModel, load_detector

    detectors = {}
    if {"tf_predict", "tf_function"} & set(names):
        for name, infer in _tensorflow_infers(keras_model, card.input.shape()).items():
            if name in names:
                detectors[name] = KerasModel(keras_model, card, name=name, call=infer)
    if "onnxruntime" in names:
        detectors["onnxruntime"] = load_detector(card.file("onnx"))
    for name in names:
        if name in OPENVINO:
            role, hint = OPENVINO[name]
            detectors[name] = load_detector(card.file(role), "openvino", precision=hint,
                                            core=core)
    return {name: detectors[name] for name in names}


def async_throughput(core, xml: Path, hint: str, inputs: Sequence[np.ndarray],  # type: ignore[no-untyped-def]
                     count: int, repeats: int = 3) -> dict:
    """Images/s of an IR compiled with the THROUGHPUT hint, fed through AsyncInferQueue."""
    import openvino as ov

    compiled = core.compile_model(str(xml), "CPU", {"INFERENCE_PRECISION_HINT": hint,
                                                    "PERFORMANCE_HINT": "THROUGHPUT"})
    requests = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
    queue = ov.AsyncInferQueue(compiled, requests)
    for batch in inputs[:requests]:  # warm-up
        queue.start_async({0: batch})
    queue.wait_all()
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for index in range(count):
            queue.start_async({0: inputs[index % len(inputs)]})
        queue.wait_all()
        rates.append(count / (time.perf_counter() - start))
    return {"images_per_s": round(float(np.median(rates)), 2), "requests": requests,
            "streams": int(compiled.get_property("NUM_STREAMS")), "images": count,
            "repeats": repeats}


# -- accuracy and end to end -----------------------------------------------------------------

def val_map(detector, layout, ids: Sequence[str], progress: bool = False) -> float:  # type: ignore[no-untyped-def]
    """mAP@0.5 (all-points, keras-retinanet's) of ``detector`` on ``ids``."""
    from detector.evaluate import collect, evaluate_detections

    detections, annotations = collect(detector, layout, ids, progress=progress)
    return float(evaluate_detections(detections, annotations, detector.classes).map)


def jpeg_frames(paths: Sequence[Path]) -> Iterator[Callable[[], np.ndarray]]:
    """One loader per JPEG: each backend decodes the file itself (timed)."""
    from voc_tools.image_io import read_image_bgr

    for path in paths:
        yield lambda path=path: read_image_bgr(path)


def video_frames(video: Path, count: int) -> Iterator[tuple[float, np.ndarray]]:
    """(decode seconds, BGR frame) of the first ``count`` frames, decoded once each."""
    from voc_tools.frames import read_video_frames

    frames = read_video_frames(video, count)
    while True:
        start = time.perf_counter()
        frame = next(frames, None)
        if frame is None:
            return
        yield time.perf_counter() - start, frame


def end_to_end(detectors: dict, frames: Iterable, progress: bool = False,
               desc: str = "end to end") -> dict[str, dict]:
    """Frames/s of decode + preprocess + infer + select for each detector, interleaved.

    ``frames`` yields either a loader (called inside each backend's timing: a JPEG decoded
    by every backend) or ``(decode_seconds, frame)`` (a video frame decoded once, its decode
    time added to every backend's time).
    """
    from tqdm import tqdm

    names = list(detectors)
    times: dict[str, list[float]] = {name: [] for name in names}
    for index, item in enumerate(tqdm(frames, desc=desc, unit="frame", disable=not progress)):
        for name in rotated_order(names, index):
            start = time.perf_counter()
            if callable(item):
                image, extra = item(), 0.0
            else:
                extra, image = item
            detectors[name].detect(image)
            times[name].append((time.perf_counter() - start + extra) * 1000.0)
    result = {}
    for name, values in times.items():
        if not values:
            raise GestureKitError("no frames for the end-to-end measurement")
        stats = latency_stats(values)
        result[name] = {"frames": stats["n"], "median_ms": stats["median_ms"],
                        "p90_ms": stats["p90_ms"], "frames_per_s": stats["images_per_s"]}
    return result


# -- export, machine, model ------------------------------------------------------------------

def _needed_files(names: Sequence[str]) -> set[str]:
    files = {OPENVINO[n][0] for n in names if n in OPENVINO}
    return files | ({"onnx"} if "onnxruntime" in names else set())


def ensure_export(source, folder: Path, input_size: tuple[int, int] | None,  # type: ignore[no-untyped-def]
                  images_root: Path, names: Sequence[str], calib_size: int,
                  force: bool) -> tuple:
    """The exported model in ``folder`` (reused when it matches, else made); (card, reused)."""
    from detector.card import load_card
    from convert.export import export_model
    from convert.preprocess import default_input_size

    meta = source.metadata
    size = tuple(input_size or default_input_size(meta))
    needed = _needed_files(names) | {"openvino_fp32"}  # the FP32 IR is always built
    if (folder / "gesturekit.json").is_file():
        card = load_card(folder)
        if (card.export.get("source") == str(source.folder)
                and (card.input.height, card.input.width) == size
                and needed <= set(card.files) and all(card.file(r).is_file() for r in needed)):
            return card, True
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise GestureKitError("holds an export of another model or size; pass --force to "
                              "export again into it", folder)
    formats = ("onnx", "openvino") if "onnx" in needed else ("openvino",)
    int8 = "openvino_int8" in needed
    result = export_model(ExportConfig(model=source.folder, out=folder, formats=formats,
                                       precision="int8" if int8 else "fp32", input_size=size,
                                       root=images_root if int8 else None,
                                       calib_size=calib_size), force=True)
    return result.card, False


# -- the machine -----------------------------------------------------------------------------

def package_version(name: str) -> str:
    """The installed version of distribution ``name`` (from its metadata, nothing imported),
    or :data:`ABSENT`."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return ABSENT


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """name -> :func:`package_version` for each of ``names``."""
    return {name: package_version(name) for name in names}


def cpu_summary() -> dict:
    """``cpu`` (:func:`cpu_model`) and ``cores`` (``os.cpu_count()``)."""
    return {"cpu": cpu_model(), "cores": os.cpu_count()}


def machine_summary(packages: Iterable[str] = ()) -> dict:
    """:func:`cpu_summary`, ``python`` (its version) and the version of each of ``packages``
    (:func:`package_versions`): what a bench script records of the machine."""
    return {**cpu_summary(), "python": platform.python_version(), **package_versions(packages)}


def opencv_info() -> dict:
    """``opencv`` (cv2's version) and ``opencv_threads`` (``cv2.getNumThreads()``)."""
    import cv2

    return {"opencv": cv2.__version__, "opencv_threads": cv2.getNumThreads()}


def loadavg_1min_since(before: Sequence[float]) -> list[float]:
    """The 1-minute load average of ``before`` (an ``os.getloadavg()``) and now, 2 places."""
    return [round(before[0], 2), round(os.getloadavg()[0], 2)]


def machine_info() -> dict:
    """:func:`machine_summary` with the relevant CPU flags, OpenVINO's CPU capabilities and
    the export tools' versions (``versions``; those installed): ``gesturekit bench``'s."""
    from convert.export import _tool_versions, cpu_capabilities

    return {**machine_summary(), "flags": cpu_flags(),
            "openvino_cpu_capabilities": cpu_capabilities(), "versions": _tool_versions(),
            "threads": "library defaults (no thread settings)"}


def model_info(source, card, keras_model) -> dict:  # type: ignore[no-untyped-def]
    """Backbone, head width, parameter count and input size of the benchmarked model."""
    try:
        head = keras_model.get_layer("classification_submodel")
        head_width = int(head.get_layer("pyramid_classification_0").filters)
    except ValueError:
        head_width = None
    return {"source": str(source.folder), "backbone": source.metadata.backbone,
            "head_width": head_width, "parameters": int(keras_model.count_params()),
            "classes": card.classes, "input_hw": [card.input.height, card.input.width],
            "preprocess": card.input.normalise,
            "training_resize": [source.metadata.image_min_side, source.metadata.image_max_side]}


# -- targets and report ----------------------------------------------------------------------

def targets(report: dict) -> list[dict]:
    """The issue's targets checked against this run (None where a backend was not run)."""
    rows = report["backends"]
    reference = rows.get(REFERENCE, {})

    def speedup(name: str) -> float | None:
        return rows.get(name, {}).get("speedup_vs_tf_predict") if reference else None

    checks = []
    fp32 = speedup("openvino_fp32")
    checks.append({"target": f"OpenVINO FP32 >= {TARGET_FP32_SPEEDUP}x TF predict latency",
                   "value": fp32, "met": None if fp32 is None else fp32 >= TARGET_FP32_SPEEDUP})
    int8 = speedup("openvino_int8")
    checks.append({"target": f"OpenVINO INT8 >= {TARGET_INT8_SPEEDUP}x TF predict latency",
                   "value": int8, "met": None if int8 is None else int8 >= TARGET_INT8_SPEEDUP})
    change = rows.get("openvino_int8", {}).get("map_change_vs_tf_predict")
    checks.append({"target": f"INT8 mAP change vs TF >= -{TARGET_INT8_MAP_LOSS * 100:g} "
                             "point (points)",
                   "value": None if change is None else round(change * 100, 2),
                   "met": None if change is None else change >= -TARGET_INT8_MAP_LOSS})
    for source, result in report.get("end_to_end", {}).items():
        best = max(result.values(), key=lambda r: r["frames_per_s"]) if result else None
        name = max(result, key=lambda n: result[n]["frames_per_s"]) if result else None
        checks.append({"target": f"light detector >= {TARGET_FPS:g} FPS end to end "
                                 f"({source}, best of "
                                 f"{'/'.join(result)}: {name})",
                       "value": None if best is None else best["frames_per_s"],
                       "met": None if best is None else best["frames_per_s"] >= TARGET_FPS})
    return checks


def _cell(value, digits: int = 2) -> str:  # type: ignore[no-untyped-def]
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown(report: dict) -> str:
    """The report as Markdown: machine, model, latency/mAP table, end to end, targets."""
    m, model = report["machine"], report["model"]
    lines = [
        f"# Detector backends: {model['backbone']}, head {model['head_width']}, input "
        f"{model['input_hw'][0]}x{model['input_hw'][1]}", "",
        f"Machine: {m['cpu']}, {m['cores']} cores, flags {', '.join(m['flags']) or 'none'}; "
        f"OpenVINO CPU capabilities {', '.join(m['openvino_cpu_capabilities'])}. "
        f"1-min load average before/after: {report['loadavg_1min_before_after']}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
        f"Model: {model['source']} ({model['parameters']:,} parameters, preprocess "
        f"{model['preprocess']}, classes {', '.join(model['classes'])}).",
        f"Latency: {report['runs']} interleaved runs after {report['warmup']} warm-up runs, "
        f"rotated order, batch 1, one of {report['inputs']} preprocessed {report['split']} "
        "images per run (same input for every backend in a run); NMS inside every backend. "
        "images/s sync = 1000 / mean latency; async = OpenVINO THROUGHPUT hint + "
        "AsyncInferQueue. Speed-up = TF predict median / backend median. " +
        (f"mAP@0.5 on {report['map_images']} {report['split']} images of {report['images']}."
         if report["map_images"] else "mAP not measured (latency only)."),
        "NMS column: 'tensorflow' = keras-retinanet's FilterDetections (converted), "
        "'openvino' = OpenVINO NonMaxSuppression on the raw outputs.",
        "", "| backend | NMS | median ms | p90 ms | images/s sync | images/s async | speed-up "
        "vs TF predict | val mAP@0.5 | ΔmAP vs TF (points) |",
        "|---|---|---|---|---|---|---|---|---|"]
    for name, row in report["backends"].items():
        change = row.get("map_change_vs_tf_predict")
        lines.append(
            f"| {name} | {row.get('nms', '–')} | {_cell(row['median_ms'])} | {_cell(row['p90_ms'])} | "
            f"{_cell(row['images_per_s'], 1)} | "
            f"{_cell((row.get('async') or {}).get('images_per_s'), 1)} | "
            f"{_cell(row.get('speedup_vs_tf_predict'))}x | {_cell(row.get('map'), 4)} | "
            f"{_cell(None if change is None else change * 100, 2)} |")
    for source, result in report.get("end_to_end", {}).items():
        lines += ["", f"End to end on {source}: decode + preprocess + infer (NMS inside) + "
                  "select, one frame at a time, backends interleaved.", "",
                  "| backend | frames | median ms | p90 ms | frames/s |", "|---|---|---|---|---|"]
        for name, row in result.items():
            lines.append(f"| {name} | {row['frames']} | {_cell(row['median_ms'])} | "
                         f"{_cell(row['p90_ms'])} | {_cell(row['frames_per_s'], 1)} |")
    lines += ["", "Targets (the issue quotes them for resnet50 / mobilenet224 at 512 px):", "",
              "| target | this run | met |", "|---|---|---|"]
    for check in report.get("targets", []):
        met = {True: "yes", False: "NO", None: "not measured"}[check["met"]]
        lines.append(f"| {check['target']} | {_cell(check['value'])} | {met} |")
    if report.get("note"):
        lines += ["", f"Note: {report['note']}"]
    return "\n".join(lines) + "\n"


def write_report(report: dict, out: str | Path) -> tuple[Path, Path]:
    """Write ``out/bench.json`` and ``out/bench.md``; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / JSON_FILE, out / MD_FILE
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown(report), encoding="utf-8")
    return json_path, md_path


# -- the benchmark ---------------------------------------------------------------------------

def _nms_of(backend: str, card) -> str:  # type: ignore[no-untyped-def]
    """Which NMS runs inside a backend (the FP32 IR holds the variant export chose)."""
    if backend in ("tf_predict", "tf_function", "onnxruntime"):
        return "tensorflow"  # keras-retinanet's FilterDetections (an ONNX Loop in onnxruntime)
    if backend == "openvino_int8":
        return "openvino"  # export attaches NonMaxSuppression-9 to the quantized network
    return (card.export.get("nms") or {}).get("chosen", "unknown")


def _check_backends(names: Sequence[str]) -> list[str]:
    bad = [n for n in names if n not in BACKENDS]
    if bad or not names:
        raise GestureKitError(f"unknown backend(s) {bad} (choose from {', '.join(BACKENDS)})")
    return [n for n in BACKENDS if n in names]  # canonical order, no duplicates


def _checked_inputs(config: BenchConfig, force: bool):  # type: ignore[no-untyped-def]
    """The converted source, the VOC layout and the split's ids, or a one-line error."""
    from voc_tools.layout import VocLayout

    from convert.source import find_converted

    if config.runs < 1 or config.warmup < 0:
        raise GestureKitError("--runs must be at least 1 and --warmup at least 0")
    source = find_converted(config.model)
    layout = VocLayout(Path(config.root)).require()
    ids = layout.read_split(config.split)
    if not ids:
        raise GestureKitError(f"the '{config.split}' list is empty", layout.split_path(config.split))
    if config.video is not None and not Path(config.video).is_file():
        raise GestureKitError("video not found", config.video)
    if config.out is not None and (Path(config.out) / JSON_FILE).exists() and not force:
        raise GestureKitError(f"already holds a {JSON_FILE}; pass --force to replace it", config.out)
    return source, layout, ids


def _speedup_vs_reference(rows: dict[str, dict]) -> None:
    """Add each row's median latency speed-up against tf_predict's."""
    if REFERENCE in rows:
        for row in rows.values():
            row["speedup_vs_tf_predict"] = round(rows[REFERENCE]["median_ms"] / row["median_ms"], 3)


def _map_change_vs_reference(rows: dict[str, dict]) -> None:
    """Add each row's val mAP change against tf_predict's."""
    if REFERENCE in rows:
        for row in rows.values():
            row["map_change_vs_tf_predict"] = round(row["map"] - rows[REFERENCE]["map"], 6)


def _backend_rows(names: list[str], times: dict, card, core, inputs: list,  # type: ignore[no-untyped-def]
                  async_repeats: int) -> dict[str, dict]:
    """Latency per backend, and async throughput for the OpenVINO ones."""
    rows: dict[str, dict] = {}
    for name in names:
        rows[name] = {"description": DESCRIPTIONS[name], "nms": _nms_of(name, card),
                      **latency_stats(times[name])}
        if name in OPENVINO:
            role, hint = OPENVINO[name]
            rows[name]["async"] = async_throughput(core, card.file(role), hint, inputs,
                                                   max(len(inputs), 20), async_repeats)
    _speedup_vs_reference(rows)
    return rows


def _end_to_end_rows(detectors: dict, config: BenchConfig, paths: list[Path],
                     progress: bool) -> dict:
    """End-to-end FPS of the end-to-end backends on the split's JPEGs and on the video."""
    chosen = {n: detectors[n] for n in END_TO_END if n in detectors}
    if not chosen:
        return {}
    end = {f"{config.split} JPEGs": end_to_end(chosen, jpeg_frames(paths), progress,
                                                 "end to end (JPEG)")}
    if config.video is not None:
        end[f"video {Path(config.video).name}"] = end_to_end(
            chosen, video_frames(Path(config.video), config.video_frames), progress,
            "end to end (video)")
    return end


def run_benchmark(config: BenchConfig, force: bool = False, progress: bool = True) -> dict:
    """Benchmark the converted model ``config.model`` on the VOC root ``config.root``;
    returns the report.

    Exports what is missing (ONNX, FP32 IR, INT8 IR calibrated on the train split) into
    ``out/export`` (a temporary folder without ``config.out``); writes ``out/bench.json`` and
    ``out/bench.md`` when ``config.out`` is given (an existing report, or an export of
    another model in ``out/export``, needs ``force``).
    """
    import openvino as ov

    from detector.inference import load_keras_model
    from voc_tools.image_io import read_image_bgr

    from detector.preprocess import to_network

    names = _check_backends(list(config.backends))
    source, layout, ids = _checked_inputs(config, force)
    runs, warmup, split = config.runs, config.warmup, config.split
    out = None if config.out is None else Path(config.out)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="gesturekit-bench-") as scratch:
        export_dir = (out / EXPORT_DIR) if out is not None else Path(scratch)
        card, reused = ensure_export(source, export_dir, config.input_size, layout.root, names,
                                     config.calib_size, force)
        core = ov.Core()
        keras_model = load_keras_model(source.h5, source.metadata.backbone)
        detectors = build_detectors(keras_model, card, names, core)
        paths = [layout.image_path(i) for i in ids]
        inputs = [to_network(read_image_bgr(p), card.input)[0] for p in paths[:runs]]
        times = interleaved_times({n: d.run for n, d in detectors.items()}, inputs, runs,
                                  warmup, progress)
        rows = _backend_rows(names, times, card, core, inputs, config.async_repeats)
        if config.measure_map:
            for name in names:
                if progress:
                    print(f"mAP of {name}")
                rows[name]["map"] = round(val_map(detectors[name], layout, ids, progress), 6)
            _map_change_vs_reference(rows)
        end = _end_to_end_rows(detectors, config, paths, progress)
        report = {"machine": machine_info(), "model": model_info(source, card, keras_model),
                  "images": str(layout.root), "split": split, "runs": runs, "warmup": warmup,
                  "inputs": len(inputs), "map_images": len(ids) if config.measure_map else 0,
                  "export": {"folder": str(export_dir) if out is not None else None,
                             "reused": reused, "nms": card.export.get("nms"),
                             "int8": card.export.get("int8"),
                             "export_report_map": card.export.get("map_val")},
                  "backends": rows, "end_to_end": end,
                  "loadavg_1min_before_after": [round(load_before, 2),
                                                round(os.getloadavg()[0], 2)],
                  "note": config.note}
        report["targets"] = targets(report)
    if out is not None:
        write_report(report, out)
    return report


# -- served models on video frames -----------------------------------------------------------

def read_frames(video: str | Path, count: int) -> list[np.ndarray]:
    """The first ``count`` frames of a video (BGR)."""
    from voc_tools.frames import read_video_frames

    return list(read_video_frames(video, count))


def measure_served(served, frames: list[np.ndarray], warmup: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Median and p90 sync latency (ms per frame) and async throughput (frames/s) of a
    :class:`~gesturekit.runtime.server.ServedModel`."""
    for frame in frames[:warmup]:
        served.infer(frame)
    latencies = []
    for frame in frames:
        start = time.perf_counter()
        served.infer(frame)
        latencies.append((time.perf_counter() - start) * 1000)
    for _ in served.stream(frames[:warmup]):
        pass
    start = time.perf_counter()
    count = sum(1 for _ in served.stream(frames))
    elapsed = time.perf_counter() - start
    return {"sync_ms_median": round(float(np.median(latencies)), 2),
            "sync_ms_p90": round(float(np.percentile(latencies, 90)), 2),
            "sync_fps": round(1000 / float(np.median(latencies)), 1),
            "async_fps": round(count / elapsed, 1),
            "async_requests": int(served.settings("THROUGHPUT")["requests"])}


def serve_benchmark(config: ServeConfig) -> list[dict]:
    """Serve each ``MODEL[=CARD]`` of ``config.models`` from one :class:`ModelServer` and
    measure it on the first ``config.frames`` frames of ``config.video``; one result per
    model, in order."""
    from .server import ModelServer

    decoded = read_frames(config.video, config.frames)
    server = ModelServer()
    results = []
    for spec in config.models:
        model, _, card = spec.partition("=")
        name = f"{Path(model).parent.name}/{Path(model).stem}"
        served = server.add(name, model, card or None)
        results.append({"model": model, "frames": len(decoded), **served.settings(),
                        **measure_served(served, decoded, config.warmup)})
    return results
