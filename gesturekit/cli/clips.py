"""``gesturekit clips dump``: video lists -> rawframes folders and annotation files."""
from __future__ import annotations

import argparse
from pathlib import Path

from .sample import parse_size

HELP = ("clip datasets for video classifiers: 'clips dump' decodes listed videos into "
        "rawframes/<video>/00001.jpg and writes rawframes annotation files")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="clips_command", metavar="COMMAND", required=True)
    dump = commands.add_parser(
        "dump", help="decode videos into rawframes/<video>/00001.jpg and write annotations",
        description="Decode each video listed in the annotation files ('<rel_path_to_video> "
                    "<label_id>' lines) once into DATA_DIR/rawframes/<video>/00001.jpg ... and "
                    "write DATA_DIR/<annotation file name> in the rawframes format "
                    "'<video_dir> <label_id> <start_frame> <end_frame> <clip_start> <clip_end> "
                    "<fps>' (frame ids 1-based, inclusive) plus DATA_DIR/classes.txt. "
                    "Resumable: frames already there are not rewritten.")
    dump.add_argument("--videos", type=Path, required=True, metavar="DIR",
                      help="folder the listed video paths are relative to")
    dump.add_argument("--annotation", type=Path, nargs="+", required=True, metavar="LIST",
                      help="video list(s), e.g. train.txt val.txt")
    dump.add_argument("--out", type=Path, required=True, metavar="DATA_DIR",
                      help="data folder to write (rawframes/, the annotation files, classes.txt)")
    dump.add_argument("--intervals", type=Path, metavar="CSV",
                      help="intervals.csv (video,start_ms,end_ms,label): the clip of a record is "
                           "each labelled interval of its video (default: the whole video)")
    dump.add_argument("--classes", type=Path, metavar="FILE",
                      help="classes.txt (default: the one beside the annotation files)")
    dump.add_argument("--size", type=parse_size, metavar="WxH",
                      help="resize frames to WxH (default: keep the video's size)")
    dump.add_argument("--max-frames", type=int, metavar="N",
                      help="dump only the first N frames of each video")
    dump.add_argument("--quality", type=int, default=95, help="JPEG quality (default 95)")
    dump.add_argument("--overwrite", action="store_true",
                      help="replace annotation files and classes.txt that hold something else")


def run(args: argparse.Namespace) -> int:
    from gesturekit.clips.dump import dump_clips

    result = dump_clips(args.videos, args.annotation, args.out, intervals=args.intervals,
                        classes=args.classes, size=args.size, max_frames=args.max_frames,
                        overwrite=args.overwrite, quality=args.quality)
    print(f"clips dump: {result.line()}")
    if result.whole_videos:
        print(f"clips dump: note: {result.whole_videos} listed video(s) have no interval in "
              f"{args.intervals}; their clip is the whole video")
    return 0
