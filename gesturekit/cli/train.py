"""gesturekit train: keras-retinanet on a VOC root with the dataset's own classes."""
from __future__ import annotations

import argparse

HELP = "train a RetinaNet detector on a VOC root (classes come from its classes.txt)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from detector.config import (  # TensorFlow-free: the library's defaults
        ASSIGNERS, BOX_LOSSES, HEAD_NORMS, OPTIMIZERS, OUTSIDE_ANCHORS, default)
    from detector.precision import PRECISIONS

    parser.add_argument("root", metavar="ROOT",
                        help="VOC root with classes.txt and ImageSets/Main lists")
    parser.add_argument("--out", required=True, help="run folder (snapshots, metrics, logs)")
    parser.add_argument("--backbone", default=default("backbone"),
                        help="keras-retinanet backbone: resnet50/101/152, mobilenet128_1.0 "
                             "(mobilenet{128,160,192,224}_{0.25,0.5,0.75,1.0}), vgg16/19, "
                             "densenet121/169/201, EfficientNetB0..B6, or the kit's csp_n/csp_s "
                             "(YOLOv8's backbone; --weights none) (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"total epochs (default {default('epochs')}; with --resume: the "
                             "run's own)")
    parser.add_argument("--steps", type=int, default=default("steps"),
                        help="steps per epoch (default: one pass over the train split)")
    parser.add_argument("--batch-size", type=int, default=default("batch_size"),
                        help="images per step (default %(default)s)")
    parser.add_argument("--image-min-side", type=int, default=default("image_min_side"),
                        help="resize so the shorter side is this (default %(default)s)")
    parser.add_argument("--image-max-side", type=int, default=default("image_max_side"),
                        help="... and the longer at most this (default %(default)s)")
    parser.add_argument("--weights", default=default("weights"),
                        help="hands (the kit's hand detector, shipped with it), imagenet "
                             "(downloads once), none (from scratch) or PATH to .h5; a hands.h5 "
                             "rebuilt by scripts/pretrain_hands.py (hands.json beside it) "
                             "starts like hands (default %(default)s)")
    parser.add_argument("--lr", type=float, default=default("learning_rate"),
                        help="learning rate (Adam: default 1e-3 from hands, 1e-4 from "
                             "scratch, 1e-5 from other pretrained weights; SGD: 1e-2)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=default("optimizer"),
                        help="adam: keras-retinanet's (gradients clipped to norm 0.001); "
                             "sgd: Nesterov momentum 0.9, weight decay 1e-4, the RetinaNet "
                             "paper's (default %(default)s)")
    parser.add_argument("--lr-schedule", choices=("cosine", "constant"),
                        default=default("lr_schedule"),
                        help="cosine: linear warm-up then cosine decay to 0 over the run; "
                             "constant: keras-retinanet's fixed rate (default %(default)s)")
    parser.add_argument("--ema-decay", type=float, default=default("ema_decay"),
                        help="evaluate and save an exponential moving average of the weights "
                             "with this decay, e.g. 0.998 (default %(default)s: off)")
    parser.add_argument("--precision", choices=PRECISIONS, default=default("precision"),
                        help="training compute: bfloat16 mixed precision takes 1.0-1.2x "
                             "less CPU on a CPU with AVX512-BF16 or AMX-BF16 but ended "
                             "0.02-0.04 lower in val mAP on the main job; auto: bfloat16 "
                             "where the CPU has those, else float32. The model and its "
                             "snapshots stay float32 (default %(default)s)")
    parser.add_argument("--head-width", type=int, default=default("head_width"),
                        help="filters per layer in the box/class heads (the paper's: 256; "
                             "default %(default)s)")
    parser.add_argument("--fpn-width", type=int, default=default("fpn_width"),
                        help="filters per feature-pyramid level (keras-retinanet's: 256; "
                             "default %(default)s)")
    parser.add_argument("--head-norm", choices=HEAD_NORMS, default=default("head_norm"),
                        help="group: GroupNorm in the box/class heads, which trains from "
                             "random weights without loss spikes and to a lower loss, but "
                             "not to a higher val mAP in 30 CPU-minutes on real frames; "
                             "none: keras-retinanet's heads (default: none from random "
                             "weights, else as the weights were trained)")
    parser.add_argument("--box-loss", choices=BOX_LOSSES, default=default("box_loss"),
                        help="giou: generalised IoU of the boxes the offsets describe, "
                             "weight 2 (rf100 test 0.939 against 0.899 after 6000 steps); "
                             "smooth_l1: keras-retinanet's, on the offsets "
                             "(default %(default)s)")
    parser.add_argument("--outside-anchors", choices=OUTSIDE_ANCHORS,
                        default=default("outside_anchors"),
                        help="background: anchors centred past the image's edge or in the "
                             "padding that overlap no object learn background, so a "
                             "fixed-size export's padded strip reports nothing (rf100 IR "
                             "test 0.955 against 0.896); ignore: keras-retinanet's rule "
                             "(default %(default)s)")
    parser.add_argument("--assigner", choices=ASSIGNERS, default=default("assigner"),
                        help="which anchors learn an object: iou: keras-retinanet's (IoU >= "
                             "0.5; 0.4-0.5 ignored); atss: an adaptive IoU threshold per "
                             "object among the anchors nearest its centre, so small objects "
                             "get anchors too (default %(default)s)")
    parser.add_argument("--freeze-backbone", action=argparse.BooleanOptionalAction,
                        default=default("freeze_backbone"),
                        help="keep the backbone's weights fixed, train only the pyramid and heads "
                             "(default: off; ~2x faster steps where images are small)")
    parser.add_argument("--random-transform", action=argparse.BooleanOptionalAction,
                        default=default("random_transform"),
                        help="augment with flips, rotation, shear, scaling, colour jitter "
                             "(default: on; --no-random-transform: flips only)")
    parser.add_argument("--strong-augment", action=argparse.BooleanOptionalAction,
                        default=default("strong_augment"),
                        help="stronger augmentation: scale 0.6-1.4 with 20%% shifts (crops), "
                             "wide colour jitter, some frames blurred or grey (the hand "
                             "pretraining's)")
    parser.add_argument("--mosaic", type=float, default=default("mosaic"), metavar="P",
                        help="replace a training image by a mosaic of it and three others "
                             "(YOLO's) with chance P (default %(default)s: never)")
    parser.add_argument("--keep-best", type=int, default=default("keep_best"),
                        help="snapshots kept besides the last one (default %(default)s)")
    parser.add_argument("--eval-every", type=int, default=default("eval_every"),
                        help="compute val mAP every N epochs (default %(default)s)")
    parser.add_argument("--train-split", default=default("train_split"),
                        help="ImageSets/Main list to train on (default %(default)s)")
    parser.add_argument("--val-split", default=default("val_split"),
                        help="ImageSets/Main list for val loss and mAP (default %(default)s)")
    parser.add_argument("--seed", type=int, default=default("seed"))
    parser.add_argument("--pseudo", metavar="PSEUDO_ROOT",
                        help="also train on the frames of this pseudo-labelled VOC root "
                             "(gesturekit pseudolabel; its train list if it has one, else all "
                             "its images); validation stays on ROOT's hand labels")
    parser.add_argument("--pseudo-min-score", type=float, metavar="S",
                        help="with --pseudo: only frames whose every box scored at least S "
                             "when pseudo-labelled")
    parser.add_argument("--pseudo-weight", type=float, metavar="W",
                        help="with --pseudo: draw a pseudo-labelled frame W times as often as "
                             "a hand-labelled one (whole ratios: 0.25 lists the hand-labelled "
                             "frames 4 times; default 1)")
    parser.add_argument("--force", action="store_true",
                        help="write the run into a non-empty --out that is not a run "
                             "(files of the same name are replaced)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last snapshot, with the "
                             "run's saved settings (only --epochs may change)")


def config_from_args(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The TrainConfig these options ask for (a resumed run's own, with --resume)."""
    from detector.config import TrainConfig, default
    from detector.train import resume_config
    from voc_tools.errors import GestureKitError

    for flag, value in (("--pseudo-min-score", args.pseudo_min_score),
                        ("--pseudo-weight", args.pseudo_weight)):
        if value is not None and not args.pseudo:
            raise GestureKitError(f"{flag} needs --pseudo PSEUDO_ROOT")
    if args.resume:
        return resume_config(args.out, args.epochs)
    return TrainConfig(
        root=args.root, out=args.out, backbone=args.backbone,
        epochs=default("epochs") if args.epochs is None else args.epochs,
        steps=args.steps, batch_size=args.batch_size, image_min_side=args.image_min_side,
        image_max_side=args.image_max_side, weights=args.weights, learning_rate=args.lr,
        lr_schedule=args.lr_schedule, ema_decay=args.ema_decay, precision=args.precision,
        head_width=args.head_width, fpn_width=args.fpn_width, head_norm=args.head_norm,
        box_loss=args.box_loss, optimizer=args.optimizer,
        outside_anchors=args.outside_anchors, assigner=args.assigner,
        freeze_backbone=args.freeze_backbone, random_transform=args.random_transform,
        strong_augment=args.strong_augment, mosaic=args.mosaic,
        keep_best=args.keep_best, eval_every=args.eval_every, train_split=args.train_split,
        val_split=args.val_split, seed=args.seed, pseudo_root=args.pseudo,
        pseudo_min_score=args.pseudo_min_score, pseudo_weight=args.pseudo_weight)


def run(args: argparse.Namespace) -> int:
    from detector.train import train

    run_dir = train(config_from_args(args), resume=args.resume, force=args.force)
    print(f"run folder: {run_dir}  (pick the best snapshot: gesturekit best {run_dir})")
    return 0
