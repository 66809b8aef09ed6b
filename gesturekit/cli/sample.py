"""``gesturekit sample``: write a synthetic gesture dataset (videos + per-frame VOC XML)."""
from __future__ import annotations

import argparse
from pathlib import Path

HELP = ("write a small synthetic hand-gesture dataset (videos + VOC boxes) to try the kit "
        "offline; --dynamic: swipe videos for clip classifiers")


def parse_size(text: str) -> tuple[int, int]:
    """``320x240`` -> (320, 240)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 320x240, got {text!r}")
    return width, height


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT",
                        help="folder to create: OUT/videos, OUT/annotations, OUT/classes.txt "
                             "(--dynamic adds OUT/train.txt, OUT/val.txt, OUT/intervals.csv)")
    parser.add_argument("--dynamic", action="store_true",
                        help="dynamic gestures instead: 2-3 s videos of swipe_left, swipe_right "
                             "and no_gesture (idle hand) with their labelled intervals")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--videos", type=int, default=None,
                        help="number of takes (default 4); with --dynamic: videos per class "
                             "(default 24)")
    parser.add_argument("--frames", type=int, default=None,
                        help="frames per take (default 60; not with --dynamic, whose videos "
                             "are 2.2-3 s long)")
    parser.add_argument("--size", type=parse_size, default=(320, 240), metavar="WxH",
                        help="frame size (default 320x240)")
    parser.add_argument("--fps", type=float, default=10.0, help="video frame rate (default 10)")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty OUT, replacing the files a sample consists of")


def run(args: argparse.Namespace) -> int:
    from sample_data import make_dynamic_sample, make_sample
    from sample_data.dynamic import DYNAMIC_VIDEOS
    from voc_tools.errors import GestureKitError

    if args.dynamic:
        if args.frames is not None:
            raise GestureKitError("--frames does not apply to --dynamic (each video is "
                                  "2.2-3 s long at --fps)")
        videos = DYNAMIC_VIDEOS if args.videos is None else args.videos
        summary = make_dynamic_sample(args.out, seed=args.seed, videos=videos, size=args.size,
                                      fps=args.fps, force=args.force)
        print(f"sample: {summary.line()}")
        return 0
    summary = make_sample(args.out, seed=args.seed,
                          videos=4 if args.videos is None else args.videos,
                          frames=60 if args.frames is None else args.frames, size=args.size,
                          fps=args.fps, force=args.force)
    print(f"sample: {summary.line()}")
    return 0
