"""What a training run is asked to do, and the defaults every way of starting one shares.

TensorFlow-free, so the CLI builds its options from these defaults without importing it:
``gesturekit train``, the library's ``TrainConfig`` and the notebooks agree by construction.
"""
from __future__ import annotations

from dataclasses import MISSING, dataclass, fields, replace

from voc_tools.errors import GestureKitError


@dataclass
class TrainConfig:
    """Everything ``gesturekit train`` was asked to do; saved in the run folder.

    The defaults fine-tune the hand detector the kit ships (``weights="hands"``, whose
    architecture they are: MobileNet 0.5 with a 32-wide pyramid and heads, at 192..256 px),
    backbone included: on rf100's 14 signs that scored 0.49 on its published test against
    0.39 with the backbone frozen, in about the same time (README, "The hand detector the
    kit ships"). keras-retinanet's own defaults (resnet50 at 800x1333, 50 epochs) take days
    on a 2-core machine. ``learning_rate`` None: :func:`default_learning_rate` for
    ``weights``. ``precision``: float32; "bfloat16" trains in bf16 mixed precision and
    "auto" does so where the CPU computes bf16 natively (:mod:`detector.precision`). On
    the main job bf16 ended 0.02-0.04 lower in val mAP in both seeds measured, for 1.0-1.2x
    less CPU, so it is not the default. ``head_norm`` None: :func:`default_head_norm` for
    ``weights`` ("group" puts GroupNorm in the heads, :func:`detector.model.group_normed`).
    ``box_loss`` "giou" (:mod:`detector.losses`): fine-tuning rf100 for 6000 steps it
    scored 0.939 on the published test against 0.899 with keras-retinanet's smooth L1
    (seed 0, README), and matched it on the main job and from scratch on fingers.
    ``outside_anchors`` "background" (:func:`detector.anchors.anchor_targets`): on rf100
    (same run, seed 0) the OpenVINO export at the default 4:3 size scored 0.955 on the
    published test against 0.896 with keras-retinanet's "ignore", the Keras model 0.914
    against 0.939 (sign 2's single test box ranked 5th instead of 2nd). ``epochs`` 60
    passes over the train split: 20 underfit a few hundred real frames. On fingers (637
    train photos of one capture day, from ``hands`` rebuilt without them) 20 epochs fitted
    its own train split no better than the val days (mAP@0.5 0.27 and 0.26) and 60 reached
    val 0.41 in 27 min, 0.33 from random weights (``bench/results/unseen_fingers.md``);
    on rf100 its published test
    went 0.49 -> 0.76 -> 0.95 with 972, 3000 and 6000 steps (README)."""

    root: str
    out: str
    backbone: str = "mobilenet224_0.5"
    epochs: int = 60
    steps: int | None = None
    batch_size: int = 8
    image_min_side: int = 192
    image_max_side: int = 256
    weights: str = "hands"
    freeze_backbone: bool = False
    random_transform: bool = True
    strong_augment: bool = False
    mosaic: float = 0.0
    learning_rate: float | None = None
    head_width: int = 32
    fpn_width: int = 32
    head_norm: str | None = None
    box_loss: str = "giou"
    optimizer: str = "adam"
    outside_anchors: str = "background"
    assigner: str = "iou"
    lr_schedule: str = "cosine"
    ema_decay: float = 0.0
    precision: str = "float32"
    keep_best: int = 3
    eval_every: int = 1
    train_split: str = "train"
    val_split: str = "val"
    seed: int = 0
    pseudo_root: str | None = None
    pseudo_min_score: float | None = None
    pseudo_weight: float | None = None


#: What a run folder's train_config.json lacked before a field existed: the value those
#: runs were trained with (not today's default), so old runs resume as they were built.
LEGACY_VALUES = {"fpn_width": 256, "ema_decay": 0.0, "mosaic": 0.0, "precision": "float32",
                 "head_norm": "none", "box_loss": "smooth_l1", "optimizer": "adam",
                 "outside_anchors": "ignore", "assigner": "iou"}
#: What ``TrainConfig.head_norm`` accepts: keras-retinanet's heads as they are, or with
#: GroupNorm after each of their four convolutions (as FCOS and later RetinaNets do).
HEAD_NORMS = ("none", "group")
#: What ``TrainConfig.box_loss`` accepts: keras-retinanet's smooth L1 on the box deltas, or
#: GIoU on the boxes they describe (:mod:`detector.losses`).
BOX_LOSSES = ("smooth_l1", "giou")
#: What ``TrainConfig.optimizer`` accepts (:func:`detector.model.make_optimizer`):
#: keras-retinanet's Adam (gradients clipped to norm 0.001), or SGD with Nesterov momentum
#: 0.9 and weight decay 1e-4, as the RetinaNet paper trains.
OPTIMIZERS = ("adam", "sgd")
#: What ``TrainConfig.outside_anchors`` accepts (:func:`detector.anchors.anchor_targets`):
#: an anchor centred past the image's edge (or in the canvas's padding) that overlaps no
#: object trains as background, or is ignored as keras-retinanet does.
OUTSIDE_ANCHORS = ("background", "ignore")
#: What ``TrainConfig.assigner`` accepts (:func:`detector.anchors.anchor_targets`): which
#: anchors learn an object: keras-retinanet's fixed IoU (>= 0.5 object, 0.4-0.5 ignored), or
#: ATSS's adaptive threshold per object.
ASSIGNERS = ("iou", "atss")
#: The name a GroupNorm head layer takes after its convolution's (``pyramid_*_0_gn``); how
#: a saved network shows it has GroupNorm heads.
GROUP_NORM_SUFFIX = "_gn"


def default(name: str, config: type = TrainConfig):  # type: ignore[no-untyped-def]
    """The default of one field of a settings dataclass (TrainConfig unless ``config``,
    e.g. ``convert.export.ExportConfig``), for the CLI's options."""
    for field in fields(config):
        if field.name == name and field.default is not MISSING:
            return field.default
    raise KeyError(name)


def default_learning_rate(weights: str, optimizer: str = "adam") -> float:
    """For SGD 1e-2, the RetinaNet paper's, whatever the weights. For Adam: 1e-4 from
    scratch; 1e-3 from the kit's hand detector (its pretraining rate; on the
    main job it gave 0.84 against 0.78 for 3e-4, which had 540 steps instead of 900);
    1e-5 (keras-retinanet's) for other pretrained weights. A rebuilt ``hands.h5`` (its card
    beside it) counts as the hand detector."""
    from .hands import hand_weights

    if optimizer == "sgd":
        return 1e-2
    if weights in ("none", ""):
        return 1e-4
    return 1e-3 if hand_weights(weights) is not None else 1e-5


def resolved(config: TrainConfig) -> TrainConfig:
    """``config`` with the learning rate and head norm left to the weights (None) filled in."""
    if config.learning_rate is None:
        config = replace(config, learning_rate=default_learning_rate(config.weights,
                                                                     config.optimizer))
    if config.head_norm is None:
        config = replace(config, head_norm=default_head_norm(config.weights))
    return config


def default_head_norm(weights: str) -> str:
    """keras-retinanet's heads ("none") when the heads start from random weights (``none``,
    ``imagenet``); weights from a file keep the head they were trained with. GroupNorm
    heads train from scratch without loss spikes and to a lower loss, but on the fingers
    set their val mAP@0.5 after 30 CPU-minutes was 0.164 against 0.178/0.206 without
    (``bench/results/train.md``), so they are an option (``head_norm="group"``)."""
    if weights in ("none", "", "imagenet"):
        return "none"
    from .hands import stored_head_norm

    return stored_head_norm(weights)


def check_choice(flag: str, value: object, allowed: tuple[str, ...]) -> None:
    """Refuse, in one line naming ``flag``, a value that is not one of ``allowed``."""
    if value not in allowed:
        raise GestureKitError(f"{flag} must be one of {', '.join(allowed)} (got {value})")


def check_head_norm(norm: str | None) -> None:
    """Refuse, in one line, a head norm that is not one of :data:`HEAD_NORMS`."""
    check_choice("--head-norm", norm, HEAD_NORMS)
