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
    parser.add_argument("model", help="folder made by 'gesturekit convert', or its inference.h5")
    parser.add_argument("--format", choices=("onnx", "openvino", "all"), default="all")
    parser.add_argument("--out", required=True, help="output folder (must be empty or new)")
    parser.add_argument("--precision", choices=("fp32", "bf16", "int8"), default="fp32",
                        help="fp32 (default); bf16: runtime hint; int8: NNCF, needs --calib")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--input-size", type=parse_size, metavar="HxW",
                      help="fixed input size (default: the training resize of a 4:3 frame)")
    size.add_argument("--dynamic", action="store_true", help="keep height and width free")
    parser.add_argument("--calib", metavar="VOC_ROOT",
                        help="VOC root: train split calibrates INT8, val split gets the mAP report")
    parser.add_argument("--calib-size", type=int, default=300,
                        help="at most this many calibration images (default 300)")
    parser.add_argument("--force", action="store_true", help="export into a non-empty folder")


def run(args: argparse.Namespace) -> int:
    from convert.export import FORMATS, export_model

    if args.calib_size < 1:
        raise GestureKitError("--calib-size must be at least 1")
    formats = FORMATS if args.format == "all" else (args.format,)
    result = export_model(args.model, args.out, formats, args.precision, args.input_size,
                          args.dynamic, args.calib, args.calib_size, args.force)
    for role, path in result.files.items():
        print(f"{role}: {path}")
    nms = result.card.export.get("nms")
    if nms:
        print(f"NMS in the IR: {nms['chosen']} (median ms {nms['latency_ms_median']})")
    if result.report:
        print(f"val mAP: {result.report['map']}")
    print(f"model card: {result.card.path}")
    return 0
