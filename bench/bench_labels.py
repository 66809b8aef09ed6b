"""Benchmark: how many labelled frames a detector needs, fine-tuned from the shipped hand
detector (``--weights hands``, the default recipe) against the same network from random
weights, on a real shared set's grouped split.

For each count N (25, 50, 100, all) the first N ids of a seeded shuffle of the train list
are written as ``ImageSets/Main/train_nN.txt`` in the benchmark's own import of the set, and
``gesturekit train`` runs the same number of steps from each start (the default recipe;
from random weights with the kit's from-scratch learning rate for this network, 1e-3).
Scored by the kit's evaluator: the best per-epoch val mAP@0.5 of the run. Writes
``bench/results/labels_<set>.{json,md,png}``.

Caveat (in the table too): the shipped weights were pretrained with this set's train and
val images labelled ``hand`` (never its published test split), so that column measures how
fast the classes are learned, not the transfer to an unseen set. ``--unseen PATH`` adds the
transfer: a third start from a ``hands.h5`` rebuilt without the set
(``scripts/pretrain_hands.py --without SET``), with the same steps. ``--starts`` runs only
some starts and keeps the other starts' rows of the committed results (same set, epochs
and steps), so a new start needs no re-run of the old ones.

    nice -n 5 .venv/bin/python bench/bench_labels.py [--work DIR] [--set fingers]
        [--unseen work/hands-pretrain-without-fingers/card/hands.h5] [--starts unseen]
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
from detector.hands import hand_weights, hands_card  # noqa: E402
from gesturekit.runtime.benchmark import machine_summary  # noqa: E402

RESULTS = REPO / "bench" / "results"
COUNTS = (25, 50, 100, None)  # None: every train image
STARTS = {"hands": [], "none": ["--weights", "none", "--lr", "1e-3"]}
#: each start's column in the table and the plot
LABELS = {"hands": "from `hands`", "unseen": "from `hands` pretrained without this set",
          "none": "from random weights"}
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
    starts = report["starts"]
    lines = [f"# Labelled frames needed: `{report['set']}`, grouped val", "",
             f"{m['cpu']}, {m['cores']} cores, Python {m['python']}. "
             f"`gesturekit train` defaults, {EPOCHS} epochs x {STEPS} steps of batch 8 from "
             "each start; best per-epoch val mAP@0.5 (the kit's evaluator) on "
             f"{report['val_images']} val images.", "",
             "| labelled train frames | " + " | ".join(LABELS[s] for s in starts)
             + " | CPU s (" + " / ".join(starts) + ") |",
             "|---|" + "---|" * (len(starts) + 1)]
    for row in report["rows"]:
        maps = [f"{row[s]['map50']:.3f}" for s in starts]
        best = max(range(len(starts)), key=lambda i: row[starts[i]]["map50"])
        maps[best] = f"**{maps[best]}**"
        lines.append(f"| {row['frames']} | " + " | ".join(maps) + " | "
                     + " / ".join(f"{row[s]['cpu_s']:.0f}" for s in starts) + " |")
    lines += ["", report["caveat"], ""]
    if report.get("unseen_weights"):
        lines += [f"`unseen`: `--weights {report['unseen_weights']}`, "
                  f"{report['unseen_card']}", ""]
    if report.get("kept"):
        lines += ["Kept from the committed results, not re-run this time: "
                  + ", ".join(f"`{s}`" for s in report["kept"]) + ".", ""]
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = [row["frames"] for row in report["rows"]]
    figure, axes = plt.subplots(figsize=(5, 3.5))
    for start in report["starts"]:
        axes.plot(frames, [row[start]["map50"] for row in report["rows"]], "o-",
                  label=LABELS[start].replace("`", ""))
    axes.set(xscale="log", xlabel="labelled train frames", ylabel="val mAP@0.5",
             title=f"{report['set']}, grouped val", ylim=(0, 1))
    axes.minorticks_off()
    axes.set_xticks(frames, [str(f) for f in frames])
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def committed_rows(set_name: str) -> dict:
    """The committed results' rows by frame count, when they are of this set and recipe."""
    path = RESULTS / f"labels_{set_name}.json"
    if not path.is_file():
        return {}
    report = json.loads(path.read_text())
    if (report["set"], report["epochs"], report["steps"]) != (set_name, EPOCHS, STEPS):
        return {}
    return {row["frames"]: row for row in report["rows"]}


def unseen_card(weights: Path) -> str:
    """What the unseen start's weights were pretrained on (from their hands.json)."""
    card = hands_card(weights)
    data = ", ".join(f"{name} {d['images']}" for name, d in card["data"].items())
    return (f"pretrained by `{card['command']}` on {data} images "
            f"({card['training']['wall_minutes']} min on the 2 cores)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "labels")
    parser.add_argument("--set", default="fingers", choices=list(SETS))
    parser.add_argument("--unseen", type=Path, help="a hands.h5 rebuilt without --set "
                        "(scripts/pretrain_hands.py --without SET), its hands.json beside it")
    parser.add_argument("--starts", nargs="+", choices=list(LABELS),
                        help="run only these starts; keep the committed rows of the others")
    args = parser.parse_args()
    starts = {**STARTS}
    if args.unseen is not None:
        if hand_weights(str(args.unseen)) is None or not args.unseen.is_file():
            raise SystemExit(f"{args.unseen}: not a hands.h5 with its hands.json beside it")
        unseen_start = ["--weights", str(args.unseen.resolve())]
        starts = {"hands": STARTS["hands"], "unseen": unseen_start, "none": STARTS["none"]}
    if args.starts and not set(args.starts) <= set(starts):
        raise SystemExit("--starts unseen needs --unseen PATH")
    run_starts = [s for s in starts if args.starts is None or s in args.starts]
    committed = committed_rows(args.set)
    kept = [s for s in starts if s not in run_starts]
    missing = any(s not in row for s in kept for row in committed.values())
    if kept and (missing or not committed):
        raise SystemExit(f"no committed rows of {', '.join(kept)} for {args.set}; run them")
    args.work.mkdir(parents=True, exist_ok=True)
    log = args.work / "log.txt"
    root = prepare(args.work, args.set, "grouped", log)
    val_images = len((root / "ImageSets" / "Main" / "val.txt").read_text().split())
    rows = []
    for count in COUNTS:
        split, frames = subset(root, count)
        if kept and frames not in committed:
            raise SystemExit(f"no committed row of {frames} frames for {args.set}; run every "
                             "start")
        row: dict = {"frames": frames, **{s: committed[frames][s] for s in kept}}
        for start in run_starts:
            run = args.work / f"{args.set}_{split}_{start}"
            print(f"{frames} frames from {start} ...", flush=True)
            spent = run / "bench_cost.json"
            if not spent.is_file():  # a re-run keeps the runs already finished
                cost = gesturekit("train", str(root), "--out", str(run), "--train-split",
                                  split, "--epochs", str(EPOCHS), "--steps", str(STEPS),
                                  "--keep-best", "0", *starts[start], log=log)
                spent.write_text(json.dumps(cost) + "\n")
            cost = json.loads(spent.read_text())
            row[start] = {"map50": round(best_map(run), 4), **cost}
            print(f"  best val mAP@0.5 {row[start]['map50']:.3f}", flush=True)
        rows.append(row)
    report = {"set": args.set, "val_images": val_images, "epochs": EPOCHS, "steps": STEPS,
              "machine": machine_summary(), "starts": list(starts), "kept": kept,
              "caveat": "`hands`: the shipped weights were pretrained with this set's train "
                        "and val images labelled `hand` (never its published test split): "
                        "that column measures how fast the classes are learned from them, "
                        "not transfer to an unseen set"
                        + ("; `unseen` is the transfer." if args.unseen else "."),
              "rows": rows}
    if args.unseen is not None:
        unseen = args.unseen.resolve()
        report["unseen_weights"] = str(unseen.relative_to(REPO)
                                       if unseen.is_relative_to(REPO) else unseen)
        report["unseen_card"] = unseen_card(args.unseen)
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"labels_{args.set}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(report))
    plot(report, stem.with_suffix(".png"))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
