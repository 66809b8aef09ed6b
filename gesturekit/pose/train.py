"""Train the pose classifier on a landmark file of ``gesturekit keypoints``.

Rows are split by image: the dataset's ``ImageSets/Main`` train/val lists when it has
them, else a seeded ``val_fraction`` of the images. Every epoch sees each training row
``repeats`` times, each a fresh augmented copy (small in-plane rotation, x/y stretch,
landmark jitter; see :func:`gesturekit.pose.normalize.augment_points`); classes are weighted by
their inverse frequency. The weights of the best epoch (val accuracy, then val loss) are
kept. Unless ``box_calibration`` is off, the dataset's box convention (per class, the
labelled boxes' edges relative to the hands' landmark boxes; :mod:`gesturekit.pose.boxes`) is learned
from the training rows and stored in the metadata for the pose route. RUN_DIR gets
``pose_classifier.h5`` + ``.json``, ``metrics.csv`` and ``curves.png``.
"""
from __future__ import annotations

import csv
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from gesturekit.pose.keypoints import KeypointSet, load_keypoints
from gesturekit.pose.normalize import augment_points, features_from_points, normalized_points
from voc_tools.errors import GestureKitError

from .model import INFO_FILE, MODEL_FILE, build_model, pose_card

METRICS_FILE, CURVES_FILE = "metrics.csv", "curves.png"


@dataclass
class PoseTrainConfig:
    """Training settings (all recorded in the model's metadata)."""

    epochs: int = 60
    batch_size: int = 32
    learning_rate: float = 3e-3
    hidden: tuple[int, ...] = (64, 32)
    dropout: float = 0.2
    repeats: int = 4
    augment: bool = True
    val_fraction: float = 0.25
    seed: int = 0
    box_calibration: bool = True


@dataclass
class PoseTrainResult:
    """Where the model went and how well it did."""

    out: Path
    classes: list[str]
    train_rows: int
    val_rows: int
    split: str
    best_epoch: int
    val_accuracy: float | None
    train_accuracy: float
    history: dict = field(default_factory=dict)


def split_rows(keypoints: KeypointSet, root: Path | None, val_fraction: float,
               seed: int) -> tuple[KeypointSet, KeypointSet, str]:
    """(train rows, val rows, how the split was made)."""
    if root is not None:
        from voc_tools.layout import VocLayout

        layout = VocLayout(root)
        if layout.split_path("train").is_file() and layout.split_path("val").is_file():
            return (keypoints.rows_of(layout.read_split("train")),
                    keypoints.rows_of(layout.read_split("val")),
                    f"ImageSets/Main train/val of {layout.root}")
    images = np.unique(keypoints.image_ids)
    rng = np.random.default_rng(seed)
    count = int(round(val_fraction * len(images))) if len(images) > 1 else 0
    val_images = rng.permutation(images)[:count]
    is_val = np.isin(keypoints.image_ids, val_images)
    return (keypoints.subset(~is_val), keypoints.subset(is_val),
            f"{count} of {len(images)} images at random (seed {seed})")


def _points(rows: KeypointSet) -> np.ndarray:
    return normalized_points(rows.landmarks, list(rows.handedness),
                             rows.sizes[:, 0] / np.maximum(rows.sizes[:, 1], 1))


def _batches(points: np.ndarray, labels: np.ndarray, weights: np.ndarray,
             config: PoseTrainConfig):  # type: ignore[no-untyped-def]
    """A keras Sequence of freshly augmented feature batches, ``repeats`` copies per row."""
    from tensorflow import keras

    class AugmentedRows(keras.utils.Sequence):
        def __init__(self) -> None:
            super().__init__()
            self.rng = np.random.default_rng(config.seed)
            self.on_epoch_end()

        def on_epoch_end(self) -> None:
            index = np.tile(np.arange(len(points)), config.repeats)
            index = self.rng.permutation(index)
            moved = augment_points(points[index], self.rng) if config.augment else points[index]
            self.x, self.y, self.w = features_from_points(moved), labels[index], weights[index]

        def __len__(self) -> int:
            return int(np.ceil(len(self.y) / config.batch_size))

        def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
            part = slice(i * config.batch_size, (i + 1) * config.batch_size)
            return self.x[part], self.y[part], self.w[part]

    return AugmentedRows()


def _best_weights_callback():  # type: ignore[no-untyped-def]
    from tensorflow import keras

    class BestWeights(keras.callbacks.Callback):
        """Keep the weights of the best epoch: highest val accuracy, then lowest val loss
        (train accuracy/loss when there is no val split)."""

        def __init__(self) -> None:
            super().__init__()
            self.best: tuple[float, float] | None = None
            self.epoch, self.weights = 0, None

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            accuracy = logs.get("val_accuracy", logs.get("accuracy", 0.0))
            loss = logs.get("val_loss", logs.get("loss", 0.0))
            if self.best is None or (accuracy, -loss) > self.best:
                self.best, self.epoch = (accuracy, -loss), epoch + 1
                self.weights = self.model.get_weights()

    return BestWeights()


def write_history(out: Path, history: dict) -> None:
    """``metrics.csv`` (one row per epoch) and ``curves.png`` (loss, accuracy)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted(history)
    epochs = len(next(iter(history.values()))) if history else 0
    with (out / METRICS_FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["epoch", *keys])
        for e in range(epochs):
            writer.writerow([e + 1, *(f"{history[k][e]:.5f}" for k in keys)])
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for key, label in ((metric, "train"), (f"val_{metric}", "val")):
            if key in history:
                ax.plot(range(1, epochs + 1), history[key], label=label)
        ax.set(xlabel="epoch", ylabel=metric)
        ax.grid(alpha=0.3)
        ax.legend()
    axes[1].set_ylim(0, 1.02)
    fig.tight_layout()
    fig.savefig(out / CURVES_FILE, dpi=90)
    plt.close(fig)


def prepare_run_dir(out: Path, force: bool) -> None:
    """Create RUN_DIR; refuse to replace a trained model there unless ``force``."""
    if (out / MODEL_FILE).exists() and not force:
        raise GestureKitError(f"already holds {MODEL_FILE}; pass --force to replace it", out)
    if out.exists() and not out.is_dir():
        raise GestureKitError("not a folder", out)
    out.mkdir(parents=True, exist_ok=True)


def train_pose_classifier(keypoints_path: str | Path, out: str | Path,
                          config: PoseTrainConfig | None = None,
                          root: str | Path | None = None, force: bool = False,
                          verbose: int = 1) -> PoseTrainResult:
    """Train on the landmark file's rows (checked against ``root``, by default the
    dataset it was made from, when that still exists) and save the run to ``out``."""
    config = config or PoseTrainConfig()
    keypoints = load_keypoints(keypoints_path)
    root_path = Path(root) if root is not None else Path(keypoints.meta["root"])
    if root is not None or root_path.is_dir():
        keypoints.check_dataset(root_path)
    else:
        root_path = None
    out = Path(out)
    prepare_run_dir(out, force)
    train, val, how = split_rows(keypoints, root_path, config.val_fraction, config.seed)
    if not len(train):
        raise GestureKitError(f"no training rows ({how})", keypoints.path)
    classes = keypoints.classes
    counts = np.bincount(train.labels, minlength=len(classes))
    weights = len(train) / (len(classes) * np.maximum(counts, 1))

    from detector import compat  # noqa: F401  (tf-keras before TensorFlow)
    from tensorflow import keras

    model = build_model(len(classes), tuple(config.hidden), config.dropout, config.seed)
    model.compile(keras.optimizers.Adam(config.learning_rate),
                  "sparse_categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=[])
    best = _best_weights_callback()
    validation = (val.features(), val.labels) if len(val) else None
    fitted = model.fit(_batches(_points(train), train.labels,
                                weights[train.labels].astype(np.float32), config),
                       epochs=config.epochs, validation_data=validation, callbacks=[best],
                       verbose=verbose)
    history = {k: [float(v) for v in values] for k, values in fitted.history.items()}
    model.set_weights(best.weights)

    def accuracy(rows: KeypointSet) -> float | None:
        if not len(rows):
            return None
        predicted = np.asarray(model(rows.features(), training=False)).argmax(1)
        return float((predicted == rows.labels).mean())

    result = PoseTrainResult(out, classes, len(train), len(val), how, best.epoch,
                             accuracy(val), float(accuracy(train)), history)
    with warnings.catch_warnings():  # "HDF5 is legacy": the kit's models are .h5 on purpose
        warnings.simplefilter("ignore", UserWarning)
        model.save(str(out / MODEL_FILE), include_optimizer=False)
    margin = float(keypoints.meta.get("margin", 0.15))
    calibration = ({"box_calibration": box_calibration(train, margin)}
                   if config.box_calibration else {})
    pose_card(classes, extra={
        "dataset": keypoints.meta["dataset"], "fingerprint": keypoints.meta["fingerprint"],
        "keypoints": str(Path(keypoints_path).resolve()), "split": how,
        "train_rows": len(train), "val_rows": len(val),
        "train_counts": {c: int(n) for c, n in zip(classes, counts)}, "best_epoch": best.epoch,
        "val_accuracy": result.val_accuracy, "train_accuracy": result.train_accuracy,
        "config": asdict(config), **calibration}).save(out / INFO_FILE)
    write_history(out, history)
    return result


def box_calibration(train: KeypointSet, margin: float) -> dict:
    """The box convention of the training rows (see :mod:`gesturekit.pose.boxes`)."""
    from gesturekit.pose.boxes import fit_box_calibration

    return fit_box_calibration(train.landmarks, train.sizes, train.boxes, train.labels,
                               train.classes, margin)
