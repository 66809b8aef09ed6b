"""``gesturekit split``: grouped, class-stratified train/val/test lists for a VOC root."""
from __future__ import annotations

import argparse

HELP = "write ImageSets/Main train/val/trainval/test lists: stratified, source groups kept whole"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="ROOT", help="VOC root")
    parser.add_argument("--val", type=float, required=True, help="validation fraction, e.g. 0.2")
    parser.add_argument("--test", type=float, default=0.0, help="test fraction (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--group-by", metavar="REGEX",
                        help="group ids by the first capture group, e.g. '^(.*)_\\d+$' "
                             "(used when ROOT/sources.csv does not name the source)")
    parser.add_argument("--force", action="store_true", help="replace existing lists")


def run(args: argparse.Namespace) -> int:
    from voc_tools.split import split_dataset, write_split

    result = split_dataset(args.root, args.val, args.test, args.seed, args.group_by)
    written = write_split(args.root, result, force=args.force)
    print(result.table())
    groups = len(set(result.groups.values()))
    print(f"{len(result.assignment)} annotated images in {groups} group(s); wrote "
          + ", ".join(p.name for p in written))
    return 0
