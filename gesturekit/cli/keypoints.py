"""``gesturekit keypoints ROOT --out FILE``: MediaPipe hand landmarks of every labelled box."""
from __future__ import annotations

import argparse
from pathlib import Path

from .hand_options import (add_hand_detector_option, add_hand_options, add_retry_options,
                           retry_options)

HELP = ("run MediaPipe's hand landmarker over a VOC dataset and store the 21 landmarks of "
        "each labelled box (matched by IoU) for gesturekit pose-train / pose-eval")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="ROOT", help="VOC root")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE",
                        help="landmark file to write (.npz)")
    parser.add_argument("--split", metavar="NAME",
                        help="only the images of ImageSets/Main/NAME.txt (default: every "
                             "annotated image)")
    parser.add_argument("--iou", type=float, default=0.3,
                        help="minimum IoU of a labelled box and a hand's box to pair them "
                             "(default 0.3)")
    parser.add_argument("--cover", type=float, default=0.0,
                        help="also pair them when at least this fraction of the hand's box "
                             "lies inside the labelled box, e.g. 0.8 for labels that hold "
                             "the forearm or both hands (default 0: IoU only)")
    add_hand_options(parser)
    add_retry_options(parser)
    add_hand_detector_option(parser)
    parser.add_argument("--force", action="store_true", help="replace an existing FILE")


def run(args: argparse.Namespace) -> int:
    from gesturekit.pose.extract import extract_keypoints
    from voc_tools.errors import GestureKitError

    out = args.out if args.out.suffix == ".npz" else args.out.with_name(args.out.name + ".npz")
    if out.exists() and not args.force:
        raise GestureKitError("already exists; pass --force to replace it", out)
    if not out.parent.is_dir():
        raise GestureKitError("folder does not exist", out.parent)
    keypoints, report = extract_keypoints(args.root, args.split, args.iou, args.margin,
                                          args.max_hands, args.min_confidence,
                                          cover_threshold=args.cover or None,
                                          retry=retry_options(args),
                                          hand_detector=args.hand_detector)
    for line in report.lines():
        print(line)
    if not len(keypoints):
        raise GestureKitError("no labelled box matched a hand (is MediaPipe finding the "
                              "hands? try a lower --min-confidence or --iou)", args.root)
    keypoints.save(out)
    print(f"wrote {out}  (train a pose classifier: gesturekit pose-train {out} --out RUN_DIR)")
    return 0
