"""Export a pose classifier for the runtime: OpenVINO IR, ONNX and a runtime card.

Input ``features`` N x FEATURES (:func:`pose.normalize.hand_features` of each hand, N
free), output ``probabilities`` N x classes. Files in OUT::

    pose_classifier.xml/.bin  OpenVINO IR (ov.convert_model of the Keras model, FP32)
    pose_classifier.onnx      ONNX (tf2onnx, opset 17)
    pose_classifier.yaml      runtime card (kind pose_classifier, layout NC, classes,
                              pose.features / features_version, parity, metadata)

Serve with ``ModelServer().add("pose", "OUT/pose_classifier.xml",
"OUT/pose_classifier.yaml")`` or ``runtime.pose_detector.load_pose_classifier(OUT)``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from posecls.model import INPUT_NAME, OUTPUT_NAME
from voc_tools.errors import GestureKitError

from .export import _prepare_out, _tool_versions
from .onnx_export import ONNX_OPSET

STEM = "pose_classifier"
IR_FILE, ONNX_FILE, CARD_FILE = f"{STEM}.xml", f"{STEM}.onnx", f"{STEM}.yaml"


@dataclass
class PoseExport:
    """What :func:`export_pose_classifier` wrote and measured."""

    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    card: dict = field(default_factory=dict)
    parity: dict = field(default_factory=dict)


def runtime_card(info) -> dict:  # type: ignore[no-untyped-def]
    """The runtime card (a :func:`runtime.cards.card_from_dict` mapping) of ``info``."""
    return {"kind": "pose_classifier", "classes": list(info.classes), "precision": "f32",
            "input": {"layout": "NC"},
            "output": {"format": "probabilities", "names": {"probabilities": OUTPUT_NAME}},
            "pose": {"features": info.features, "features_version": info.features_version}}


def _ir(model, path: Path) -> Path:  # type: ignore[no-untyped-def]
    import openvino as ov

    graph = ov.convert_model(model)
    for port, name in ((graph.inputs[0], INPUT_NAME), (graph.outputs[0], OUTPUT_NAME)):
        port.get_tensor().set_names({name})
    ov.save_model(graph, str(path), compress_to_fp16=False)
    return path


def _onnx(model, path: Path) -> Path:  # type: ignore[no-untyped-def]
    import onnx
    import tensorflow as tf
    import tf2onnx

    from .onnx_export import _rename

    signature = (tf.TensorSpec((None, model.input_shape[-1]), tf.float32, name=INPUT_NAME),)
    try:
        proto, _ = tf2onnx.convert.from_keras(model, input_signature=signature,
                                              opset=ONNX_OPSET)
    except Exception as err:  # tf2onnx raises many types; the first line says what failed
        raise GestureKitError(f"tf2onnx failed: {str(err).splitlines()[0][:200]}",
                              path) from None
    _rename(proto, proto.graph.output[0].name, OUTPUT_NAME)
    onnx.save(proto, str(path))
    return path


def parity_features(keypoints: str | Path | None, count: int, features: int) -> np.ndarray:
    """Up to ``count`` feature rows of a landmark file, else standard-normal rows."""
    if keypoints is None:
        return np.random.default_rng(0).normal(0, 1, (count, features)).astype(np.float32)
    from pose.keypoints import load_keypoints

    rows = load_keypoints(keypoints).features()
    return rows[::max(1, len(rows) // count)][:count]


def parity(model, files: dict[str, Path], rows: np.ndarray) -> dict:  # type: ignore[no-untyped-def]
    """Max |probability difference| of the IR (OpenVINO CPU, f32) and the ONNX (ONNX
    Runtime) against Keras, all ``rows`` in one batch, and whether the top-1s agree."""
    import onnxruntime
    import openvino as ov

    reference = np.asarray(model(rows, training=False))
    compiled = ov.Core().compile_model(str(files["openvino"]), "CPU",
                                       {"INFERENCE_PRECISION_HINT": "f32"})
    session = onnxruntime.InferenceSession(str(files["onnx"]),
                                           providers=["CPUExecutionProvider"])
    results = {"openvino": compiled(rows)[0], "onnx": session.run(None, {INPUT_NAME: rows})[0]}
    report: dict = {f"{name}_max_abs_diff": float(np.abs(out - reference).max())
                    for name, out in results.items()}
    report["rows"] = int(len(rows))
    report["same_top1"] = all(bool((out.argmax(1) == reference.argmax(1)).all())
                              for out in results.values())
    return report


def export_pose_classifier(run: str | Path, out: str | Path, force: bool = False,
                           keypoints: str | Path | None = None,
                           parity_rows: int = 32) -> PoseExport:
    """Write IR, ONNX and the runtime card of a pose-train run into ``out``; check parity
    on hands of ``keypoints`` (a landmark file) when given, else on random rows."""
    import yaml

    from posecls.model import load_pose_classifier

    classifier = load_pose_classifier(run)
    out = Path(out)
    _prepare_out(out, force)
    result = PoseExport(out)
    timings = {}
    for role, name, writer in (("openvino", IR_FILE, _ir), ("onnx", ONNX_FILE, _onnx)):
        started = time.perf_counter()
        result.files[role] = writer(classifier.model, out / name)
        timings[role] = round(time.perf_counter() - started, 2)
    rows = parity_features(keypoints, parity_rows, classifier.info.features)
    result.parity = parity(classifier.model, result.files, rows)
    result.card = {**runtime_card(classifier.info),
                   "files": {"openvino": IR_FILE, "onnx": ONNX_FILE},
                   "metadata": {"run": str(classifier.path), **classifier.info.extra},
                   "export": {"tools": _tool_versions(), "timings_s": timings,
                              "parity": {**result.parity, "on": "landmark file hands"
                                         if keypoints else "random rows"}}}
    card_path = out / CARD_FILE
    card_path.write_text(yaml.safe_dump(result.card, sort_keys=False, default_flow_style=None,
                                        width=100), encoding="utf-8")
    result.files["card"] = card_path
    return result
