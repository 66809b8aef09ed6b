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
    # the drawn image is the first val frame (testDetector's default threshold 0.5): its best
    # detection names its labelled gesture
    assert printed, result.stdout[-2000:]
    first = (out / "voc" / "ImageSets" / "Main" / "val.txt").read_text().split()[0]
    labelled = {box.name for box in
                read_annotation(out / "voc" / "Annotations" / f"{first}.xml").boxes}
    assert max(printed, key=lambda d: d["score"])["class"] in labelled, (printed, labelled)
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
