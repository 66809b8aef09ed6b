"""``gesturekit check``: validate a VOC root and plot its box sizes."""
from __future__ import annotations

import argparse

HELP = "validate a VOC root (XML, images, boxes, classes, ImageSets); plot box sizes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="ROOT", help="VOC root")
    parser.add_argument("--split", metavar="NAME",
                        help="check only the ids of ImageSets/Main/NAME.txt")
    plot = parser.add_mutually_exclusive_group()
    plot.add_argument("--plot", metavar="PNG",
                      help="box-size plot (default ROOT/check_box_sizes.png)")
    plot.add_argument("--no-plot", action="store_true", help="do not write the plot")
    parser.add_argument("--quiet", action="store_true", help="do not print info lines")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from voc_tools.check import INFO, check_dataset, plot_box_sizes

    report = check_dataset(args.root, args.split)
    for problem in report.problems:
        if problem.severity == INFO and args.quiet:
            continue
        print(f"{problem.severity}: {problem}")
    print(report.summary())
    if not args.no_plot:
        target = Path(args.plot) if args.plot else Path(args.root) / "check_box_sizes.png"
        print(f"box sizes plotted to {plot_box_sizes(report, target)}")
    return 1 if report.errors else 0
