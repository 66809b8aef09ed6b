"""``gesturekit evaluate MODEL ROOT``: Pascal VOC mAP of a converted model on a split."""
from __future__ import annotations

import argparse

HELP = "measure a converted model's Pascal VOC mAP on a dataset split (JSON + PR curves)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="converted (inference) model .h5")
    parser.add_argument("root", metavar="ROOT", help="VOC dataset root")
    parser.add_argument("--split", default="val", help="ImageSets/Main list (default: val)")
    parser.add_argument("--iou", type=float, default=0.5,
                        help="IoU for a detection to count as correct (default: 0.5)")
    parser.add_argument("--score-threshold", type=float, default=0.05,
                        help="ignore detections scoring at most this (default: 0.05)")
    parser.add_argument("--max-detections", type=int, default=100,
                        help="detections kept per image (default: 100)")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="folder for eval_<split>.json and pr_<split>.png "
                             "(default: the model's folder)")


def run(args: argparse.Namespace) -> int:
    from detector.evaluate import evaluate_model, report_paths

    json_path, png_path = report_paths(args.model, args.split, args.out)
    earlier = [p for p in (json_path, png_path) if p.exists()]
    result = evaluate_model(args.model, args.root, split=args.split, out_dir=args.out,
                            iou_threshold=args.iou, score_threshold=args.score_threshold,
                            max_detections=args.max_detections)
    width = max([len("class")] + [len(c.name) for c in result.classes])
    print(f"{'class':<{width}}  {'annotations':>11}  {'AP all-points':>13}  {'AP 11-pt':>8}")
    for c in result.classes:
        print(f"{c.name:<{width}}  {c.num_annotations:>11d}  {c.ap:>13.4f}  {c.ap_11pt:>8.4f}")
    print(f"mAP@{args.iou:g} = {result.map:.4f}  (11-point: {result.map_11pt:.4f})")
    print(result.failure_summary())
    for path in (json_path, png_path):
        print(f"{'replaced the earlier' if path in earlier else 'wrote'} {path}")
    return 0
