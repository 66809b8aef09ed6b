"""gesturekit template: list the clip-classifier templates, or start a work folder from one.

Also the template options shared by ``clip-train``, ``clip-eval`` and ``clip-export``: each
reads ``WORK_DIR/template.yaml`` and any value can be overridden on its command line.
"""
from __future__ import annotations

import argparse
from pathlib import Path

HELP = "list clip-classifier templates, or write one to WORK_DIR/template.yaml"

# option -> (template field, type, help)
OVERRIDES = {
    "--architecture": ("architecture", str, "tsm-mobilenetv3-small or r2plus1d-tiny"),
    "--frames": ("frames", int, "frames per clip (T)"),
    "--fps": ("fps", float, "rate clips are sampled at from the video"),
    "--input-size": ("input_size", int, "frames are resized to SIZE x SIZE"),
    "--epochs": ("epochs", int, "total epochs"),
    "--batch-size": ("batch_size", int, "clips per batch"),
    "--lr": ("learning_rate", float, "Adam learning rate (e.g. 1e-4 to fine-tune)"),
    "--weights": ("weights", str, "none, imagenet (tsm-mobilenetv3-small) or PATH to .h5"),
    "--crop-scale": ("crop_scale", float, "side of the centre square / the frame's shorter side"),
    "--dropout": ("dropout", float, "dropout before the classifier layer"),
}
#: Settings a trained model fixes: evaluation and export refuse a different value.
MODEL_FIXED = ("architecture", "frames", "input_size", "crop_scale", "normalise")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="the built-in templates and their settings")
    make = actions.add_parser("instantiate", help="write WORK_DIR/template.yaml from NAME")
    make.add_argument("name", metavar="NAME", help="a template name (see 'template list')")
    make.add_argument("work_dir", type=Path, metavar="WORK_DIR", help="the work folder")
    make.add_argument("--force", action="store_true",
                      help="replace an existing WORK_DIR/template.yaml")


def add_template_options(parser: argparse.ArgumentParser) -> None:
    """The override options of the clip verbs (every template value)."""
    group = parser.add_argument_group("template overrides (default: WORK_DIR/template.yaml)")
    for option, (dest, kind, text) in OVERRIDES.items():
        group.add_argument(option, dest=dest, type=kind, default=None, help=text,
                           metavar=option.lstrip("-").upper().replace("-", "_"))
    group.add_argument("--mean", type=float, nargs=3, metavar=("R", "G", "B"), default=None,
                       help="normalisation mean per RGB channel (0..255 units)")
    group.add_argument("--std", type=float, nargs=3, metavar=("R", "G", "B"), default=None,
                       help="normalisation std per RGB channel (0..255 units)")


def given_overrides(args: argparse.Namespace, template) -> dict:  # type: ignore[no-untyped-def]
    """The template values given on the command line (normalise merged from --mean/--std)."""
    given = {dest: getattr(args, dest) for dest, _, _ in OVERRIDES.values()
             if getattr(args, dest, None) is not None}
    if args.mean is not None or args.std is not None:
        given["normalise"] = {"mean": args.mean or template.normalise["mean"],
                              "std": args.std or template.normalise["std"]}
    return given


def work_template(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """WORK_DIR's template with the command line's overrides; returns (template, given)."""
    from gesturekit.clips.classifier.templates import TEMPLATE_FILE, read_template, with_overrides

    template = read_template(args.work_dir)
    given = given_overrides(args, template)
    return with_overrides(template, given, args.work_dir / TEMPLATE_FILE), given


def snapshot_template(args: argparse.Namespace, snapshot: Path):  # type: ignore[no-untyped-def]
    """The trained model's template with the overrides a trained model allows (fps,
    batch size, ...); a different value of a setting the model fixes is an error."""
    from gesturekit.clips.classifier.metadata import load_info, template_of
    from gesturekit.clips.classifier.templates import with_overrides
    from voc_tools.errors import GestureKitError

    work, given = work_template(args)
    info = load_info(snapshot)
    trained = template_of(info)
    for name in MODEL_FIXED:
        if name in given and given[name] != getattr(trained, name):
            raise GestureKitError(f"the model was trained with {name} "
                                  f"{getattr(trained, name)}; it cannot be evaluated or "
                                  f"exported with {given[name]}", snapshot)
    free = {k: v for k, v in given.items() if k not in MODEL_FIXED}
    return with_overrides(trained, {"batch_size": work.batch_size, **free}), info


def run(args: argparse.Namespace) -> int:
    from gesturekit.clips.classifier.templates import TEMPLATES, instantiate

    if args.action == "list":
        for template in TEMPLATES.values():
            print(f"{template.name}: {template.description}")
            print(f"    {template.architecture}, {template.frames} frames at {template.fps:g} "
                  f"fps, {template.input_size} px, {template.epochs} epochs, batch "
                  f"{template.batch_size}, lr {template.learning_rate:g}, weights "
                  f"{template.weights}")
        return 0
    path = instantiate(args.name, args.work_dir, args.force)
    print(f"wrote {path}; next: gesturekit clip-train {args.work_dir} --data DATA_DIR")
    return 0
