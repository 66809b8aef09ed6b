"""The pose classifier's network, its card and loading a trained one.

A run directory of ``gesturekit pose-train`` holds ``pose_classifier.h5`` (Keras, input
``features`` N x FEATURES, output ``probabilities`` N x classes) and its card
``pose_classifier.json`` (the kit's one :class:`detector.card.ModelCard`: stage training,
kind pose_classifier; classes, features version, where the data came from). A trained
classifier runs through the kit's engine like every model (:mod:`detector.engine`).
"""
from __future__ import annotations

from pathlib import Path

from detector.card import ModelCard, read_card_file
from detector.preprocess import STRETCH, InputRule
from gesturekit.pose.normalize import FEATURES, FEATURES_VERSION
from voc_tools.errors import GestureKitError

FORMAT = "gesturekit-pose-classifier"  # the cards pose-train wrote before the one card
MODEL_FILE, INFO_FILE = "pose_classifier.h5", "pose_classifier.json"
INPUT_NAME, OUTPUT_NAME = "features", "probabilities"


def pose_card(classes: list[str], stage: str = "training", extra: dict | None = None,
              features: int = FEATURES,
              features_version: int = FEATURES_VERSION) -> ModelCard:
    """The card of a pose classifier: N x ``features`` in, probabilities out."""
    return ModelCard("pose_classifier", stage, list(classes),
                     InputRule(resize=STRETCH, layout="NC"), INPUT_NAME, output="probabilities",
                     output_names={"probabilities": OUTPUT_NAME},
                     pose={"features": int(features), "features_version": int(features_version)},
                     metadata=dict(extra or {}))


def check_features_version(card: ModelCard, path: Path | None) -> None:
    """Refuse a model made for other features than :mod:`gesturekit.pose.normalize` computes."""
    version, features = card.pose.get("features_version"), card.pose.get("features")
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


def load_info(path: str | Path) -> ModelCard:
    """The card of a trained pose classifier (one-line errors)."""
    info_path = model_files(path)[1]
    if not info_path.is_file():
        raise GestureKitError("the pose classifier's card is missing", info_path)
    card = read_card_file(info_path)
    if card.kind != "pose_classifier":
        raise GestureKitError(f"not a pose classifier's card (kind {card.kind})", info_path)
    check_features_version(card, info_path)
    return card


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


def load_pose_classifier(path: str | Path):  # type: ignore[no-untyped-def]
    """A trained pose classifier (run directory, .h5 or .json) on the kit's engine:
    ``.classes``, ``.card`` and ``.predict(features N x D) -> N x C``."""
    if Path(path).suffix in (".xml", ".onnx"):
        raise GestureKitError("an exported pose classifier: load it with "
                              "gesturekit.runtime.pose_detector.load_pose_classifier", path)
    h5, _ = model_files(path)
    card = load_info(h5)
    from detector.engine import KerasModel, read_keras

    from . import adapter  # noqa: F401  (the engine's pose-classifier adapter)

    model = read_keras(h5, card)
    if model.output_shape[-1] != len(card.classes):
        raise GestureKitError(f"the model gives {model.output_shape[-1]} classes, its "
                              f"card lists {len(card.classes)}", h5)
    return KerasModel(model, card, h5, name="pose_classifier")
