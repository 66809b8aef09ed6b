"""Speed of served models on video frames: sync latency and async (AsyncInferQueue)
throughput, pre- and post-processing included.

    python -m gesturekit.runtime.serve_benchmark VIDEO MODEL[=CARD] [MODEL[=CARD] ...] [--frames 200]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np



def read_frames(video: str | Path, count: int) -> list[np.ndarray]:
    """The first ``count`` frames of a video (BGR)."""
    from voc_tools.frames import read_video_frames

    return list(read_video_frames(video, count))


def measure(served: Any, frames: list[np.ndarray], warmup: int = 5) -> dict[str, float]:
    """Median and p90 sync latency (ms per frame) and async throughput (frames/s)."""
    for frame in frames[:warmup]:
        served.infer(frame)
    latencies = []
    for frame in frames:
        start = time.perf_counter()
        served.infer(frame)
        latencies.append((time.perf_counter() - start) * 1000)
    for _ in served.stream(frames[:warmup]):
        pass
    start = time.perf_counter()
    count = sum(1 for _ in served.stream(frames))
    elapsed = time.perf_counter() - start
    return {"sync_ms_median": round(float(np.median(latencies)), 2),
            "sync_ms_p90": round(float(np.percentile(latencies, 90)), 2),
            "sync_fps": round(1000 / float(np.median(latencies)), 1),
            "async_fps": round(count / elapsed, 1),
            "async_requests": int(served.settings("THROUGHPUT")["requests"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video")
    parser.add_argument("models", nargs="+", metavar="MODEL[=CARD]")
    parser.add_argument("--frames", type=int, default=200)
    args = parser.parse_args(argv)
    from voc_tools.errors import run_reporting_errors

    return run_reporting_errors("gesturekit.runtime.serve_benchmark", lambda: _benchmark(args))


def _benchmark(args: argparse.Namespace) -> None:
    from .server import ModelServer

    frames = read_frames(args.video, args.frames)
    server = ModelServer()
    for spec in args.models:
        model, _, card = spec.partition("=")
        name = f"{Path(model).parent.name}/{Path(model).stem}"
        served = server.add(name, model, card or None)
        print(json.dumps({"model": model, "frames": len(frames), **served.settings(),
                          **measure(served, frames)}))


if __name__ == "__main__":
    sys.exit(main())
