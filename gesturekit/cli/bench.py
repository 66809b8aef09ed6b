"""gesturekit bench: one detector on every CPU backend, latency and val mAP side by side."""
from __future__ import annotations

import argparse

from voc_tools.errors import GestureKitError

from .export import parse_size

HELP = ("benchmark a converted detector on TF, onnxruntime and OpenVINO FP32/bf16/INT8 "
        "(interleaved latency, val mAP, end-to-end FPS)")
BACKEND_NAMES = ("tf_predict", "tf_function", "onnxruntime", "openvino_fp32", "openvino_bf16",
                 "openvino_int8")  # gesturekit.runtime.benchmark.BACKENDS, kept import-free here


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="folder made by 'gesturekit convert' (or its inference.h5)")
    parser.add_argument("--images", required=True, metavar="VOC_ROOT",
                        help="VOC root: the split is timed and scored, train calibrates INT8")
    parser.add_argument("--input-size", type=parse_size, metavar="HxW",
                        help="fixed input size of every backend (default: the training "
                             "resize of a 4:3 frame)")
    parser.add_argument("--runs", type=int, default=50, help="interleaved timed runs (50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs first (5)")
    parser.add_argument("--split", default="val", help="split to time and score (val)")
    parser.add_argument("--out", metavar="DIR",
                        help="write DIR/bench.json and DIR/bench.md; exports go to DIR/export "
                             "(reused by later runs); without it, a temporary folder")
    parser.add_argument("--backends", nargs="+", choices=BACKEND_NAMES, default=BACKEND_NAMES,
                        metavar="NAME", help=f"subset of {', '.join(BACKEND_NAMES)}")
    parser.add_argument("--video", metavar="PATH",
                        help="also measure end-to-end FPS on the first frames of this video")
    parser.add_argument("--video-frames", type=int, default=200,
                        help="frames of --video to use (200)")
    parser.add_argument("--no-map", action="store_true",
                        help="latency only: skip the mAP of every backend")
    parser.add_argument("--calib-size", type=int, default=300,
                        help="at most this many train images calibrate INT8 (300)")
    parser.add_argument("--note", default="", help="a sentence stored with the report")
    parser.add_argument("--force", action="store_true",
                        help="replace DIR/bench.* and re-export into DIR/export if it differs")


def run(args: argparse.Namespace) -> int:
    from gesturekit.runtime.benchmark import markdown, run_benchmark

    if args.video_frames < 1 or args.calib_size < 1:
        raise GestureKitError("--video-frames and --calib-size must be at least 1")
    report = run_benchmark(args.model, args.images, args.out, args.input_size, args.runs,
                           args.warmup, args.split, args.backends, args.video,
                           args.video_frames, not args.no_map, calib_size=args.calib_size,
                           force=args.force, note=args.note)
    print(markdown(report))
    if args.out:
        print(f"report: {args.out}/bench.json, {args.out}/bench.md")
    return 0
