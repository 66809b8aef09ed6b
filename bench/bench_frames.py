"""Benchmark: frames/s of ``gesturekit frames`` (library) vs ``ffmpeg`` on the same frames.

Extracts every frame and every 5th frame of a video with both tools, interleaved
(gesturekit, ffmpeg, ffmpeg, gesturekit, ...) over several repeats, and reports the median.
Also measures the decode-only cost of skipping frames with ``grab()`` against ``read()``.
Writes bench/results/frames.json and bench/results/frames.md.

    /work/venv/bin/python bench/bench_frames.py [--video PATH] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
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
from voc_tools.frames import FrameSelection, extract_frames  # noqa: E402

DEFAULT_VIDEO = REPO.parent / "shared" / "videos" / "hands.mp4"
RESULTS = REPO / "bench" / "results"
JPEG_QUALITY = 95  # gesturekit default; ffmpeg -q:v 2 is its comparable high-quality setting


def ffmpeg_version(ffmpeg: str) -> str:
    out = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True).stdout
    return " ".join(out.split()[:3]) if out else "unknown"


def run_gesturekit(video: Path, every: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="gk-bench-") as out:
        start = time.perf_counter()
        result = extract_frames([video], out, FrameSelection(every=every),
                                jpeg_quality=JPEG_QUALITY, progress=False)
        return time.perf_counter() - start, len(result.written)


def run_ffmpeg(ffmpeg: str, video: Path, every: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="ff-bench-") as out:
        command = [ffmpeg, "-nostdin", "-v", "error", "-i", str(video)]
        if every > 1:
            command += ["-vf", f"select=not(mod(n\\,{every}))", "-fps_mode", "vfr"]
        command += ["-q:v", "2", str(Path(out) / "%06d.jpg")]
        start = time.perf_counter()
        subprocess.run(command, check=True)
        elapsed = time.perf_counter() - start
        return elapsed, len(list(Path(out).glob("*.jpg")))


def decode_only(video: Path, every: int, use_grab: bool) -> tuple[float, int]:
    """Seconds to walk the video keeping every N-th frame: grab+retrieve vs read()."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    kept, index = 0, 0
    start = time.perf_counter()
    while True:
        keep = index % every == 0
        if use_grab:
            if not cap.grab():
                break
            if keep:
                cap.retrieve()
        else:
            ok, _ = cap.read()
            if not ok:
                break
        kept += keep
        index += 1
    elapsed = time.perf_counter() - start
    cap.release()
    return elapsed, kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--decode-repeats", type=int, default=5)
    parser.add_argument("--every", type=int, nargs="+", default=[1, 5])
    args = parser.parse_args()
    if not args.video.is_file():
        print(f"video not found: {args.video}", file=sys.stderr)
        return 2
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        print("NOTE: ffmpeg is not installed (apt-get install -y ffmpeg); "
              "measuring gesturekit only, the ffmpeg columns stay empty", file=sys.stderr)

    import cv2

    load_before = os.getloadavg()
    times: dict[tuple[str, int], list[float]] = {}
    frames: dict[tuple[str, int], int] = {}
    for repeat in range(args.repeats):
        for every in args.every:
            order = ["gesturekit", "ffmpeg"] if repeat % 2 == 0 else ["ffmpeg", "gesturekit"]
            for tool in order:
                if tool == "ffmpeg" and ffmpeg is None:
                    continue
                elapsed, count = (run_gesturekit(args.video, every) if tool == "gesturekit"
                                  else run_ffmpeg(ffmpeg, args.video, every))
                times.setdefault((tool, every), []).append(elapsed)
                frames[(tool, every)] = count
                print(f"repeat {repeat} every {every}: {tool} {count} frames "
                      f"in {elapsed:.2f} s", flush=True)
    decode_runs: dict[tuple[int, bool], list[float]] = {}
    for repeat in range(args.decode_repeats):
        for every in args.every:
            for use_grab in ((True, False) if repeat % 2 == 0 else (False, True)):
                elapsed, _ = decode_only(args.video, every, use_grab)
                decode_runs.setdefault((every, use_grab), []).append(elapsed)
    decode = {key: statistics.median(runs) for key, runs in decode_runs.items()}
    load = loadavg_1min_since(load_before)

    cases = []
    for every in args.every:
        gk = statistics.median(times[("gesturekit", every)])
        ff = statistics.median(times[("ffmpeg", every)]) if ffmpeg else None
        n_gk = frames[("gesturekit", every)]
        n_ff = frames.get(("ffmpeg", every))
        cases.append({
            "every": every, "frames_gesturekit": n_gk, "frames_ffmpeg": n_ff,
            "gesturekit_s": round(gk, 3), "gesturekit_fps": round(n_gk / gk, 1),
            "ffmpeg_s": round(ff, 3) if ff else None,
            "ffmpeg_fps": round(n_ff / ff, 1) if ff else None,
            "ratio_gesturekit_over_ffmpeg_fps": round((n_gk / gk) / (n_ff / ff), 2)
            if ff else None,
            "gesturekit_runs_s": [round(t, 3) for t in times[("gesturekit", every)]],
            "ffmpeg_runs_s": [round(t, 3) for t in times.get(("ffmpeg", every), [])],
            "decode_grab_retrieve_s": round(decode[(every, True)], 3),
            "decode_read_all_s": round(decode[(every, False)], 3),
        })
    machine = {**machine_summary(), "opencv": cv2.__version__,
               "ffmpeg": ffmpeg_version(ffmpeg) if ffmpeg else "absent",
               "loadavg_1min_before_after": load}
    report = {"video": args.video.name, "repeats": args.repeats,
              "decode_repeats": args.decode_repeats, "jpeg": "cv2 quality "
              f"{JPEG_QUALITY} / ffmpeg -q:v 2", "machine": machine, "cases": cases}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "frames.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "frames.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"# frames: gesturekit vs ffmpeg on {report['video']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, "
        f"OpenCV {m['opencv']}; {m['ffmpeg']}.",
        f"Median of {report['repeats']} interleaved runs; JPEG: {report['jpeg']}. "
        f"1-min load average before/after: {m['loadavg_1min_before_after']} (a shared "
        "machine: other jobs were running, compare the ratio, not absolute times).",
        "",
        "| frames kept | gesturekit s | gesturekit frames/s | ffmpeg s | ffmpeg frames/s "
        "| ratio (gk/ffmpeg) |",
        "|---|---|---|---|---|---|",
    ]
    for c in report["cases"]:
        label = "every frame" if c["every"] == 1 else f"every {c['every']}th"
        lines.append(f"| {label} ({c['frames_gesturekit']}) | {c['gesturekit_s']} | "
                     f"{c['gesturekit_fps']} | {c['ffmpeg_s'] or 'n/a'} | "
                     f"{c['ffmpeg_fps'] or 'n/a'} | "
                     f"{c['ratio_gesturekit_over_ffmpeg_fps'] or 'n/a'} |")
    lines += ["", "Decode only (no JPEG writing), walking the whole video, median of "
              f"{report['decode_repeats']} interleaved runs:", "",
              "| frames kept | grab() all + retrieve() kept, s | read() every frame, s |",
              "|---|---|---|"]
    for c in report["cases"]:
        lines.append(f"| every {c['every']} | {c['decode_grab_retrieve_s']} | "
                     f"{c['decode_read_all_s']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
