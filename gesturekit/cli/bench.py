"""gesturekit bench: one detector on every CPU backend, latency and val mAP side by side;
with ``--serve``, models as the runtime serves them, on video frames."""
from __future__ import annotations

import argparse

from voc_tools.errors import GestureKitError

from .export import parse_size

HELP = ("benchmark a converted detector on TF, onnxruntime and OpenVINO FP32/bf16/INT8 "
        "(interleaved latency, val mAP, end-to-end FPS); with --serve, served models' sync "
        "latency and async FPS on video frames")
INDENT = "\n" + " " * len("usage: gesturekit bench ")
USAGE = ("%(prog)s MODEL --root ROOT [--input-size HxW] [--runs N] [--warmup N]"
         f"{INDENT}[--split NAME] [--out DIR] [--backends NAME [NAME ...]] [--no-map]"
         f"{INDENT}[--video PATH [--video-frames N]] [--calib-size N] [--note TEXT]"
         f"{INDENT}[--force]"
         "\n       %(prog)s --serve MODEL[=CARD] [MODEL[=CARD] ...] --video PATH"
         f"{INDENT}[--video-frames N] [--warmup N]")
# BenchConfig field with a default -> its option, taken by the detector benchmark only
DETECTOR_ONLY = {"out": "--out", "input_size": "--input-size", "runs": "--runs",
                 "split": "--split", "backends": "--backends", "measure_map": "--no-map",
                 "calib_size": "--calib-size", "note": "--note"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from functools import partial

    from detector.config import default as config_default
    from gesturekit.runtime.benchmark import BACKENDS, BenchConfig

    default = partial(config_default, config=BenchConfig)  # the library's defaults
    parser.usage = USAGE
    parser.add_argument("models", nargs="+", metavar="MODEL",
                        help="folder made by 'gesturekit convert' (or its inference.h5); with "
                             "--serve, one or more MODEL[=CARD]: an .xml or .onnx, with its "
                             "card YAML where it carries none")
    parser.add_argument("--serve", action="store_true",
                        help="time each MODEL as the runtime serves it (sync latency, async "
                             "throughput) on the first --video-frames frames of --video, "
                             "pre- and post-processing included; prints one JSON line per "
                             "model")
    parser.add_argument("--root", "--images", metavar="ROOT", dest="root",
                        help="VOC root: the split is timed and scored, train calibrates INT8 "
                             "(--images: its older name)")
    parser.add_argument("--input-size", type=parse_size, metavar="HxW",
                        default=default("input_size"),
                        help="fixed input size of every backend (default: the canvas the "
                             "model was trained on; older models: the training resize of a "
                             "4:3 frame)")
    parser.add_argument("--runs", type=int, default=default("runs"),
                        help="interleaved timed runs (%(default)s)")
    parser.add_argument("--warmup", type=int, default=default("warmup"),
                        help="untimed runs (with --serve: frames) first (%(default)s)")
    parser.add_argument("--split", default=default("split"),
                        help="split to time and score (%(default)s)")
    parser.add_argument("--out", metavar="DIR", default=default("out"),
                        help="write DIR/bench.json and DIR/bench.md; exports go to DIR/export "
                             "(reused by later runs); without it, a temporary folder")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=default("backends"),
                        metavar="NAME", help=f"subset of {', '.join(BACKENDS)}")
    parser.add_argument("--video", metavar="PATH", default=default("video"),
                        help="also measure end-to-end FPS on the first frames of this video "
                             "(with --serve: the video to time on)")
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

    if len(args.models) > 1:
        raise GestureKitError("one MODEL (a converted detector) unless --serve")
    if args.root is None:
        raise GestureKitError("the VOC root to time and score on is needed: --root ROOT")
    if args.video_frames < 1 or args.calib_size < 1:
        raise GestureKitError("--video-frames and --calib-size must be at least 1")
    return BenchConfig(model=args.models[0], root=args.root, out=args.out,
                       input_size=args.input_size, runs=args.runs, warmup=args.warmup,
                       split=args.split, backends=tuple(args.backends), video=args.video,
                       video_frames=args.video_frames, measure_map=args.measure_map,
                       calib_size=args.calib_size, note=args.note)


def serve_config_from_args(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The ServeConfig of ``--serve``; the detector benchmark's own options are refused."""
    from detector.config import default
    from gesturekit.runtime.benchmark import BenchConfig, ServeConfig

    given = [option for dest, option in DETECTOR_ONLY.items()
             if _value(getattr(args, dest)) != _value(default(dest, BenchConfig))]
    given += [option for option, value in (("--root", args.root), ("--force", args.force))
              if value]
    if given:
        raise GestureKitError(f"{', '.join(given)}: not with --serve (the detector "
                              "benchmark's options)")
    if args.video is None:
        raise GestureKitError("--serve needs --video PATH: the frames to time on")
    if args.video_frames < 1 or args.warmup < 0:
        raise GestureKitError("--video-frames must be at least 1 and --warmup at least 0")
    return ServeConfig(video=args.video, models=tuple(args.models),
                       frames=args.video_frames, warmup=args.warmup)


def _value(value):  # type: ignore[no-untyped-def]
    return tuple(value) if isinstance(value, list) else value


def run(args: argparse.Namespace) -> int:
    import json

    from gesturekit.runtime.benchmark import markdown, run_benchmark, serve_benchmark

    if args.serve:
        for result in serve_benchmark(serve_config_from_args(args)):
            print(json.dumps(result))
        return 0
    report = run_benchmark(config_from_args(args), force=args.force)
    print(markdown(report))
    if args.out:
        print(f"report: {args.out}/bench.json, {args.out}/bench.md")
    return 0
