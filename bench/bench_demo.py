"""Benchmark: frames/s and per-stage ms of the live demo pipeline (``gesturekit demo``),
synchronous against asynchronous, on real video.

Each case is one detector + one clip classifier; every repeat runs the same frames of the
video through ``gesturekit.runtime.demo.run_demo`` headless with the annotated video written (as
``gesturekit demo VIDEO --no-window --output out.mp4``), in sync mode (every stage in turn)
and async mode (decode thread, detector requests ahead, AsyncInferQueue clips, encode
thread), the two interleaved; medians over the repeats, and the async/sync ratio.

Detectors: our light detector (``--detector``: a ``gesturekit convert`` folder or .h5,
exported to OpenVINO IR here, or an .xml/.onnx; default: one trained on the synthetic
sample like the tests' ``small_detector``) and Open Model Zoo's person-detection-asl-0001.
Clip classifiers (``--classifier`` + ``--classifier-card``; default: the kit's own
architectures, ``gesturekit.clips.classifier.model.build_model`` with random weights for each template in
``--templates``, exported by ``convert.clip_export``, one card per ``--crops`` value --
speed does not depend on the weights, the labels then mean nothing). Writes
bench/results/demo.json and demo.md.

    /work/venv/bin/python bench/bench_demo.py [--detector PATH] [--frames 300] [--repeats 3]
        [--classifier XML --classifier-card YAML] [--templates NAME ...] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gesturekit.runtime.benchmark import (loadavg_1min_since, machine_summary,  # noqa: E402
                                          opencv_info)

SHARED = REPO.parent / "shared"
VIDEO = SHARED / "videos" / "hands.mp4"
OMZ = SHARED / "models" / "person-detection-asl-0001" / "FP32" / "person-detection-asl-0001.xml"
RESULTS = REPO / "bench" / "results"
PACKAGES = ("openvino", "numpy", "tensorflow", "scipy")  # versions recorded with the results
TEMPLATES = ("r2plus1d-tiny", "tsm-mobilenetv3-small")
CLASSES = ["swipe_left", "swipe_right", "no_gesture"]
MODES = ("sync", "async")


# the training flags of the tests' session-scoped small_detector (tests/conftest.py)
LIGHT_TRAINING = {"--backbone": "mobilenet128_0.5", "--weights": "none", "--head-width": "32",
                  "--image-min-side": "128", "--image-max-side": "171", "--batch-size": "8",
                  "--epochs": "1", "--steps": "20", "--lr": "1e-3"}


def train_light_detector(work: Path) -> Path:
    """Like the tests' small detector: sample (3 videos x 12 frames) -> train -> convert."""
    sys.path.insert(0, str(REPO / "tests"))
    from gesturekit import cli
    from sample_voc import build_sample_voc

    root = build_sample_voc(work / "data", videos=3, frames=12)
    flags = [text for pair in LIGHT_TRAINING.items() for text in pair]
    if cli.main(["train", str(root), "--out", str(work / "run"), *flags]) != 0:
        raise SystemExit("training the light detector failed")
    snapshot = sorted((work / "run" / "snapshots").glob("*.h5"))[-1]
    if cli.main(["convert", str(snapshot), str(work / "model")]) != 0:
        raise SystemExit("converting the light detector failed")
    return work / "model"


def light_detector_ir(detector: str | None, work: Path) -> tuple[Path, str]:
    """An OpenVINO IR of our light detector, and where it came from."""
    from convert.export import ExportConfig, export_model

    if detector is not None and Path(detector).suffix in (".xml", ".onnx"):
        return Path(detector), f"given: {detector}"
    source = Path(detector) if detector else train_light_detector(work / "light")
    what = f"given: {detector}" if detector else \
        "trained here like tests' small_detector (sample 3x12 frames, 20 steps)"
    result = export_model(ExportConfig(source, work / "light_ir", formats=("openvino",)))
    return result.files["openvino_fp32"], what


def clip_classifier(template_name: str, crops: list[str], work: Path) -> dict[str, tuple]:
    """The kit's clip architecture of a template, random weights, exported to IR, with one
    card per crop (frame: the whole frame; box: each tracked box)."""
    import dataclasses

    import yaml

    from gesturekit.clips.classifier.model import build_model
    from gesturekit.clips.classifier.templates import get_template
    from convert.clip_export import INPUT_NAME, OUTPUT_NAME, ncthw_model, runtime_card
    from convert.keras_export import write_ir

    template = get_template(template_name)
    model = build_model(template.architecture, len(CLASSES), template.frames,
                        template.input_size)
    folder = work / template_name
    folder.mkdir(parents=True)
    xml = write_ir(ncthw_model(model), folder / "model.xml", INPUT_NAME, OUTPUT_NAME)
    found = {}
    for crop in crops:
        card = folder / f"crop_{crop}.yaml"
        card.write_text(yaml.safe_dump(runtime_card(
            CLASSES, dataclasses.replace(template, crop=crop))), encoding="utf-8")
        found[f"{template_name} crop {crop}"] = (xml, card)
    return found


def run_case(case: dict, frames: int, repeats: int, work: Path) -> dict:
    """Interleaved sync/async runs of one detector + classifier; medians and ratio."""
    from gesturekit.runtime.demo import DemoOptions, load_models, run_demo

    detector, classifier = load_models(case["detector"], None, case["classifier"],
                                       case["card"])
    runs: dict[str, list] = {mode: [] for mode in MODES}
    for repeat in range(repeats):
        order = MODES if repeat % 2 == 0 else MODES[::-1]
        for mode in order:
            out = work / f"{mode}.mp4"
            result = run_demo(case["video"], detector, classifier,
                              DemoOptions(threshold=case["threshold"], max_frames=frames,
                                          mode=mode), out, force=True)
            runs[mode].append(result)
            print(f"  {case['name']} {mode}: {result.summary()}", flush=True)
    summary = {"name": case["name"], "detector": case["detector_what"],
               "classifier": case["classifier_what"], "threshold": case["threshold"],
               "frames": runs["sync"][0].frames, "size": list(runs["sync"][0].size),
               "classify_every": runs["sync"][0].classify_every,
               "crop": classifier.card.clip["crop"],
               "clip": {"frames": classifier.card.clip["frames"],
                        "fps": classifier.card.clip["fps"], "size": classifier.card.input.height}}
    for mode in MODES:
        results = runs[mode]
        summary[mode] = {
            "fps_median": round(statistics.median(r.fps for r in results), 1),
            "fps_runs": [round(r.fps, 1) for r in results],
            "stage_ms": {stage: round(statistics.median(r.stage_ms[stage] for r in results), 2)
                         for stage in results[0].stage_ms},
            "tracks_started": results[0].tracks_started,
            "clips_classified": results[0].clips_classified}
    summary["ratio_async_over_sync"] = round(summary["async"]["fps_median"] /
                                             summary["sync"]["fps_median"], 2)
    summary["per_repeat_ratios"] = [round(a.fps / s.fps, 2)
                                    for a, s in zip(runs["async"], runs["sync"])]
    return summary


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        "# Live demo pipeline: frames/s and ms per frame, sync vs async",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, OpenVINO "
        f"{m['openvino']}, OpenCV {m['opencv']} ({m['opencv_threads']} threads), NumPy "
        f"{m['numpy']}. 1-min load average before/after: {m['loadavg_1min_before_after']}"
        " (a shared machine: compare the ratios, not absolute numbers).",
        "",
        f"Video: {report['video']} ({report['cases'][0]['size'][0]}x"
        f"{report['cases'][0]['size'][1]}), first {report['cases'][0]['frames']} frames, "
        f"headless with the annotated video written; median of {report['repeats']} "
        "repeat(s), sync and async interleaved" + (" (QUICK smoke run)" if report["quick"]
                                                   else "") + ".",
        f"Clip classifiers: {report['classifier_note']}",
        "",
        "| detector | clip classifier | mode | FPS | decode | detect | track | classify "
        "| draw | write | tracks | clips | async/sync |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in report["cases"]:
        for mode in MODES:
            r, ms = c[mode], c[mode]["stage_ms"]
            lines.append(
                f"| {c['name'].split(' + ')[0]} | {c['name'].split(' + ')[1]} | {mode} | "
                f"{r['fps_median']} | " + " | ".join(str(ms[s]) for s in
                                                     ("decode", "detect", "track", "classify",
                                                      "draw", "write"))
                + f" | {r['tracks_started']} | {r['clips_classified']} | "
                + (f"**{c['ratio_async_over_sync']}** |" if mode == "async" else " |"))
    lines += ["", "Stage columns are ms per frame. Sync: each stage's own cost. Async: decode "
              "and write are timed in their threads, detect/track/classify/draw in the main "
              "thread including its waits for results, so they do not add up to 1000/FPS.",
              "", "| case | detector | clip model | threshold | classify every | "
              "per-repeat async/sync |", "|---|---|---|---|---|---|"]
    for c in report["cases"]:
        clip = c["clip"]
        lines.append(f"| {c['name']} | {c['detector']} | T={clip['frames']} at "
                     f"{clip['fps']:g} fps, {clip['size']} px, crop {c['crop']} | "
                     f"{c['threshold']} | {c['classify_every']} frames | "
                     f"{', '.join(map(str, c['per_repeat_ratios']))} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", default=str(VIDEO))
    parser.add_argument("--detector", help="our light detector: convert folder, .h5, .xml "
                                           "or .onnx (default: train one like the tests)")
    parser.add_argument("--classifier", help="a clip classifier .xml/.onnx (default: the "
                                             "kit's architectures with random weights)")
    parser.add_argument("--classifier-card", help="its runtime card")
    parser.add_argument("--templates", nargs="+", default=list(TEMPLATES),
                        help="templates whose architecture is benchmarked (no --classifier)")
    parser.add_argument("--crops", nargs="+", default=["frame", "box"],
                        choices=("frame", "box"),
                        help="card crops benchmarked for each template (no --classifier)")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 40 frames, 1 repeat, results to a temporary folder")
    args = parser.parse_args()
    if args.quick:
        args.frames, args.repeats = 40, 1
    for path in (args.video, OMZ):
        if not Path(path).is_file():
            print(f"not found: {path}", file=sys.stderr)
            return 2
    if bool(args.classifier) != bool(args.classifier_card):
        parser.error("--classifier and --classifier-card go together")

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="gk-bench-demo-") as tmp_name:
        work = Path(tmp_name)
        light, light_what = light_detector_ir(args.detector, work)
        if args.classifier:
            classifiers = {Path(args.classifier).stem: (Path(args.classifier),
                                                        Path(args.classifier_card))}
            note = f"given: {args.classifier} with {args.classifier_card}."
        else:
            classifiers = {name: pair for template in args.templates for name, pair in
                           clip_classifier(template, args.crops, work / "clips").items()}
            note = ("the kit's own architectures (gesturekit.clips.classifier.model.build_model of each "
                    "template, random weights, exported by convert.clip_export to IR FP32): "
                    "real compute, meaningless labels; a trained classifier runs the same "
                    "graph.")
        detectors = [("light detector (IR)", light, light_what, 0.5),
                     ("person-detection-asl-0001", OMZ, "Open Model Zoo FP32 IR", 0.3)]
        cases = []
        for det_name, det_path, det_what, threshold in detectors:
            for clip_name, (xml, card) in classifiers.items():
                case = {"name": f"{det_name} + {clip_name}", "detector": str(det_path),
                        "detector_what": det_what, "classifier": str(xml), "card": str(card),
                        "classifier_what": clip_name, "threshold": threshold,
                        "video": args.video}
                print(case["name"], flush=True)
                cases.append(run_case(case, args.frames, args.repeats, work))
    load = loadavg_1min_since(load_before)
    report = {"video": str(Path(args.video).relative_to(REPO.parent)
                           if Path(args.video).resolve().is_relative_to(REPO.parent)
                           else args.video),
              "repeats": args.repeats, "quick": args.quick, "classifier_note": note,
              "machine": {**machine_summary(PACKAGES), **opencv_info(),
                          "loadavg_1min_before_after": load},
              "cases": cases}
    out_dir = Path(tempfile.mkdtemp(prefix="gk-bench-quick-")) if args.quick else RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "demo.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "demo.md").write_text(markdown(report))
    print(markdown(report))
    print(f"written to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
