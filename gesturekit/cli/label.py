"""``gesturekit label``: draw boxes with labelImg on a VOC root."""
from __future__ import annotations

import argparse

HELP = ("annotate a VOC root with labelImg: images from JPEGImages, Pascal VOC XML saved to "
        "Annotations, classes from classes.txt")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="ROOT", help="VOC root (see 'gesturekit voc init')")


def run(args: argparse.Namespace) -> int:
    from gesturekit.labeling.launch import check_can_start, labelimg_argv, run_labelimg

    layout = check_can_start(args.root)
    _, images, classes, annotations = labelimg_argv(layout)
    print(f"labelImg: images {images}, classes {classes}, boxes saved to {annotations} "
          "(Pascal VOC; press W to draw a box, Ctrl+S to save, D for the next image)", flush=True)
    return run_labelimg(args.root)
