"""The README's main job, run exactly as a user runs it: ./run_sample.sh on the built-in
sample. Fine-tuned from the shipped hand detector it must reach val mAP >= 0.6, convert,
evaluate and draw detections."""
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
    # "Learns from the shipped hand detector": from random weights the same 900 steps reached
    # 0.64-0.69 on the 2-core dev machine and 0.39 on a CI machine; fine-tuned from --weights
    # hands, every run scored >= 0.70 on val after its second of 10 epochs (best 0.84 here).
    # Seeded runs still vary with thread timing, so 0.6 asserts the transfer, not one run.
    assert evaluation["map"] >= 0.6, evaluation
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
