"""Benchmark: images/s of the training input pipeline, VocGenerator vs PascalVocGenerator.

Both keras-retinanet generators read the same VOC copy with the same settings (batch size,
image_min_side/max_side, the same numpy preprocessing, pyramid shapes from a real
mobilenet128_1.0 training model through ``detector.model.shapes_callback``) and the same
augmentation, seeded alike: flips only (``random_transform_generator(flip_x_chance=0.5)``),
or, on rf100's 640 px frames at the fine-tuning default 192/256 batch 8, what ``gesturekit
train`` uses by default (``detector.augment.augmentation``: transforms and colour
effects; stock applies the colour effects to the decoded image, ours to the resized one).
So each batch costs image loading + augmentation + resize + preprocessing + anchor
targets. Full epochs of ``generator[i]`` are timed, the two generators interleaved batch
by batch, over several epochs (the cache of ``VocGenerator`` fills in the first), fresh
generators for every repeat; medians reported.
Writes bench/results/pipeline.json and bench/results/pipeline.md.

    /work/venv/bin/python bench/bench_pipeline.py [--repeats 3] [--epochs 3] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from detector.data import VocGenerator  # noqa: E402  (imports the compat shim first)
from detector.augment import augmentation  # noqa: E402
from detector.card import preprocess_mode  # noqa: E402
from detector.model import build_training_model, shapes_callback  # noqa: E402
from detector.preprocess import normalize  # noqa: E402
from keras_retinanet.preprocessing.pascal_voc import PascalVocGenerator  # noqa: E402
from keras_retinanet.utils.transform import random_transform_generator  # noqa: E402

import numpy as np  # noqa: E402

from gesturekit.runtime.benchmark import (loadavg_1min_since, machine_summary,  # noqa: E402
                                          opencv_info)

RACCOON = REPO.parent / "shared" / "data" / "raccoon-voc"
RF100 = REPO.parent / "shared" / "data" / "rf100-hand-gestures-yolo"
RESULTS = REPO / "bench" / "results"
BACKBONE = "mobilenet128_1.0"
SEED = 0
GENERATORS = ("ours", "stock")
PACKAGES = ("tensorflow", "tf_keras", "keras-retinanet", "numpy", "pillow")  # versions recorded


@dataclass(frozen=True)
class Case:
    """One dataset at one input size."""

    dataset: str
    root: Path
    split: str
    classes: tuple[str, ...]
    batch_size: int
    min_side: int
    max_side: int
    augment: str = "flip"  # or "default": gesturekit train's transforms and colour effects

    @property
    def label(self) -> str:
        return (f"{self.dataset} {self.min_side}/{self.max_side} batch {self.batch_size}, "
                f"{self.augment}")


def gesturekit(*argv: str | Path, check: bool = True) -> None:
    """Run one ``gesturekit`` verb in a subprocess (the CLI chain of the tutorial)."""
    subprocess.run([sys.executable, "-m", "gesturekit", *map(str, argv)], check=check,
                   cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def build_sample(tmp: Path, videos: int, frames: int) -> Path:
    """sample -> frames -> voc init -> voc add -> split; returns the VOC root."""
    sample, frame_dir, voc = tmp / "sample", tmp / "frames", tmp / "sample-voc"
    gesturekit("sample", sample, "--videos", videos, "--frames", frames)
    gesturekit("frames", *sorted((sample / "videos").glob("*.mp4")), frame_dir)
    gesturekit("voc", "init", voc, "--classes-file", sample / "classes.txt")
    gesturekit("voc", "add", voc, frame_dir, "--annotations", sample / "annotations")
    gesturekit("split", voc, "--val", "0.3", "--seed", str(SEED))
    return voc


def copy_raccoon(tmp: Path, limit: int | None) -> tuple[Path, str]:
    """A writable copy of raccoon-voc with a classes.txt; a 'bench' split of ``limit`` ids."""
    root = Path(shutil.copytree(RACCOON, tmp / "raccoon-voc"))
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    (root / "classes.txt").write_text("raccoon\n", encoding="utf-8")
    if limit is None:
        return root, "train"
    ids = (root / "ImageSets" / "Main" / "train.txt").read_text().split()[:limit]
    (root / "ImageSets" / "Main" / "bench.txt").write_text("".join(f"{i}\n" for i in ids))
    return root, "bench"


def import_rf100(tmp: Path) -> tuple[Path, list[str]]:
    """rf100's YOLO export imported as a VOC root (``gesturekit voc import yolo``; it
    exits 1 because it skips one label file with an empty box, so the split is checked)."""
    root = tmp / "rf100"
    gesturekit("voc", "import", "yolo", RF100, root, check=False)
    if not (root / "ImageSets" / "Main" / "train.txt").is_file():
        raise RuntimeError(f"importing {RF100} made no train split")
    return root, (root / "classes.txt").read_text(encoding="utf-8").split()


def case_augmentation(case: Case) -> dict:
    """The case's transform and colour-effect generators, freshly seeded with SEED."""
    if case.augment == "flip":
        return dict(transform_generator=random_transform_generator(
            prng=np.random.RandomState(SEED), flip_x_chance=0.5))
    np.random.seed(SEED)  # augmentation() seeds its transforms from the global generator
    transform, effects = augmentation(random_transform=True, strong=False)
    return dict(transform_generator=transform, visual_effect_generator=effects)


def make_generators(case: Case, model) -> dict:  # type: ignore[no-untyped-def]
    """Fresh generators (empty cache), identically seeded, each with its own shape memo."""
    mode = preprocess_mode(BACKBONE)
    made, construct_s = {}, {}
    for name in GENERATORS:
        common = dict(
            batch_size=case.batch_size, image_min_side=case.min_side,
            image_max_side=case.max_side, preprocess_image=lambda x: normalize(x, mode),
            compute_shapes=shapes_callback(model), **case_augmentation(case))
        random.seed(SEED)  # the groups are shuffled in __init__ with the global random
        start = time.perf_counter()
        if name == "ours":
            made[name] = VocGenerator(case.root, case.split, list(case.classes), **common)
        else:
            made[name] = PascalVocGenerator(
                str(case.root), case.split,
                classes={c: i for i, c in enumerate(case.classes)}, **common)
        construct_s[name] = time.perf_counter() - start
    if made["ours"].groups != made["stock"].groups:
        raise RuntimeError(f"{case.label}: the generators group the images differently")
    return {"generators": made, "construct_s": construct_s}


def compare_batches(batches: dict) -> str:
    """"shape" when the two batches differ in input shape (ours pads every batch to one
    fixed canvas, stock to the batch's largest image), "states" when they share it but not
    the anchor states (-1/0/1), else "same"."""
    (in_a, out_a), (in_b, out_b) = batches["ours"], batches["stock"]
    if in_a.shape != in_b.shape:
        return "shape"
    same = all(np.array_equal(a[..., -1], b[..., -1]) for a, b in zip(out_a, out_b))
    return "same" if same else "states"


def run_case(case: Case, model, repeats: int, epochs: int) -> dict:  # type: ignore[no-untyped-def]
    """Per repeat and epoch: seconds and images of each generator, batches interleaved."""
    runs = []
    compared = {"same": 0, "shape": 0, "states": 0}  # batches, by outcome
    for repeat in range(repeats):
        built = make_generators(case, model)
        gens = built["generators"]
        seconds = {name: [0.0] * epochs for name in GENERATORS}
        for epoch in range(epochs):
            if epoch:
                for gen in gens.values():
                    random.seed(SEED + epoch)
                    gen.on_epoch_end()
            for index in range(len(gens["ours"])):
                order = GENERATORS if (index + epoch + repeat) % 2 == 0 else GENERATORS[::-1]
                batches = {}
                for name in order:
                    start = time.perf_counter()
                    batches[name] = gens[name][index]
                    seconds[name][epoch] += time.perf_counter() - start
                compared[compare_batches(batches)] += 1
        images = len(gens["ours"]) * case.batch_size
        runs.append({"seconds": seconds, "images_per_epoch": images,
                     "construct_s": built["construct_s"],
                     "cached_images": len(gens["ours"]._cache)})
        print(f"{case.label} repeat {repeat}: " + "; ".join(
            f"{name} " + " ".join(f"{images / s:.1f}" for s in seconds[name])
            for name in GENERATORS) + " images/s per epoch", flush=True)
    return summarize(case, runs, epochs, compared)


def seconds_of(call) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def augment_seconds(gen, index: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds of augmentation + resize + preprocess on what ``gen.load_image`` returns
    (untimed), in keras-retinanet's order of calls."""
    image, annotations = gen.load_image(index), gen.load_annotations(index)

    def augment() -> None:
        images, annotation_list = gen.random_visual_effect_group([image], [annotations])
        gen.preprocess_group_entry(
            *gen.random_transform_group_entry(images[0], annotation_list[0]))

    return seconds_of(augment)


def component_costs(case: Case, model) -> dict:  # type: ignore[no-untyped-def]
    """Mean ms per image of load_image (ours cold, then cached), load_annotations, and of
    augment + resize + preprocess applied to what each generator's load_image returned."""
    gens = make_generators(case, model)["generators"]
    ours, stock = gens["ours"], gens["stock"]
    parts = {  # cold before cached: the order matters
        "ours_load_image_cold": lambda i: seconds_of(lambda: ours.load_image(i)),
        "ours_load_image_cached": lambda i: seconds_of(lambda: ours.load_image(i)),
        "stock_load_image": lambda i: seconds_of(lambda: stock.load_image(i)),
        "ours_load_annotations": lambda i: seconds_of(lambda: ours.load_annotations(i)),
        "stock_load_annotations": lambda i: seconds_of(lambda: stock.load_annotations(i)),
        "ours_augment_resize_preprocess": lambda i: augment_seconds(ours, i),
        "stock_augment_resize_preprocess": lambda i: augment_seconds(stock, i)}
    totals = dict.fromkeys(parts, 0.0)
    for index in range(ours.size()):
        for name, part in parts.items():
            totals[name] += part(index)
    return {"min_max_side": f"{case.min_side}/{case.max_side}", "augment": case.augment,
            **{name: round(1000 * t / ours.size(), 3) for name, t in totals.items()}}


def rate(images: int, seconds: float) -> float:
    return round(images / seconds, 1)


def summarize(case: Case, runs: list[dict], epochs: int, compared: dict) -> dict:
    images = runs[0]["images_per_epoch"]
    result = {"dataset": case.dataset, "split": case.split, "augment": case.augment,
              "batch_size": case.batch_size,
              "image_min_side": case.min_side, "image_max_side": case.max_side,
              "images_per_epoch": images, "epochs": epochs,
              "batches_compared": compared,
              "ours_cached_images": runs[0]["cached_images"]}
    for name in GENERATORS:
        per_run = [r["seconds"][name] for r in runs]
        result[name] = {
            "first_epoch_images_per_s": rate(images, statistics.median(s[0] for s in per_run)),
            "later_epochs_images_per_s": rate(images * (epochs - 1),
                                              statistics.median(sum(s[1:]) for s in per_run)),
            "all_epochs_images_per_s": rate(images * epochs,
                                            statistics.median(sum(s) for s in per_run)),
            "construct_s": round(statistics.median(r["construct_s"][name] for r in runs), 3),
            "epoch_runs_s": [[round(t, 3) for t in s] for s in per_run],
        }
    for period in ("first_epoch", "later_epochs", "all_epochs"):
        key = f"{period}_images_per_s"
        result[f"ratio_ours_over_stock_{period}"] = round(
            result["ours"][key] / result["stock"][key], 2)
    epochs_of = {"first_epoch": slice(0, 1), "later_epochs": slice(1, None)}
    for period, part in epochs_of.items():  # paired: both generators ran interleaved
        ratios = [sum(s[part]) / sum(o[part]) for o, s in zip(
            result["ours"]["epoch_runs_s"], result["stock"]["epoch_runs_s"])]
        result[f"per_repeat_ratio_range_{period}"] = [round(min(ratios), 2),
                                                      round(max(ratios), 2)]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per repeat (at least 2)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 repeat of 2 epochs on small subsets; "
                             "results go to a temporary folder, not bench/results")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.epochs = 1, 2
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the second shows the cache effect)")
    if not RACCOON.is_dir():
        print(f"raccoon-voc not found: {RACCOON}", file=sys.stderr)
        return 2

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="gk-bench-pipeline-") as tmp_name:
        tmp = Path(tmp_name)
        raccoon, raccoon_split = copy_raccoon(tmp, 16 if args.quick else None)
        sample = build_sample(tmp, *((2, 16) if args.quick else (4, 60)))
        cases = [Case("raccoon", raccoon, raccoon_split, ("raccoon",), 4, 160, 214),
                 Case("raccoon", raccoon, raccoon_split, ("raccoon",), 4, 480, 640),
                 Case("sample", sample, "train", ("grab", "drop"), 4, 160, 214)]
        if args.quick:
            cases = cases[::2]
        if RF100.is_dir():
            rf100, rf100_classes = import_rf100(tmp)
            cases.append(Case("rf100", rf100, "val" if args.quick else "train",
                              tuple(rf100_classes), 8, 192, 256, "default"))
        else:
            print(f"rf100 not found, its case skipped: {RF100}", file=sys.stderr)
        models, results, components = {}, [], {}
        for case in cases:
            if case.classes not in models:
                models[case.classes] = build_training_model(
                    BACKBONE, len(case.classes), weights=None, freeze_backbone=False,
                    learning_rate=1e-4)
            results.append(run_case(case, models[case.classes], args.repeats, args.epochs))
            if case.dataset not in components:
                components[case.dataset] = component_costs(case, models[case.classes])
    load = loadavg_1min_since(load_before)

    machine = {**machine_summary(PACKAGES), **opencv_info(), "loadavg_1min_before_after": load}
    report = {"backbone": BACKBONE, "repeats": args.repeats, "epochs": args.epochs,
              "quick": args.quick,
              "augment": {"flip": "random_transform_generator(flip_x_chance=0.5)",
                          "default": "detector.augment.augmentation(random_transform=True, "
                                     "strong=False): gesturekit train's default"},
              "machine": machine, "cases": results,
              "ms_per_image": components}
    out_dir = Path(tempfile.mkdtemp(prefix="gk-bench-quick-")) if args.quick else RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "pipeline.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "pipeline.md").write_text(markdown(report))
    print(markdown(report))
    print(f"written to {out_dir}")
    return 0


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        "# Training input pipeline: VocGenerator (ours) vs PascalVocGenerator (stock)",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, TensorFlow "
        f"{m['tensorflow']}, tf_keras {m['tf_keras']}, keras-retinanet "
        f"{m['keras-retinanet']}, OpenCV {m['opencv']} ({m['opencv_threads']} threads), "
        f"NumPy {m['numpy']}, Pillow {m['pillow']}.",
        f"1-min load average before/after: {m['loadavg_1min_before_after']} (a shared "
        "machine: other jobs were running; compare the ratios, not absolute numbers).",
        "",
        f"Full batches `generator[i]` (load, augmentation, resize, preprocessing, "
        f"anchor targets with shapes from a {report['backbone']} model), the two "
        f"generators interleaved batch by batch; {report['epochs']} epochs per repeat, "
        f"fresh generators each repeat, median of {report['repeats']} repeat(s)"
        + (" (QUICK smoke run on small subsets)" if report["quick"] else "") + ".",
        "",
        "| dataset, min/max side, batch, augmentation | images/epoch | ours 1st epoch "
        "| ours later epochs | stock 1st epoch | stock later epochs | ratio ours/stock 1st "
        "| ratio later | ratio all epochs |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in report["cases"]:
        lines.append(
            f"| {c['dataset']} ({c['split']}), {c['image_min_side']}/{c['image_max_side']}, "
            f"{c['batch_size']}, {c['augment']} | {c['images_per_epoch']} | "
            f"{c['ours']['first_epoch_images_per_s']} | {c['ours']['later_epochs_images_per_s']} "
            f"| {c['stock']['first_epoch_images_per_s']} | "
            f"{c['stock']['later_epochs_images_per_s']} | "
            f"{c['ratio_ours_over_stock_first_epoch']} | "
            f"{c['ratio_ours_over_stock_later_epochs']} | "
            f"{c['ratio_ours_over_stock_all_epochs']} |")
    lines += ["", "Augmentation: " + "; ".join(f"{name}: `{what}`"
                                             for name, what in report["augment"].items()) + "."]
    lines += ["", "Images/s; 'later epochs' = epochs 2 onwards together. Generator "
              "construction (not in the rates; ours reads every XML up front, stock reads "
              "each XML per batch and opens every image for its aspect ratio), seconds:", "",
              "| case | ours | stock | batches: same shape and anchor states / other shape "
              "(ours: one fixed canvas) / same shape, other anchor states |",
              "|---|---|---|---|"]
    for c in report["cases"]:
        n = c["batches_compared"]
        lines.append(f"| {c['dataset']} {c['image_min_side']}/{c['image_max_side']} | "
                     f"{c['ours']['construct_s']} | {c['stock']['construct_s']} | "
                     f"{n['same']} / {n['shape']} / {n['states']} |")
    lines += ["", "Per-repeat ratios ours/stock (each repeat runs both generators "
              "interleaved, so these pairs share the machine's load), min-max:", "",
              "| case | 1st epoch | later epochs |", "|---|---|---|"]
    for c in report["cases"]:
        first, later = (c[f"per_repeat_ratio_range_{p}"] for p in ("first_epoch",
                                                                    "later_epochs"))
        lines.append(f"| {c['dataset']} {c['image_min_side']}/{c['image_max_side']} | "
                     f"{first[0]}-{first[1]} | {later[0]}-{later[1]} |")
    lines += ["", "Where the time goes, mean ms per image over one pass of each split (ours "
              "cold = decode + cache insert, cached = copy out of the cache; augment = the "
              "case's augmentation + resize + preprocess of what that generator's load_image "
              "returned):", "",
              "| dataset (sides, augmentation) | ours load_image cold / cached "
              "| stock load_image | ours / stock load_annotations | ours / stock augment |",
              "|---|---|---|---|---|"]
    for dataset, ms in report["ms_per_image"].items():
        lines.append(f"| {dataset} ({ms['min_max_side']}, {ms['augment']}) | "
                     f"{ms['ours_load_image_cold']} / "
                     f"{ms['ours_load_image_cached']} | {ms['stock_load_image']} | "
                     f"{ms['ours_load_annotations']} / {ms['stock_load_annotations']} | "
                     f"{ms['ours_augment_resize_preprocess']} / "
                     f"{ms['stock_augment_resize_preprocess']} |")
    slower = [c for c in report["cases"]
              if min(c[f"ratio_ours_over_stock_{p}"] for p in ("first_epoch", "later_epochs"))
              < 1.0]
    if slower:
        lines += ["", "Ours measured slower than stock (ratio < 1) in: " + "; ".join(
            f"{c['dataset']} {c['image_min_side']}/{c['image_max_side']} (1st epoch "
            f"{c['ratio_ours_over_stock_first_epoch']}, later "
            f"{c['ratio_ours_over_stock_later_epochs']})" for c in slower) + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
