"""Benchmark: bf16 mixed precision against float32 for the kit's training step (issue 12).

The kit's default training model (``TrainConfig``'s architecture, started from the shipped
``hands`` weights, the default start) on real frames (fingers, grouped split), built by
``detector.model.training_models`` twice: in float32, and in bfloat16 (a float32 model
trained by its bf16 twin, as ``gesturekit train --precision bfloat16`` runs). Both start
from the same weights and train on the same batches in the same order; their steps are
timed in alternating blocks in one process, so both see the same machine load. Then each
float32 model is scored by the kit's evaluator on the val split.

Results: ``bench/results/bf16.{json,md}``: seconds per step and images/s of each, the
ratio, the loss of both along the run, and val mAP@0.5 of both after it.

    .venv/bin/python bench/bench_bf16.py [--steps 120] [--block 10] [--work DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_quality import prepare, score_detector  # noqa: E402
from gesturekit.runtime.benchmark import cpu_flags, cpu_summary, package_version  # noqa: E402

RESULTS = REPO / "bench" / "results"
POLICIES = ("float32", "bfloat16")  # detector.precision's names


def run(root: Path, steps: int, block: int) -> dict:
    from detector import compat  # noqa: F401
    import tensorflow as tf

    from detector.card import detector_card
    from detector.config import TrainConfig, resolved
    from detector.engine import KerasModel
    from detector.loop import compiled_step
    from detector.model import prediction_model, shapes_callback, training_models
    from detector.train import training_generators
    from voc_tools.classes import read_classes

    classes = read_classes(root / "classes.txt")
    config = resolved(TrainConfig(root=str(root), out=str(root.parent / "unused")))
    tf.keras.utils.set_random_seed(0)
    built = {policy: training_models(config, len(classes), config.weights, policy)
             for policy in POLICIES}
    start_weights = built["float32"][0].get_weights()
    generator, _ = training_generators(config, classes, [])
    generator.compute_shapes = shapes_callback(built["float32"][0])
    batches = [generator[i % len(generator)] for i in range(steps)]
    train_steps = {policy: compiled_step(*pair) for policy, pair in built.items()}
    for policy in POLICIES:  # trace once, untimed, then both start from the same weights
        train_steps[policy](batches[0])
        for model in built[policy]:
            model.set_weights(start_weights)
    seconds = {policy: 0.0 for policy in POLICIES}
    cpu = {policy: 0.0 for policy in POLICIES}
    losses: dict[str, list[float]] = {policy: [] for policy in POLICIES}
    for start in range(0, steps, block):
        order = POLICIES if (start // block) % 2 == 0 else POLICIES[::-1]
        for policy in order:
            wall, used = time.perf_counter(), time.process_time()
            for batch in batches[start:start + block]:
                logs = train_steps[policy](batch)
                losses[policy].append(float(logs["loss"]))
            seconds[policy] += time.perf_counter() - wall
            cpu[policy] += time.process_time() - used
        print(f"{start + block}/{steps} steps", {p: round(losses[p][-1], 3) for p in POLICIES},
              flush=True)
    card = detector_card(classes, config.backbone, config.image_min_side,
                         config.image_max_side, "training", canvas=generator.canvas)
    scores = {}
    for policy in POLICIES:
        detector = KerasModel(prediction_model(built[policy][0]), card, name=policy)
        scores[policy] = score_detector(detector, root, "val")
    rows = {policy: {"s_per_step": round(seconds[policy] / steps, 4),
                     "images_per_s": round(steps * config.batch_size / seconds[policy], 2),
                     "cpu_s_per_step": round(cpu[policy] / steps, 4),
                     "first_loss": round(losses[policy][0], 4),
                     "mean_loss_last_block": round(float(np.mean(losses[policy][-block:])), 4),
                     "val_map50": scores[policy]["map50"],
                     "val_ms_per_image": scores[policy]["ms_per_image"]}
            for policy in POLICIES}
    return {"config": {"backbone": config.backbone, "head_width": config.head_width,
                       "fpn_width": config.fpn_width, "batch_size": config.batch_size,
                       "image_sides": [config.image_min_side, config.image_max_side],
                       "weights": config.weights, "learning_rate": config.learning_rate,
                       "box_loss": config.box_loss, "optimizer": config.optimizer,
                       "canvas": list(generator.canvas), "steps": steps, "block": block},
            "rows": rows, "losses": losses,
            "speed_ratio_bf16_over_float32": round(rows["float32"]["s_per_step"]
                                                   / rows["bfloat16"]["s_per_step"], 3)}


def write_report(report: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bf16.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    meta, config = report["machine"], report["config"]
    lines = ["# bf16 mixed precision against float32: the kit's training step", "",
             f"Machine: {meta['cpu']}, {meta['cores']} cores, flags: "
             f"{', '.join(meta['cpu_flags']) or 'none'}; TensorFlow {meta['tensorflow']}. "
             "Written by `bench/bench_bf16.py`.", "",
             f"{config['backbone']}, head {config['head_width']}, pyramid "
             f"{config['fpn_width']}, batch {config['batch_size']} on a "
             f"{config['canvas'][0]}×{config['canvas'][1]} canvas, from `{config['weights']}`,"
             f" lr {config['learning_rate']:g}, {config['box_loss']} box loss, "
             f"{config['optimizer']}: {config['steps']} steps on fingers' grouped "
             f"train split, the same batches for both, timed in alternating blocks of "
             f"{config['block']}; val mAP@0.5 by the kit's evaluator after the steps.", "",
             "| precision | s/step | images/s | CPU s/step | first loss | mean loss, last block "
             "| val mAP@0.5 | val ms/image |", "|---|---|---|---|---|---|---|---|"]
    for policy, row in report["rows"].items():
        lines.append(f"| {policy} | " + " | ".join(str(row[key]) for key in (
            "s_per_step", "images_per_s", "cpu_s_per_step", "first_loss",
            "mean_loss_last_block", "val_map50", "val_ms_per_image")) + " |")
    lines += ["", f"Speed ratio (float32 s/step over bf16's): "
              f"**{report['speed_ratio_bf16_over_float32']}**"]
    (RESULTS / "bf16.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--block", type=int, default=10)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "train")
    args = parser.parse_args()
    if args.steps < 1 or args.block < 1:
        parser.error("--steps and --block must be at least 1")
    args.work.mkdir(parents=True, exist_ok=True)
    root = prepare(args.work, "fingers", "grouped", args.work / "log.txt")
    report = {"machine": {**cpu_summary(), "cpu_flags": cpu_flags(),
                          "tensorflow": package_version("tensorflow"),
                          "load_average_start": os.getloadavg()[0]},
              **run(root, args.steps, args.block)}
    write_report(report)
    print((RESULTS / "bf16.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
