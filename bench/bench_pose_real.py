"""Benchmark: the pose route on real, grouped train/val splits, change by change.

For each VOC root (default: the fingers and RF100 hand-gesture sets imported with
``gesturekit voc import yolo``, train and val from different capture days / frame blocks),
the pose route runs through the library: ``gesturekit.pose.extract.extract_keypoints`` on the root,
``gesturekit.pose.train.train_pose_classifier`` on its train list, and
``gesturekit.runtime.pose_detector.PoseDetector`` over the val list, evaluated by
``detector.evaluate.evaluate_detections`` at IoU 0.5 and 0.5:0.05:0.95 (COCO-style mean).
Configurations are cumulative:

  baseline         landmarks only, pairing on IoU, no second pass (the kit before issue 11)
  +shape           joint angles, finger extension and spread beside the landmarks (v2)
  +cover           keypoints also pairs a hand whose box lies >= 0.8 inside a labelled box
  +box-calib       boxes moved to the box convention learned from the train rows
  +retry           a second MediaPipe pass at min confidence 0.2 where none was found
  +retry-more      ... and on the mirrored and the 2x upscaled image (kept only if it helps)
  +mirror-tta      class probabilities averaged with the mirrored hand's
  +prior           class probabilities x training class frequencies

"baseline" needs the landmark-only features the kit no longer computes: it zeroes the
shape features in training and at inference (a network whose extra inputs are always 0 is
the landmark-only network). Val hands per image are found once per second-pass setting and
reused by the configurations that share it; ms/image is MediaPipe's time per val image
(both passes) plus the classifier's. "no hand" counts val boxes that no found hand pairs
with (IoU >= 0.3 or cover >= 0.8, as keypoints pairs); "accuracy" is the classifier's on
the paired hands. Writes bench/results/pose_real.{json,md}.

    nice -n 5 .venv/bin/python bench/bench_pose_real.py [--work DIR] [--roots A B]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_quality import prepare  # noqa: E402
from gesturekit.runtime.benchmark import cpu_summary, package_versions  # noqa: E402

RESULTS = REPO / "bench" / "results"
PACKAGES = ("tensorflow", "tf-keras", "numpy", "opencv-python", "openvino")  # versions recorded
SETS = ("fingers", "rf100")  # imported from ../shared and split as bench_quality does
COCO_IOUS = np.round(np.arange(0.5, 0.96, 0.05), 2)
# name, keypoints pairing cover, retry passes, landmark-only, box calibration, tta, prior
CONFIGS = [
    ("baseline", None, "none", True, False, False, 0.0),
    ("+shape", None, "none", False, False, False, 0.0),
    ("+cover", 0.8, "none", False, False, False, 0.0),
    ("+box-calib", 0.8, "none", False, True, False, 0.0),
    ("+retry", 0.8, "confidence", False, True, False, 0.0),
    ("+retry-more", 0.8, "all", False, True, False, 0.0),
    ("+mirror-tta", 0.8, "confidence", False, True, True, 0.0),
    ("+prior", 0.8, "confidence", False, True, True, 1.0),
]


def retry_of(name: str):  # type: ignore[no-untyped-def]
    from gesturekit.pose.retry import NO_RETRY, RetryOptions

    return {"none": NO_RETRY, "confidence": RetryOptions(confidence=0.2, mirror=False, upscale=None),
            "all": RetryOptions(confidence=0.2, mirror=True, upscale=2.0)}[name]


@contextlib.contextmanager
def landmarks_only(active: bool):  # type: ignore[no-untyped-def]
    """Zero the shape features everywhere features are made (the baseline's features)."""
    import gesturekit.pose.normalize as normalize
    import gesturekit.pose.train as train

    original = normalize.features_from_points

    def zeroed(points: np.ndarray) -> np.ndarray:
        features = original(points)
        features[..., normalize.LANDMARK_FEATURES:] = 0
        return features

    if active:
        normalize.features_from_points = train.features_from_points = zeroed
    try:
        yield
    finally:
        normalize.features_from_points = train.features_from_points = original


def val_hands(root: Path, image_ids: list[str], retry_name: str) -> tuple[dict, float]:
    """MediaPipe's hands of every val image with one second-pass setting, and ms/image."""
    from gesturekit.pose.retry import RetryLandmarker
    from voc_tools.image_io import read_image_bgr
    from voc_tools.layout import VocLayout

    layout = VocLayout(root)
    found = {}
    with RetryLandmarker(retry=retry_of(retry_name)) as landmarker:
        landmarker.detect(read_image_bgr(layout.image_path(image_ids[0])))  # load models
        started = time.perf_counter()
        for image_id in image_ids:
            found[image_id] = landmarker.detect(read_image_bgr(layout.image_path(image_id)))
        seconds = time.perf_counter() - started
    return found, 1000 * seconds / len(image_ids)


def evaluate(run: Path, root: Path, image_ids: list[str], hands: dict, config: tuple) -> dict:
    """mAP@0.5, mAP@0.5:0.95, per-class AP, unpaired boxes and accuracy of one config."""
    from detector.evaluate import evaluate_detections, ground_truth_by_class
    from gesturekit.pose.classify import hand_probabilities
    from gesturekit.pose.extract import match_boxes
    from gesturekit.pose.retry import NO_RETRY
    from gesturekit.runtime.pose_detector import PoseDetector
    from voc_tools.layout import VocLayout

    _, _, _, zeroed, calibration, tta, prior = config
    layout = VocLayout(root)
    with landmarks_only(zeroed), PoseDetector(run, retry=NO_RETRY, box_calibration=calibration,
                                              mirror_tta=tta, prior_weight=prior) as detector:
        classes = detector.classes
        detections, annotations, boxes_total, no_hand, right, paired = [], [], 0, 0, 0, 0
        started = time.perf_counter()
        for image_id in image_ids:
            found = detector.detect_hands(hands[image_id])
            rows = np.column_stack([found.boxes, found.scores]).astype(np.float64)
            detections.append([rows[found.labels == c] for c in range(len(classes))])
        classify_ms = 1000 * (time.perf_counter() - started) / len(image_ids)
        for image_id in image_ids:
            truth = ground_truth_by_class(layout, image_id, classes)
            annotations.append(truth)
            labelled = np.concatenate(truth)
            labels = np.concatenate([[c] * len(t) for c, t in enumerate(truth)]).astype(int)
            result = hands[image_id]
            raw = np.array([h.box(result.width, result.height, detector.margin)
                            for h in result.hands]).reshape(-1, 4)
            pairs = match_boxes(labelled, raw, 0.3, 0.8)
            boxes_total += len(labelled)
            no_hand += len(labelled) - len(pairs)
            if pairs:
                chosen = [result.hands[h] for _, h, _ in pairs]
                probabilities = hand_probabilities(
                    detector.classifier, np.stack([h.landmarks for h in chosen]),
                    [h.handedness for h in chosen], result.width / result.height, tta,
                    detector.prior)
                right += int(np.sum(probabilities.argmax(1) == labels[[b for b, _, _ in pairs]]))
                paired += len(pairs)
    at = {float(t): evaluate_detections(detections, annotations, classes, float(t))
          for t in COCO_IOUS}
    return {"map50": at[0.5].map, "map50_95": float(np.mean([r.map for r in at.values()])),
            "class_ap50": {c.name: round(c.ap, 4) for c in at[0.5].classes
                           if c.num_annotations},
            "val_boxes": boxes_total, "no_hand": no_hand,
            "accuracy_on_found": right / paired if paired else None,
            "classify_ms": classify_ms}


def bench_root(root: Path, work: Path, configs: list[tuple]) -> dict:
    from gesturekit.pose.extract import extract_keypoints
    from gesturekit.pose.train import PoseTrainConfig, train_pose_classifier
    from voc_tools.layout import VocLayout

    val_ids = VocLayout(root).read_split("val")
    keypoint_files, hands_of, rows = {}, {}, []
    for config in configs:
        name, cover, retry_name, zeroed, calibration, tta, prior = config
        key = (cover, retry_name)
        if key not in keypoint_files:
            keypoints, report = extract_keypoints(root, cover_threshold=cover,
                                                  retry=retry_of(retry_name), progress=False)
            keypoint_files[key] = (keypoints.save(work / f"kp_{len(keypoint_files)}.npz"),
                                   report)
        path, report = keypoint_files[key]
        if retry_name not in hands_of:
            hands_of[retry_name] = val_hands(root, val_ids, retry_name)
        hands, mediapipe_ms = hands_of[retry_name]
        run = work / f"run_{name.strip('+')}"
        with landmarks_only(zeroed):
            trained = train_pose_classifier(path, run, PoseTrainConfig(
                box_calibration=calibration), root, force=True, verbose=0)
        measured = evaluate(run, root, val_ids, hands, config)
        measured["ms_per_image"] = round(mediapipe_ms + measured.pop("classify_ms"), 1)
        rows.append({"config": name, "cover": cover, "retry": retry_of(retry_name).to_dict(),
                     "shape_features": not zeroed, "box_calibration": calibration,
                     "mirror_tta": tta, "prior_weight": prior,
                     "keypoints_matched": report.matched,
                     "keypoints_unmatched": len(report.unmatched_boxes),
                     "train_rows": trained.train_rows, "val_rows": trained.val_rows,
                     **measured})
        print(f"{root.parent.name}/{root.name} {name}: mAP@0.5 {measured['map50']:.4f} "
              f"mAP@.5:.95 {measured['map50_95']:.4f} no hand {measured['no_hand']}/"
              f"{measured['val_boxes']} acc {measured['accuracy_on_found']:.3f}", flush=True)
    return {"root": str(root), "val_images": len(val_ids), "configs": rows}


def write_markdown(data: dict, path: Path) -> None:
    machine = data["machine"]
    lines = ["# The pose route on real, grouped splits, change by change", "",
             f"Machine: {machine['cpu']}, {machine['cores']} cores; "
             + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()) + ".", "",
             "Cumulative configurations (see bench/bench_pose_real.py); val split only. "
             "no hand: val boxes no found hand pairs with; accuracy: the classifier's on "
             "the paired hands.", ""]
    for dataset in data["datasets"]:
        root = Path(dataset["root"])
        lines += [f"## {root.parent.name}/{root.name} ({dataset['val_images']} val images)", "",
                  "| config | train rows | mAP@0.5 | mAP@0.5:0.95 | no hand | accuracy | "
                  "ms/image |", "|---|---|---|---|---|---|---|"]
        for row in dataset["configs"]:
            lines.append(f"| {row['config']} | {row['train_rows']} | {row['map50']:.4f} | "
                         f"{row['map50_95']:.4f} | {row['no_hand']}/{row['val_boxes']} | "
                         f"{row['accuracy_on_found']:.3f} | {row['ms_per_image']:.1f} |")
        classes = list(dataset["configs"][0]["class_ap50"])
        lines += ["", "AP@0.5 per class:", "",
                  "| config | " + " | ".join(classes) + " |",
                  "|---|" + "---|" * len(classes)]
        for row in dataset["configs"]:
            lines.append(f"| {row['config']} | "
                         + " | ".join(f"{row['class_ap50'][c]:.3f}" for c in classes) + " |")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roots", nargs="+", type=Path,
                        help="VOC roots with train/val lists (default: the shared fingers and "
                             "rf100 sets, imported and grouped-split as bench_quality.py does)")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "pose_real")
    parser.add_argument("--configs", nargs="+", default=[c[0] for c in CONFIGS])
    args = parser.parse_args()
    configs = [c for c in CONFIGS if c[0] in args.configs]
    args.work.mkdir(parents=True, exist_ok=True)
    roots = args.roots or [prepare(args.work, name, "grouped", args.work / "log.txt")
                           for name in SETS]
    datasets = []
    for root in roots:
        work = args.work / f"{root.parent.name}-{root.name}"
        work.mkdir(parents=True, exist_ok=True)
        datasets.append(bench_root(root, work, configs))
    from gesturekit.pose.hands import HandLandmarker

    with HandLandmarker() as landmarker:  # MediaPipe's version, from its worker
        mediapipe = landmarker.version
    versions = {"python": platform.python_version(), **package_versions(PACKAGES),
                "mediapipe": mediapipe}
    data = {"machine": {**cpu_summary(), "versions": versions}, "datasets": datasets}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pose_real.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    write_markdown(data, RESULTS / "pose_real.md")
    print(f"wrote {RESULTS / 'pose_real.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
