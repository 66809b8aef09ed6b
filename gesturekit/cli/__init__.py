"""The ``gesturekit`` command: one verb per step, each a thin layer over a library function.

Every verb lives in ``gesturekit/cli/<verb>.py`` (``-`` in a verb is ``_`` in its module) and provides ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Verb modules import the heavy
libraries inside ``run`` so that ``gesturekit --help`` stays instant.
"""
from __future__ import annotations

import argparse
import importlib
import sys

VERBS = ("sample", "frames", "rename", "voc", "split", "check", "label", "prelabel",
         "train", "evaluate", "best", "convert", "export", "bench", "clips", "snippets", "template",
         "clip-train", "clip-eval", "clip-export", "demo",
         "keypoints", "pose-train", "pose-eval", "pose-export", "pseudolabel")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every verb registered."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="gesturekit",
        description="Turn webcam video into a custom hand-gesture detector.")
    parser.add_argument("--version", action="version", version=f"gesturekit {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for name in VERBS:
        module = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
        verb = verbs.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(verb)
        verb.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one verb; user errors print one line and exit 2."""
    from voc_tools.errors import run_reporting_errors

    args = build_parser().parse_args(argv)
    return run_reporting_errors(f"gesturekit {args.verb}", lambda: args._run(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
