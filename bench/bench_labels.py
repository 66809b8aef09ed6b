"""Benchmark: how many labelled frames a detector needs, fine-tuned from the shipped hand
detector (``--weights hands``, the default recipe) against the same network from random
weights, on a real shared set's grouped split.

For each count N (25, 50, 100, all) the first N ids of a seeded shuffle of the train list
are written as ``ImageSets/Main/train_nN.txt`` in the benchmark's own import of the set, and
``gesturekit train`` runs the same number of steps from each start (the default recipe;
from random weights with the kit's from-scratch learning rate for this network, 1e-3).
Scored by the kit's evaluator: the best per-epoch val mAP@0.5 of the run. Writes
``bench/results/labels.{json,md,png}``.

Caveat (in the table too): the shipped weights were pretrained with this set's train and
val images labelled ``hand`` (never its published test split), so this measures how fast
the classes are learned, not the transfer to an unseen set.

    nice -n 5 .venv/bin/python bench/bench_labels.py [--work DIR] [--set fingers]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_quality import SETS, gesturekit, prepare  # noqa: E402
from gesturekit.runtime.benchmark import machine_summary  # noqa: E402

RESULTS = REPO / "bench" / "results"
COUNTS = (25, 50, 100, None)  # None: every train image
STARTS = {"hands": [], "none": ["--weights", "none", "--lr", "1e-3"]}
EPOCHS, STEPS = 4, 60


def subset(root: Path, count: int | None, seed: int = 0) -> tuple[str, int]:
    """The train list of the first ``count`` ids of a seeded shuffle; its name and size."""
    main = root / "ImageSets" / "Main"
    ids = (main / "train.txt").read_text().split()
    if count is None or count >= len(ids):
        return "train", len(ids)
    random.Random(seed).shuffle(ids)
    name = f"train_n{count}"
    (main / f"{name}.txt").write_text("".join(f"{i}\n" for i in sorted(ids[:count])))
    return name, count


def best_map(run: Path) -> float:
    from detector.run_log import read_metrics

    return max(float(row["map"]) for row in read_metrics(run) if row["map"])


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [f"# Labelled frames needed: `{report['set']}`, grouped val", "",
             f"{m['cpu']}, {m['cores']} cores, Python {m['python']}. "
             f"`gesturekit train` defaults, {EPOCHS} epochs x {STEPS} steps of batch 8 from "
             "each start; best per-epoch val mAP@0.5 (the kit's evaluator) on "
             f"{report['val_images']} val images.", "",
             "| labelled train frames | from `hands` | from random weights | CPU s (hands / "
             "random) |", "|---|---|---|---|"]
    for row in report["rows"]:
        lines.append(f"| {row['frames']} | **{row['hands']['map50']:.3f}** | "
                     f"{row['none']['map50']:.3f} | {row['hands']['cpu_s']:.0f} / "
                     f"{row['none']['cpu_s']:.0f} |")
    lines += ["", report["caveat"], ""]
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = [row["frames"] for row in report["rows"]]
    figure, axes = plt.subplots(figsize=(5, 3.5))
    for start, label in (("hands", "from hands"), ("none", "from random weights")):
        axes.plot(frames, [row[start]["map50"] for row in report["rows"]], "o-", label=label)
    axes.set(xscale="log", xlabel="labelled train frames", ylabel="val mAP@0.5",
             title=f"{report['set']}, grouped val", ylim=(0, 1))
    axes.minorticks_off()
    axes.set_xticks(frames, [str(f) for f in frames])
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "labels")
    parser.add_argument("--set", default="fingers", choices=list(SETS))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    log = args.work / "log.txt"
    root = prepare(args.work, args.set, "grouped", log)
    val_images = len((root / "ImageSets" / "Main" / "val.txt").read_text().split())
    rows = []
    for count in COUNTS:
        split, frames = subset(root, count)
        row: dict = {"frames": frames}
        for start, extra in STARTS.items():
            run = args.work / f"{args.set}_{split}_{start}"
            print(f"{frames} frames from {start} ...", flush=True)
            spent = run / "bench_cost.json"
            if not spent.is_file():  # a re-run keeps the runs already finished
                cost = gesturekit("train", str(root), "--out", str(run), "--train-split",
                                  split, "--epochs", str(EPOCHS), "--steps", str(STEPS),
                                  "--keep-best", "0", *extra, log=log)
                spent.write_text(json.dumps(cost) + "\n")
            cost = json.loads(spent.read_text())
            row[start] = {"map50": round(best_map(run), 4), **cost}
            print(f"  best val mAP@0.5 {row[start]['map50']:.3f}", flush=True)
        rows.append(row)
    report = {"set": args.set, "val_images": val_images, "epochs": EPOCHS, "steps": STEPS,
              "machine": machine_summary(),
              "caveat": "The shipped weights were pretrained with this set's train and val "
                        "images labelled `hand` (never its published test split): this "
                        "measures how fast the classes are learned from them, not transfer "
                        "to an unseen set.",
              "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "labels.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "labels.md").write_text(markdown(report))
    plot(report, RESULTS / "labels.png")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
