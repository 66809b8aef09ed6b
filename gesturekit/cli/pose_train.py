"""``gesturekit pose-train FILE --out RUN_DIR``: a Keras classifier on hand landmarks."""
from __future__ import annotations

import argparse
from pathlib import Path

HELP = ("train a small Keras classifier of the dataset's gestures on the hand landmarks of "
        "gesturekit keypoints (translation/scale invariant, left hands mirrored)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("keypoints", type=Path, metavar="FILE",
                        help="landmark file of gesturekit keypoints (.npz)")
    parser.add_argument("--out", required=True, type=Path, metavar="RUN_DIR",
                        help="folder for pose_classifier.h5/.json, metrics.csv, curves.png")
    parser.add_argument("--root", "--voc", type=Path, metavar="ROOT", dest="root",
                        help="the VOC root the file was made from, for its train/val lists "
                             "and a check that the file matches it (default: the root "
                             "recorded in FILE, when it still exists; --voc: its older name)")
    parser.add_argument("--epochs", type=int, default=60, help="epochs (default 60)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--lr", type=float, default=3e-3,
                        help="Adam learning rate (default 0.003)")
    parser.add_argument("--hidden", default="64,32",
                        help="hidden layer sizes, comma-separated (default 64,32)")
    parser.add_argument("--dropout", type=float, default=0.2, help="dropout (default 0.2)")
    parser.add_argument("--repeats", type=int, default=4,
                        help="augmented copies of each training row per epoch (default 4)")
    parser.add_argument("--no-augment", action="store_true",
                        help="train on the landmarks as they are")
    parser.add_argument("--val-fraction", type=float, default=0.25,
                        help="images held out for validation when the dataset has no "
                             "train/val lists (default 0.25)")
    parser.add_argument("--no-box-calibration", action="store_true",
                        help="do not learn the dataset's box convention (the labelled boxes' "
                             "edges relative to the hands' landmark boxes, per class) for "
                             "the pose route's boxes")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--force", action="store_true",
                        help="replace a pose classifier already in RUN_DIR")
    parser.add_argument("--quiet", action="store_true", help="no Keras progress")


def run(args: argparse.Namespace) -> int:
    from voc_tools.errors import GestureKitError

    try:
        hidden = tuple(int(v) for v in args.hidden.split(",") if v.strip())
    except ValueError:
        raise GestureKitError(f"--hidden wants sizes like 64,32, got {args.hidden!r}") from None
    from gesturekit.pose.train import PoseTrainConfig, train_pose_classifier

    config = PoseTrainConfig(epochs=args.epochs, batch_size=args.batch_size,
                             learning_rate=args.lr, hidden=hidden, dropout=args.dropout,
                             repeats=args.repeats, augment=not args.no_augment,
                             val_fraction=args.val_fraction, seed=args.seed,
                             box_calibration=not args.no_box_calibration)
    result = train_pose_classifier(args.keypoints, args.out, config, args.root, args.force,
                                   verbose=0 if args.quiet else 2)
    print(f"classes: {', '.join(result.classes)}; {result.train_rows} train / "
          f"{result.val_rows} val hands ({result.split})")
    val = "n/a (no val rows)" if result.val_accuracy is None else f"{result.val_accuracy:.3f}"
    print(f"best epoch {result.best_epoch}: train accuracy {result.train_accuracy:.3f}, "
          f"val accuracy {val}")
    print(f"wrote {result.out}  (evaluate: gesturekit pose-eval {result.out} {args.keypoints})")
    return 0
