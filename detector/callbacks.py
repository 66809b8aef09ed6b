"""Keras callbacks of a training run: val mAP each epoch, snapshots with retention, log."""
from __future__ import annotations

import math
from pathlib import Path

from voc_tools.layout import VocLayout

from . import compat  # noqa: F401
from tensorflow import keras  # noqa: E402

from .engine import KerasModel  # noqa: E402
from .inference import save_h5  # noqa: E402
from .card import ModelCard  # noqa: E402
from .run_log import plot_curves, read_metrics, write_metrics  # noqa: E402


def snapshot_name(epoch: int) -> str:
    """File name of the snapshot taken after (1-based) ``epoch``."""
    return f"epoch_{epoch:03d}.h5"


class ValLoss(keras.callbacks.Callback):
    """Val losses computed after the epoch's BN recalibration (Keras' own validation runs
    before callbacks, on the stale statistics), as logs['val_loss'] and its parts."""

    def __init__(self, generator) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.generator = generator

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None:
            return
        values = self.model.evaluate(self.generator.dataset(), verbose=0, return_dict=True)
        logs.update({f"val_{key}": value for key, value in values.items()})


class ValMap(keras.callbacks.Callback):
    """Computes VOC mAP@0.5 on the val split after every ``every``-th epoch as logs['map']."""

    def __init__(self, prediction_model, metadata: ModelCard, root: Path,  # type: ignore[no-untyped-def]
                 split: str = "val", every: int = 1) -> None:
        super().__init__()
        self.detector = KerasModel(prediction_model, metadata, name="val")
        self.layout = VocLayout(root)
        self.image_ids = self.layout.read_split(split)
        self.every = max(1, every)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None or (epoch + 1) % self.every:
            return
        from .evaluate import collect, evaluate_detections

        detections, annotations = collect(self.detector, self.layout, self.image_ids,
                                          progress=False)
        result = evaluate_detections(detections, annotations, self.detector.classes)
        logs["map"] = result.map


class RunRecorder(keras.callbacks.Callback):
    """Saves a snapshot per epoch, keeps the best ``keep_best`` (by mAP, else val loss)
    plus the last, and appends the epoch's row to ``metrics.csv`` and ``curves.png``."""

    def __init__(self, run_dir: Path, keep_best: int = 3) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.snapshots = self.run_dir / "snapshots"
        self.snapshots.mkdir(parents=True, exist_ok=True)
        self.keep_best = keep_best
        self.rows = read_metrics(self.run_dir)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        number = epoch + 1
        path = self.snapshots / snapshot_name(number)
        save_h5(self.model, path)
        self.rows = [r for r in self.rows if int(r["epoch"]) != number]
        self.rows.append({
            "epoch": number,
            **{key: _cell(logs.get(key)) for key in
               ("loss", "regression_loss", "classification_loss", "val_loss", "map")},
            "snapshot": path.relative_to(self.run_dir).as_posix(),
        })
        self._apply_retention()
        write_metrics(self.run_dir, self.rows)
        plot_curves(self.run_dir, self.rows)


    def _apply_retention(self) -> None:
        alive = [r for r in self.rows if r["snapshot"]]
        last = max(int(r["epoch"]) for r in self.rows)
        ranked = sorted(alive, key=_rank_key, reverse=True)
        keep = {int(r["epoch"]) for r in ranked[:self.keep_best]} | {last}
        for row in alive:
            if int(row["epoch"]) not in keep:
                (self.run_dir / row["snapshot"]).unlink(missing_ok=True)
                row["snapshot"] = ""


def _cell(value) -> str:  # type: ignore[no-untyped-def]
    if value is None:
        return ""
    value = float(value)
    return "" if math.isnan(value) else f"{value:.6g}"


def _rank_key(row: dict) -> tuple:
    """Higher is better: mAP first, then lower val loss, then later epoch."""
    map_value = float(row["map"]) if row.get("map") else -1.0
    val_loss = float(row["val_loss"]) if row.get("val_loss") else math.inf
    return (map_value, -val_loss, int(row["epoch"]))
