"""``gesturekit best RUN_DIR``: the best surviving snapshot of a training run."""
from __future__ import annotations

import argparse

HELP = "pick the best surviving snapshot of a training run (by val mAP or val loss)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="folder made by 'gesturekit train'")
    parser.add_argument("--by", choices=("map", "val_loss"), default="map",
                        help="highest mAP (default) or lowest validation loss")


def run(args: argparse.Namespace) -> int:
    from detector.best import best_snapshot

    best = best_snapshot(args.run_dir, by=args.by)
    shown = "  ".join(f"{name}={'-' if value is None else f'{value:.4f}'}"
                      for name, value in best.metrics.items())
    print(f"epoch {best.epoch} (best by {args.by}): {shown}")
    print(f"best: {best.path}")
    return 0
