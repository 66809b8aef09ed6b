"""Benchmark: detection quality on REAL labelled hands, every route, equal CPU budgets.

Data: the two Roboflow YOLO exports in ``../shared/data`` (CC BY 4.0, see each SOURCE.md),
imported with ``gesturekit voc import yolo`` (which writes capture groups to sources.csv):

* ``grouped``: ``gesturekit split --val 0.25 --seed 0``; capture day / frame-number block
  never straddles train and val (fingers: train = one capture day, val = the others);
* ``published`` (rf100 only): the export's own train / test lists, where the public record
  (COCO-pretrained YOLOv5/7/8 on a GPU, mAP@0.5 0.995/0.995/0.994) was measured.

Arms (train on the variant's train list, measure on its val / test list):

* (a) ``retinanet``: the kit's CPU recipe from random weights (mobilenet224_1.0, head 64,
  288..384 px, batch 4, lr 1e-3, random transform), run by ``detector.train.train`` with
  a CPU-time budget: the cosine schedule runs over the budget's CPU seconds instead of a
  step count and training stops when the budget is spent (like Ultralytics' ``time=``);
  per-epoch val mAP and precise BN count towards the budget;
* (b) ``pose``: the pose route (``gesturekit keypoints`` -> ``pose-train`` -> the pose
  detector), no detector training; its CPU = keypoints + training;
* (c) ``part`` / ``part+pseudo``: 10 % of the train images (every 10th id) hand-labelled,
  the rest unlabelled; a pose model trained on the part pseudo-labels the rest
  (``gesturekit pseudolabel``), then RetinaNet as (a) on the part alone and on the part +
  pseudo-labels (pseudo frames drawn half as often as hand-labelled ones), same CPU
  budget each;
* (d) ``yolov8n``: Ultralytics YOLOv8n from ``yolov8n.yaml`` (random weights), imgsz 384,
  batch 8, same CPU budget, in its own environment (``scripts/setup_yolo_bench.sh``;
  ``bench/yolo_arm.py``) on ``gesturekit voc export yolo`` of the same lists.

Every arm is scored by the same code (``detector.evaluate``): mAP@0.5 (VOC all-points,
keras-retinanet's algorithm), COCO-style mAP@0.5:0.95 (the mean over IoU 0.50..0.95 of the
same all-points AP), per-class AP@0.5, and ms per image (one process, batch 1). Results
are written after every arm to ``WORK/results.json`` (a re-run skips arms already there)
and to ``bench/results/quality.{json,md}``.

    nice -n 5 .venv/bin/python bench/bench_quality.py [--work DIR] [--budget 600]
        [--sets fingers rf100] [--arms retinanet pose pseudo yolov8n] [--variants ...]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gesturekit.runtime.benchmark import machine_summary  # noqa: E402

RESULTS = REPO / "bench" / "results"
SHARED = REPO.parent / "shared" / "data"
SETS = {"fingers": "fingers-roboflow-yolo", "rf100": "rf100-hand-gestures-yolo"}
RECORD = {("rf100", "published"): {"YOLOv5": 0.995, "YOLOv7": 0.995, "YOLOv8": 0.994}}
IOUS = [0.5 + 0.05 * k for k in range(10)]
#: The kit's CPU recipe from random weights (the issue-8 real-frame configuration), with
#: keras-retinanet's 256-wide pyramid as in the committed table (the kit's default is now 64;
#: bench_train's curves compare the two), in float32, without mosaic, with
#: keras-retinanet's heads, smooth L1 box loss, Adam, IoU anchor assignment and outside
#: anchors ignored, as every committed arm was trained (bench_train's curve arms set
#: ``precision``, ``mosaic``, ``head_norm``, ``box_loss``, ``optimizer`` and ``assigner``).
RECIPE = dict(backbone="mobilenet224_1.0", weights="none", head_width=64, fpn_width=256,
              image_min_side=288, image_max_side=384, batch_size=4, learning_rate=1e-3,
              random_transform=True, lr_schedule="constant", steps=150, epochs=1000,
              keep_best=1, precision="float32", mosaic=0.0, head_norm="none",
              box_loss="smooth_l1", optimizer="adam", outside_anchors="ignore",
              assigner="iou")
PART_EVERY = 10
#: Pseudo frames drawn half as often as hand-labelled ones (the README: keep it below 1).
PSEUDO_WEIGHT = 0.5
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def run_child(argv: list[str], log: Path, python: str = sys.executable,
              ok: tuple[int, ...] = (0,)) -> dict:
    """Run a child process (output to ``log``); its wall and CPU seconds. An exit code
    outside ``ok`` raises."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with log.open("a") as handle:
        handle.write(f"\n$ {' '.join(argv)}\n")
        handle.flush()
        done = subprocess.run([python, *argv], stdout=handle, stderr=subprocess.STDOUT,
                              env=ENV, cwd=REPO)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv[:3])} failed (exit {done.returncode}); see {log}")
    return {"wall_s": round(time.perf_counter() - start, 1),
            "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
                           1)}


def gesturekit(*argv: str, log: Path, ok: tuple[int, ...] = (0,)) -> dict:
    return run_child(["-m", "gesturekit", *argv], log, ok=ok)


# --- data ----------------------------------------------------------------------------------

def prepare(work: Path, name: str, variant: str, log: Path) -> Path:
    """The VOC root of one set and split variant (imported once, then reused)."""
    root = work / name / variant
    if (root / "ImageSets" / "Main" / "train.txt").is_file():
        return root
    # exit 1: something was skipped (rf100's one sub-pixel box); the log lists it
    gesturekit("voc", "import", "yolo", str(SHARED / SETS[name]), str(root), log=log, ok=(0, 1))
    if variant == "grouped":
        gesturekit("split", str(root), "--val", "0.25", "--seed", "0", "--force", log=log)
    return root


def eval_split(variant: str) -> str:
    return "test" if variant == "published" else "val"


def part_root(root: Path, out: Path) -> tuple[Path, Path]:
    """(c): a copy of ``root`` whose train list is every 10th train id, and a folder with
    the other train images (the 'unlabelled' frames)."""
    from voc_tools.layout import VocLayout

    if (out / "ImageSets" / "Main" / "train.txt").is_file():
        return out, out.parent / "unlabelled"
    shutil.copytree(root, out)
    main = out / "ImageSets" / "Main"
    train = (root / "ImageSets" / "Main" / "train.txt").read_text().split()
    part = train[::PART_EVERY]
    (main / "train.txt").write_text("".join(f"{i}\n" for i in part))
    val = (main / "val.txt").read_text().split()
    (main / "trainval.txt").write_text("".join(f"{i}\n" for i in part + val))
    unlabelled = out.parent / "unlabelled"
    unlabelled.mkdir(exist_ok=True)
    layout = VocLayout(root)
    for image_id in sorted(set(train) - set(part)):
        image = layout.image_path(image_id)
        shutil.copy2(image, unlabelled / image.name)
    return out, unlabelled


# --- scoring -------------------------------------------------------------------------------

def score(detections: list, annotations: list, classes: list[str]) -> dict:
    """mAP@0.5, COCO mAP@0.5:0.95 and per-class AP@0.5 of collected detections."""
    import numpy as np

    from detector.evaluate import evaluate_detections

    results = [evaluate_detections(detections, annotations, classes, iou) for iou in IOUS]
    return {"map50": round(results[0].map, 4),
            "map50_95": round(float(np.mean([r.map for r in results])), 4),
            "per_class_ap50": {c.name: round(c.ap, 4) for c in results[0].classes
                               if c.num_annotations}}


def score_detector(detector, root: Path, split: str) -> dict:  # type: ignore[no-untyped-def]
    """Run any kit detector over a split (batch 1) and score it; ms per image included."""
    from detector.evaluate import collect
    from voc_tools.image_io import read_image_bgr
    from voc_tools.layout import VocLayout

    layout = VocLayout(root)
    ids = layout.read_split(split)
    detector.detect(read_image_bgr(layout.image_path(ids[0])))  # warm-up
    start = time.perf_counter()
    detections, annotations = collect(detector, layout, ids, progress=False)
    ms = 1000 * (time.perf_counter() - start) / len(ids)
    return {**score(detections, annotations, list(detector.classes)), "ms_per_image": round(ms, 1),
            "images": len(ids)}


def score_predictions(predictions: Path, root: Path, split: str) -> dict:
    """Score ``bench/yolo_arm.py``'s predictions.json against the same ground truth."""
    import numpy as np

    from detector.evaluate import ground_truth_by_class
    from voc_tools.classes import read_classes
    from voc_tools.layout import VocLayout

    layout = VocLayout(root)
    classes = read_classes(layout.classes_file)
    data = json.loads(predictions.read_text())
    kit_id = {name: index for index, name in enumerate(classes)}
    ids = layout.read_split(split)
    annotations = [ground_truth_by_class(layout, i, classes) for i in ids]
    detections = []
    for image_id in ids:
        rows = np.asarray(data["images"].get(layout.image_path(image_id).name, []),
                          np.float64).reshape(-1, 6)
        labels = np.array([kit_id[data["classes"][int(c)]] for c in rows[:, 5]], int)
        detections.append([rows[labels == k, :5] for k in range(len(classes))])
    return {**score(detections, annotations, classes), "images": len(ids)}


# --- arms ----------------------------------------------------------------------------------

def code_version() -> str | None:
    """The committed tree of ``detector/`` (what trains an arm), or None outside git.
    Uncommitted edits are not seen: commit before a run whose folder is to be reused."""
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD:detector"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def retinanet_arm(root: Path, split: str, out: Path, budget: float, log: Path,
                  pseudo: Path | None = None, recipe: dict | None = None) -> dict:
    """RetinaNet trained under ``budget`` CPU seconds with ``recipe`` (default RECIPE).
    A folder ``out`` that already holds a finished arm with the same spec (data, budget,
    recipe and ``detector/`` code) is not trained again: its saved result is returned.
    One with another spec, or saved before specs were kept, stops the bench."""
    spec = {"root": str(root), "out": str(out), "val_split": split, "budget": budget,
            "pseudo_root": str(pseudo) if pseudo else None, "recipe": recipe or RECIPE}
    result_path, cost_path = out / "bench_result.json", out / "bench_cost.json"
    spec_path = out / "bench_spec.json"
    saved = {**spec, "detector_code": code_version()}
    if result_path.is_file():  # trained before under this folder
        if not spec_path.is_file() or json.loads(spec_path.read_text()) != saved:
            raise SystemExit(f"{out}: holds an arm trained with another recipe, budget or "
                             "code; delete it or pick another --work")
        print(f"reusing the finished arm in {out} (delete it to train again)", flush=True)
        return {**json.loads(result_path.read_text()), **json.loads(cost_path.read_text())}
    cost = run_child([str(Path(__file__)), "_retinanet", json.dumps(spec)], log)
    cost_path.write_text(json.dumps(cost))
    spec_path.write_text(json.dumps(saved, indent=1))
    return {**json.loads(result_path.read_text()), **cost}


def _retinanet_child(spec: dict) -> None:
    """In a child process: train under the CPU budget, then score the last snapshot."""
    from detector.schedule import CpuBudgetSchedule
    from detector.engine import KerasModel
    from detector.inference import load_keras_model
    from detector.card import load_card
    from detector.model import prediction_model
    from detector.run_log import read_metrics
    from detector.train import TrainConfig, train

    config = TrainConfig(root=spec["root"], out=spec["out"], val_split=spec["val_split"],
                         pseudo_root=spec["pseudo_root"],
                         pseudo_weight=PSEUDO_WEIGHT if spec["pseudo_root"] else None,
                         **spec["recipe"])
    budget = CpuBudgetSchedule(config.learning_rate, spec["budget"])
    run = train(config, callbacks=[budget])
    train_cpu = time.process_time()
    metadata = load_card(run)
    snapshot = sorted((run / "snapshots").glob("epoch_*.h5"))[-1]
    model = prediction_model(load_keras_model(snapshot, config.backbone))
    result = score_detector(KerasModel(model, metadata), Path(config.root), config.val_split)
    curve = [{"epoch": int(r["epoch"]), "map50": round(float(r["map"]), 4),
              "cpu_s": cpu_s}
             for r, cpu_s in zip(read_metrics(run), budget.epoch_cpu_s)
             if r.get("map") not in (None, "")]
    result.update(train_cpu_s=round(train_cpu, 1), steps=budget.steps_done,
                  images_per_cpu_s=round(budget.steps_done * config.batch_size / train_cpu, 3),
                  curve=curve)
    (run / "bench_result.json").write_text(json.dumps(result, indent=1))


def pose_arm(root: Path, split: str, out: Path, log: Path, train_split: str = "train") -> dict:
    """(b): keypoints of the train and eval lists, pose-train, the pose detector scored."""
    out.mkdir(parents=True, exist_ok=True)
    keypoints = out / "hands.npz"
    cost = gesturekit("keypoints", str(root), "--out", str(keypoints), "--force", log=log)
    train_cost = gesturekit("pose-train", str(keypoints), "--out", str(out / "run"), log=log)
    from gesturekit.runtime.pose_detector import PoseDetector

    with PoseDetector(out / "run") as detector:
        result = score_detector(detector, root, split)
    return {**result, "cpu_s": round(cost["cpu_s"] + train_cost["cpu_s"], 1),
            "wall_s": round(cost["wall_s"] + train_cost["wall_s"], 1)}


def train_yolo(root: Path, out: Path, budget: float, log: Path, *options: str) -> dict:
    """YOLOv8n in .venv-yolo for ``budget`` CPU seconds on the YOLO export of ``root``'s
    lists (``bench/yolo_arm.py`` with ``options``); its wall and CPU seconds."""
    python = REPO / ".venv-yolo" / "bin" / "python"
    if not python.is_file():
        raise RuntimeError("no .venv-yolo: run scripts/setup_yolo_bench.sh first")
    export = out / "yolo_data"
    if not (export / "data.yaml").is_file():
        gesturekit("voc", "export", "yolo", str(root), str(export), log=log)
    return run_child([str(REPO / "bench" / "yolo_arm.py"), "--data", str(export / "data.yaml"),
                      "--out", str(out / "run"), "--cpu-seconds", str(budget), "--imgsz", "384",
                      "--batch", "8", *options], log, python=str(python))


def yolo_arm(root: Path, split: str, out: Path, budget: float, log: Path) -> dict:
    """(d): YOLOv8n trained under the budget, its predictions scored like every arm's."""
    cost = train_yolo(root, out, budget, log, "--predict-split",
                      "test" if split == "test" else "val")
    result = score_predictions(out / "run" / "predictions.json", root, split)
    return {**result, **cost, **yolo_fields(out)}


def yolo_fields(out: Path) -> dict:
    """Speed, budget and per-epoch curve of a YOLOv8n run, from its yolo_arm.json."""
    arm = json.loads((out / "run" / "yolo_arm.json").read_text())
    return {"ms_per_image": (arm.get("predict") or {}).get("ms_per_image"),
            "train_cpu_s": arm.get("cpu_seconds"), "epochs": arm.get("epochs_done"),
            "images_per_cpu_s": arm.get("train_images_per_cpu_s"),
            "curve": [{"epoch": r["epoch"], "map50": r.get("mAP50"), "cpu_s": r.get("cpu_s")}
                      for r in arm.get("epochs", [])],
            "versions": arm.get("versions")}


# --- report --------------------------------------------------------------------------------

def machine() -> dict:
    """What the quality benchmarks record of the machine (bench_hands_arch too)."""
    return {**machine_summary(["tensorflow"]), "load_average_start": os.getloadavg()}


ARM_TITLES = {"retinanet": "(a) RetinaNet from scratch, kit CPU recipe",
              "pose": "(b) pose route (MediaPipe + pose classifier)",
              "part": "(c) RetinaNet, 10% of train hand-labelled",
              "part+pseudo": "(c) same + pose pseudo-labels of the other 90%",
              "yolov8n": "(d) Ultralytics YOLOv8n from yolov8n.yaml"}


def write_report(results: dict, meta: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quality.json").write_text(json.dumps({"machine": meta, "results": results},
                                                     indent=1) + "\n")
    lines = ["# Quality on real labelled hands", "",
             f"Machine: {meta['cpu']}, {meta['cores']} cores; Python {meta['python']}, "
             f"TensorFlow {meta['tensorflow']}. CPU budget per trained arm: "
             f"{meta['budget_cpu_s']:.0f} CPU-seconds ({meta['budget_cpu_s'] / 60:.0f} "
             "CPU-minutes, user+sys, evaluation during training included). "
             "Written by `bench/bench_quality.py`. train img/CPU-s: RetinaNet, images trained "
             "over the whole run's CPU (start-up, first-epoch decoding and per-epoch "
             "evaluation included); YOLOv8n, over its training loop only.", "",
             "| set | split | arm | mAP@0.5 | mAP@0.5:0.95 | CPU s | train img/CPU-s | "
             "ms/image | per-class AP@0.5 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key, arms in results.items():
        name, variant = key.split("/")
        for arm, r in sorted(arms.items(), key=lambda item: list(ARM_TITLES).index(item[0])):
            if "error" in r:
                lines.append(f"| {name} | {variant} | {ARM_TITLES[arm]} | failed: {r['error']} "
                             "| | | | | |")
                continue
            per_class = ", ".join(f"{c} {v:.2f}" for c, v in r["per_class_ap50"].items())
            lines.append(f"| {name} | {variant} ({r['images']} images) | {ARM_TITLES[arm]} | "
                         f"{r['map50']:.3f} | {r['map50_95']:.3f} | {r.get('cpu_s', '')} | "
                         f"{r.get('images_per_cpu_s', '')} | {r.get('ms_per_image', '')} | "
                         f"{per_class} |")
        for model, value in RECORD.get((name, variant), {}).items():
            lines.append(f"| {name} | {variant} | public record: {model}, COCO-pretrained, "
                         f"GPU | {value:.3f} | | | | | |")
    curves = [(k, a, r["curve"]) for k, arms in results.items() for a, r in arms.items()
              if r.get("curve")]
    if curves:
        lines += ["", "Val mAP@0.5 per epoch during training (RetinaNet epochs are 150 steps "
                  "of 4 images; YOLOv8n epochs are whole passes, its own validator):", ""]
        for key, arm, curve in curves:
            points = ", ".join(f"{p['map50']:.2f}" for p in curve if p.get("map50") is not None)
            lines.append(f"- {key} {arm}: {points}")
    (RESULTS / "quality.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "_retinanet":
        _retinanet_child(json.loads(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "quality")
    parser.add_argument("--budget", type=float, default=600.0,
                        help="CPU seconds per trained arm (default 600)")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--variants", nargs="+", default=["grouped", "published"],
                        choices=["grouped", "published"])
    parser.add_argument("--arms", nargs="+", default=["retinanet", "yolov8n", "pose", "pseudo"],
                        choices=["retinanet", "yolov8n", "pose", "pseudo"])
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    log = args.work / "log.txt"
    store = args.work / "results.json"
    results = json.loads(store.read_text()) if store.is_file() else {}
    meta = {**machine(), "budget_cpu_s": args.budget}
    for key, arms in results.items():  # speed and curve of YOLO runs made before a fix
        if "map50" in arms.get("yolov8n", {}):
            name, variant = key.split("/")
            arms["yolov8n"].update(yolo_fields(args.work / name / f"{variant}-yolov8n"))
    for arm in args.arms:
        for name in args.sets:
            for variant in args.variants:
                if variant == "published" and name != "rf100":
                    continue  # the fingers set's own split has no record to compare with
                if variant == "published" and arm in ("pseudo",):
                    continue
                key = f"{name}/{variant}"
                done = results.setdefault(key, {})
                names = ["part", "part+pseudo"] if arm == "pseudo" else [arm]
                if all(n in done and "error" not in done[n] for n in names):
                    continue
                root = prepare(args.work, name, variant, log)
                split = eval_split(variant)
                out = args.work / name / f"{variant}-{arm}"
                print(f"{key}: {arm} ...", flush=True)
                try:
                    done.update(run_arm(arm, root, split, out, args.budget, log))
                except RuntimeError as err:
                    done[names[0]] = {"error": str(err)}
                store.write_text(json.dumps(results, indent=1))
                write_report(results, meta)
                for n in names:
                    r = done.get(n, {})
                    print(f"  {n}: " + (f"mAP@0.5 {r['map50']:.3f}, mAP@0.5:0.95 "
                                        f"{r['map50_95']:.3f}, CPU {r.get('cpu_s')} s"
                                        if "map50" in r else str(r.get("error"))), flush=True)
    write_report(results, meta)
    print(f"wrote {RESULTS / 'quality.md'}")
    return 0


def run_arm(arm: str, root: Path, split: str, out: Path, budget: float, log: Path) -> dict:
    if out.exists() and arm != "yolov8n":
        shutil.rmtree(out)
    if arm == "retinanet":
        return {"retinanet": retinanet_arm(root, split, out / "run", budget, log)}
    if arm == "yolov8n":
        return {"yolov8n": yolo_arm(root, split, out, budget, log)}
    if arm == "pose":
        return {"pose": pose_arm(root, split, out, log)}
    part, unlabelled = part_root(root, out / "part_root")
    alone = retinanet_arm(part, split, out / "run_part", budget, log)
    pose_cost = pose_arm(part, split, out / "pose", log)
    pseudo = out / "pseudo"
    gesturekit("pseudolabel", str(unlabelled), "--out", str(pseudo), "--pose",
               str(out / "pose" / "run"), "--classes-from", str(part), log=log)
    with_pseudo = retinanet_arm(part, split, out / "run_pseudo", budget, log, pseudo=pseudo)
    kept = len(list((pseudo / "Annotations").glob("*.xml")))
    with_pseudo.update(pseudo_images=kept, unlabelled_images=len(list(unlabelled.iterdir())),
                       pose_model_map50=pose_cost["map50"])
    return {"part": alone, "part+pseudo": with_pseudo}


if __name__ == "__main__":
    sys.exit(main())
