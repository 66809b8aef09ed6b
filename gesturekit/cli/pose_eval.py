"""``gesturekit pose-eval MODEL FILE [--root ROOT]``: pose classifier accuracy, and the pose
route's end-to-end mAP measured as ``gesturekit evaluate`` measures a detector's."""
from __future__ import annotations

import argparse
from pathlib import Path

from .hand_options import (add_box_calibration_option, add_hand_detector_option,
                           add_hand_options, add_retry_options, retry_options)

HELP = ("evaluate a pose classifier: accuracy and confusion matrix on a landmark file's "
        "hands; with --root, the pose route's mAP on a VOC split (comparable to evaluate)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, metavar="MODEL",
                        help="pose-train run directory (or its .h5), or a pose-export "
                             "directory / .xml / .onnx")
    parser.add_argument("keypoints", type=Path, nargs="?", metavar="FILE",
                        help="landmark file of gesturekit keypoints: accuracy on its hands")
    parser.add_argument("--root", "--voc", type=Path, metavar="ROOT", dest="root",
                        help="VOC root: end-to-end mAP of MediaPipe boxes + the classifier's "
                             "classes on --split (FILE, if given, must come from ROOT; --voc: "
                             "its older name)")
    parser.add_argument("--split", default="val",
                        help="ImageSets/Main list to evaluate ('all': every hand of FILE; "
                             "default val)")
    parser.add_argument("--backend", default="auto",
                        choices=("auto", "keras", "openvino", "onnxruntime"),
                        help="how to run the classifier (default from the file's suffix)")
    parser.add_argument("--iou", type=float, default=0.5,
                        help="--root: IoU for a detection to count as correct (default 0.5)")
    parser.add_argument("--score-threshold", type=float, default=0.05,
                        help="--root: ignore detections scoring at most this (default 0.05)")
    add_hand_options(parser, applies_to="--root", max_hands=False)
    add_retry_options(parser)
    add_hand_detector_option(parser)
    add_box_calibration_option(parser, applies_to="--root")
    parser.add_argument("--mirror-tta", action="store_true",
                        help="average each hand's class probabilities with its mirror "
                             "image's (gestures that mean the same with either hand)")
    parser.add_argument("--prior-weight", type=float, default=0.0, metavar="W",
                        help="reweight class probabilities by the training classes' "
                             "frequencies to the power W (default 0: off)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="folder for the reports (default: the model's folder)")


def run(args: argparse.Namespace) -> int:
    from gesturekit.runtime.pose_detector import (evaluate_pose_route, load_pose_classifier,
                                       pose_model_file)
    from voc_tools.errors import GestureKitError

    if args.keypoints is None and args.root is None:
        raise GestureKitError("give a landmark FILE (accuracy), --root ROOT (mAP), or both")
    if args.split == "all" and args.root is not None:
        raise GestureKitError("--split all is for FILE's hands; --root needs an ImageSets "
                              "list such as val")
    model_file = pose_model_file(args.model)
    out = args.out or model_file.parent
    if args.keypoints is not None:
        from gesturekit.pose.evaluate import evaluate_pose_classifier

        from gesturekit.pose.classify import class_prior

        classifier = load_pose_classifier(model_file, args.backend)
        prior = class_prior(classifier.card.metadata.get("train_counts") or {},
                            classifier.classes, args.prior_weight)
        report = evaluate_pose_classifier(classifier, args.keypoints, out, args.split,
                                          args.root, args.mirror_tta, prior)
        print(f"pose classifier on {report['hands']} hands ({args.split}): accuracy "
              f"{report['accuracy']:.4f}, mean class accuracy "
              f"{report['mean_class_accuracy']:.4f}")
        for name, value in report["class_accuracy"].items():
            print(f"  {name}: {'n/a' if value is None else f'{value:.4f}'}")
        print(f"wrote {report['json']}")
    if args.root is not None:
        result, report = evaluate_pose_route(model_file, args.root, args.split, out, args.iou,
                                             args.score_threshold, margin=args.margin,
                                             min_confidence=args.min_confidence,
                                             backend=args.backend, retry=retry_options(args),
                                             box_calibration=not args.no_box_calibration,
                                             mirror_tta=args.mirror_tta,
                                             prior_weight=args.prior_weight,
                                             hand_detector=args.hand_detector)
        for c in result.classes:
            print(f"  {c.name}: AP {c.ap:.4f} ({c.num_annotations} boxes)")
        if args.hand_detector:
            print(f"hybrid route: {report['from_crops']} hand(s) found in {report['cropped']} "
                  "crop(s) of the hand detector's boxes")
        print(f"pose route mAP@{args.iou:g} = {result.map:.4f} on {report['num_images']} "
              f"'{args.split}' images, {report['ms_per_image']:.1f} ms/image")
        print(f"wrote {report['json']}")
        print(f"wrote {report['png']}")
    return 0
