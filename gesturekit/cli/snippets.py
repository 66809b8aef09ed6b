"""``gesturekit snippets``: fixed-length gesture / nongesture snippets of labelled videos."""
from __future__ import annotations

import argparse
from pathlib import Path

from .sample import parse_size

HELP = ("cut fixed-length snippets of labelled videos into "
        "<name>_length_<L>_sample_rate_<R>_iou_<T>/{train,val,test}/{gesture,nongesture}/*.npz")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Cut each video under --videos into snippets of --length-ms milliseconds (back to back, "
        "or every --stride-ms), keeping every --sample-rate-th frame of a snippet. A snippet is "
        "'gesture' when at least --iou of its time lies in a labelled interval of --intervals "
        "(rows labelled with a --negative-label do not count), else 'nongesture'. Each video "
        "goes whole to one split. Every .npz holds 'video' (T x H x W x 3 uint8, RGB) and "
        "source, start_frame, frame_ids, fps, overlap, label.")
    parser.add_argument("--videos", type=Path, required=True, metavar="DIR",
                        help="folder of videos (searched recursively)")
    parser.add_argument("--intervals", type=Path, required=True, metavar="CSV",
                        help="intervals.csv: video,start_ms,end_ms,label (video relative to DIR)")
    parser.add_argument("--length-ms", type=float, required=True, metavar="L",
                        help="snippet length in milliseconds of video")
    parser.add_argument("--sample-rate", type=int, required=True, metavar="R",
                        help="keep every R-th video frame of a snippet (1 = all); a snippet "
                             "has ceil(round(L * fps / 1000) / R) frames")
    parser.add_argument("--iou", type=float, required=True, metavar="T",
                        help="least fraction (0-1] of a snippet's time inside gesture "
                             "intervals for it to be 'gesture'")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where the <name>_length_... folder is made")
    parser.add_argument("--name", help="dataset name (default: the --videos folder's name, or "
                                       "its parent's when it is called 'videos')")
    parser.add_argument("--stride-ms", type=float, metavar="S",
                        help="time between snippet starts (default: L, back to back)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--split", default="", metavar="val=F,test=F",
                       help="split fractions over whole videos, balanced by snippet counts "
                            "(default val=0.2,test=0.1)")
    group.add_argument("--split-lists", type=Path, nargs="+", metavar="LIST",
                       help="per-video assignment from video lists named train.txt, val.txt, "
                            "test.txt ('<video> <label_id>' lines); unlisted videos are skipped")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --split (default 0)")
    parser.add_argument("--negative-label", action="append", metavar="NAME",
                        help="interval label that marks no gesture (repeatable; default "
                             "no_gesture)")
    parser.add_argument("--size", type=parse_size, metavar="WxH",
                        help="resize frames to WxH (default: keep the video's size)")
    parser.add_argument("--overwrite", action="store_true",
                        help="delete the snippets of an earlier run in the same folder first")


def run(args: argparse.Namespace) -> int:
    from gesturekit.clips.snippets import NEGATIVE_LABELS, SnippetSpec, make_snippets, parse_split

    spec = SnippetSpec(args.length_ms, args.sample_rate, args.iou, args.stride_ms)
    result = make_snippets(
        args.videos, args.intervals, args.out, spec, name=args.name,
        split=None if args.split_lists else parse_split(args.split),
        split_lists=args.split_lists or (), seed=args.seed,
        negative_labels=args.negative_label or NEGATIVE_LABELS, size=args.size,
        overwrite=args.overwrite)
    for line in result.lines():
        print(f"snippets: {line}")
    return 0
