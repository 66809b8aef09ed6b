"""Benchmark: RetinaNet from scratch on few hand labels, the same plus pose pseudo-labels,
and the pose route alone, on one val split of hand labels.

On the synthetic sample (``gesturekit sample``, seed 0): the first ``--train-videos`` takes
are the user's hand labels, the next ``--val-videos`` takes the hand-labelled val split
(used only to measure), the rest are unlabelled video. Everything runs through the CLI:

* pose model: ``keypoints HAND --split train`` + ``pose-train`` (hand-labelled train only);
* pseudo root: ``pseudolabel UNLABELLED... --pose RUN --classes-from HAND --fit-boxes KP``;
* (a) ``train HAND`` from scratch (run_sample.sh's settings, 10 epochs x 50 steps);
* (b) ``train HAND --pseudo PSEUDO --pseudo-weight W`` with the same epochs x steps x batch
  (equal gradient steps; the CPU time of each training process is measured and reported);
* (c) the pose route alone: ``gesturekit.runtime.pose_detector.PoseDetector``.

(a) and (b) are trained with every seed of ``--seeds``. A control arm (first seed) trains
on the same frames as (b) with the sample's true boxes in place of the pseudo-labels: it
separates "more frames" from "noisier labels". ``--ablation`` adds (b) without the box fit
and weight, and without the weight (first seed only).

Each arm's final-epoch snapshot is converted and evaluated with
``detector.evaluate.collect`` on the val split (mAP@0.5, median ms per image of the
detector's ``detect``). The pseudo-labels are also scored against the sample's true boxes
(the "unlabelled" takes do have them). ``../shared/videos/hands.mp4`` (real hands, no
labels) is pseudo-labelled for hand-finding rate and speed only; plums/raccoon hold no
hands. Writes bench/results/pose.{json,md}.

    nice -n 5 .venv/bin/python bench/bench_pose.py [--work DIR] [--label-every 8]
        [--epochs 10 --steps 50] [--seeds 0 1] [--pseudo-weight 0.25] [--ablation]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gesturekit.runtime.benchmark import loadavg_1min_since, machine_summary  # noqa: E402

RESULTS = REPO / "bench" / "results"
HANDS_VIDEO = REPO.parent / "shared" / "videos" / "hands.mp4"
# run_sample.sh's settings (its epochs x steps are the arguments of this script)
TRAIN_SETTINGS = ["--backbone", "mobilenet128_0.5", "--weights", "none", "--head-width", "32",
                  "--image-min-side", "128", "--image-max-side", "171", "--batch-size", "8",
                  "--lr", "1e-3", "--random-transform"]


def gesturekit(*argv: str, log: Path) -> dict:
    """Run one CLI verb in a child process; its wall and CPU seconds (children included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("a") as handle:
        handle.write(f"\n$ gesturekit {' '.join(argv)}\n")
        handle.flush()
        done = subprocess.run([sys.executable, "-m", "gesturekit", *argv], stdout=handle,
                              stderr=subprocess.STDOUT, env=env, cwd=REPO)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"gesturekit {argv[0]} failed (exit {done.returncode}); see {log}")
    return {"wall_s": round(time.perf_counter() - start, 1),
            "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
                           1)}


def build_hand_root(work: Path, args: argparse.Namespace, log: Path) -> tuple[Path, list[Path]]:
    """The sample, the hand-labelled VOC root split by take, and the unlabelled videos."""
    sample, root = work / "sample", work / "hand"
    takes = args.train_videos + args.val_videos + args.unlabelled_videos
    gesturekit("sample", str(sample), "--videos", str(takes), "--frames", str(args.frames),
               "--seed", "0", log=log)
    videos = sorted((sample / "videos").glob("*.mp4"))
    labelled = videos[:args.train_videos + args.val_videos]
    gesturekit("frames", *map(str, labelled), str(work / "frames"), log=log)
    gesturekit("voc", "init", str(root), "--classes-file", str(sample / "classes.txt"), log=log)
    gesturekit("voc", "add", str(root), str(work / "frames"), "--annotations",
               str(sample / "annotations"), log=log)
    ids = sorted(p.stem for p in (root / "Annotations").glob("*.xml"))
    train_takes = {v.stem for v in labelled[:args.train_videos]}
    in_train = [i for i in ids if i.rsplit("_", 1)[0] in train_takes]
    lists = {"train": in_train[::args.label_every],  # the frames a user labelled by hand
             "val": [i for i in ids if i not in in_train]}
    lists["trainval"] = lists["train"] + lists["val"]
    for name, members in lists.items():
        (root / "ImageSets" / "Main" / f"{name}.txt").write_text(
            "".join(f"{i}\n" for i in members))
    return root, videos[len(labelled):]


def true_box_copy(pseudo: Path, truth: Path, out: Path) -> Path:
    """The pseudo root with each frame's true boxes (the control arm's data)."""
    shutil.copytree(pseudo, out)
    for xml in (out / "Annotations").glob("*.xml"):
        shutil.copyfile(truth / xml.name, xml)
    return out


def pseudo_quality(pseudo: Path, truth: Path) -> dict:
    """Pseudo boxes against the sample's true boxes (IoU >= 0.5, one-to-one)."""
    import numpy as np

    from detector.evaluate import box_overlaps
    from voc_tools.annotation import read_annotation

    def corners(boxes: list) -> np.ndarray:
        return np.array([[b.xmin, b.ymin, b.xmax, b.ymax] for b in boxes], float).reshape(-1, 4)

    counts = {"right": 0, "wrong_class": 0, "no_true_box": 0, "true_boxes_missed": 0}
    ious = []
    for xml in sorted((pseudo / "Annotations").glob("*.xml")):
        made, true = read_annotation(xml).boxes, read_annotation(truth / xml.name).boxes
        overlaps = box_overlaps(corners(made), corners(true))
        used: set[int] = set()
        for i, box in enumerate(made):
            j = int(overlaps[i].argmax()) if len(true) else -1
            if j < 0 or overlaps[i, j] < 0.5 or j in used:
                counts["no_true_box"] += 1
                continue
            used.add(j)
            ious.append(float(overlaps[i, j]))
            counts["right" if true[j].name == box.name else "wrong_class"] += 1
        counts["true_boxes_missed"] += len(true) - len(used)
    made_total = counts["right"] + counts["wrong_class"] + counts["no_true_box"]
    return {**counts, "precision": round(counts["right"] / max(made_total, 1), 3),
            "mean_iou_matched": round(statistics.fmean(ious), 3) if ious else None}


class Timed:
    """A detector whose ``detect`` calls are timed (ms), for ``detector.evaluate.collect``."""

    def __init__(self, detector) -> None:  # type: ignore[no-untyped-def]
        self.detector = detector
        self.ms: list[float] = []

    @property
    def classes(self) -> list[str]:
        return self.detector.classes

    def detect(self, image, score_threshold=0.05, max_detections=100):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        found = self.detector.detect(image, score_threshold, max_detections)
        self.ms.append((time.perf_counter() - start) * 1000)
        return found


def evaluate(detector, root: Path) -> dict:  # type: ignore[no-untyped-def]
    """mAP@0.5 on the val split and median ms per image (first image = warm-up, dropped)."""
    from detector.evaluate import collect, evaluate_detections
    from voc_tools.layout import VocLayout

    layout = VocLayout(root)
    timed = Timed(detector)
    detections, annotations = collect(timed, layout, layout.read_split("val"), progress=False)
    result = evaluate_detections(detections, annotations, detector.classes)
    return {"map": round(result.map, 4),
            "ap": {c.name: round(c.ap, 4) for c in result.classes},
            "ms_per_image": round(statistics.median(timed.ms[1:]), 1),
            "val_images": len(timed.ms)}


def train_arm(work: Path, name: str, root: Path, extra: list[str], seed: int,
              args: argparse.Namespace, log: Path) -> dict:
    """Train one RetinaNet arm, convert its final snapshot, evaluate it."""
    from detector.engine import load_detector
    from detector.run_log import read_metrics

    run = work / f"run_{name}_seed{seed}"
    cost = gesturekit("train", str(root), "--out", str(run), *TRAIN_SETTINGS,
                      "--epochs", str(args.epochs), "--steps", str(args.steps),
                      "--eval-every", str(args.eval_every), "--seed", str(seed), *extra,
                      log=log)
    rows = read_metrics(run)
    model = work / f"model_{name}_seed{seed}"
    gesturekit("convert", str(run / rows[-1]["snapshot"]), str(model), log=log)
    data = json.loads((run / "gesturekit.json").read_text())["extra"]["data"]
    maps = [float(r["map"]) for r in rows if r["map"]]
    return {"seed": seed, **evaluate(load_detector(model / "inference.h5"), root),
            "train_cpu_s": cost["cpu_s"], "train_wall_s": cost["wall_s"],
            "train_images": data["train_images"], "pseudo_images": data["pseudo_images"],
            "val_map_by_epoch": maps}


def summarize(runs: list[dict]) -> dict:
    """An arm over its seeds: mean mAP and AP, every run kept."""
    classes = runs[0]["ap"]
    return {"map_mean": round(statistics.fmean(r["map"] for r in runs), 4),
            "maps": [r["map"] for r in runs],
            "ap_mean": {c: round(statistics.fmean(r["ap"][c] for r in runs), 4)
                        for c in classes},
            "ms_per_image": round(statistics.median(r["ms_per_image"] for r in runs), 1),
            "train_cpu_s_mean": round(statistics.fmean(r["train_cpu_s"] for r in runs), 1),
            "train_wall_s_mean": round(statistics.fmean(r["train_wall_s"] for r in runs), 1),
            "train_images": runs[0]["train_images"], "pseudo_images": runs[0]["pseudo_images"],
            "runs": runs}


def real_video_rates(work: Path, pose_run: Path, every: int, log: Path) -> dict | None:
    """Pseudo-label the real hands.mp4 (no labels): hand-finding rate and cost only."""
    if not HANDS_VIDEO.is_file():
        return None
    out = work / "pseudo_hands_mp4"
    cost = gesturekit("pseudolabel", str(HANDS_VIDEO), "--out", str(out), "--pose", str(pose_run),
                      "--every", str(every), log=log)
    summary = [line for line in log.read_text().splitlines() if " frame(s) seen; " in line][-1]
    return {"video": HANDS_VIDEO.name, "every": every, "summary": summary, **cost}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="work folder (default: a new temp folder)")
    parser.add_argument("--train-videos", type=int, default=2)
    parser.add_argument("--val-videos", type=int, default=4)
    parser.add_argument("--unlabelled-videos", type=int, default=18)
    parser.add_argument("--frames", type=int, default=48, help="frames per take")
    parser.add_argument("--label-every", type=int, default=8,
                        help="hand labels on every K-th frame of the train takes (default 8)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--eval-every", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1],
                        help="training seeds of arms (a) and (b) (default 0 1)")
    parser.add_argument("--every", type=int, default=1, help="pseudolabel --every")
    parser.add_argument("--min-score", type=float, default=0.6, help="pseudolabel --min-score")
    parser.add_argument("--pseudo-weight", type=float, default=0.25,
                        help="train --pseudo-weight of arm (b) (default 0.25)")
    parser.add_argument("--ablation", action="store_true",
                        help="also arms without box fit and weight, without weight (first seed)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_pose-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "log.txt"
    load_before = os.getloadavg()
    print(f"work folder {work}; log {log}", flush=True)

    hand, unlabelled = build_hand_root(work, args, log)
    pose_run, keypoints = work / "pose_run", work / "keypoints.npz"
    cost_keypoints = gesturekit("keypoints", str(hand), "--split", "train", "--out",
                                str(keypoints), log=log)
    cost_pose = gesturekit("pose-train", str(keypoints), "--out", str(pose_run), "--quiet",
                           log=log)
    pseudo_roots, pseudo = {}, {}
    for name, extra in (("fitted", ["--fit-boxes", str(keypoints)]),
                        ("as_found", []))[:2 if args.ablation else 1]:
        root = pseudo_roots[name] = work / f"pseudo_{name}"
        cost = gesturekit("pseudolabel", *map(str, unlabelled), "--out", str(root), "--pose",
                          str(pose_run), "--classes-from", str(hand), "--every",
                          str(args.every), "--min-score", str(args.min_score), *extra,
                          log=log)
        summary = [line for line in log.read_text().splitlines() if " seen; " in line][-1]
        pseudo[name] = {"summary": summary, **cost,
                        "against_true_boxes": pseudo_quality(root, work / "sample" /
                                                             "annotations")}
        print(name, summary, flush=True)

    weighted = ["--pseudo", str(pseudo_roots["fitted"]), "--pseudo-weight",
                str(args.pseudo_weight)]
    control = true_box_copy(pseudo_roots["fitted"], work / "sample" / "annotations",
                            work / "control_true_boxes")
    plans = [("a_scratch", [], args.seeds), ("b_pseudo", weighted, args.seeds),
             ("control_true_boxes", ["--pseudo", str(control), "--pseudo-weight",
                                     str(args.pseudo_weight)], args.seeds[:1])]
    if args.ablation:
        plans += [("b_as_found_unweighted", ["--pseudo", str(pseudo_roots["as_found"])],
                   args.seeds[:1]),
                  ("b_fitted_unweighted", ["--pseudo", str(pseudo_roots["fitted"])],
                   args.seeds[:1])]
    arms = {}
    for name, extra, seeds in plans:
        runs = [train_arm(work, name, hand, extra, seed, args, log) for seed in seeds]
        arms[name] = summarize(runs)
        print(name, arms[name]["maps"], flush=True)
    from gesturekit.runtime.pose_detector import PoseDetector

    with PoseDetector(pose_run) as detector:
        arms["c_pose"] = evaluate(detector, hand)
    print("c_pose", arms["c_pose"], flush=True)
    real = real_video_rates(work, pose_run, 10, log)

    takes = args.train_videos + args.val_videos + args.unlabelled_videos
    report = {
        "machine": {**machine_summary(["tensorflow"]), "nice": os.nice(0),
                    "loadavg_1min_before_after": loadavg_1min_since(load_before)},
        "data": {"sample": f"gesturekit sample --videos {takes} --frames {args.frames} "
                           "--seed 0",
                 "train_videos": args.train_videos, "label_every": args.label_every,
                 "val_videos": args.val_videos,
                 "unlabelled_videos": args.unlabelled_videos},
        "training": {"settings": " ".join(TRAIN_SETTINGS), "epochs": args.epochs,
                     "steps": args.steps, "eval_every": args.eval_every, "seeds": args.seeds,
                     "equal": "epochs x steps x batch size (gradient steps)",
                     "pseudo_weight": args.pseudo_weight},
        "pose_model": {"keypoints": cost_keypoints, "pose_train": cost_pose},
        "pseudolabel": {"every": args.every, "min_score": args.min_score, **pseudo},
        "arms": arms, "real_video": real,
        "shared_data": {"plums-voc": "not applicable: no hands (plums)",
                        "raccoon-voc": "not applicable: no hands (raccoons)"},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pose.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "pose.md").write_text(markdown(report))
    print(markdown(report))
    return 0


ARM_NAMES = {
    "a_scratch": "(a) RetinaNet, hand labels only",
    "b_pseudo": "(b) RetinaNet, hand + pose pseudo-labels (boxes fitted, weight {w:g})",
    "control_true_boxes": "control: (b)'s frames with their true boxes (weight {w:g})",
    "b_as_found_unweighted": "ablation: (b) with boxes as found, weight 1",
    "b_fitted_unweighted": "ablation: (b) with boxes fitted, weight 1",
}


def markdown(r: dict) -> str:
    """The people's version of the report."""
    m, t, arms, p = r["machine"], r["training"], r["arms"], r["pseudolabel"]
    a, c = arms["a_scratch"], arms["c_pose"]
    lines = [
        "# Pose route and pose pseudo-labels vs RetinaNet from scratch (synthetic sample)", "",
        f"Machine: {m['cpu']}, {m['cores']} cores, nice {m['nice']}, 1-min load "
        f"{m['loadavg_1min_before_after'][0]} -> {m['loadavg_1min_before_after'][1]}; "
        f"TensorFlow {m['tensorflow']}, Python {m['python']}.", "",
        f"Data: `{r['data']['sample']}`; hand labels on 1 frame in "
        f"{r['data']['label_every']} of {r['data']['train_videos']} takes (train, {a['train_images']} frames), {r['data']['val_videos']} takes (val, "
        f"{c['val_images']} frames, the only labels measured on); "
        f"{r['data']['unlabelled_videos']} takes treated as unlabelled video.", "",
        f"RetinaNet: `{t['settings']}`, {t['epochs']} epochs x {t['steps']} steps; every arm "
        f"equal in {t['equal']}; seeds {t['seeds']}; the final epoch's snapshot is evaluated "
        "(no pick on val). ms/image: median `detect` time per val frame (Keras .h5; pose "
        "route: MediaPipe worker + Keras classifier).", "",
        "| route | train frames (hand + pseudo) | val mAP@0.5 (mean) | per seed | AP per class "
        "(mean) | ms/image | training CPU s (wall s), mean |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, arm in arms.items():
        if key == "c_pose":
            continue
        ap = ", ".join(f"{k} {v:.3f}" for k, v in arm["ap_mean"].items())
        name = ARM_NAMES[key].format(w=t["pseudo_weight"])
        lines.append(f"| {name} | {arm['train_images']} + {arm['pseudo_images']} | "
                     f"**{arm['map_mean']:.3f}** | {', '.join(f'{v:.3f}' for v in arm['maps'])}"
                     f" | {ap} | {arm['ms_per_image']} | {arm['train_cpu_s_mean']} "
                     f"({arm['train_wall_s_mean']}) |")
    ap = ", ".join(f"{k} {v:.3f}" for k, v in c["ap"].items())
    lines.append(f"| (c) pose route (MediaPipe + pose classifier) | keypoints of the "
                 f"{a['train_images']} hand-labelled frames | **{c['map']:.3f}** | - | {ap} | "
                 f"{c['ms_per_image']} | - |")
    lines += ["", "Val mAP by evaluated epoch: " + "; ".join(
        f"{key} seed {run['seed']}: {run['val_map_by_epoch']}"
        for key, arm in arms.items() if key != "c_pose" for run in arm["runs"]) + ".", ""]
    for name, made in ((k, v) for k, v in p.items() if isinstance(v, dict)):
        q = made["against_true_boxes"]
        lines += [f"Pseudo-labels, boxes {name.replace('_', ' ')} (`--every {p['every']} "
                  f"--min-score {p['min_score']:g}`): {made['summary']}; "
                  f"{made['cpu_s']} CPU s ({made['wall_s']} s wall). Against the sample's "
                  f"true boxes (IoU >= 0.5): {q['right']} right, {q['wrong_class']} wrong "
                  f"class, {q['no_true_box']} without a true box, {q['true_boxes_missed']} "
                  f"true boxes missed in kept frames; precision {q['precision']}, mean IoU "
                  f"of matched {q['mean_iou_matched']}.", ""]
    pm = r["pose_model"]
    lines += [f"Cost of (b) beyond training: keypoints {pm['keypoints']['cpu_s']} CPU s, "
              f"pose-train {pm['pose_train']['cpu_s']} CPU s, pseudolabel "
              f"{p['fitted']['cpu_s']} CPU s.", ""]
    real = r["real_video"]
    if real:
        lines += [f"Real video, no labels ({real['video']}, every {real['every']}th frame, "
                  f"sample-trained pose classifier: its classes mean nothing there): "
                  f"{real['summary']}; {real['cpu_s']} CPU s, {real['wall_s']} s wall.", ""]
    lines += [f"../shared/data: {v}" for v in r["shared_data"].values()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
