"""``gesturekit frames``: slice videos into JPEG frames with a resumable manifest."""
from __future__ import annotations

import argparse

HELP = "slice videos into JPEG frames (<stem>_<index>.jpg) plus frames_manifest.csv; resumable"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("videos", nargs="+", metavar="VIDEO", help="video file(s) to slice")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder for the frames and manifest")
    rate = parser.add_mutually_exclusive_group()
    rate.add_argument("--every", type=int, metavar="N", help="keep every N-th frame")
    rate.add_argument("--fps", type=float, metavar="F", help="keep F frames per second")
    parser.add_argument("--start", type=float, metavar="S", help="start time in seconds")
    parser.add_argument("--end", type=float, metavar="E", help="end time in seconds (exclusive)")
    parser.add_argument("--quality", type=int, default=95, help="JPEG quality (default 95)")


def run(args: argparse.Namespace) -> int:
    from voc_tools.frames import FrameSelection, extract_frames

    selection = FrameSelection(every=args.every, fps=args.fps, start=args.start, end=args.end)
    result = extract_frames(args.videos, args.out_dir, selection, jpeg_quality=args.quality)
    print(f"{len(result.written)} frame(s) written, {len(result.skipped)} already present; "
          f"{result.manifest_rows_added} manifest row(s) added to {result.manifest}")
    return 0
