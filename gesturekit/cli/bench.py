"""gesturekit bench: one detector on every CPU backend, latency and val mAP side by side."""
from __future__ import annotations

import argparse

from voc_tools.errors import GestureKitError

from .export import parse_size

HELP = ("benchmark a converted detector on TF, onnxruntime and OpenVINO FP32/bf16/INT8 "
        "(interleaved latency, val mAP, end-to-end FPS)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from functools import partial

    from detector.config import default as config_default
    from gesturekit.runtime.benchmark import BACKENDS, BenchConfig

    default = partial(config_default, config=BenchConfig)  # the library's defaults
    parser.add_argument("model", help="folder made by 'gesturekit convert' (or its inference.h5)")
    parser.add_argument("--images", required=True, metavar="VOC_ROOT", dest="root",
                        help="VOC root: the split is timed and scored, train calibrates INT8")
    parser.add_argument("--input-size", type=parse_size, metavar="HxW",
                        default=default("input_size"),
                        help="fixed input size of every backend (default: the training "
                             "resize of a 4:3 frame)")
    parser.add_argument("--runs", type=int, default=default("runs"),
                        help="interleaved timed runs (%(default)s)")
    parser.add_argument("--warmup", type=int, default=default("warmup"),
                        help="untimed runs first (%(default)s)")
    parser.add_argument("--split", default=default("split"),
                        help="split to time and score (%(default)s)")
    parser.add_argument("--out", metavar="DIR", default=default("out"),
                        help="write DIR/bench.json and DIR/bench.md; exports go to DIR/export "
                             "(reused by later runs); without it, a temporary folder")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=default("backends"),
                        metavar="NAME", help=f"subset of {', '.join(BACKENDS)}")
    parser.add_argument("--video", metavar="PATH", default=default("video"),
                        help="also measure end-to-end FPS on the first frames of this video")
    parser.add_argument("--video-frames", type=int, default=default("video_frames"),
                        help="frames of --video to use (%(default)s)")
    parser.add_argument("--no-map", dest="measure_map", action="store_false",
                        default=default("measure_map"),
                        help="latency only: skip the mAP of every backend")
    parser.add_argument("--calib-size", type=int, default=default("calib_size"),
                        help="at most this many train images calibrate INT8 (%(default)s)")
    parser.add_argument("--note", default=default("note"),
                        help="a sentence stored with the report")
    parser.add_argument("--force", action="store_true",
                        help="replace DIR/bench.* and re-export into DIR/export if it differs")


def config_from_args(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The BenchConfig these options ask for."""
    from gesturekit.runtime.benchmark import BenchConfig

    if args.video_frames < 1 or args.calib_size < 1:
        raise GestureKitError("--video-frames and --calib-size must be at least 1")
    return BenchConfig(model=args.model, root=args.root, out=args.out,
                       input_size=args.input_size, runs=args.runs, warmup=args.warmup,
                       split=args.split, backends=tuple(args.backends), video=args.video,
                       video_frames=args.video_frames, measure_map=args.measure_map,
                       calib_size=args.calib_size, note=args.note)


def run(args: argparse.Namespace) -> int:
    from gesturekit.runtime.benchmark import markdown, run_benchmark

    report = run_benchmark(config_from_args(args), force=args.force)
    print(markdown(report))
    if args.out:
        print(f"report: {args.out}/bench.json, {args.out}/bench.md")
    return 0
