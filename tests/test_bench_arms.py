"""The quality benchmark reuses a finished arm's folder only when its spec matches."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def load_bench_quality():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_quality",
                                                  REPO / "bench" / "bench_quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def finished_arm(out: Path, saved_spec: dict | None) -> None:
    out.mkdir(parents=True)
    (out / "bench_result.json").write_text(json.dumps({"map50": 0.42}))
    (out / "bench_cost.json").write_text(json.dumps({"cpu_s": 12.0, "wall_s": 7.0}))
    if saved_spec is not None:
        (out / "bench_spec.json").write_text(json.dumps(saved_spec))


def arm_spec(bench, root: Path, out: Path, budget: float) -> dict:  # type: ignore[no-untyped-def]
    return {"root": str(root), "out": str(out), "val_split": "val", "budget": budget,
            "pseudo_root": None, "recipe": bench.RECIPE,
            "detector_code": bench.code_version()}


def test_finished_arm_with_the_same_spec_is_reused(tmp_path: Path) -> None:
    bench = load_bench_quality()
    out = tmp_path / "run"
    finished_arm(out, arm_spec(bench, tmp_path, out, 60.0))
    row = bench.retinanet_arm(tmp_path, "val", out, 60.0, tmp_path / "log.txt")
    assert row == {"map50": 0.42, "cpu_s": 12.0, "wall_s": 7.0}
    assert not (tmp_path / "log.txt").exists()  # nothing was trained


@pytest.mark.parametrize("case", ["budget", "recipe", "code", "no spec"])
def test_finished_arm_with_another_spec_stops_the_bench(tmp_path: Path, case: str) -> None:
    bench = load_bench_quality()
    out = tmp_path / "run"
    saved = arm_spec(bench, tmp_path, out, 60.0)
    if case == "budget":
        saved["budget"] = 30.0
    elif case == "recipe":
        saved["recipe"] = {**bench.RECIPE, "mosaic": 0.5}
    elif case == "code":
        saved["detector_code"] = "0" * 40
    finished_arm(out, None if case == "no spec" else saved)
    with pytest.raises(SystemExit, match="another recipe, budget or code"):
        bench.retinanet_arm(tmp_path, "val", out, 60.0, tmp_path / "log.txt")
