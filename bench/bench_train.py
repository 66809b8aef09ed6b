"""Benchmark: training throughput, the kit's loop against Keras fit, stock keras-retinanet's
own ``train.py`` and Ultralytics YOLOv8n.

Arms, each in a process of its own (interleaved over ``--repeats``), after ``--warmup`` steps:

* ``kit``: ``detector.loop.fit``, the kit's loop since issue 12: one compiled step of
  static shape (the generator pads every batch to one canvas), NumPy batches made in the
  main thread between steps, in the default precision (float32);
* ``kit_bf16``: the same in bf16 mixed precision (``--precision bfloat16``,
  ``detector.precision``);
* ``keras_fit``: ``model.fit(generator)`` on the same model and batches, the path the kit
  took before (Keras wraps the ``Sequence`` in ``tf.data.Dataset.from_generator``);
* ``stock_train_py``: keras-retinanet 1.0.0's own ``bin/train.py main()`` (csv mode, from
  a CSV of the same train list; ``--no-weights --random-transform --no-snapshots
  --no-evaluation``), as a user of the stock tutorial runs it. Only ``detector.compat``
  runs first (keras-resnet/efficientnet onto tf-keras, without which it does not import
  here), and a timing callback is appended to the callbacks stock makes. Stock has no head
  or pyramid width option: its model is the paper's 256/256;
* ``yolov8n``: Ultralytics YOLOv8n from ``yolov8n.yaml`` (``bench/yolo_arm.py`` in
  ``.venv-yolo``, imgsz 384, batch 8, ``--no-val``) for ``--yolo-cpu-seconds``; its own
  count of train images per second of its training loop.

For each: images/s, CPU seconds per image (user+sys, system time apart), CPU utilisation
(CPU seconds / wall seconds / cores) and, in the kit's loop, the share of a step spent
making its batch.

Configurations: ``main`` (the main job's: sample, mobilenet128_0.5, head 32, 128x171,
batch 8), ``fingers`` (the real fingers set on its grouped split, at 288x384 with the
issue-8 recipe: mobilenet224_1.0, head 64, batch 4), and each with a feature pyramid as
narrow as its head (``-fpn``; keras-retinanet's pyramid is 256 wide). Per-epoch mAP
curves at an equal CPU budget are ``bench/bench_quality.py``'s.

    .venv/bin/python bench/bench_train.py [--steps 30] [--warmup 3] [--repeats 1]
        [--configs main fingers ...] [--yolo-cpu-seconds 150] [--work DIR]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_quality import ENV, gesturekit, prepare, train_yolo  # noqa: E402
from gesturekit.runtime.benchmark import cpu_flags, cpu_summary, package_version  # noqa: E402

RESULTS = REPO / "bench" / "results"
MAIN = dict(backbone="mobilenet128_0.5", head_width=32, fpn_width=256, image_min_side=128,
            image_max_side=171, batch_size=8)
FINGERS = dict(backbone="mobilenet224_1.0", head_width=64, fpn_width=256, image_min_side=288,
               image_max_side=384, batch_size=4)
#: configuration -> (dataset, model settings, arms)
CONFIGS = {
    "main": ("main", MAIN, ("kit", "kit_bf16", "keras_fit")),
    "main-fpn": ("main", {**MAIN, "fpn_width": 32}, ("kit", "kit_bf16")),
    "fingers": ("fingers", FINGERS, ("kit", "kit_bf16", "keras_fit", "stock_train_py",
                                     "yolov8n")),
    "fingers-fpn": ("fingers", {**FINGERS, "fpn_width": 64}, ("kit", "kit_bf16")),
}
REFERENCES = ("keras_fit", "stock_train_py", "yolov8n")


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


class Clock:
    """Wall and CPU seconds from the end of the warm-up to the end of the timed steps."""

    def __init__(self) -> None:
        self.start: tuple[float, tuple[float, float]] | None = None
        self.end: tuple[float, tuple[float, float]] | None = None

    def begin(self) -> None:
        self.start = time.perf_counter(), cpu_seconds()

    def stop(self) -> None:
        self.end = time.perf_counter(), cpu_seconds()

    def row(self, images: int, batch_seconds: float | None, canvas: list | None) -> dict:
        if self.start is None or self.end is None:
            raise RuntimeError("the timed steps never ran")
        wall = self.end[0] - self.start[0]
        (user, system), (user_end, system_end) = self.start[1], self.end[1]
        cpu = (user_end - user) + (system_end - system)
        return {"images_per_s": round(images / wall, 2),
                "cpu_s_per_image": round(cpu / images, 3),
                "system_share_of_cpu": round((system_end - system) / cpu, 3),
                "cpu_utilisation": round(cpu / wall / (os.cpu_count() or 1), 3),
                "batch_making_share": (None if batch_seconds is None
                                       else round(batch_seconds / wall, 3)),
                "canvas": canvas}


def keras_clock(clock: Clock, warmup: int, last: int):  # type: ignore[no-untyped-def]
    """A Keras callback timing batches ``warmup`` + 1 .. ``last`` on ``clock``, then ending
    the run (stock's fit_generator is told one step more, so its epoch end is untimed)."""
    from tensorflow import keras

    class Timer(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if batch + 1 == warmup:
                clock.begin()
            elif batch + 1 == last:
                clock.stop()
                self.model.stop_training = True

    return Timer()


def measure(arm: str, root: str, config: dict, steps: int, warmup: int) -> dict:
    """In a child process: ``steps`` timed training steps after ``warmup`` ones."""
    if arm == "stock_train_py":
        return measure_stock(root, config, steps, warmup)
    import detector.compat  # noqa: F401

    from detector.loop import compiled_step, endless_batches
    from detector.model import shapes_callback, training_models
    from detector.precision import training_precision
    from detector.config import resolved
    from detector.train import TrainConfig, training_generators
    from voc_tools.classes import read_classes

    classes = read_classes(Path(root) / "classes.txt")
    train_config = resolved(TrainConfig(root=root, out="unused", weights="none",
                                        random_transform=True, learning_rate=1e-3, **config))
    generator, _ = training_generators(train_config, classes, [])
    precision = ("bfloat16" if arm == "kit_bf16" else training_precision(train_config.precision))
    model, step_model = training_models(train_config, len(classes), None, precision)
    generator.compute_shapes = shapes_callback(model)
    images, clock = steps * train_config.batch_size, Clock()
    if arm in ("kit", "kit_bf16"):
        step, batches = compiled_step(model, step_model), endless_batches(generator)
        for _ in range(warmup):
            step(next(batches))
        batch_seconds = 0.0
        clock.begin()
        for _ in range(steps):
            made = time.perf_counter()
            batch = next(batches)
            batch_seconds += time.perf_counter() - made
            float(step(batch)["loss"])
        clock.stop()
        return {**clock.row(images, batch_seconds, list(generator.canvas)),
                "precision": precision}
    model.fit(generator, steps_per_epoch=warmup + steps + 1, epochs=1, verbose=0,
              callbacks=[keras_clock(clock, warmup, warmup + steps)])
    return clock.row(images, None, list(generator.canvas))


def stock_csv(root: Path, out: Path) -> tuple[Path, Path]:
    """keras-retinanet's CSV annotations (integer pixel corners) and classes of the train
    list: what a stock user writes by hand to train on their own classes."""
    from voc_tools.classes import read_classes
    from voc_tools.layout import VocLayout
    from detector.ground_truth import read_ground_truth

    layout, classes = VocLayout(root), read_classes(Path(root) / "classes.txt")
    out.mkdir(parents=True, exist_ok=True)
    annotations, class_file = out / "annotations.csv", out / "classes.csv"
    with annotations.open("w", newline="") as handle:
        writer = csv.writer(handle)
        for image_id in layout.read_split("train"):
            truth = read_ground_truth(layout, image_id, classes)
            path = str(layout.image_path(image_id))
            rows = [[path, *(int(round(v)) for v in box), classes[int(label)]]
                    for box, label in zip(truth.boxes, truth.labels)
                    if round(box[2]) > round(box[0]) and round(box[3]) > round(box[1])]
            writer.writerows(rows or [[path, "", "", "", "", ""]])
    with class_file.open("w", newline="") as handle:
        csv.writer(handle).writerows([name, index] for index, name in enumerate(classes))
    return annotations, class_file


def measure_stock(root: str, config: dict, steps: int, warmup: int) -> dict:
    """keras-retinanet's own train.py main() on the train list (its model: 256/256)."""
    import detector.compat  # noqa: F401  (stock imports keras-resnet: onto tf-keras)
    import keras_retinanet.bin.train as stock

    annotations, classes = stock_csv(Path(root), Path(root).parent / "stock_csv")
    clock = Clock()
    make_callbacks = stock.create_callbacks

    def with_timer(*args, **kwargs):  # type: ignore[no-untyped-def]
        return make_callbacks(*args, **kwargs) + [keras_clock(clock, warmup, warmup + steps)]

    stock.create_callbacks = with_timer
    stock.main(["--backbone", config["backbone"], "--no-weights", "--random-transform",
                "--batch-size", str(config["batch_size"]),
                "--image-min-side", str(config["image_min_side"]),
                "--image-max-side", str(config["image_max_side"]),
                "--steps", str(warmup + steps + 1), "--epochs", "1", "--no-snapshots",
                "--no-evaluation", "csv", str(annotations), str(classes)])
    return clock.row(steps * config["batch_size"], None, None)


def measure_yolo(root: Path, work: Path, cpu_seconds_budget: float) -> dict:
    """YOLOv8n's training throughput on the YOLO export of the same train list."""
    (work / "yolo").mkdir(parents=True, exist_ok=True)
    train_yolo(root, work / "yolo", cpu_seconds_budget, work / "log.txt", "--no-val")
    arm = json.loads((work / "yolo" / "run" / "yolo_arm.json").read_text())
    return {"images_per_s": arm["train_images_per_s"],
            "cpu_s_per_image": round(1 / arm["train_images_per_cpu_s"], 3),
            "system_share_of_cpu": None, "cpu_utilisation": None, "batch_making_share": None,
            "canvas": [384, 384]}


def run_arm(arm: str, root: Path, config: dict, args: argparse.Namespace) -> dict:
    if arm == "yolov8n":
        return measure_yolo(root, root.parent, args.yolo_cpu_seconds)
    spec = json.dumps({"arm": arm, "root": str(root), "config": config, "steps": args.steps,
                       "warmup": args.warmup})
    done = subprocess.run([sys.executable, __file__, "--child", spec], env=ENV,
                          capture_output=True, text=True)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return {"failed": reason}
    return json.loads(done.stdout.strip().splitlines()[-1])


#: curve arm -> (throughput configuration whose pyramid it uses, changes to the recipe);
#: YOLOv8n is its own arm
CURVE_ARMS = {"fingers": ("fingers", {}), "fingers-fpn": ("fingers-fpn", {}),
              "fingers-fpn-ema": ("fingers-fpn", {"ema_decay": 0.998}),
              "fingers-fpn-mosaic": ("fingers-fpn", {"mosaic": 0.5}),
              "fingers-fpn-bf16": ("fingers-fpn", {"precision": "bfloat16"}),
              "fingers-fpn-seed1": ("fingers-fpn", {"seed": 1}),
              "fingers-fpn-mosaic-seed1": ("fingers-fpn", {"mosaic": 0.5, "seed": 1}),
              "fingers-fpn-gn": ("fingers-fpn", {"head_norm": "group"}),
              "fingers-fpn-gn-seed1": ("fingers-fpn", {"head_norm": "group", "seed": 1}),
              "fingers-fpn-giou": ("fingers-fpn", {"box_loss": "giou"}),
              "fingers-fpn-sgd": ("fingers-fpn", {"optimizer": "sgd", "learning_rate": 1e-2}),
              "fingers-fpn-giou-atss": ("fingers-fpn", {"box_loss": "giou", "assigner": "atss"}),
              "fingers-fpn-giou-csp": ("fingers-fpn", {"box_loss": "giou", "backbone": "csp_n"}),
              "fingers-fpn-giou-csp-seed1": ("fingers-fpn", {"box_loss": "giou", "backbone": "csp_n",
                                                             "seed": 1}),
              "yolov8n": ("", {})}


def curve_label(arm: str) -> str:
    """How the plot and table describe a kit curve arm."""
    config, changes = CURVE_ARMS[arm]
    extra = "".join(f", {key.replace('_', ' ')} {value}" for key, value in changes.items())
    return f"kit, pyramid {CONFIGS[config][1]['fpn_width']}{extra}"


def curves(work: Path, budget: float, arms: list[str]) -> dict:
    """Val mAP@0.5 per epoch against CPU seconds on the fingers grouped split: the kit's
    recipe (``bench_quality.RECIPE``) with each curve arm's pyramid and changes, and
    YOLOv8n, all under ``budget`` CPU seconds (``bench_quality``'s arms)."""
    from bench.bench_quality import RECIPE, retinanet_arm, yolo_arm

    work.mkdir(parents=True, exist_ok=True)
    root, log = prepare(work, "fingers", "grouped", work / "log.txt"), work / "log.txt"
    out: dict = {}
    for arm in arms:
        folder = work / "curves" / arm
        if arm == "yolov8n":
            row = yolo_arm(root, "val", folder, budget, log)
        else:
            config, changes = CURVE_ARMS[arm]
            recipe = {**RECIPE, "fpn_width": CONFIGS[config][1]["fpn_width"], **changes}
            row = retinanet_arm(root, "val", folder / "run", budget, log, recipe=recipe)
        out[arm] = {key: row.get(key) for key in ("map50", "map50_95", "per_class_ap50",
                                                  "curve", "cpu_s", "wall_s", "images")}
        print("curve", arm, out[arm]["map50"], flush=True)
    return out


def plot_curves(rows: dict, budget: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    for arm, row in rows.items():
        points = [(p["cpu_s"] / 60, p["map50"]) for p in row["curve"]
                  if p.get("map50") is not None and p.get("cpu_s") is not None]
        label = (f"YOLOv8n (its own validator; kit's evaluator at the end: {row['map50']})"
                 if arm == "yolov8n" else
                 f"{curve_label(arm)} (final {row['map50']})")
        if points:
            axes.plot(*zip(*points), marker="o", label=label)
    axes.set(xlabel="CPU minutes (user+sys, evaluation included)", ylabel="val mAP@0.5",
             title=f"fingers, grouped split, {budget / 60:.0f} CPU-minute budget")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def ratios(results: dict) -> dict:
    """images/s of every kit row over each reference arm measured on the same dataset."""
    out: dict = {}
    for name, arms in results.items():
        dataset = CONFIGS[name][0]
        same_data = [rows for other, rows in results.items()
                     if CONFIGS[other][0] == dataset and other != name] + [arms]
        refs = {ref: row for rows in same_data  # this configuration's own rows win
                for ref, row in rows.items() if ref in REFERENCES and "images_per_s" in row}
        if "images_per_s" in arms.get("kit", {}):
            out[name] = {f"kit_over_{ref}": round(arms["kit"]["images_per_s"]
                                                   / row["images_per_s"], 2)
                         for ref, row in refs.items()}
    return out


def _cell(value: object) -> str:
    return "–" if value is None else "×".join(map(str, value)) if isinstance(value, list) \
        else str(value)


def write_report(report: dict) -> None:
    """train.json (everything measured so far) and train.md, curves.png beside them."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    results, meta = report.get("results", {}), report["machine"]
    report["ratios"] = ratios(results)
    (RESULTS / "train.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    lines = ["# Training throughput and curves: the kit, Keras fit, stock train.py, YOLOv8n",
             "", f"Machine: {meta['cpu']}, {meta['cores']} cores, TensorFlow "
             f"{meta['tensorflow']}. Written by `bench/bench_train.py`.", ""]
    if results:
        step = report["throughput"]
        lines += ["## Throughput", "", f"{step['steps']} timed steps after {step['warmup']} "
                  f"warm-up steps, median of {step['repeats']} runs per arm (interleaved); "
                  f"YOLOv8n: its training loop over {step['yolo_cpu_seconds']:.0f} "
                  f"CPU-seconds. Load average at start {step['load_average_start'][0]:.2f}.",
                  "", "| config | model | arm | images/s | CPU s/image | system share of CPU "
                  "| CPU utilisation | batch-making share | canvas |",
                  "|---|---|---|---|---|---|---|---|---|"]
    for name, arms in results.items():
        model = CONFIGS[name][1]
        for arm, row in arms.items():
            stock = arm == "stock_train_py"
            described = ("YOLOv8n" if arm == "yolov8n" else f"{model['backbone']}, "
                         f"head {256 if stock else model['head_width']}, "
                         f"pyramid {256 if stock else model['fpn_width']}")
            if "failed" in row:
                lines.append(f"| {name} | {described} | {arm} | failed: {row['failed']} "
                             "| | | | | |")
                continue
            shown = f"{arm} ({row['precision']})" if "precision" in row else arm
            lines.append(f"| {name} | {described} | {shown} | {row['images_per_s']} | "
                         + " | ".join(_cell(row[key]) for key in (
                             "cpu_s_per_image", "system_share_of_cpu", "cpu_utilisation",
                             "batch_making_share", "canvas")) + " |")
    if report["ratios"]:
        lines += ["", "Ratios (kit images/s over each reference arm on the same data):", ""]
        lines += [f"- {name}: " + ", ".join(f"{key.replace('kit_over_', '× ')} **{value}**"
                                             for key, value in refs.items())
                  for name, refs in report["ratios"].items()]
    if "curves" in report:
        budget = report["curve_cpu_seconds"]
        lines += ["", "## Val mAP@0.5 against CPU time", "",
                  f"fingers, grouped split, {budget:.0f} CPU-seconds per arm (user+sys, "
                  "start-up and per-epoch evaluation included; the kit's arms: "
                  "`bench_quality.RECIPE`, 150 steps of 4 per epoch; YOLOv8n: its defaults, "
                  "whole passes). The final mAP columns are the kit's evaluator on each "
                  "arm's last weights (YOLOv8n: its last.pt's predictions), like for like; "
                  "the curves are each arm's own per-epoch validation (YOLOv8n: Ultralytics' "
                  "validator, which scores higher than the kit's evaluator on the same "
                  "weights). The kit's arms stop after the batch that spends the budget and "
                  "then evaluate that cut epoch, hence points a little past the budget (arms "
                  "run before the loop honoured a mid-epoch stop finish their last epoch).",
                  "", "![curves](train_curves.png)", "",
                  "| arm | final mAP@0.5 | mAP@0.5:0.95 | curve (CPU min: mAP@0.5) |",
                  "|---|---|---|---|"]
        machines = report.get("curve_machines", {})
        if machines:
            lines[-2:-2] = ["Curves measured on: " + "; ".join(
                f"{arm}: {m['cpu']}, {m['cores']} cores, flags "
                f"{', '.join(m.get('cpu_flags', m.get('bf16_flags', []))) or 'none'}"
                for arm, m in machines.items() if arm in report["curves"]) + ".", ""]
        for arm, row in report["curves"].items():
            curve = ", ".join(f"{p['cpu_s'] / 60:.0f}: {p['map50']:.2f}" for p in row["curve"]
                              if p.get("map50") is not None and p.get("cpu_s") is not None)
            lines.append(f"| {arm} | {row['map50']} | {row['map50_95']} | {curve} |")
    (RESULTS / "train.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        spec = json.loads(sys.argv[2])
        print(json.dumps(measure(spec["arm"], spec["root"], spec["config"], spec["steps"],
                                 spec["warmup"])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3, help="at least 1")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--configs", nargs="*", choices=list(CONFIGS), default=list(CONFIGS),
                        help="throughput configurations (none: curves only)")
    parser.add_argument("--yolo-cpu-seconds", type=float, default=150.0)
    parser.add_argument("--curve-cpu-seconds", type=float, default=0.0,
                        help="also train each curve arm for this many CPU seconds (0: no)")
    parser.add_argument("--curve-arms", nargs="+", choices=list(CURVE_ARMS),
                        default=list(CURVE_ARMS),
                        help="curve arms to (re)train; the others keep their saved curves")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "train")
    args = parser.parse_args()
    if args.warmup < 1 or args.steps < 1 or args.repeats < 1:
        parser.error("--steps, --warmup and --repeats must be at least 1")
    saved = RESULTS / "train.json"
    report = json.loads(saved.read_text()) if saved.is_file() else {}
    if "throughput" not in report:  # written before this layout: start afresh
        report = {}
    machine = {**cpu_summary(), "tensorflow": package_version("tensorflow"),
               "cpu_flags": cpu_flags()}
    if args.configs or "machine" not in report:
        report["machine"] = machine
    if args.configs:
        report["throughput"] = {"steps": args.steps, "warmup": args.warmup,
                                "repeats": args.repeats,
                                "yolo_cpu_seconds": args.yolo_cpu_seconds,
                                "load_average_start": os.getloadavg()}
        report["results"] = {}
    for name in args.configs:
        dataset, config, arms = CONFIGS[name]
        root = (sample_root(args.work) if dataset == "main"
                else prepare(args.work, dataset, "grouped", args.work / "log.txt"))
        runs: dict[str, list[dict]] = {arm: [] for arm in arms}
        for repeat in range(args.repeats):
            for arm in (arms if repeat % 2 == 0 else arms[::-1]):
                runs[arm].append(run_arm(arm, root, config, args))
                print(name, arm, runs[arm][-1], flush=True)
        report["results"][name] = {arm: sorted(rows, key=lambda r: r.get("images_per_s", 0))[
            len(rows) // 2] for arm, rows in runs.items()}
    if args.curve_cpu_seconds > 0:
        if report.get("curve_cpu_seconds") != args.curve_cpu_seconds:
            report["curves"] = {}  # curves of another budget are not comparable
        report["curve_cpu_seconds"] = args.curve_cpu_seconds
        for arm in args.curve_arms:
            report.setdefault("curve_machines", {})[arm] = machine
        report["curves"] = {**report.get("curves", {}),
                            **curves(args.work, args.curve_cpu_seconds, args.curve_arms)}
        plot_curves(report["curves"], args.curve_cpu_seconds, RESULTS / "train_curves.png")
    write_report(report)
    print((RESULTS / "train.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
