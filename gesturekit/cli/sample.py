"""``gesturekit sample``: write a synthetic gesture dataset (videos + per-frame VOC XML)."""
from __future__ import annotations

import argparse
from pathlib import Path

HELP = "write a small synthetic hand-gesture dataset (videos + VOC boxes) to try the kit offline"


def parse_size(text: str) -> tuple[int, int]:
    """``320x240`` -> (320, 240)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 320x240, got {text!r}")
    return width, height


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT",
                        help="folder to create: OUT/videos, OUT/annotations, OUT/classes.txt")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--videos", type=int, default=4, help="number of takes (default 4)")
    parser.add_argument("--frames", type=int, default=60, help="frames per take (default 60)")
    parser.add_argument("--size", type=parse_size, default=(320, 240), metavar="WxH",
                        help="frame size (default 320x240)")
    parser.add_argument("--fps", type=float, default=10.0, help="video frame rate (default 10)")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty OUT, replacing the files a sample consists of")


def run(args: argparse.Namespace) -> int:
    from sample_data import make_sample

    summary = make_sample(args.out, seed=args.seed, videos=args.videos, frames=args.frames,
                          size=args.size, fps=args.fps, force=args.force)
    print(f"sample: {summary.line()}")
    return 0
