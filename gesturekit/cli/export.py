"""gesturekit export: converted detector -> ONNX / OpenVINO IR (NMS inside) + model card."""
from __future__ import annotations

import argparse

from voc_tools.errors import GestureKitError

HELP = "export a converted detector to ONNX and/or OpenVINO IR with its model card"


def parse_size(text: str) -> tuple[int, int]:
    """'128x171' -> (128, 171), height first."""
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW, e.g. 128x171, got '{text}'") from None
    return height, width


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from functools import partial

    from convert.export import FORMATS, PRECISIONS, ExportConfig
    from detector.config import default as config_default

    default = partial(config_default, config=ExportConfig)  # the library's defaults
    parser.add_argument("model", help="folder made by 'gesturekit convert', or its inference.h5")
    parser.add_argument("--format", choices=tuple(format_choices(FORMATS)),
                        default=format_name(FORMATS, default("formats")),
                        help="onnx, openvino or all of them (default %(default)s)")
    parser.add_argument("--out", required=True, help="output folder (must be empty or new)")
    parser.add_argument("--precision", choices=PRECISIONS, default=default("precision"),
                        help="fp32; bf16: runtime hint; int8: NNCF, needs --root "
                             "(default %(default)s)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--input-size", type=parse_size, metavar="HxW",
                      default=default("input_size"),
                      help="fixed input size (default: the canvas the model was trained "
                           "on; older models: the training resize of a 4:3 frame)")
    size.add_argument("--dynamic", action="store_true", default=default("dynamic"),
                      help="keep height and width free")
    parser.add_argument("--root", "--calib", metavar="ROOT", dest="root", default=default("root"),
                        help="VOC root: train split calibrates INT8, val split gets the mAP "
                             "report (--calib: its older name)")
    parser.add_argument("--calib-size", type=int, default=default("calib_size"),
                        help="at most this many calibration images (default %(default)s)")
    parser.add_argument("--force", action="store_true", help="export into a non-empty folder")


def format_choices(formats: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """--format's choices: each format alone, or 'all'."""
    return {**{name: (name,) for name in formats}, "all": tuple(formats)}


def format_name(formats: tuple[str, ...], chosen: tuple[str, ...]) -> str:
    """The --format choice that means ``chosen``."""
    return next(n for n, f in format_choices(formats).items() if f == tuple(chosen))


def input_text(card, asked: bool) -> str:  # type: ignore[no-untyped-def]
    """The export's input size, and where a default one came from."""
    rule = card.input
    if rule.height is None:
        return "dynamic"
    if asked:
        return f"{rule.height}x{rule.width}"
    trained = rule.canvas is not None
    return f"{rule.height}x{rule.width} (" + ("the canvas it was trained on" if trained
                                               else "a 4:3 frame's training resize") + ")"


def config_from_args(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The ExportConfig these options ask for."""
    from convert.export import FORMATS, ExportConfig

    if args.calib_size < 1:
        raise GestureKitError("--calib-size must be at least 1")
    return ExportConfig(model=args.model, out=args.out,
                        formats=format_choices(FORMATS)[args.format], precision=args.precision,
                        input_size=args.input_size, dynamic=args.dynamic, root=args.root,
                        calib_size=args.calib_size)


def run(args: argparse.Namespace) -> int:
    from convert.export import export_model

    result = export_model(config_from_args(args), force=args.force)
    print(f"input: {input_text(result.card, args.input_size is not None)}")
    for role, path in result.files.items():
        print(f"{role}: {path}")
    nms = result.card.export.get("nms")
    if nms:
        print(f"NMS in the IR: {nms['chosen']} (median ms {nms['latency_ms_median']})")
    if result.report:
        print(f"val mAP: {result.report['map']}")
    print(f"model card: {result.card.path}")
    return 0
