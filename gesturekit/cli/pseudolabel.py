"""``gesturekit pseudolabel``: a VOC dataset from unlabelled video, labelled by the pose route."""
from __future__ import annotations

import argparse

from .hand_options import add_box_calibration_option, add_hand_detector_option, add_hand_options

HELP = ("turn unlabelled videos (or frame folders) into a pseudo-labelled VOC root: MediaPipe "
        "hand boxes, gestures from a pose classifier (gesturekit pose-train); frames with no "
        "hand or a low score are skipped")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="VIDEO_OR_FRAMES",
                        help="video files, folders of frames (gesturekit frames) or images")
    parser.add_argument("--out", required=True, metavar="ROOT",
                        help="VOC root to create (or an earlier pseudolabel output to add to)")
    parser.add_argument("--pose", required=True, metavar="MODEL",
                        help="pose classifier: a gesturekit pose-train run or its "
                             "gesturekit pose-export folder / .xml / .onnx")
    parser.add_argument("--every", type=int, default=1, metavar="N",
                        help="label every N-th frame of each video (default 1)")
    parser.add_argument("--min-score", type=float, default=0.6, metavar="S",
                        help="skip a frame when any hand scores below S (hand score x class "
                             "probability; default 0.6)")
    parser.add_argument("--classes-from", metavar="ROOT",
                        help="write this VOC root's classes.txt (the hand-labelled dataset you "
                             "will train with), so gesturekit train --pseudo accepts both")
    parser.add_argument("--fit-boxes", metavar="KEYPOINTS",
                        help="move each box to your labelling convention, learned per class "
                             "from the landmark file of your hand labels (gesturekit "
                             "keypoints; the one the pose model was trained on)")
    add_box_calibration_option(parser, note=" (--fit-boxes always replaces it)")
    add_hand_options(parser)
    add_hand_detector_option(parser)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gesturekit.labeling.box_fit import fit_boxes
    from gesturekit.labeling.pseudolabel import check_request, pseudolabel
    from gesturekit.runtime.pose_detector import PoseDetector

    check_request(args.inputs, args.out, args.every, args.min_score)
    box_fit = fit_boxes(args.fit_boxes, args.margin) if args.fit_boxes else None
    if box_fit is not None:
        print(f"box fit from {args.fit_boxes}: {box_fit.describe()}")
    fitted = f", boxes fitted to {Path(args.fit_boxes).name}" if box_fit else ""
    source = f"pseudo: pose {Path(args.pose).name} (score >= {args.min_score:g}{fitted})"
    calibrate = box_fit is None and not args.no_box_calibration  # one box correction only
    with PoseDetector(args.pose, margin=args.margin, min_confidence=args.min_confidence,
                      max_hands=args.max_hands, box_calibration=calibrate,
                      hand_detector=args.hand_detector) as detector:
        report = pseudolabel(args.inputs, args.out, detector, source, every=args.every,
                             min_score=args.min_score, classes_from=args.classes_from,
                             box_fit=box_fit)
    print(report.summary())
    if report.kept:
        print(f"pseudo-labelled root: {args.out} (XML marked unverified; train with: "
              f"gesturekit train ROOT --pseudo {args.out})")
    return 0
