"""Rebuild the hand detector the kit ships (``--weights hands``) from ``../shared``.

    .venv/bin/python scripts/pretrain_hands.py [--work work/hands-pretrain] [--epochs 20]

One class, ``hand``, from:

* every labelled hand of ``fingers-roboflow-yolo`` and ``rf100-hand-gestures-yolo``
  (``gesturekit voc import yolo --class-map '*=hand'``), CC BY 4.0;
* the kit's synthetic sample (``gesturekit sample --seed 1``, other takes than the main
  job's), every gesture box as ``hand``;
* MediaPipe hand boxes of every 5th frame of ``../shared/videos/hands.mp4``
  (``gesturekit prelabel --hands``), trained on as pseudo-labels, never validated on.

Each source's published test split is held out (listed as ``test_<source>``, never
trained or validated on: a model fine-tuned from these weights is scored there). The rest
of each source is split on its own with ``gesturekit split``'s rule (capture groups kept
whole, so near-duplicate frames never straddle train and val; 20% to val); each source's
part of val is listed as ``val_<source>`` and scored on its own. Training is ``gesturekit train
--weights none --strong-augment`` with the architecture ``bench/bench_hands_arch.py``
chose. Every stage skips what an earlier sitting finished and training resumes from its
last snapshot, so an interrupted rebuild continues where it stopped. The end: the best
snapshot's weights in ``detector/weights/hands.h5`` and its card ``hands.json`` /
``HANDS.md`` with data, licences, recipe, time taken and the per-source AP
(``--no-install`` leaves the shipped files alone).

``--without fingers`` (or ``rf100``) leaves that set out of the data altogether, for honest
transfer numbers: weights that never saw the set they are then fine-tuned and scored on.
Such a run is never installed; its weights and card stay in its own work folder
(default ``work/hands-pretrain-without-<set>``).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.bench_quality import SETS, SHARED, gesturekit  # noqa: E402  (SHARED: ../shared/data)

VIDEO = SHARED.parent / "videos" / "hands.mp4"
#: the labelled sources, each scored on its own part of val
SOURCES = (*SETS, "sample")
#: bench/results/hands_arch.md: the candidate that runs >= 100 FPS end to end in INT8
ARCHITECTURE = dict(backbone="mobilenet224_0.5", head_width=32, fpn_width=32,
                    image_min_side=192, image_max_side=256)
RECIPE = dict(batch_size=8, learning_rate=1e-3, lr_schedule="cosine", weights="none",
              box_loss="smooth_l1", outside_anchors="ignore",
              strong_augment=True, val_fraction=0.2, seed=0, video_every=5,
              sample_videos=8, sample_frames=24, sample_seed=1)
ATTRIBUTION = {
    "fingers": ("Roboflow Universe 'hand-gesture-recognition-y5827' v6 by Lebanese "
                "University (lebanese-university-grkoz), via github.com/dwivedi1997/"
                "Hand-Gesture-YOLOv8", "CC BY 4.0"),
    "rf100": ("Roboflow 100 'hand-gestures-jps7z' v2 by Pablo Ochoa, Antonio Luna, Eliezer "
              "Alvarez, via github.com/msebastien/YOLO_ObjectDetection", "CC BY 4.0"),
    "sample": ("GestureKit's synthetic sample (gesturekit sample)", "the kit's licence"),
    "hands.mp4": ("../shared/videos/hands.mp4, boxes by MediaPipe Hands 0.10.14 "
                  "(Apache 2.0), unreviewed", "as the clip's"),
}

LIMITS = [
    "One class: it finds hands and does not name gestures; fine-tune it on your classes "
    "(gesturekit train ROOT --weights hands).",
    "Trained at 192..256 px, where the smallest anchor is 32 px: about 80 px of a 640x480 "
    "frame. Hands much smaller than that match no anchor well (from the anchor geometry; "
    "not measured).",
    "The data is close-up hands, one or two per image, mostly indoors: phone photos "
    "stretched to 224x224 (fingers), sign-language video frames and photos (rf100), "
    "synthetic renders and one webcam clip. Crowds, gloves and far-away hands are not in it.",
    "Much weaker on rf100's sign-language frames than on close-up photos (see the AP "
    "table), likely because rf100 often boxes the forearm or both hands together. "
    "MediaPipe's boxes (hands.mp4) are landmark extents grown by 15%. Fine-tuning on your "
    "labels moves the boxes to your convention.",
    "Scores are from a grouped split of each source; the published test splits of fingers "
    "and rf100 were held out of training and validation.",
]


def ids_of(root: Path) -> set[str]:
    return {p.stem for p in (root / "Annotations").glob("*.xml")}


def write_list(root: Path, name: str, ids: list[str]) -> None:
    (root / "ImageSets" / "Main" / f"{name}.txt").write_text("".join(f"{i}\n" for i in ids))


def labelled_root(work: Path, log: Path, sources: tuple[str, ...] = SOURCES) -> Path:
    """``sources`` (fingers + rf100 + the sample), all boxes ``hand``. Each source is
    imported into a root of its own and split there by its capture groups (one split of the
    merged root, stratified by its one class, can leave a source out of val), then added to
    the merged root, whose lists are the union of the sources' lists. Every step is
    idempotent."""
    root = work / "data" / "hands"
    lists: dict[str, list[str]] = {"train": [], "val": []}
    gesturekit("voc", "init", str(root), "--classes", "hand", log=log)
    for name in sources:
        own = work / "data" / name
        if name == "sample":
            own = sample_root(own, log)
        else:
            # exit 1: a box was skipped (rf100's one sub-pixel box); the log names it
            gesturekit("voc", "import", "yolo", str(SHARED / SETS[name]), str(own),
                       "--class-map", "*=hand", log=log, ok=(0, 1))
        held_out = published_test(own)
        gesturekit("split", str(own), "--val", str(RECIPE["val_fraction"]), "--seed",
                   str(RECIPE["seed"]), "--force", log=log)
        gesturekit("voc", "add", str(root), str(own / "JPEGImages"), "--annotations",
                   str(own / "Annotations"), log=log)
        parts = {s: [i for i in (own / "ImageSets" / "Main" / f"{s}.txt").read_text().split()
                     if i not in held_out] for s in lists}
        for subset, ids in parts.items():
            lists[subset] += ids
        write_list(root, name, sorted(ids_of(own) - held_out))
        write_list(root, f"val_{name}", parts["val"])
        write_list(root, f"test_{name}", sorted(held_out))
    write_list(root, "train", lists["train"])
    write_list(root, "val", lists["val"])
    write_list(root, "trainval", lists["train"] + lists["val"])
    return root


def published_test(own: Path) -> set[str]:
    """The ids of the set's published test split (never trained or validated on, so that
    a model fine-tuned from these weights can be scored there honestly); kept beside the
    import the first time, since the grouped split replaces the lists."""
    kept = own / "published_test.txt"
    if not kept.is_file():
        listed = own / "ImageSets" / "Main" / "test.txt"
        kept.write_text(listed.read_text() if listed.is_file() else "")
    return set(kept.read_text().split())


def sample_root(own: Path, log: Path) -> Path:
    """The kit's sample as a VOC root with every box a ``hand``."""
    sample = own.parent / "sample-videos"
    # seed 1: not the takes of the main job's sample (seed 0), which is scored on later
    gesturekit("sample", str(sample), "--videos", str(RECIPE["sample_videos"]),
               "--frames", str(RECIPE["sample_frames"]), "--seed", str(RECIPE["sample_seed"]),
               "--force", log=log)
    hand_xml = sample / "annotations-hand"
    relabel_as_hand(sample / "annotations", hand_xml)
    gesturekit("frames", *sorted(str(v) for v in (sample / "videos").glob("*.mp4")),
               str(sample / "frames"), log=log)
    gesturekit("voc", "init", str(own), "--classes", "hand", log=log)
    gesturekit("voc", "add", str(own), str(sample / "frames"), "--annotations",
               str(hand_xml), log=log)
    return own


def relabel_as_hand(src: Path, dest: Path) -> None:
    """The sample's XML with every box's class renamed to ``hand``."""
    from dataclasses import replace

    from voc_tools.annotation import read_annotation, write_annotation

    dest.mkdir(parents=True, exist_ok=True)
    for xml in sorted(src.glob("*.xml")):
        ann = read_annotation(xml)
        ann.boxes = [replace(box, name="hand") for box in ann.boxes]
        write_annotation(ann, dest / xml.name, overwrite=True)


def video_root(work: Path, log: Path) -> Path | None:
    """MediaPipe's hand boxes on every 5th frame of hands.mp4 (a pseudo-label root)."""
    root = work / "data" / "video"
    if (root / "done").is_file():
        return root
    if not VIDEO.is_file():
        print(f"no {VIDEO}: training without its pseudo-labelled frames", flush=True)
        return None
    subprocess.check_call([str(REPO / "scripts" / "setup_hands.sh")],
                          stdout=subprocess.DEVNULL)
    frames = work / "data" / "video-frames"
    gesturekit("frames", str(VIDEO), str(frames), "--every", str(RECIPE["video_every"]),
               log=log)
    gesturekit("voc", "init", str(root), "--classes", "hand", log=log)
    gesturekit("voc", "add", str(root), str(frames), log=log)
    gesturekit("prelabel", str(root), "--hands", "--class", "hand", log=log)
    (root / "done").write_text("")
    return root


def train(root: Path, pseudo: Path | None, run: Path, epochs: int, log: Path) -> dict:
    """Train (or resume) the run; CPU and wall seconds of this sitting added to the run's."""
    clock = run / "pretrain_time.json"
    spent = json.loads(clock.read_text()) if clock.is_file() else {"wall_s": 0, "cpu_s": 0}
    resume = run / "resume.json"
    if resume.is_file() and json.loads(resume.read_text()).get("epoch", 0) >= epochs:
        print(f"training: done ({epochs} epochs in {run})", flush=True)
        return spent  # a rerun after the run finished adds no time
    if resume.is_file() or (run / "train_config.json").is_file():
        argv = ["train", str(root), "--out", str(run), "--resume", "--epochs", str(epochs)]
    else:
        a, r = ARCHITECTURE, RECIPE
        argv = ["train", str(root), "--out", str(run), "--backbone", a["backbone"],
                "--head-width", str(a["head_width"]), "--fpn-width", str(a["fpn_width"]),
                "--image-min-side", str(a["image_min_side"]),
                "--image-max-side", str(a["image_max_side"]), "--weights", r["weights"],
                "--batch-size", str(r["batch_size"]), "--lr", str(r["learning_rate"]),
                "--lr-schedule", r["lr_schedule"], "--box-loss", r["box_loss"],
                "--outside-anchors", r["outside_anchors"],
                "--epochs", str(epochs),
                "--strong-augment", "--seed", str(r["seed"])]
        if pseudo is not None:
            argv += ["--pseudo", str(pseudo)]
    print(f"training ({'resumed' if '--resume' in argv else 'new'}); progress in {log}",
          flush=True)
    took = gesturekit(*argv, log=log)
    spent = {key: spent[key] + took[key] for key in spent}
    clock.write_text(json.dumps(spent) + "\n")
    return spent


def score(model: Path, root: Path, log: Path, sources: tuple[str, ...] = SOURCES) -> dict:
    """AP@0.5 of ``hand`` on each source's part of val."""
    scores = {}
    for name in sources:
        split = f"val_{name}"
        gesturekit("evaluate", str(model / "inference.h5"), str(root), "--split", split,
                   "--out", str(model), log=log)
        report = json.loads((model / f"eval_{split}.json").read_text())
        images = len((root / "ImageSets" / "Main" / f"{split}.txt").read_text().split())
        scores[name] = {"ap50": round(report["map"], 4), "val_images": images}
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="work folder (default "
                        "work/hands-pretrain, or work/hands-pretrain-without-SET)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--no-install", action="store_true",
                        help="leave detector/weights alone (the card goes to --work)")
    parser.add_argument("--without", choices=sorted(SETS),
                        help="leave this shared set out of the data (transfer numbers); "
                        "implies --no-install")
    args = parser.parse_args()
    sources = tuple(name for name in SOURCES if name != args.without)
    if args.work is None:
        suffix = f"-without-{args.without}" if args.without else ""
        args.work = REPO / "work" / f"hands-pretrain{suffix}"
    args.no_install = args.no_install or args.without is not None
    for name, folder in SETS.items():
        if not (SHARED / folder / "data.yaml").is_file():
            raise SystemExit(f"{SHARED / folder}: not found; the recipe needs ../shared")
    args.work.mkdir(parents=True, exist_ok=True)
    log = args.work / "log.txt"
    root = labelled_root(args.work, log, sources)
    pseudo = video_root(args.work, log)
    run = args.work / "run"
    spent = train(root, pseudo, run, args.epochs, log)
    model = args.work / "model"
    best = subprocess.check_output([sys.executable, "-m", "gesturekit", "best", str(run)],
                                   text=True)
    snapshot = Path(best.split("best: ", 1)[1].split()[0])
    gesturekit("convert", str(snapshot), str(model), "--force", log=log)
    scores = score(model, root, log, sources)

    from detector.hands import write_hands_card
    counts = {name: len((root / "ImageSets" / "Main" / f"{name}.txt").read_text().split())
              for name in sources}
    if pseudo is not None:
        counts["hands.mp4"] = len(ids_of(pseudo))
    card = {**ARCHITECTURE, "classes": ["hand"], "snapshot": snapshot.name,
            "recipe": {**RECIPE, "epochs": args.epochs},
            "command": "python scripts/pretrain_hands.py"
                       + (f" --without {args.without}" if args.without else ""),
            "training": {"wall_minutes": round(spent["wall_s"] / 60, 1),
                         "cpu_minutes": round(spent["cpu_s"] / 60, 1),
                         "machine": f"{os.cpu_count()}-core CPU"},
            "data": {name: {"images": counts[name], "source": ATTRIBUTION[name][0],
                            "licence": ATTRIBUTION[name][1]} for name in counts},
            "hand_ap50_on_held_back_val": scores, "limits": LIMITS}
    dest = args.work / "card" if args.no_install else None
    written = write_hands_card(snapshot, card, dest)
    print("hand AP@0.5 on held-back val: "
          + ", ".join(f"{k} {v['ap50']:.3f}" for k, v in scores.items())
          + f"; {spent['wall_s'] / 60:.0f} min training; wrote {', '.join(map(str, written))}")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except (RuntimeError, subprocess.CalledProcessError) as err:  # a verb failed: one line
        raise SystemExit(f"pretrain_hands: {err}") from None
