"""The pose classifier's network, its metadata file and loading a trained one.

A run directory of ``gesturekit pose-train`` holds ``pose_classifier.h5`` (Keras, input
``features`` N x FEATURES, output ``probabilities`` N x classes) and
``pose_classifier.json`` (classes, features version, where the data came from).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gesturekit.pose.normalize import FEATURES, FEATURES_VERSION
from voc_tools.errors import GestureKitError

FORMAT = "gesturekit-pose-classifier"
MODEL_FILE, INFO_FILE = "pose_classifier.h5", "pose_classifier.json"
INPUT_NAME, OUTPUT_NAME = "features", "probabilities"


@dataclass
class PoseInfo:
    """What a trained pose classifier needs beside its weights."""

    classes: list[str]
    features: int = FEATURES
    features_version: int = FEATURES_VERSION
    extra: dict = field(default_factory=dict)  # dataset, fingerprint, accuracy, ...

    def save(self, path: str | Path) -> Path:
        data = {"format": FORMAT, "version": 1, "classes": self.classes,
                "features": self.features, "features_version": self.features_version,
                **self.extra}
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        return Path(path)


def check_features_version(version: int, features: int, path: Path | None) -> None:
    """Refuse a model made for other features than :mod:`gesturekit.pose.normalize` computes."""
    if version != FEATURES_VERSION or features != FEATURES:
        raise GestureKitError(f"pose classifier made for features v{version} ({features} "
                              f"values), this GestureKit computes v{FEATURES_VERSION} "
                              f"({FEATURES}); train it again with gesturekit pose-train",
                              path)


def model_files(path: str | Path) -> tuple[Path, Path]:
    """The (.h5, .json) of a run directory, a .h5 or its .json."""
    path = Path(path)
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.exists():
        raise GestureKitError("no pose classifier here (expected a gesturekit pose-train "
                              f"run directory or its {MODEL_FILE})", path)
    return path.with_suffix(".h5"), path.with_suffix(".json")


def load_info(path: str | Path) -> PoseInfo:
    """The metadata of a trained pose classifier (one-line errors)."""
    info_path = model_files(path)[1]
    try:
        data = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise GestureKitError(f"cannot read the pose classifier's metadata ({err})",
                              info_path) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise GestureKitError("not a GestureKit pose-classifier metadata file", info_path)
    try:
        info = PoseInfo([str(c) for c in data["classes"]], int(data["features"]),
                        int(data["features_version"]),
                        {k: v for k, v in data.items() if k not in
                         ("format", "version", "classes", "features", "features_version")})
    except (KeyError, TypeError, ValueError) as err:
        raise GestureKitError(f"bad pose-classifier metadata ({err})", info_path) from None
    check_features_version(info.features_version, info.features, info_path)
    return info


def build_model(classes: int, hidden: tuple[int, ...] = (64, 32), dropout: float = 0.2,
                seed: int = 0):  # type: ignore[no-untyped-def]
    """features (N x FEATURES) → Dense/ReLU/Dropout blocks → softmax probabilities."""
    from detector import compat  # noqa: F401  (tf-keras before TensorFlow)
    import tensorflow as tf
    from tensorflow import keras

    tf.random.set_seed(seed)
    features = keras.Input((FEATURES,), name=INPUT_NAME)
    x = features
    for i, units in enumerate(hidden):
        x = keras.layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    logits = keras.layers.Dense(classes, name="logits")(x)
    probabilities = keras.layers.Softmax(name=OUTPUT_NAME)(logits)
    return keras.Model(features, probabilities, name="pose_classifier")


class PoseClassifier:
    """A trained Keras pose classifier: ``predict(features (N, D)) -> (N, C)``."""

    def __init__(self, model, info: PoseInfo,  # type: ignore[no-untyped-def]
                 path: Path | None = None) -> None:
        self.model, self.info, self.path = model, info, path

    @property
    def classes(self) -> list[str]:
        return self.info.classes

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities of N feature vectors."""
        features = np.asarray(features, np.float32).reshape(-1, self.info.features)
        if not len(features):
            return np.zeros((0, len(self.classes)), np.float32)
        return np.asarray(self.model(features, training=False), np.float32)


def load_pose_classifier(path: str | Path) -> PoseClassifier:
    """A Keras pose classifier from a run directory, its .h5 or its .json."""
    if Path(path).suffix in (".xml", ".onnx"):
        raise GestureKitError("an exported pose classifier: load it with "
                              "gesturekit.runtime.pose_detector.load_pose_classifier", path)
    h5, _ = model_files(path)
    info = load_info(h5)
    from detector import compat  # noqa: F401
    from tensorflow import keras

    try:
        model = keras.models.load_model(str(h5), compile=False)
    except (OSError, ValueError) as err:
        raise GestureKitError(f"cannot load the pose classifier ({str(err).splitlines()[0]})",
                              h5) from None
    if model.output_shape[-1] != len(info.classes):
        raise GestureKitError(f"the model gives {model.output_shape[-1]} classes, its "
                              f"metadata lists {len(info.classes)}", h5)
    return PoseClassifier(model, info, h5)
