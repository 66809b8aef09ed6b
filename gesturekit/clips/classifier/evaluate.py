"""Evaluate a clip-classifier snapshot on one split: top-1, mean class accuracy, confusion
matrix (``metrics.yaml`` + ``confusion.png``), parameters and GFLOPs."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voc_tools.classes import read_classes
from voc_tools.errors import GestureKitError

from .data import ClipBatches, load_split
from .metadata import load_info, template_of
from .templates import Template

METRICS_YAML = "metrics.yaml"
CONFUSION_PNG = "confusion.png"


@dataclass
class ClipScores:
    """Predictions of a split against its labels."""

    classes: list[str]
    labels: np.ndarray
    predictions: np.ndarray

    @property
    def confusion(self) -> np.ndarray:
        """Rows: true class, columns: predicted class."""
        n = len(self.classes)
        matrix = np.zeros((n, n), np.int64)
        np.add.at(matrix, (self.labels, self.predictions), 1)
        return matrix

    @property
    def top1(self) -> float:
        return float(np.mean(self.labels == self.predictions))

    def class_accuracy(self) -> dict[str, float | None]:
        """Accuracy per class (None for a class without clips in the split)."""
        matrix = self.confusion
        return {name: (float(matrix[i, i] / matrix[i].sum()) if matrix[i].sum() else None)
                for i, name in enumerate(self.classes)}

    @property
    def mean_class_accuracy(self) -> float:
        values = [v for v in self.class_accuracy().values() if v is not None]
        return float(np.mean(values))


def predict_logits(model, batches: ClipBatches) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Logits of every clip of ``batches`` (file order), with a progress bar."""
    from tqdm import tqdm

    parts = [np.asarray(model(batches.batch(number)[0], training=False))
             for number in tqdm(range(len(batches)), desc="classifying clips", unit="batch",
                                leave=False)]
    return np.concatenate(parts)


def plot_confusion(scores: ClipScores, path: Path, title: str) -> Path:
    """The confusion matrix as a picture (counts in the cells, rows = true class)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix, n = scores.confusion, len(scores.classes)
    fig, axis = plt.subplots(figsize=(2.2 + 0.9 * n, 1.8 + 0.8 * n))
    axis.imshow(matrix, cmap="Blues", vmin=0)
    for (row, col), count in np.ndenumerate(matrix):
        axis.text(col, row, str(count), ha="center", va="center",
                  color="white" if count > matrix.max() / 2 else "black")
    axis.set_xticks(range(n), scores.classes, rotation=45, ha="right")
    axis.set_yticks(range(n), scores.classes)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def evaluate_snapshot(snapshot: str | Path, data_dir: str | Path, split: str | Path,
                      out_dir: str | Path, template: Template | None = None) -> dict:
    """Evaluate and write ``out_dir/metrics.yaml`` and ``confusion.png``; returns the
    metrics. ``template``: the snapshot's own unless given (e.g. another fps or batch size;
    frames, input size and normalisation must be the model's)."""
    import yaml

    from .flops import model_cost
    from .model import load_model

    snapshot, out_dir = Path(snapshot), Path(out_dir)
    info = load_info(snapshot)
    template = template or template_of(info)
    data_classes = read_classes(data_dir)
    if data_classes != info.classes:
        raise GestureKitError(f"the data's classes {data_classes} differ from the model's "
                              f"{info.classes}", Path(data_dir) / "classes.txt")
    clips = load_split(data_dir, split, template.frames, info.classes)
    batches = ClipBatches(clips, template, template.batch_size, train=False)
    model = load_model(snapshot)
    started = time.perf_counter()
    logits = predict_logits(model, batches)
    seconds = time.perf_counter() - started
    scores = ClipScores(info.classes, clips.labels, logits.argmax(axis=1))
    out_dir.mkdir(parents=True, exist_ok=True)
    png = plot_confusion(scores, out_dir / CONFUSION_PNG,
                         f"{clips.annotation.name}: top-1 {scores.top1:.3f}")
    metrics = {
        "snapshot": str(snapshot), "data_dir": str(clips.data_dir),
        "split": str(clips.annotation), "clips": len(clips.records),
        "top1": round(scores.top1, 4),
        "mean_class_accuracy": round(scores.mean_class_accuracy, 4),
        "class_accuracy": {k: None if v is None else round(v, 4)
                           for k, v in scores.class_accuracy().items()},
        "classes": info.classes,
        "confusion_matrix": scores.confusion.tolist(),
        "confusion_rows": "true class", "confusion_png": png.name,
        **model_cost(model),
        "architecture": template.architecture, "frames": template.frames,
        "fps": template.fps, "input_size": template.input_size,
        "keras_cpu_ms_per_clip": round(1000 * seconds / len(clips.records), 2),
    }
    (out_dir / METRICS_YAML).write_text(yaml.safe_dump(metrics, sort_keys=False,
                                                       default_flow_style=None, width=100),
                                        encoding="utf-8")
    return metrics
