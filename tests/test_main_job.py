"""The README's main job, run exactly as a user runs it: ./run_sample.sh on the built-in
sample. It must learn (val mAP >= 0.3), convert, evaluate and draw detections."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_run_sample_learns_converts_and_detects(tmp_path: Path) -> None:
    out = tmp_path / "job"
    result = subprocess.run(["bash", str(REPO / "run_sample.sh"), str(out)], cwd=REPO,
                            capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]

    evaluation = json.loads((out / "model" / "eval_val.json").read_text())
    # "Learns": an untrained model scores ~0.05 (epoch 1). The same seeded 900 steps reached
    # 0.69 on this 2-core dev machine and 0.39 on a CI machine: from-scratch training at this
    # budget is not reproducible even on one machine (thread timing: two seeded runs of one
    # bench arm gave 0.56 and 0.67), so 0.3 asserts learning, not one run's luck.
    assert evaluation["map"] >= 0.3, evaluation
    assert f"mAP@0.5 = {evaluation['map']:.4f}" in result.stdout
    assert (out / "model" / "pr_val.png").stat().st_size > 0
    assert (out / "run" / "curves.png").stat().st_size > 0

    printed = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {d["class"] for d in printed} <= {"grab", "drop"}
    assert (out / "detections.jpg").stat().st_size > 0
    assert f"annotated image: {out}/detections.jpg" in result.stdout

    # testDetector gets boxes from the converted model on a val frame (quality is the mAP
    # asserted above; a 7-minute from-scratch model scores true hands around 0.2-0.5).
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
