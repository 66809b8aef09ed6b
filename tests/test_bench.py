"""gesturekit bench: interleaving scheduler, statistics, report writer, one real small run."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from gesturekit import cli
from voc_tools.errors import GestureKitError


from gesturekit.runtime.benchmark import (BACKENDS, interleaved_times,  # noqa: E402
                                         latency_stats, markdown, rotated_order,
                                         targets, write_report)


@pytest.fixture
def cli_main():  # type: ignore[no-untyped-def]
    """The gesturekit command's entry point."""
    return cli.main


def test_rotated_order_visits_every_position() -> None:
    names = ["a", "b", "c"]
    orders = [rotated_order(names, run) for run in range(6)]
    assert orders[:3] == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    assert orders[3:] == orders[:3]
    for position in range(3):  # over len(names) runs each name takes each slot once
        assert sorted(order[position] for order in orders[:3]) == names
    assert rotated_order([], 4) == []


def test_interleaved_times_calls_in_rotated_order_on_shared_inputs() -> None:
    calls: list[tuple[str, float]] = []
    runners = {name: (lambda batch, name=name: calls.append((name, float(batch[0]))))
               for name in ("x", "y")}
    inputs = [np.array([10.0]), np.array([20.0])]
    times = interleaved_times(runners, inputs, runs=3, warmup=1)
    assert [len(v) for v in times.values()] == [3, 3]  # warm-up not recorded
    assert all(t >= 0 for v in times.values() for t in v)
    assert calls == [("x", 10.0), ("y", 10.0), ("y", 20.0), ("x", 20.0),
                     ("x", 10.0), ("y", 10.0), ("y", 20.0), ("x", 20.0)]
    with pytest.raises(ValueError):
        interleaved_times(runners, [], runs=1)


def test_latency_stats_known_values() -> None:
    stats = latency_stats(list(range(1, 11)))  # 1..10 ms
    assert stats["median_ms"] == 5.5 and stats["p90_ms"] == pytest.approx(9.1)
    assert stats["mean_ms"] == 5.5 and stats["min_ms"] == 1 and stats["n"] == 10
    assert stats["images_per_s"] == pytest.approx(1000 / 5.5, abs=0.01)
    odd = latency_stats([4.0, 1.0, 100.0])
    assert odd["median_ms"] == 4.0 and odd["p90_ms"] == pytest.approx(80.8)
    with pytest.raises(ValueError):
        latency_stats([])


def test_machine_description_reads_metadata_and_says_absent(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from importlib.metadata import version

    from gesturekit.runtime import benchmark

    found = benchmark.package_versions(["numpy", "gesturekit-no-such-dist"])
    assert found == {"numpy": version("numpy"), "gesturekit-no-such-dist": benchmark.ABSENT}
    summary = benchmark.machine_summary(["numpy"])
    assert list(summary) == ["cpu", "cores", "python", "numpy"] and summary["cpu"]
    assert set(benchmark.cpu_flags()) <= set(benchmark.CPU_FLAGS)
    assert benchmark.loadavg_1min_since((1.234, 0.0, 0.0))[0] == 1.23
    from detector import machine

    monkeypatch.setattr(machine, "_read_cpuinfo", lambda: (None, set()))
    monkeypatch.setattr(machine.platform, "processor", lambda: "")
    assert benchmark.cpu_model() == "unknown" and benchmark.cpu_flags() == []


def test_benchmark_module_does_not_import_tensorflow() -> None:
    import subprocess
    import sys

    code = ("import sys, gesturekit.runtime.benchmark as b; b.machine_summary(['tensorflow']); "
            "sys.exit('tensorflow' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def _report() -> dict:
    row = {"description": "d", "nms": "tensorflow", "median_ms": 10.0, "p90_ms": 12.0,
           "mean_ms": 10.5, "min_ms": 9.0, "images_per_s": 95.2, "n": 3}
    backends = {"tf_predict": {**row, "speedup_vs_tf_predict": 1.0, "map": 0.5,
                               "map_change_vs_tf_predict": 0.0},
                "openvino_fp32": {**row, "median_ms": 5.0, "speedup_vs_tf_predict": 2.0,
                                  "async": {"images_per_s": 300.0}, "map": 0.5,
                                  "map_change_vs_tf_predict": 0.0},
                "openvino_int8": {**row, "median_ms": 4.0, "speedup_vs_tf_predict": 2.5,
                                  "map": 0.48, "map_change_vs_tf_predict": -0.02}}
    report = {"machine": {"cpu": "Test CPU", "cores": 2, "flags": ["avx512_bf16"],
                          "openvino_cpu_capabilities": ["FP32"], "versions": {"openvino": "x"}},
              "model": {"backbone": "mobilenet128_0.5", "head_width": 32, "input_hw": [128, 171],
                        "source": "m", "parameters": 1000, "preprocess": "tf",
                        "classes": ["grab", "drop"]},
              "images": "voc", "split": "val", "runs": 3, "warmup": 1, "inputs": 3,
              "map_images": 10, "backends": backends,
              "end_to_end": {"val JPEGs": {"openvino_fp32": {"frames": 10, "median_ms": 40.0,
                                                             "p90_ms": 45.0,
                                                             "frames_per_s": 24.0}}},
              "loadavg_1min_before_after": [1.0, 1.5], "note": "a note"}
    report["targets"] = targets(report)
    return report


def test_targets_judge_the_numbers() -> None:
    met = {c["target"].split(" (")[0]: c["met"] for c in _report()["targets"]}
    assert met == {"OpenVINO FP32 >= 1.5x TF predict latency": True,
                   "OpenVINO INT8 >= 3.0x TF predict latency": False,
                   "INT8 mAP change vs TF >= -1 point": False,
                   "light detector >= 30 FPS end to end": False}


def test_write_report_json_and_markdown(tmp_path: Path) -> None:
    report = _report()
    json_path, md_path = write_report(report, tmp_path / "out")
    assert json.loads(json_path.read_text()) == report
    text = md_path.read_text()
    assert text == markdown(report)
    assert "mobilenet128_0.5, head 32, input 128x171" in text and "avx512_bf16" in text
    assert ("| openvino_fp32 | tensorflow | 5.00 | 12.00 | 95.2 | 300.0 | 2.00x | 0.5000 "
            "| 0.00 |") in text
    assert "| openvino_int8 | tensorflow | 4.00 | 12.00 | 95.2 | – | 2.50x | 0.4800 | -2.00 |" \
        in text
    assert "| openvino_fp32 | 10 | 40.00 | 45.00 | 24.0 |" in text
    assert "| OpenVINO INT8 >= 3.0x TF predict latency | 2.50 | NO |" in text
    assert text.rstrip().endswith("Note: a note")


def test_bad_backend_and_missing_model_are_one_line_errors(tmp_path: Path, cli_main,  # type: ignore[no-untyped-def]
                                                           capsys) -> None:
    from gesturekit.runtime.benchmark import BenchConfig, run_benchmark

    with pytest.raises(GestureKitError, match="unknown backend"):
        run_benchmark(BenchConfig(tmp_path, tmp_path, backends=("tensorrt",)))
    assert cli_main(["bench", str(tmp_path / "nope"), "--images", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope" in err[0] and "not found" in err[0]


OMZ = "person-detection-asl-0001"


def test_serve_times_a_real_model_on_video_frames(cli_main, hands_video: Path,  # type: ignore[no-untyped-def]
                                                  capsys) -> None:
    """--serve: Open Model Zoo's person detector with the card the kit ships, on hands.mp4."""
    xml = shared_path("models", OMZ, "FP32", f"{OMZ}.xml")
    card = Path(cli.__file__).parents[1] / "runtime" / "cards" / f"{OMZ}.yaml"
    assert cli_main(["bench", "--serve", f"{xml}={card}", "--video", str(hands_video),
                     "--video-frames", "6", "--warmup", "1"]) == 0
    results = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert len(results) == 1
    result = results[0]
    assert result["model"] == str(xml) and result["frames"] == 6
    assert (result["precision"], result["hint"]) == ("f32", "LATENCY")
    assert 0 < result["sync_ms_median"] <= result["sync_ms_p90"]
    assert result["sync_fps"] > 0 and result["async_fps"] > 0 and result["async_requests"] >= 1


@pytest.mark.parametrize("argv, message", [
    (["M"], "the VOC root to time and score on is needed"),
    (["M", "N", "--root", "R"], "one MODEL (a converted detector) unless --serve"),
    (["--serve", "M.xml"], "--serve needs --video PATH"),
    (["--serve", "M.xml", "--video", "V.mp4", "--images", "R", "--runs", "3"],
     "--runs, --root: not with --serve"),
])
def test_mode_mixups_are_one_line_errors(cli_main, capsys, argv: list[str],  # type: ignore[no-untyped-def]
                                         message: str) -> None:
    assert cli_main(["bench", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


@pytest.mark.slow
def test_small_real_run_every_backend(tmp_path: Path, cli_main, hands_video,  # type: ignore[no-untyped-def]
                                      small_detector: dict) -> None:
    """The session's small trained detector: bench all six backends with --runs 3 (CLI)."""
    root, model = small_detector["root"], small_detector["model"]
    out = tmp_path / "bench"
    argv = ["bench", str(model), "--images", str(root), "--runs", "3", "--warmup", "1",
            "--out", str(out), "--calib-size", "10", "--video", str(hands_video),
            "--video-frames", "5"]
    assert cli_main(argv) == 0
    report = json.loads((out / "bench.json").read_text())
    assert list(report["backends"]) == list(BACKENDS)
    for name, row in report["backends"].items():
        assert row["n"] == 3 and row["median_ms"] > 0 and row["p90_ms"] >= row["median_ms"]
        assert 0.0 <= row["map"] <= 1.0, name
        assert math.isfinite(row["speedup_vs_tf_predict"])
    assert report["backends"]["tf_predict"]["speedup_vs_tf_predict"] == 1.0
    for name in ("openvino_fp32", "openvino_bf16", "openvino_int8"):
        assert report["backends"][name]["async"]["images_per_s"] > 0
    # the FP32 backends see the same inputs and NMS settings. Float rounding differs between
    # TF and ONNX Runtime kernels, so a detection whose score ties another's can swap rank:
    # the mAPs agree within a tenth of a point, not bit for bit (CI once saw 0.244681 / 0.24476)
    maps = [report["backends"][n]["map"] for n in ("tf_predict", "tf_function", "onnxruntime")]
    assert max(maps) - min(maps) <= 1e-3, maps
    assert report["model"]["head_width"] == 32 and report["model"]["input_hw"] == [128, 171]
    assert set(report["end_to_end"]) == {"val JPEGs", "video hands.mp4"}
    assert report["end_to_end"]["video hands.mp4"]["openvino_int8"]["frames"] == 5
    assert (out / "bench.md").read_text().startswith("# Detector backends: mobilenet128_0.5")
    # a second run reuses the export but refuses to overwrite the report without --force
    assert cli_main(argv) == 2
    assert cli_main(argv[:2] + argv[2:] + ["--force", "--backends", "openvino_fp32",
                                           "--no-map"]) == 0
    again = json.loads((out / "bench.json").read_text())
    assert again["export"]["reused"] is True and list(again["backends"]) == ["openvino_fp32"]
