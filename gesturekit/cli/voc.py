"""``gesturekit voc``: create a VOC root (``init``) and add images with their XML (``add``)."""
from __future__ import annotations

import argparse

HELP = "create a Pascal VOC root (voc init) or add images and their XML to one (voc add)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="voc_action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="create JPEGImages, Annotations, ImageSets/Main, "
                                           "classes.txt (never deletes)")
    init.add_argument("root", metavar="ROOT")
    names = init.add_mutually_exclusive_group()
    names.add_argument("--classes", nargs="+", default=[], metavar="NAME",
                       help="class names to put in classes.txt")
    names.add_argument("--classes-file", metavar="F", help="file with one class name per line")
    add = actions.add_parser("add", help="copy (or move) images and matching XML into ROOT")
    add.add_argument("root", metavar="ROOT")
    add.add_argument("images", nargs="+", metavar="IMAGES", help="image files or folders")
    add.add_argument("--annotations", metavar="DIR",
                     help="folder with the XML files (default: beside each image)")
    add.add_argument("--move", action="store_true", help="move instead of copy")


def run(args: argparse.Namespace) -> int:
    from voc_tools.classes import read_classes
    from voc_tools.voc_init import add_to_voc, init_voc

    if args.voc_action == "init":
        classes = read_classes(args.classes_file) if args.classes_file else args.classes
        result = init_voc(args.root, classes)
        for path in result.created:
            print(f"created {path}")
        if result.classes_added:
            print(f"classes.txt: added {' '.join(result.classes_added)}")
        if not result.created and not result.classes_added:
            print(f"{args.root}: already complete; nothing changed")
        return 0
    result = add_to_voc(args.root, args.images, args.annotations, args.move)
    verb = "moved" if args.move else "copied"
    print(f"{verb} {len(result.images_added)} image(s) and {len(result.annotations_added)} "
          f"annotation(s); {len(result.unchanged)} file(s) already present and identical")
    if result.without_annotation:
        print(f"{len(result.without_annotation)} image(s) have no XML yet "
              "(annotate them with labelImg)")
    if result.classes_added:
        print(f"new classes appended to classes.txt: {' '.join(result.classes_added)}")
    if result.sources_added:
        print(f"{result.sources_added} row(s) added to sources.csv (frame -> source video)")
    return 0
