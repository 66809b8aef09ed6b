"""gesturekit convert: training snapshot → inference model (.h5 + SavedModel + metadata)."""
from __future__ import annotations

import argparse

HELP = "convert a training snapshot into an inference model with its metadata"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("snapshot", help="training snapshot .h5 (e.g. from 'gesturekit best')")
    parser.add_argument("out", help="output folder: inference.h5, saved_model/, gesturekit.json")
    parser.add_argument("--force", action="store_true",
                        help="replace a model already converted into OUT, or write into "
                             "a non-empty OUT")


def run(args: argparse.Namespace) -> int:
    from detector.convert import convert

    path = convert(args.snapshot, args.out, force=args.force)
    print(f"inference model: {path}")
    return 0
