"""Benchmark: classification-loss spikes from random weights, keras-retinanet's heads
against GroupNorm heads (issue 12).

Every from-scratch curve of ``bench_train.py`` showed epochs whose mean classification loss
was 4-27 while the others sat near 0.5. This trains the curve recipe
(``bench_quality.RECIPE`` with the 64-wide pyramid) on fingers' grouped split once per
head norm, from the same seed and on the same batches, through the kit's own compiled
step, and records every step's losses (not the epoch's running mean) and how many anchors
were positive.

Results: ``bench/results/spikes.{json,md}``: steps with classification loss above
``SPIKE`` (3.0), the largest loss, and median losses per block of 200 steps.

    .venv/bin/python bench/bench_spikes.py [--steps 1200] [--work DIR]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_quality import RECIPE, prepare  # noqa: E402
from detector.config import HEAD_NORMS  # noqa: E402
from gesturekit.runtime.benchmark import cpu_summary, package_version  # noqa: E402

RESULTS = REPO / "bench" / "results"
SPIKE = 3.0  # classification loss; the step median is ~0.5 early in these runs
BLOCK = 200


def losses_per_step(root: Path, head_norm: str, steps: int) -> list[dict]:
    """Each step's losses and positive anchors for one head norm (seed and batches fixed)."""
    from detector import compat  # noqa: F401
    import tensorflow as tf

    from detector.config import TrainConfig, resolved
    from detector.loop import compiled_step, endless_batches
    from detector.model import shapes_callback, training_models
    from detector.train import training_generators
    from voc_tools.classes import read_classes

    classes = read_classes(root / "classes.txt")
    config = resolved(TrainConfig(root=str(root), out=str(root.parent / "unused"),
                                  **{**RECIPE, "fpn_width": 64, "head_norm": head_norm}))
    tf.keras.utils.set_random_seed(config.seed)
    train, _ = training_generators(config, classes, [])
    model, _ = training_models(config.backbone, len(classes), None, False,
                               config.learning_rate, config.head_width, config.fpn_width,
                               head_norm=head_norm)
    train.compute_shapes = shapes_callback(model)
    tf.keras.utils.set_random_seed(config.seed)  # building took random numbers: same batches
    step, batches, rows = compiled_step(model), endless_batches(train), []
    for index in range(steps):
        batch = next(batches)
        model.reset_metrics()  # the logs are then this step's losses
        logs = step(batch)
        rows.append({"classification": round(float(logs["classification_loss"]), 4),
                     "regression": round(float(logs["regression_loss"]), 4),
                     "positives": int((batch[1][1][..., -1] == 1).sum())})
        if index % 100 == 0:
            print(head_norm, index, rows[-1], flush=True)
    return rows


def summary(rows: list[dict]) -> dict:
    cls = [row["classification"] for row in rows]
    return {"spikes": sum(value > SPIKE for value in cls), "max_classification": max(cls),
            "fewest_positives": min(row["positives"] for row in rows),
            "median_classification": [round(statistics.median(cls[i:i + BLOCK]), 3)
                                      for i in range(0, len(rows), BLOCK)],
            "median_regression": [round(statistics.median(
                [row["regression"] for row in rows[i:i + BLOCK]]), 3)
                for i in range(0, len(rows), BLOCK)]}


def write_report(report: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "spikes.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    meta = report["machine"]
    lines = ["# Loss spikes from random weights: keras-retinanet's heads against GroupNorm heads",
             "", f"Machine: {meta['cpu']}, {meta['cores']} cores; TensorFlow "
             f"{meta['tensorflow']}. Written by `bench/bench_spikes.py`.", "",
             f"fingers, grouped split, `bench_quality.RECIPE` with a 64-wide pyramid (batch "
             f"{RECIPE['batch_size']}, Adam lr {RECIPE['learning_rate']:g}), {report['steps']} "
             f"steps from seed {RECIPE.get('seed', 0)}, the same batches for both; each step's "
             f"own losses. A spike: classification loss above {SPIKE}.", "",
             f"| head norm | spikes | largest | fewest positive anchors in a batch | median "
             f"classification loss per {BLOCK} steps | median regression loss per {BLOCK} steps |",
             "|---|---|---|---|---|---|"]
    for norm, row in report["summary"].items():
        lines.append(f"| {norm} | {row['spikes']} | {row['max_classification']} | "
                     f"{row['fewest_positives']} | "
                     f"{', '.join(map(str, row['median_classification']))} | "
                     f"{', '.join(map(str, row['median_regression']))} |")
    (RESULTS / "spikes.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "train")
    args = parser.parse_args()
    root = prepare(args.work, "fingers", "grouped", args.work / "log.txt")
    rows = {norm: losses_per_step(root, norm, args.steps) for norm in HEAD_NORMS}
    report = {"machine": {**cpu_summary(), "tensorflow": package_version("tensorflow")},
              "steps": args.steps, "summary": {norm: summary(r) for norm, r in rows.items()},
              "rows": rows}
    write_report(report)
    print((RESULTS / "spikes.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
