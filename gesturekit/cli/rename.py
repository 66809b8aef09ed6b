"""``gesturekit rename``: number images as <prefix><n>, with their XML; undoable."""
from __future__ import annotations

import argparse

HELP = "rename images (and their XML, manifests, ImageSets) to <prefix><number>; undoable"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", metavar="DIR",
                        help="folder of images (a VOC JPEGImages folder uses ../Annotations)")
    parser.add_argument("--prefix", help="new name start, e.g. Batch1_")
    parser.add_argument("--start", type=int, default=1, help="first number (default 1)")
    parser.add_argument("--digits", type=int, default=4, help="zero-padded width (default 4)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--undo", metavar="MANIFEST",
                        help="restore the tree recorded in a rename manifest")


def run(args: argparse.Namespace) -> int:
    from voc_tools.errors import GestureKitError
    from voc_tools.rename import apply_rename, plan_rename, recover_interrupted, undo_rename

    if args.undo:
        if args.directory or args.prefix:
            raise GestureKitError("--undo takes only the manifest path")
        restored = undo_rename(args.undo)
        print(f"restored {len(restored)} file name(s) and their original contents")
        return 0
    if not args.directory or not args.prefix:
        raise GestureKitError("give DIR and --prefix (or --undo MANIFEST)")
    if not args.dry_run:
        for manifest in recover_interrupted(args.directory):
            print(f"rolled back an interrupted rename first ({manifest})")
    plan = plan_rename(args.directory, args.prefix, args.start, args.digits)
    if args.dry_run or not plan.moves:
        for line in plan.describe():
            print(line)
        print(f"dry run: {len(plan.moves)} move(s), {len(plan.edits)} edit(s); nothing changed"
              if args.dry_run else "nothing to rename: names already match")
        return 0
    manifest = apply_rename(plan)
    print(f"renamed {len(plan.moves)} file(s), edited {len(plan.edits)}; "
          f"undo with: gesturekit rename --undo {manifest}")
    return 0
