"""gesturekit clip-train: train a clip classifier on a rawframes dataset in a work folder."""
from __future__ import annotations

import argparse
from pathlib import Path

from .template import add_template_options

HELP = "train a clip classifier (WORK_DIR/template.yaml) on a rawframes dataset"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("work_dir", type=Path, metavar="WORK_DIR",
                        help="work folder with template.yaml (gesturekit template instantiate)")
    parser.add_argument("--data", type=Path, required=True, metavar="DATA_DIR",
                        help="rawframes dataset (gesturekit clips dump): rawframes/, classes.txt")
    parser.add_argument("--train", default="train.txt",
                        help="annotation file, in DATA_DIR or a path (default train.txt)")
    parser.add_argument("--val", default="val.txt",
                        help="annotation file, in DATA_DIR or a path (default val.txt)")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--resume", action="store_true",
                       help="continue WORK_DIR's run from its last snapshot up to --epochs")
    start.add_argument("--load-from", type=Path, metavar="SNAPSHOT",
                       help="start from a snapshot's weights (fine-tuning; pair with a small "
                            "--lr such as 1e-4)")
    parser.add_argument("--keep-best", type=int, default=2,
                        help="snapshots kept besides the last one, by val top-1 (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_template_options(parser)


def run(args: argparse.Namespace) -> int:
    from gesturekit.clips.classifier.train import train_classifier

    from .template import work_template

    template, _ = work_template(args)
    best = train_classifier(args.work_dir, args.data, template, args.train, args.val,
                            args.resume, args.load_from, args.seed, args.keep_best)
    print(f"best snapshot (val top-1): {best}")
    print(f"next: gesturekit clip-eval {args.work_dir} --data {args.data}")
    return 0
