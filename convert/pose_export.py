"""Export a pose classifier for the runtime: OpenVINO IR, ONNX and its model card.

Input ``features`` N x FEATURES (:func:`gesturekit.pose.normalize.hand_features` of each hand, N
free), output ``probabilities`` N x classes. Files in OUT::

    pose_classifier.xml/.bin  OpenVINO IR (ov.convert_model of the Keras model, FP32)
    pose_classifier.onnx      ONNX (tf2onnx, opset 17)
    pose_classifier.yaml      model card (detector.card: exported pose_classifier, layout NC, classes,
                              pose.features / features_version, parity, metadata)

Serve with ``ModelServer().add("pose", "OUT/pose_classifier.xml",
"OUT/pose_classifier.yaml")`` or ``gesturekit.runtime.pose_detector.load_pose_classifier(OUT)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from detector.card import ModelCard
from gesturekit.pose.model import INPUT_NAME, OUTPUT_NAME

from .export import _prepare_out, _tool_versions
from .keras_export import parity, write_both

STEM = "pose_classifier"
IR_FILE, ONNX_FILE, CARD_FILE = f"{STEM}.xml", f"{STEM}.onnx", f"{STEM}.yaml"


@dataclass
class PoseExport:
    """What :func:`export_pose_classifier` wrote and measured."""

    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    card: ModelCard | None = None
    parity: dict = field(default_factory=dict)





def parity_features(keypoints: str | Path | None, count: int, features: int) -> np.ndarray:
    """Up to ``count`` feature rows of a landmark file, else standard-normal rows."""
    if keypoints is None:
        return np.random.default_rng(0).normal(0, 1, (count, features)).astype(np.float32)
    from gesturekit.pose.keypoints import load_keypoints

    rows = load_keypoints(keypoints).features()
    return rows[::max(1, len(rows) // count)][:count]


def export_pose_classifier(run: str | Path, out: str | Path, force: bool = False,
                           keypoints: str | Path | None = None,
                           parity_rows: int = 32) -> PoseExport:
    """Write IR, ONNX and the runtime card of a pose-train run into ``out``; check parity
    on hands of ``keypoints`` (a landmark file) when given, else on random rows."""
    from gesturekit.pose.model import load_pose_classifier

    classifier = load_pose_classifier(run)
    out = Path(out)
    _prepare_out(out, force)
    result = PoseExport(out)
    files, timings = write_both(classifier.model, out, IR_FILE, ONNX_FILE, INPUT_NAME,
                                OUTPUT_NAME)
    result.files.update(files)
    rows = parity_features(keypoints, parity_rows, classifier.card.pose["features"])
    result.parity = {**parity(classifier.model, result.files, [rows], INPUT_NAME),
                     "rows": int(len(rows))}
    result.card = classifier.card.at_stage(
        "exported", files={"openvino": IR_FILE, "onnx": ONNX_FILE},
        metadata={"run": str(classifier.path), **classifier.card.metadata})
    result.card.export = {"tools": _tool_versions(), "timings_s": timings,
                          "parity": {**result.parity, "on": "landmark file hands"
                                     if keypoints else "random rows"}}
    result.files["card"] = result.card.save(out / CARD_FILE)
    return result
