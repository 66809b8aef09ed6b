"""gesturekit clip-eval: top-1, mean class accuracy, confusion matrix, parameters and GFLOPs
of a clip classifier on one split, written to metrics.yaml (+ confusion.png)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .template import add_template_options

HELP = "evaluate a clip classifier on a rawframes split -> metrics.yaml, confusion.png"


def add_snapshot_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("work_dir", type=Path, metavar="WORK_DIR",
                        help="work folder of gesturekit clip-train (template.yaml, snapshots)")
    parser.add_argument("--snapshot", type=Path,
                        help="a snapshot .h5 (default: WORK_DIR's best by val top-1)")


def chosen_snapshot(args: argparse.Namespace) -> Path:
    from gesturekit.clips.classifier.run_log import best_snapshot

    return args.snapshot if args.snapshot is not None else best_snapshot(args.work_dir)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_snapshot_option(parser)
    parser.add_argument("--data", type=Path, required=True, metavar="DATA_DIR",
                        help="rawframes dataset (rawframes/, classes.txt, annotation files)")
    parser.add_argument("--split", default="val.txt",
                        help="annotation file, in DATA_DIR or a path (default val.txt)")
    parser.add_argument("--out", type=Path,
                        help="folder for metrics.yaml and confusion.png (default WORK_DIR)")
    add_template_options(parser)


def run(args: argparse.Namespace) -> int:
    from gesturekit.clips.classifier.evaluate import CONFUSION_PNG, METRICS_YAML, evaluate_snapshot

    from .template import snapshot_template

    snapshot = chosen_snapshot(args)
    template, _ = snapshot_template(args, snapshot)
    out = args.out or args.work_dir
    metrics = evaluate_snapshot(snapshot, args.data, args.split, out, template)
    print(f"{metrics['clips']} clips: top-1 {metrics['top1']:.4f}, mean class accuracy "
          f"{metrics['mean_class_accuracy']:.4f}; {metrics['parameters']} parameters, "
          f"{metrics['gflops']} GFLOPs per clip")
    print(f"wrote {out / METRICS_YAML} and {out / CONFUSION_PNG}")
    return 0
