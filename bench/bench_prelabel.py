"""Benchmark: MediaPipe hand pre-labelling speed through the kit's worker process.

Runs ``gesturekit.pose.hands.HandLandmarker`` (MediaPipe 0.10.14 in .venv-hands, frames sent over a
pipe) on frames of a real hand video at 1280x720 and resized to 800x600, pinned to one
core and to all cores, interleaved, and reports ms per image (median, p90), the share
of frames with a hand and hands per frame. Writes bench/results/prelabel.{json,md}.

    .venv/bin/python bench/bench_prelabel.py [--video PATH] [--every 20] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402

from gesturekit.runtime.benchmark import cpu_summary  # noqa: E402
from gesturekit.pose.hands import HandLandmarker  # noqa: E402
from voc_tools.frames import read_video_frames  # noqa: E402

DEFAULT_VIDEO = REPO.parent / "shared" / "videos" / "hands.mp4"
RESULTS = REPO / "bench" / "results"


def time_frames(frames: list, cores: set[int], repeats: int) -> dict:
    """ms per image over ``repeats`` passes with the worker pinned to ``cores``."""
    all_cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)  # the worker process inherits the affinity
    try:
        with HandLandmarker() as landmarker:
            landmarker.detect(frames[0])  # warm-up
            times, hands = [], []
            for _ in range(repeats):
                for frame in frames:
                    start = time.perf_counter()
                    result = landmarker.detect(frame)
                    times.append((time.perf_counter() - start) * 1000)
                    hands.append(len(result.hands))
    finally:
        os.sched_setaffinity(0, all_cores)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1),
            "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1),
            "frames_with_hand": round(sum(h > 0 for h in hands) / len(hands), 3),
            "hands_per_frame": round(sum(hands) / len(hands), 2), "n": len(times)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    frames = [frame for index, frame in enumerate(read_video_frames(args.video, 10**6))
              if index % args.every == 0]
    sizes = {"1280x720": frames, "800x600": [cv2.resize(f, (800, 600)) for f in frames]}
    one, every_core = {min(os.sched_getaffinity(0))}, set(os.sched_getaffinity(0))
    rows = {}
    for size, images in sizes.items():
        for label, cores in (("1 core", one), (f"{len(every_core)} cores", every_core)):
            rows[f"{size}, {label}"] = time_frames(images, cores, args.repeats)
    with HandLandmarker() as landmarker:
        version = landmarker.version
    report = {"video": args.video.name, "frames": len(frames), "every": args.every,
              "mediapipe": version, "machine": {**cpu_summary(), "load": os.getloadavg()},
              "results": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "prelabel.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# MediaPipe {version} hand pre-labels: {args.video.name}, {len(frames)} frames "
             f"(every {args.every}th), x{args.repeats}",
             "", f"Machine: {report['machine']['cpu']}, {os.cpu_count()} cores, load "
             f"{report['machine']['load'][0]:.2f}. Times include the pipe to the worker.", "",
             "| size, cores | median ms | p90 ms | frames with a hand | hands/frame |",
             "|---|---|---|---|---|"]
    lines += [f"| {name} | {r['median_ms']} | {r['p90_ms']} | {r['frames_with_hand']} | "
              f"{r['hands_per_frame']} |" for name, r in rows.items()]
    (RESULTS / "prelabel.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
