#!/usr/bin/env python
"""Draw a trained gesture detector's detections on an image.

    python testDetector.py --model runs/model/inference.h5 --image frame.jpg
    python testDetector.py --model export/model.xml --image frame.jpg      # OpenVINO
    python testDetector.py --model export/model.onnx --image frame.jpg     # onnxruntime
    python testDetector.py --pose runs/pose --image frame.jpg              # pose route

Writes the annotated image and prints one JSON line per detection. Class names, input
size and preprocessing come from the model's own metadata (gesturekit.json, or the model
card of an exported/third-party model); the backend is chosen from the file's suffix
unless --backend says otherwise. ``--pose`` takes the pose route instead: MediaPipe hand
boxes, classes from a pose classifier (gesturekit pose-train run or pose-export folder).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from gesturekit.cli.hand_options import add_hand_detector_option

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    route = parser.add_mutually_exclusive_group(required=True)
    route.add_argument("--model", help="converted model (.h5 from "
                       "'gesturekit convert') or exported model (.xml/.onnx from "
                       "'gesturekit export')")
    route.add_argument("--pose", metavar="POSE_MODEL",
                       help="pose route: MediaPipe hands + this pose classifier "
                       "('gesturekit pose-train' run, or 'gesturekit pose-export' folder "
                       "or .xml/.onnx); needs scripts/setup_hands.sh")
    parser.add_argument("--backend", default="auto",
                        choices=("auto", "keras", "openvino", "onnxruntime"),
                        help="inference backend (default auto: .h5 keras, .xml openvino, "
                        ".onnx onnxruntime)")
    parser.add_argument("--card", help="model card (YAML/JSON) of a model that carries "
                        "none, e.g. an Open Model Zoo detector")
    parser.add_argument("--image", required=True, help="image to run the detector on")
    parser.add_argument("--output", help="where to write the annotated image "
                        "(default: <image stem>_detections.jpg in the current folder)")
    add_hand_detector_option(parser, applies_to="--pose")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="minimum score of a drawn detection (default 0.5)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from voc_tools.errors import run_reporting_errors

    return run_reporting_errors("testDetector", lambda: detect_and_draw(args))


def detect_and_draw(args: argparse.Namespace) -> None:
    """Run the model on the image, print the detections, write the annotated image."""
    import cv2

    from detector.draw import draw_detections
    from gesturekit.cli.hand_options import require_pose_route
    from gesturekit.runtime.backends import load_detector
    from voc_tools.errors import GestureKitError
    from voc_tools.image_io import read_image_bounded
    from voc_tools.naming import IMAGE_EXTENSIONS, is_image

    require_pose_route(args, "--pose POSE_MODEL")
    image_path = Path(args.image)
    output = Path(args.output or f"{image_path.stem}_detections.jpg")
    if output.resolve() == image_path.resolve():
        raise GestureKitError("--output would overwrite the input image", output)
    if not is_image(output):
        raise GestureKitError("--output needs an image extension (one of "
                              f"{', '.join(IMAGE_EXTENSIONS)})", output)
    bounded = read_image_bounded(image_path)
    image, scale = bounded.pixels, bounded.scale
    if args.pose:
        from gesturekit.runtime.pose_detector import PoseDetector

        with PoseDetector(args.pose, backend=args.backend,
                          hand_detector=args.hand_detector) as detector:
            detections = detector.detect(image, score_threshold=args.threshold)
    else:
        if args.card and Path(args.model).suffix == ".h5":
            raise GestureKitError("--card is for .xml/.onnx models; a .h5 reads its "
                                  "gesturekit.json", args.card)
        detector = load_detector(args.model, args.backend, args.card)
        detections = detector.detect(image, score_threshold=args.threshold)
    for record in detections.in_original_pixels(scale).records():
        print(json.dumps({"image": str(image_path), **record}))
    try:
        written = cv2.imwrite(str(output), draw_detections(image, detections))
    except cv2.error:
        written = False
    if not written:
        raise GestureKitError("cannot write the output image", output)
    reduced = f" (at {scale:.3g}× the input's size)" if scale != 1.0 else ""
    print(f"{len(detections)} detections drawn on {output}{reduced}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
