"""Benchmark: which RetinaNet the shipped hand detector (``--weights hands``) should be.

Issue 13 asks for a model that fine-tunes fast and runs >= 100 FPS end to end in OpenVINO
INT8 on 640x480 frames on the 2-core machine. For each candidate (backbone, head and
pyramid width, training resize) this builds the model, trains it two steps on the main
job's sample (only so that ``gesturekit convert`` has a snapshot; the speed of a network
does not depend on its weights), converts it and runs ``gesturekit bench`` on its
OpenVINO INT8 export: latency at the candidate's input size, and end-to-end FPS (decode,
preprocess, infer with NMS, select) on 640x480 frames of ``../shared/videos/hands.mp4``.
Training images/s of the same candidates is bench_train's business.

    .venv/bin/python bench/bench_hands_arch.py [--frames 100] [--work DIR]

Writes ``bench/results/hands_arch.{json,md}``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_quality import SHARED, gesturekit, machine  # noqa: E402
from bench.bench_train import sample_root  # noqa: E402

RESULTS = REPO / "bench" / "results"
#: name -> (backbone, head and pyramid width, min side, max side)
CANDIDATES = {
    "mnet0.5-w32-192": ("mobilenet224_0.5", 32, 192, 256),
    "mnet0.5-w48-240": ("mobilenet224_0.5", 48, 240, 320),
    "mnet0.75-w48-240": ("mobilenet224_0.75", 48, 240, 320),
    "mnet1.0-w64-288": ("mobilenet224_1.0", 64, 288, 384),
}


def video_640x480(video: Path, out: Path, frames: int) -> Path:
    """The first ``frames`` frames of ``video`` resized to 640x480 (a webcam's frame)."""
    if out.is_file():
        return out
    capture = cv2.VideoCapture(str(video))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 25, (640, 480))
    for _ in range(frames):
        ok, frame = capture.read()
        if not ok:
            break
        writer.write(cv2.resize(frame, (640, 480), interpolation=cv2.INTER_AREA))
    writer.release()
    capture.release()
    return out


def measure(name: str, spec: tuple, root: Path, video: Path, work: Path, frames: int) -> dict:
    """Train two steps, convert and bench one candidate; its INT8 row and end-to-end FPS."""
    backbone, width, min_side, max_side = spec
    base, log = work / name, work / "log.txt"
    model = base / "model"
    if not (model / "inference.h5").is_file():
        gesturekit("train", str(root), "--out", str(base / "run"), "--backbone", backbone,
                   "--weights", "none", "--head-width", str(width), "--fpn-width", str(width),
                   "--image-min-side", str(min_side), "--image-max-side", str(max_side),
                   "--epochs", "1", "--steps", "2", "--force", log=log)
        gesturekit("convert", str(base / "run" / "snapshots" / "epoch_001.h5"), str(model),
                   log=log)
    out = base / "bench"
    gesturekit("bench", str(model), "--images", str(root), "--backends", "openvino_int8",
               "--no-map", "--runs", "30", "--warmup", "5", "--calib-size", "30",
               "--video", str(video), "--video-frames", str(frames), "--out", str(out),
               "--force", log=log)
    report = json.loads((out / "bench.json").read_text())
    row = report["backends"]["openvino_int8"]
    e2e = report["end_to_end"][f"video {video.name}"]["openvino_int8"]
    return {"backbone": backbone, "width": width, "input_hw": report["model"]["input_hw"],
            "parameters": report["model"]["parameters"],
            "h5_mb": round((model / "inference.h5").stat().st_size / 2**20, 1),
            "int8_median_ms": row["median_ms"], "e2e_640x480_fps": e2e["frames_per_s"],
            "e2e_median_ms": e2e["median_ms"]}


def write_report(results: dict, meta: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "hands_arch.json").write_text(json.dumps({"meta": meta, "results": results},
                                                        indent=2) + "\n")
    lines = ["# Hand detector candidates: OpenVINO INT8 speed on 640x480 frames", "",
             f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores. "
             f"End to end = decode a frame of {meta['video']}, resize and normalise, "
             f"infer (NMS inside), select; one frame at a time over {meta['frames']} frames. "
             "Latency = the INT8 network alone at the candidate's input.", "",
             "| candidate | backbone | head/pyramid | input | parameters | .h5 MB | "
             "INT8 ms | end-to-end FPS |", "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['backbone']} | {r['width']} | "
                     f"{r['input_hw'][0]}x{r['input_hw'][1]} | {r['parameters']:,} | "
                     f"{r['h5_mb']} | {r['int8_median_ms']:.2f} | {r['e2e_640x480_fps']:.1f} |")
    (RESULTS / "hands_arch.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "hands_arch")
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    root = sample_root(args.work)
    video = video_640x480(SHARED.parent / "videos" / "hands.mp4", args.work / "hands_640x480.mp4",
                          args.frames)
    results = {}
    for name in args.candidates:
        results[name] = measure(name, CANDIDATES[name], root, video, args.work, args.frames)
        print(name, results[name], flush=True)
    write_report(results, {"machine": machine(), "video": "hands.mp4 resized to 640x480",
                           "frames": args.frames})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
