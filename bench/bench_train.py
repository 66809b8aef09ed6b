"""Benchmark: training step throughput, the kit's loop against Keras' fit over the generator.

Two ways to train the same keras-retinanet model on the same batches:

* ``kit``: ``detector.loop.fit``, the kit's loop since issue 12: one compiled step of
  static shape (the generator pads every batch to one canvas), NumPy batches made in the
  main thread between steps;
* ``keras_fit``: ``model.fit(generator)``, the path the kit took before and that stock
  keras-retinanet's ``train.py`` takes (Keras wraps the ``Sequence`` in
  ``tf.data.Dataset.from_generator``).

For each configuration, in one process per arm (arms interleaved, ``--repeats`` each), after
``--warmup`` steps: images/s, CPU seconds per image (user+sys, with system time apart),
CPU utilisation (CPU seconds / wall seconds / cores), and the share of a step spent making
its batch (timed in the kit's loop; the Keras path makes batches in its own threads).

Configurations: ``main`` (the main job's: sample, mobilenet128_0.5, head 32, 128x171,
batch 8) and ``fingers`` (the real fingers set on its grouped split, at 288x384 with the
issue-8 recipe: mobilenet224_1.0, head 64, batch 4). Not measured here: stock train.py
as a process of its own, Ultralytics, and the per-epoch mAP curves (bench_quality has
curves at an equal CPU budget).

    .venv/bin/python bench/bench_train.py [--steps 40] [--warmup 5] [--repeats 2]
        [--configs main fingers] [--work DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_frames import cpu_model  # noqa: E402
from bench.bench_quality import ENV, gesturekit, prepare  # noqa: E402

RESULTS = REPO / "bench" / "results"
CONFIGS = {
    "main": dict(backbone="mobilenet128_0.5", head_width=32, image_min_side=128,
                 image_max_side=171, batch_size=8),
    "fingers": dict(backbone="mobilenet224_1.0", head_width=64, image_min_side=288,
                    image_max_side=384, batch_size=4),
}
ARMS = ("kit", "keras_fit")


def sample_root(work: Path) -> Path:
    """The main job's dataset (run_sample.sh's steps), made once."""
    root = work / "main" / "voc"
    if (root / "ImageSets" / "Main" / "train.txt").is_file():
        return root
    base, log = work / "main", work / "log.txt"
    base.mkdir(parents=True, exist_ok=True)
    gesturekit("sample", str(base / "sample"), "--videos", "16", "--frames", "24", log=log)
    videos = sorted(str(video) for video in (base / "sample" / "videos").glob("*.mp4"))
    gesturekit("frames", *videos, str(base / "frames"), log=log)
    gesturekit("voc", "init", str(root), "--classes-file", str(base / "sample" / "classes.txt"),
               log=log)
    gesturekit("voc", "add", str(root), str(base / "frames"), "--annotations",
               str(base / "sample" / "annotations"), log=log)
    gesturekit("split", str(root), "--val", "0.3", "--seed", "0", log=log)
    return root


def cpu_seconds() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def measure(arm: str, root: str, config: dict, steps: int, warmup: int) -> dict:
    """In a child process: ``steps`` timed training steps after ``warmup`` ones."""
    import detector.compat  # noqa: F401
    from tensorflow import keras

    from detector.loop import compiled_step, endless_batches
    from detector.model import build_training_model, shapes_callback
    from detector.train import TrainConfig, _generators
    from voc_tools.classes import read_classes

    classes = read_classes(Path(root) / "classes.txt")
    train_config = TrainConfig(root=root, out="unused", weights="none", random_transform=True,
                               learning_rate=1e-3, **config)
    generator, _ = _generators(train_config, classes, [])
    model = build_training_model(train_config.backbone, len(classes), None, False, 1e-3,
                                 train_config.head_width)
    generator.compute_shapes = shapes_callback(model)
    batch_seconds = 0.0
    if arm == "kit":
        step, batches = compiled_step(model), endless_batches(generator)
        for _ in range(warmup):
            step(next(batches))
        wall, (user, system) = time.perf_counter(), cpu_seconds()
        for _ in range(steps):
            made = time.perf_counter()
            batch = next(batches)
            batch_seconds += time.perf_counter() - made
            float(step(batch)["loss"])
    else:
        class Clock(keras.callbacks.Callback):
            def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
                if batch + 1 == warmup:
                    self.start = time.perf_counter(), cpu_seconds()

        clock = Clock()
        model.fit(generator, steps_per_epoch=warmup + steps, epochs=1, verbose=0,
                  callbacks=[clock])
        wall, (user, system) = clock.start
    wall = time.perf_counter() - wall
    user_end, system_end = cpu_seconds()
    images = steps * train_config.batch_size
    cpu = (user_end - user) + (system_end - system)
    return {"images_per_s": round(images / wall, 2), "s_per_step": round(wall / steps, 3),
            "cpu_s_per_image": round(cpu / images, 3),
            "system_share_of_cpu": round((system_end - system) / cpu, 3),
            "cpu_utilisation": round(cpu / wall / (os.cpu_count() or 1), 3),
            "batch_making_share": (round(batch_seconds / wall, 3) if arm == "kit" else None),
            "canvas": list(generator.canvas)}


def run_arm(arm: str, root: Path, config: dict, steps: int, warmup: int) -> dict:
    spec = json.dumps({"arm": arm, "root": str(root), "config": config, "steps": steps,
                       "warmup": warmup})
    out = subprocess.run([sys.executable, __file__, "--child", spec], env=ENV, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def write_report(results: dict, meta: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "train.json").write_text(json.dumps({"machine": meta, "results": results},
                                                   indent=2) + "\n", encoding="utf-8")
    lines = ["# Training step throughput: the kit's loop vs Keras fit over the generator", "",
             f"Machine: {meta['cpu']}, {meta['cores']} cores, TensorFlow "
             f"{meta['tensorflow']}; {meta['steps']} timed steps after {meta['warmup']} "
             f"warm-up steps, median of {meta['repeats']} runs per arm (interleaved); load "
             f"average at start {meta['load_average_start'][0]:.2f}.", "",
             "| config | arm | images/s | s/step | CPU s/image | system share of CPU | "
             "CPU utilisation | batch-making share | canvas |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, arms in results.items():
        for arm, row in arms.items():
            if arm == "ratio_kit_over_keras_fit":
                continue
            share = "–" if row["batch_making_share"] is None else row["batch_making_share"]
            lines.append(f"| {name} | {arm} | {row['images_per_s']} | {row['s_per_step']} | "
                         f"{row['cpu_s_per_image']} | {row['system_share_of_cpu']} | "
                         f"{row['cpu_utilisation']} | {share} | "
                         f"{'×'.join(map(str, row['canvas']))} |")
        lines.append(f"| {name} | **kit / keras_fit** | **"
                     f"{arms['ratio_kit_over_keras_fit']}×** | | | | | | |")
    (RESULTS / "train.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        spec = json.loads(sys.argv[2])
        print(json.dumps(measure(spec["arm"], spec["root"], spec["config"], spec["steps"],
                                 spec["warmup"])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5, help="at least 1")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS),
                        default=list(CONFIGS))
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "train")
    args = parser.parse_args()
    if args.warmup < 1 or args.steps < 1 or args.repeats < 1:
        parser.error("--steps, --warmup and --repeats must be at least 1")
    import detector.compat  # noqa: F401
    import tensorflow as tf

    meta = {"cpu": cpu_model(), "cores": os.cpu_count(), "tensorflow": tf.__version__,
            "steps": args.steps, "warmup": args.warmup, "repeats": args.repeats,
            "load_average_start": os.getloadavg()}
    results: dict = {}
    for name in args.configs:
        root = (sample_root(args.work) if name == "main"
                else prepare(args.work, name, "grouped", args.work / "log.txt"))
        runs: dict[str, list[dict]] = {arm: [] for arm in ARMS}
        for repeat in range(args.repeats):
            for arm in (ARMS if repeat % 2 == 0 else ARMS[::-1]):
                runs[arm].append(run_arm(arm, root, CONFIGS[name], args.steps, args.warmup))
                print(name, arm, runs[arm][-1], flush=True)
        median = {arm: sorted(rows, key=lambda r: r["images_per_s"])[len(rows) // 2]
                  for arm, rows in runs.items()}
        median["ratio_kit_over_keras_fit"] = round(
            median["kit"]["images_per_s"] / median["keras_fit"]["images_per_s"], 2)
        results[name] = median
    write_report(results, meta)
    print((RESULTS / "train.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
