"""``gesturekit pose-export RUN_DIR --out DIR``: the pose classifier as IR + ONNX + card."""
from __future__ import annotations

import argparse
from pathlib import Path

HELP = ("export a pose classifier (gesturekit pose-train run) to OpenVINO IR and ONNX with "
        "its runtime card, checking Keras/OpenVINO/ONNX parity")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", type=Path, metavar="RUN_DIR",
                        help="gesturekit pose-train run directory (or its .h5)")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="folder for pose_classifier.xml/.bin/.onnx/.yaml")
    parser.add_argument("--keypoints", type=Path, metavar="FILE",
                        help="landmark file whose hands the parity check uses (default: "
                             "the run's own, if it still exists; else random rows)")
    parser.add_argument("--force", action="store_true",
                        help="export into a non-empty DIR (same-name files are replaced)")


def run(args: argparse.Namespace) -> int:
    from convert.pose_export import export_pose_classifier
    from gesturekit.pose.model import load_info

    keypoints = args.keypoints
    if keypoints is None:
        recorded = load_info(args.run).metadata.get("keypoints")
        keypoints = Path(recorded) if recorded and Path(recorded).is_file() else None
    result = export_pose_classifier(args.run, args.out, args.force, keypoints)
    p = result.parity
    print(f"parity on {p['rows']} {'hands' if keypoints else 'random rows'}: max |diff| "
          f"OpenVINO {p['openvino_max_abs_diff']:.2e}, ONNX {p['onnx_max_abs_diff']:.2e}, "
          f"same top-1: {p['same_top1']}")
    for role, path in result.files.items():
        print(f"wrote {path}  ({role})")
    return 0
