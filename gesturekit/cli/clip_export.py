"""gesturekit clip-export: a clip-classifier snapshot -> OpenVINO IR + ONNX (input
1 x 3 x T x H x W) and the runtime card, with Keras/OpenVINO/ONNX parity checked."""
from __future__ import annotations

import argparse
from pathlib import Path

from .clip_eval import add_snapshot_option, chosen_snapshot
from .template import add_template_options

HELP = "export a clip classifier to OpenVINO IR and ONNX with its runtime card"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_snapshot_option(parser)
    parser.add_argument("--out", type=Path, required=True,
                        help="output folder (must be empty or new unless --force)")
    parser.add_argument("--data", type=Path, metavar="DATA_DIR",
                        help="rawframes dataset whose --split clips check parity (default: "
                             "random tensors)")
    parser.add_argument("--split", default="val.txt",
                        help="annotation file for the parity clips (default val.txt)")
    parser.add_argument("--force", action="store_true",
                        help="export into a non-empty folder (files of the same name are "
                             "replaced)")
    add_template_options(parser)


def run(args: argparse.Namespace) -> int:
    from convert.clip_export import export_clip_classifier

    from .template import snapshot_template

    snapshot = chosen_snapshot(args)
    template, _ = snapshot_template(args, snapshot)
    result = export_clip_classifier(snapshot, args.out, args.force, args.data, args.split,
                                    template=template)
    for role, path in result.files.items():
        print(f"{role}: {path}")
    parity = result.parity
    print(f"parity on {parity['clips']} clips: max |logit diff| OpenVINO "
          f"{parity['openvino_max_abs_diff']:.2e}, ONNX {parity['onnx_max_abs_diff']:.2e}")
    print(f"next: gesturekit demo VIDEO --detector D --classifier {result.files['openvino']}")
    return 0
