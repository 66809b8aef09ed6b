"""Train a keras-retinanet detector on a GestureKit VOC root with the dataset's own classes."""
from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict
from pathlib import Path

from voc_tools.classes import read_classes
from voc_tools.errors import GestureKitError
from voc_tools.layout import VocLayout
from voc_tools.outputs import check_output_folder, refuse_inside

from . import compat  # noqa: F401
from .config import (ASSIGNERS, BOX_LOSSES, LEGACY_VALUES, OPTIMIZERS,  # noqa: F401
                     OUTSIDE_ANCHORS, TrainConfig, check_choice, check_head_norm, resolved)
from tensorflow import keras  # noqa: E402

from .augment import augmentation  # noqa: E402
from .batchnorm import RecalibrateBatchNorm  # noqa: E402
from .callbacks import RunRecorder, ValLoss, ValMap, snapshot_name  # noqa: E402
from .inference import save_h5  # noqa: E402
from .loop import fit  # noqa: E402
from .data import VocGenerator  # noqa: E402
from .ema import WeightAverage  # noqa: E402
from .hands import architecture_mismatch, hand_weights  # noqa: E402
from .pseudo import pseudo_image_ids, sampling_repeats  # noqa: E402
from .card import detector_card, preprocess_mode  # noqa: E402
from .model import prediction_model, shapes_callback, training_models  # noqa: E402
from .precision import PRECISIONS, training_precision  # noqa: E402
from .preprocess import normalize  # noqa: E402
from .run_log import read_metrics  # noqa: E402
from .schedule import CosineSchedule  # noqa: E402

CONFIG_FILE = "train_config.json"
RESUME_FILE = "resume.json"


def training_generators(config: TrainConfig, classes: list[str],
                        pseudo_ids: list[str]) -> tuple[VocGenerator, VocGenerator]:
    """The (train, val) generators ``train`` uses for ``config``: its augmentation, mosaic,
    preprocessing and pseudo-label sampling (the benchmarks time the same batches)."""
    transform, effects = augmentation(config.random_transform, config.strong_augment)
    mode = preprocess_mode(config.backbone)
    common = dict(batch_size=config.batch_size, image_min_side=config.image_min_side,
                  image_max_side=config.image_max_side, outside_anchors=config.outside_anchors,
                  assigner=config.assigner,
                  preprocess_image=lambda image: normalize(image, mode))
    # hand-labelled frames listed again for pseudo weights < 1, pseudo ones for > 1
    hand_repeat, pseudo_repeat = sampling_repeats(config.pseudo_weight)
    extra = [(config.pseudo_root, pseudo_ids)] * pseudo_repeat if config.pseudo_root else []
    train = VocGenerator(config.root, config.train_split, classes, repeat=hand_repeat,
                         extra=extra, mosaic=config.mosaic,
                         transform_generator=transform, visual_effect_generator=effects,
                         **common)
    val = VocGenerator(config.root, config.val_split, classes, shuffle_groups=False, **common)
    return train, val


def _data_record(config: TrainConfig, val_gen: VocGenerator, pseudo_images: int) -> dict:
    """What the run trained and validated on (saved in gesturekit.json's extra); the canvas
    its batches were padded to is the card's ``input.canvas``."""
    hand_repeat, pseudo_repeat = sampling_repeats(config.pseudo_weight)
    return {"root": config.root, "train_split": config.train_split,
            "train_images": len(VocLayout(config.root).read_split(config.train_split)),
            "pseudo_root": config.pseudo_root, "pseudo_images": pseudo_images,
            "pseudo_min_score": config.pseudo_min_score,
            "pseudo_weight": config.pseudo_weight,
            "listed_per_pass": {"hand": hand_repeat, "pseudo": pseudo_repeat},
            "val_split": config.val_split, "val_images": val_gen.size()}


def _validate(config: TrainConfig) -> None:
    """One line for a setting no run can use (before anything is built or written)."""
    for flag, value, least in (("--batch-size", config.batch_size, 1),
                               ("--epochs", config.epochs, 1),
                               ("--steps", config.steps, 1),
                               ("--image-min-side", config.image_min_side, 32),
                               ("--image-max-side", config.image_max_side, 32),
                               ("--head-width", config.head_width, 1),
                               ("--fpn-width", config.fpn_width, 1),
                               ("--keep-best", config.keep_best, 0),
                               ("--eval-every", config.eval_every, 1)):
        if value is not None and value < least:
            raise GestureKitError(f"{flag} must be at least {least} (got {value})")
    if not 0.0 <= config.mosaic <= 1.0:
        raise GestureKitError(f"--mosaic must be a chance from 0 to 1 (got {config.mosaic})")
    check_head_norm(config.head_norm)
    check_choice("--precision", config.precision, PRECISIONS)
    check_choice("--box-loss", config.box_loss, BOX_LOSSES)
    check_choice("--optimizer", config.optimizer, OPTIMIZERS)
    check_choice("--outside-anchors", config.outside_anchors, OUTSIDE_ANCHORS)
    check_choice("--assigner", config.assigner, ASSIGNERS)
    if not 0.0 <= config.ema_decay < 1.0:
        raise GestureKitError(f"--ema-decay must be 0 (off) or below 1 (got {config.ema_decay})")
    if not config.learning_rate > 0:
        raise GestureKitError(f"--lr must be positive (got {config.learning_rate})")
    hand = hand_weights(config.weights)
    if hand is not None:
        mismatch = architecture_mismatch(asdict(config), hand)
        if mismatch:
            raise GestureKitError(mismatch)


def _prepare_run_dir(config: TrainConfig, resume: bool, force: bool) -> dict | None:
    """Create the run folder; refuse to reuse one unless resuming, to write into another
    non-empty folder unless ``force``, or to write inside a dataset. Returns resume state."""
    run_dir = Path(config.out)
    for root, what in ((config.root, "VOC root"), (config.pseudo_root, "pseudo-label root")):
        if root:
            refuse_inside(run_dir, root, what)
    has_run = (run_dir / CONFIG_FILE).exists() or bool(read_metrics(run_dir))
    if resume:
        state_path = run_dir / RESUME_FILE
        if not state_path.is_file():
            raise GestureKitError("nothing to resume (no resume.json)", run_dir)
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
            snapshot = run_dir / state["snapshot"]
        except (ValueError, KeyError, TypeError):
            raise GestureKitError("unreadable resume state", state_path) from None
        if not snapshot.is_file():
            raise GestureKitError("the snapshot to resume from is missing", snapshot)
        return state
    if has_run:
        raise GestureKitError("already holds a training run; pass --resume to continue it "
                              "or choose another --out", run_dir)
    check_output_folder(run_dir, force, "train")
    run_dir.mkdir(parents=True, exist_ok=True)
    return None


def _save_resume_state(run_dir: Path, snapshot: Path, epoch: int) -> None:
    state = {"snapshot": snapshot.relative_to(run_dir).as_posix(), "epoch": epoch}
    (run_dir / RESUME_FILE).write_text(json.dumps(state) + "\n", encoding="utf-8")


class _ResumePoint(keras.callbacks.Callback):
    """Keeps resume.json pointing at the newest complete epoch's snapshot."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.completed = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.completed = epoch + 1
        _save_resume_state(self.run_dir, self.run_dir / "snapshots" / snapshot_name(epoch + 1),
                           epoch + 1)


def resume_config(run_dir: str | Path, epochs: int | None = None) -> TrainConfig:
    """The saved configuration of a run, with a new total epoch count if given.

    The run continues in ``run_dir`` itself, wherever the run was first written: a copied
    or moved run folder resumes where it is now."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise GestureKitError("not a training run (no train_config.json)", run_dir)
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        config = TrainConfig(**{**LEGACY_VALUES, **saved})
    except (ValueError, TypeError):
        raise GestureKitError("not a train_config.json of this GestureKit version",
                              path) from None
    config.out = str(run_dir)
    if epochs is not None:
        config.epochs = epochs
    return config


def _kit_callbacks(config: TrainConfig, model, metadata, train_gen, val_gen,  # type: ignore[no-untyped-def]
                   steps: int, resume_point: _ResumePoint) -> list[keras.callbacks.Callback]:
    """The kit's own callbacks, in the order they must run (metrics.csv before the snapshot)."""
    run_dir = Path(config.out)
    schedule = ([CosineSchedule(config.learning_rate, config.epochs, steps)]
                if config.lr_schedule == "cosine" else [])
    average = [WeightAverage(config.ema_decay)] if config.ema_decay else []
    return schedule + average + [
        RecalibrateBatchNorm(train_gen),
        ValLoss(val_gen),
        ValMap(prediction_model(model), metadata, Path(config.root), config.val_split,
               config.eval_every),
        RunRecorder(run_dir, config.keep_best),
        resume_point,
        keras.callbacks.TensorBoard(log_dir=str(run_dir / "logs"), write_graph=False,
                                    profile_batch=0),
    ]


def _start_line(config: TrainConfig, precision: str, classes: list[str], data: dict,
                num_pseudo: int, num_val: int) -> str:
    """What the run trains on, printed once at its start."""
    weight = (f", pseudo weight {config.pseudo_weight:g}"
              if config.pseudo_weight is not None else "")
    pseudo = (f" ({data['train_images']} hand-labelled + {num_pseudo} pseudo-labelled "
              f"from {config.pseudo_root}{weight})" if config.pseudo_root else "")
    images = data["train_images"] + num_pseudo
    return (f"training {config.backbone} ({precision}) on {images} images{pseudo} "
            f"({', '.join(classes)}), validating on {num_val}; run folder {Path(config.out)}")


def train(config: TrainConfig, resume: bool = False,
          callbacks: list[keras.callbacks.Callback] | None = None,
          force: bool = False) -> Path:
    """Train as configured; returns the run folder. Ctrl-C leaves a resumable snapshot.
    ``callbacks``: extra Keras callbacks, run after the kit's own (metrics.csv is written
    by then), e.g. ``detector.live_curves.LiveCurves`` in a notebook. ``force``: write
    into a non-empty ``config.out`` that is not a run (same-name files are replaced)."""
    import tensorflow as tf

    config = resolved(config)
    _validate(config)
    layout = VocLayout(config.root).require()
    classes = read_classes(layout.classes_file)
    layout.refuse_overlap(config.train_split, config.val_split)
    pseudo_ids = (pseudo_image_ids(config.pseudo_root, classes, config.pseudo_min_score)
                  if config.pseudo_root else [])
    sampling_repeats(config.pseudo_weight)  # a bad weight fails before the run folder exists
    state = _prepare_run_dir(config, resume, force)
    run_dir = Path(config.out)
    tf.keras.utils.set_random_seed(config.seed)

    train_gen, val_gen = training_generators(config, classes, pseudo_ids)
    weights = None if config.weights in ("none", "") or state else config.weights
    precision = training_precision(config.precision)
    model, step_model = training_models(config, len(classes), weights, precision)
    initial_epoch = 0
    if state is not None:  # the twin gets these weights at the epoch's start
        model.load_weights(str(run_dir / state["snapshot"]))
        initial_epoch = int(state["epoch"])
    train_gen.compute_shapes = val_gen.compute_shapes = shapes_callback(model)

    metadata = detector_card(classes, config.backbone, config.image_min_side,
                             config.image_max_side, "training", canvas=train_gen.canvas,
                             extra={"data": _data_record(config, val_gen, len(pseudo_ids)),
                                    "training_precision": precision})
    metadata.save(run_dir)
    (run_dir / CONFIG_FILE).write_text(json.dumps(asdict(config), indent=2) + "\n",
                                       encoding="utf-8")
    steps = config.steps or math.ceil(train_gen.size() / config.batch_size)
    resume_point = _ResumePoint(run_dir)
    kit_callbacks = _kit_callbacks(config, model, metadata, train_gen, val_gen, steps,
                                   resume_point) + list(callbacks or [])
    print(_start_line(config, precision, classes, metadata.extra["data"], len(pseudo_ids),
                      val_gen.size()), flush=True)
    try:
        fit(model, train_gen, steps, config.epochs, initial_epoch=initial_epoch,
            callbacks=kit_callbacks, verbose=1 if sys.stdout.isatty() else 2,
            step_model=step_model)
    except KeyboardInterrupt:
        done = max(initial_epoch, resume_point.completed)
        path = run_dir / "snapshots" / "interrupted.h5"
        save_h5(model, path)
        _save_resume_state(run_dir, path, done)
        print(f"\ninterrupted after {done} complete epochs; snapshot {path}; "
              f"continue with: gesturekit train {config.root} --out {run_dir} --resume",
              file=sys.stderr)
        raise
    return run_dir
