"""The README's main job, run exactly as a user runs it: ./run_sample.sh on the built-in
sample. Fine-tuned from the shipped hand detector with the kit's default recipe it must reach
val mAP >= 0.85, convert, evaluate and draw the right class on its image."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voc_tools.annotation import read_annotation


REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_run_sample_learns_converts_and_detects(tmp_path: Path) -> None:
    out = tmp_path / "job"
    result = subprocess.run(["bash", str(REPO / "run_sample.sh"), str(out)], cwd=REPO,
                            capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]

    evaluation = json.loads((out / "model" / "eval_val.json").read_text())
    # With the default recipe (--weights hands at 192..256 px) 540 steps reached val mAP
    # 0.91-0.98 on the 2-core dev machine (0.84 in 900 steps at 128 px; from random weights
    # 0.64 there and 0.39 on a CI machine); seeded runs still vary with thread timing, so
    # 0.85 asserts the transfer, not one run.
    assert evaluation["map"] >= 0.85, evaluation
    assert f"mAP@0.5 = {evaluation['map']:.4f}" in result.stdout
    assert (out / "model" / "pr_val.png").stat().st_size > 0
    assert (out / "run" / "curves.png").stat().st_size > 0

    printed = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {d["class"] for d in printed} <= {"grab", "drop"}
    # The drawn image is the first val frame at testDetector's default threshold (0.5). What
    # the model is sure of varies by val video from run to run (measured: its best detection
    # clears 0.5 and names the gesture on 81-87% of val frames, and a whole video can sit at
    # 0.15-0.45 in one run), so one frame may draw nothing; what it draws must be right, and
    # across the val frames the drawn class must be right on most of them.
    first = (out / "voc" / "ImageSets" / "Main" / "val.txt").read_text().split()[0]
    if printed:
        assert max(printed, key=lambda d: d["score"])["class"] in labelled_classes(out, first)
    assert drawn_right_share(out) >= 0.6
    assert (out / "detections.jpg").stat().st_size > 0
    assert f"annotated image: {out}/detections.jpg" in result.stdout

    # testDetector gets boxes from the converted model on another val frame.
    image_id = (out / "voc" / "ImageSets" / "Main" / "val.txt").read_text().split()[-1]
    found = subprocess.run(
        [sys.executable, str(REPO / "testDetector.py"), "--model",
         str(out / "model" / "inference.h5"), "--image",
         str(out / "voc" / "JPEGImages" / f"{image_id}.jpg"), "--output",
         str(tmp_path / "last.jpg"), "--threshold", "0.05"],
        capture_output=True, text=True, timeout=300)
    assert found.returncode == 0, found.stderr
    boxes = [json.loads(line) for line in found.stdout.splitlines()]
    assert boxes and all(len(b["box"]) == 4 and b["class"] in ("grab", "drop") for b in boxes)


def labelled_classes(job: Path, image_id: str) -> set[str]:
    """The gestures labelled on one frame of the main job's VOC root."""
    return {box.name for box in
            read_annotation(job / "voc" / "Annotations" / f"{image_id}.xml").boxes}


def drawn_right_share(job: Path) -> float:
    """Share of val frames on which testDetector, at its default threshold, draws a best
    detection that names a gesture labelled on the frame."""
    import cv2

    sys.path.insert(0, str(REPO))
    from testDetector import parse_args
    from gesturekit.runtime.backends import load_detector

    threshold = parse_args(["--model", "m.h5", "--image", "i.jpg"]).threshold
    detector = load_detector(job / "model" / "inference.h5")
    image_ids = (job / "voc" / "ImageSets" / "Main" / "val.txt").read_text().split()
    right = 0
    for image_id in image_ids:
        image = cv2.imread(str(job / "voc" / "JPEGImages" / f"{image_id}.jpg"))
        records = detector.detect(image, score_threshold=threshold).records()
        right += bool(records) and records[0]["class"] in labelled_classes(job, image_id)
    return right / len(image_ids)
