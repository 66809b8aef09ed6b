"""``gesturekit voc``: create a VOC root (``init``), add images with their XML (``add``),
import other tools' exports into one (``import``) and export one for other tools (``export``)."""
from __future__ import annotations

import argparse

from voc_tools.grouping import DEFAULT_FRAME_BLOCK


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value

HELP = ("create a Pascal VOC root (voc init), add images and their XML (voc add), import "
        "CSV/CVAT/Roboflow exports (voc import), export CSV/COCO (voc export)")


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
    _add_import_arguments(actions)
    _add_export_arguments(actions)


def _add_import_arguments(actions) -> None:  # type: ignore[no-untyped-def]
    parser = actions.add_parser("import", help="import a keras-retinanet CSV, CVAT 'PASCAL VOC "
                                               "1.1' or Roboflow 'Pascal VOC' export into ROOT "
                                               "(never overwrites)")
    formats = parser.add_subparsers(dest="import_format", metavar="FORMAT", required=True)
    csv = formats.add_parser("csv", help="keras-retinanet annotations CSV "
                                         "(path,x1,y1,x2,y2,class_name; path,,,,, = no objects)")
    csv.add_argument("src", metavar="CSV", help="annotations CSV")
    csv.add_argument("root", metavar="ROOT")
    csv.add_argument("--classes", metavar="CSV",
                     help="classes CSV (class_name,id; default: classes.csv beside CSV)")
    csv.add_argument("--split", choices=("train", "val", "test"),
                     help="list the imported images in ImageSets/Main/NAME.txt")
    cvat = formats.add_parser("cvat", help="CVAT 'PASCAL VOC 1.1' export (folder or .zip)")
    cvat.add_argument("src", metavar="SRC")
    cvat.add_argument("root", metavar="ROOT")
    cvat.add_argument("--images", metavar="DIR",
                      help="folder with the original images (for an export without images)")
    roboflow = formats.add_parser("roboflow", help="Roboflow 'Pascal VOC' export: train/, "
                                                   "valid/, test/ (folder or .zip)")
    roboflow.add_argument("src", metavar="SRC")
    roboflow.add_argument("root", metavar="ROOT")
    yolo = formats.add_parser("yolo", help="Ultralytics/Roboflow YOLO export: data.yaml + "
                                           "train|valid|test/{images,labels} or images/ + "
                                           "labels/ (folder or .zip)")
    yolo.add_argument("src", metavar="SRC")
    yolo.add_argument("root", metavar="ROOT")
    yolo.add_argument("--class-map", metavar="OLD=NEW,...",
                      help="rename or merge classes, e.g. 'one=1,two=2' or '*=hand' (all)")
    yolo.add_argument("--frame-block", type=_positive_int, default=DEFAULT_FRAME_BLOCK,
                      metavar="N", help="sources.csv groups names ending in a frame number "
                                        "by blocks of N consecutive numbers (default "
                                        f"{DEFAULT_FRAME_BLOCK}; see README)")
    for archive_format in (cvat, roboflow, yolo):
        archive_format.add_argument(
            "--max-unpacked-mb", type=_positive_int, metavar="MB",
            help="a .zip SRC may unpack to at most MB megabytes (default 2048); only the "
                 "images, XML, txt, yaml, csv and json files in it are unpacked")


def _add_export_arguments(actions) -> None:  # type: ignore[no-untyped-def]
    parser = actions.add_parser("export", help="export ROOT as a keras-retinanet CSV, a COCO "
                                               "JSON or a YOLO dataset (boxes as the kit "
                                               "trains on them)")
    formats = parser.add_subparsers(dest="export_format", metavar="FORMAT", required=True)
    for name, what, out_help in (
            ("csv", "keras-retinanet annotations CSV + classes.csv",
             "annotations CSV to write (classes.csv goes beside it)"),
            ("coco", "COCO detection JSON", "COCO JSON file to write"),
            ("yolo", "YOLO dataset (data.yaml, train|valid|test/{images,labels})",
             "folder to write")):
        export = formats.add_parser(name, help=what)
        export.add_argument("root", metavar="ROOT")
        export.add_argument("out", metavar="OUT", help=out_help)
        export.add_argument("--split", metavar="NAME",
                            help="only the ids of ImageSets/Main/NAME.txt (default: every "
                                 "annotated image)")
        export.add_argument("--force", action="store_true",
                            help="replace existing output files")


def run(args: argparse.Namespace) -> int:
    from voc_tools.classes import read_classes
    from voc_tools.voc_init import add_to_voc, init_voc

    if args.voc_action == "import":
        return _run_import(args)
    if args.voc_action == "export":
        return _run_export(args)
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


def _print_problems(report) -> None:  # type: ignore[no-untyped-def]
    for line in report.problem_lines():
        print(line)
    for line in report.hints:
        print(f"note: {line}")
    if report.skipped:
        print(f"{len(report.skipped)} problem(s) left something out (the 'skipped:' lines)")


def _run_import(args: argparse.Namespace) -> int:
    from voc_tools.interop.importing import DEFAULT_MAX_UNPACKED, unpack_limit

    cap_mb = getattr(args, "max_unpacked_mb", None)
    with unpack_limit(cap_mb * 1024 ** 2 if cap_mb else DEFAULT_MAX_UNPACKED):
        return _import(args)


def _import(args: argparse.Namespace) -> int:
    from voc_tools import interop

    if args.import_format == "csv":
        report = interop.import_csv(args.src, args.root, args.classes, args.split)
    elif args.import_format == "cvat":
        report = interop.import_cvat(args.src, args.root, args.images)
    elif args.import_format == "yolo":
        report = interop.import_yolo(args.src, args.root, interop.parse_class_map(args.class_map),
                                     args.frame_block)
    else:
        report = interop.import_roboflow(args.src, args.root)
    print(f"imported {report.counts()} into {args.root}"
          + (f" ({report.unchanged} of them already there, identical)"
             if report.unchanged else ""))
    if report.classes_added:
        print(f"classes.txt: added {' '.join(report.classes_added)}")
    if report.splits:
        print("ImageSets/Main: " + ", ".join(f"{s} {n}" for s, n in sorted(report.splits.items())))
    _print_problems(report)
    return 1 if report.skipped else 0


def _run_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from voc_tools import interop

    export = {"csv": interop.export_csv, "coco": interop.export_coco,
              "yolo": interop.export_yolo}[args.export_format]
    report = export(args.root, args.out, args.split, args.force)
    print(f"exported {report.counts()}")
    if args.export_format == "yolo":
        print(f"wrote {len(report.written)} file(s) into {args.out} (data.yaml, images/, "
              "labels/); identical files left alone")
        _print_problems(report)
        return 1 if report.skipped else 0
    outputs = [Path(args.out)] + ([Path(args.out).parent / "classes.csv"]
                                  if args.export_format == "csv" else [])
    for path in outputs:
        print(f"wrote {path}" if path in report.written else f"{path}: already identical")
    if args.export_format == "coco":
        print(f"image root (file_name is relative to it): {Path(args.root) / 'JPEGImages'}")
    _print_problems(report)
    return 1 if report.skipped else 0
