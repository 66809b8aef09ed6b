"""The MediaPipe hand options shared by prelabel, keypoints, pseudolabel and pose-eval."""
from __future__ import annotations

import argparse


def add_hand_options(parser: argparse.ArgumentParser, applies_to: str = "",
                     max_hands: bool = True) -> None:
    """``--margin``, ``--min-confidence`` and (unless ``max_hands`` is False)
    ``--max-hands``; ``applies_to`` (e.g. ``"--hands"``) prefixes their help."""
    prefix = f"{applies_to}: " if applies_to else ""
    parser.add_argument("--margin", type=float, default=0.15,
                        help=f"{prefix}a hand's box is the landmarks' extent grown by this "
                             "fraction of its longer side (default 0.15; use one value for "
                             "keypoints, pose-eval and pseudolabel)")
    parser.add_argument("--min-confidence", type=float, default=0.5,
                        help=f"{prefix}MediaPipe's minimum hand-detection confidence "
                             "(default 0.5; lower finds more hands, and more false ones)")
    if max_hands:
        parser.add_argument("--max-hands", type=int, default=2,
                            help=f"{prefix}at most this many hands per image (default 2)")
