"""``gesturekit prelabel``: unverified VOC XML for unlabeled frames, from a model or hands."""
from __future__ import annotations

import argparse

from .hand_options import add_hand_options

HELP = ("pre-label images that have no XML yet, with a trained/exported detector (--model) "
        "or MediaPipe hands (--hands); existing annotations are never touched")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="ROOT", help="VOC root")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", metavar="M",
                        help="detector: inference .h5 (gesturekit convert), .xml or .onnx "
                             "(gesturekit export)")
    source.add_argument("--hands", action="store_true",
                        help="box the hands MediaPipe finds (needs scripts/setup_hands.sh)")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="--model: minimum detection score (default 0.5)")
    parser.add_argument("--backend", default="auto",
                        choices=("auto", "keras", "openvino", "onnxruntime"),
                        help="--model: inference backend (default from the file's suffix)")
    parser.add_argument("--card", metavar="YAML",
                        help="--model: model card of an .xml/.onnx that carries none")
    parser.add_argument("--class", dest="class_name", metavar="NAME",
                        help="--hands: class of every box (default: placeholder 'hand' to "
                             "rename in labelImg)")
    add_hand_options(parser, applies_to="--hands")


def run(args: argparse.Namespace) -> int:
    from gesturekit.labeling.prelabel import PLACEHOLDER_CLASS, prelabel_with_hands, prelabel_with_model

    if args.hands:
        report = prelabel_with_hands(args.root, args.class_name, args.margin,
                                     args.min_confidence, args.max_hands)
    else:
        report = prelabel_with_model(args.root, args.model, args.threshold, args.backend,
                                     args.card)
    for line in report.failed:
        print(f"skipped: {line}")
    print(report.summary())
    if report.written:
        print(f"open them with: gesturekit label {args.root}  (marked unverified; "
              "gesturekit check lists the ones not reviewed yet)")
        if args.hands and not args.class_name:
            print(f"every box is class '{PLACEHOLDER_CLASS}': rename it to the gesture in "
                  "labelImg (double-click the label)")
    return 0
