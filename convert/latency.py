"""Latency of compiled models on one input: interleaved runs, median per model."""
from __future__ import annotations

import time
from typing import Callable

import numpy as np


def interleaved_median_ms(runners: dict[str, Callable[[], object]], rounds: int = 30,
                          warmup: int = 3) -> dict[str, float]:
    """Median milliseconds per call of each runner, run in turn so drift hits all alike."""
    for _ in range(warmup):
        for run in runners.values():
            run()
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - start) * 1000.0)
    return {name: round(float(np.median(values)), 3) for name, values in times.items()}
