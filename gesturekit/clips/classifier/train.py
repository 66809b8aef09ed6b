"""Train a clip classifier on a rawframes dataset into a work folder.

``WORK_DIR/snapshots/epoch_NNN.h5`` (+ ``.json`` metadata) after every epoch, keeping the
best ``keep_best`` by val top-1 and the last; ``metrics.csv`` and ``curves.png`` grow an
epoch at a time. Adam with a per-epoch cosine learning-rate decay, sparse cross-entropy on
logits. ``resume`` continues a run from its last snapshot (the optimizer's moments start
afresh); ``load_from`` starts a new run from another snapshot's weights (fine-tuning, e.g.
with a smaller learning rate; a head for another class count is left fresh).
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import replace
from pathlib import Path

from detector.card import ModelCard
from voc_tools.errors import GestureKitError

from .data import ClipBatches, FrameCache, keras_sequence, load_split
from .metadata import load_info, save_info, snapshot_card, template_of
from .model import build_model, keras, load_model, load_weights_by_name
from .run_log import (METRICS_FILE, SNAPSHOTS_DIR, best_snapshot, last_snapshot, plot_run,
                      rank, read_metrics, write_rows)
from .templates import Template

MODEL_SETTINGS = ("architecture", "frames", "input_size", "crop", "crop_scale",
                  "color_order", "normalise")


def cosine_rate(base: float, epoch: int, epochs: int) -> float:
    """The learning rate of (0-based) ``epoch``: cosine from ``base`` towards 0."""
    return base * 0.5 * (1 + math.cos(math.pi * epoch / max(1, epochs)))


class RunRecorder(keras.callbacks.Callback):
    """Snapshot + metadata per epoch, retention, ``metrics.csv``; ``curves.png`` at the end
    and at most every ``PLOT_EVERY_S`` seconds on the way (drawing costs ~0.5 s)."""

    PLOT_EVERY_S = 30.0

    def __init__(self, work_dir: Path, info: ModelCard, keep_best: int) -> None:
        super().__init__()
        self.work_dir, self.info, self.keep_best = work_dir, info, keep_best
        (work_dir / SNAPSHOTS_DIR).mkdir(parents=True, exist_ok=True)
        self.rows = read_metrics(work_dir)
        self.started = self.plotted = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs, number = dict(logs or {}), epoch + 1
        relative = f"{SNAPSHOTS_DIR}/epoch_{number:03d}.h5"
        with warnings.catch_warnings():  # Keras calls .h5 legacy; keras-retinanet's format
            warnings.filterwarnings("ignore", message=".*HDF5 file.*legacy")
            self.model.save(str(self.work_dir / relative), include_optimizer=False)
        info = snapshot_card(self.info.classes, template_of(self.info),
                             {**self.info.metadata, "epoch": number,
                              "val_top1": float(logs.get("val_top1", math.nan))})
        save_info(info, self.work_dir / relative)
        row = {key: f"{float(logs[key]):.6g}" for key in ("loss", "top1", "val_loss",
                                                           "val_top1") if key in logs}
        row.update(epoch=number, snapshot=relative,
                   lr=f"{float(keras.backend.get_value(self.model.optimizer.learning_rate)):.6g}",
                   seconds=f"{time.perf_counter() - self.started:.1f}")
        self.rows = [r for r in self.rows if int(r["epoch"]) != number] + [row]
        self._retain(number)
        write_rows(self.work_dir, self.rows)
        if time.perf_counter() - self.plotted > self.PLOT_EVERY_S:
            self.on_train_end()

    def on_train_end(self, logs: dict | None = None) -> None:
        plot_run(self.work_dir, self.rows)
        self.plotted = time.perf_counter()

    def _retain(self, last: int) -> None:
        alive = [r for r in self.rows if r.get("snapshot")]
        best = sorted(alive, key=rank, reverse=True)
        keep = {int(r["epoch"]) for r in best[:self.keep_best]} | {last}
        for row in alive:
            if int(row["epoch"]) not in keep:
                snapshot = self.work_dir / row["snapshot"]
                snapshot.unlink(missing_ok=True)
                snapshot.with_suffix(".json").unlink(missing_ok=True)
                row["snapshot"] = ""


def _start_model(work_dir: Path, template: Template, classes: list[str], resume: bool,
                 load_from: str | Path | None) -> tuple[keras.Model, Template, int]:
    """The model to train, the template it follows, and the epoch to start from."""
    if resume:
        last = last_snapshot(work_dir)
        info = load_info(last)
        if info.classes != classes:
            raise GestureKitError(f"the run's classes {info.classes} differ from the data's "
                                  f"{classes}; resume needs the same classes", last)
        trained = template_of(info)
        changed = [k for k in MODEL_SETTINGS if getattr(trained, k) != getattr(template, k)]
        if changed:
            raise GestureKitError(f"--resume cannot change {', '.join(changed)} (the run was "
                                  f"trained with them); start a new WORK_DIR", last)
        return load_model(last), template, int(info.metadata.get("epoch", 0))
    weights = template.weights if load_from is None else None
    model = build_model(template.architecture, len(classes), template.frames,
                        template.input_size, weights, template.dropout)
    if load_from is not None:
        source = template_of(load_info(load_from))
        if source.architecture != template.architecture:
            raise GestureKitError(f"--load-from is a {source.architecture} snapshot, "
                                  f"the template trains {template.architecture}", load_from)
        load_weights_by_name(model, load_from)
    return model, template, 0


def train_classifier(work_dir: str | Path, data_dir: str | Path, template: Template,
                     train_list: str | Path = "train.txt", val_list: str | Path = "val.txt",
                     resume: bool = False, load_from: str | Path | None = None,
                     seed: int = 0, keep_best: int = 2, verbose: int = 1) -> Path:
    """Train (or resume) and return the best snapshot (by val top-1)."""
    work_dir = Path(work_dir)
    if (work_dir / METRICS_FILE).is_file() and not resume:
        raise GestureKitError(f"already holds a training run ({METRICS_FILE}); pass --resume "
                              "to continue it, or train in another WORK_DIR", work_dir)
    if resume and load_from is not None:
        raise GestureKitError("use either --resume or --load-from, not both")
    keras.utils.set_random_seed(seed)
    train = load_split(data_dir, train_list, template.frames)
    val = load_split(data_dir, val_list, template.frames, train.classes)
    model, template, initial_epoch = _start_model(work_dir, template, train.classes, resume,
                                                  load_from)
    if initial_epoch >= template.epochs:
        raise GestureKitError(f"the run already has {initial_epoch} epochs; pass a larger "
                              "--epochs to continue it", work_dir)
    cache = FrameCache(train.data_dir, template.input_size, template.crop_scale)
    train_batches = ClipBatches(train, template, template.batch_size, True, seed, cache)
    val_batches = ClipBatches(val, template, template.batch_size, False, seed, cache)
    model.compile(optimizer=keras.optimizers.Adam(template.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="top1")])
    info = snapshot_card(train.classes, replace(template),
                         {"data": {"data_dir": str(train.data_dir),
                                   "train": str(train.annotation), "val": str(val.annotation)}})
    schedule = keras.callbacks.LearningRateScheduler(
        lambda epoch: cosine_rate(template.learning_rate, epoch, template.epochs))
    model.fit(keras_sequence(train_batches), validation_data=keras_sequence(val_batches),
              epochs=template.epochs, initial_epoch=initial_epoch, verbose=verbose,
              callbacks=[schedule, RunRecorder(work_dir, info, keep_best)])
    return best_snapshot(work_dir)
