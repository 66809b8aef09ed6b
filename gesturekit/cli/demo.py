"""``gesturekit demo``: detector -> tracker -> clip classifier on a video or camera, live."""
from __future__ import annotations

import argparse
import os
import sys

from voc_tools.errors import GestureKitError

from .hand_options import add_hand_detector_option, require_pose_route

HELP = ("live demo on a video file or camera: detect, track, classify each track's clip, draw "
        "labels and FPS; show a window and/or write the annotated video and per-frame JSON")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="SOURCE", help="video file, or camera index (0)")
    route = parser.add_mutually_exclusive_group(required=True)
    route.add_argument("--detector", metavar="D",
                       help="detector: inference .h5 (gesturekit convert), .xml or .onnx "
                            "(gesturekit export), or an Open Model Zoo IR such as "
                            "person-detection-asl-0001.xml")
    route.add_argument("--pose", metavar="P",
                       help="the pose route instead of a detector: MediaPipe hands + a pose "
                            "classifier (gesturekit pose-train run or pose-export folder)")
    add_hand_detector_option(parser, applies_to="--pose")
    parser.add_argument("--detector-card", metavar="Y",
                        help="model card (YAML/JSON) of a detector that carries none")
    parser.add_argument("--classifier", metavar="C",
                        help="clip classifier .xml or .onnx (without it: detect and track only)")
    parser.add_argument("--classifier-card", metavar="Y",
                        help="model card of the clip classifier, if it carries none")
    parser.add_argument("--output", metavar="OUT.mp4",
                        help="write the annotated video (.mp4 or .avi), and per-frame results "
                             "to OUT.jsonl beside it")
    parser.add_argument("--results", metavar="JSONL",
                        help="per-frame results (JSON lines) here instead of beside --output")
    parser.add_argument("--no-window", action="store_true", help="do not open a window")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="minimum detector score (default 0.5)")
    parser.add_argument("--max-frames", type=int, metavar="N", help="stop after N frames")
    parser.add_argument("--classify-every", type=int, metavar="K",
                        help="classify each track's clip every K frames (default: the video's "
                             "frame rate / the classifier's clip frame rate)")
    parser.add_argument("--sync", action="store_true",
                        help="run every stage in turn (no decode thread, no async inference)")
    parser.add_argument("--backend", default="auto", choices=("auto", "keras", "openvino",
                                                              "onnxruntime"),
                        help="detector backend (default from the file's suffix)")
    parser.add_argument("--max-missed", type=int, default=5,
                        help="drop a track after this many frames without a detection")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing output video / results file")


def check_window() -> None:
    """A window needs a display; say so in one line before OpenCV's Qt aborts."""
    from gesturekit.labeling.qt_checks import qt_platform

    if sys.platform.startswith("linux") and qt_platform(os.environ) == "xcb" and \
            not os.environ.get("DISPLAY"):
        raise GestureKitError("no display ($DISPLAY is not set) for the window: use "
                              "--no-window, with --output to save the annotated video")


def run(args: argparse.Namespace) -> int:
    from gesturekit.runtime.demo import DemoOptions, check_outputs, load_models, run_demo
    from gesturekit.runtime.video import open_source

    options = DemoOptions(threshold=args.threshold, max_frames=args.max_frames,
                          classify_every=args.classify_every,
                          mode="sync" if args.sync else "async", window=not args.no_window,
                          max_missed=args.max_missed, progress=args.no_window).validate()
    require_pose_route(args, "--pose P")
    if args.max_missed < 0:
        raise GestureKitError(f"--max-missed must be >= 0 (got {args.max_missed})")
    if options.window:
        check_window()
    check_outputs(args.output, args.results, args.force)
    source = open_source(args.source)  # before the models load: a bad source fails fast
    try:
        detector, classifier = load_models(args.pose or args.detector, args.detector_card,
                                           args.classifier, args.classifier_card, args.backend,
                                           hand_detector=args.hand_detector)
    except BaseException:
        source.capture.release()
        raise
    result = run_demo(source, detector, classifier, options, args.output, args.results,
                      args.force)
    print(result.summary())
    if result.output is not None:
        print(f"annotated video: {result.output}")
    if result.results is not None:
        print(f"per-frame results: {result.results}")
    return 0
