"""The MediaPipe hand options mean the same in every verb that runs MediaPipe."""
from __future__ import annotations

from gesturekit.cli import build_parser

ARGV = {"prelabel": ["prelabel", "ROOT", "--hands"],
        "keypoints": ["keypoints", "ROOT", "--out", "F"],
        "pseudolabel": ["pseudolabel", "V.mp4", "--out", "R", "--pose", "P"],
        "pose-eval": ["pose-eval", "MODEL", "--voc", "ROOT"]}


def test_same_defaults_in_every_mediapipe_verb() -> None:
    parser = build_parser()
    for verb, argv in ARGV.items():
        args = parser.parse_args(argv)
        assert (args.margin, args.min_confidence) == (0.15, 0.5), verb
        assert getattr(args, "max_hands", 2) == 2, verb
    args = parser.parse_args(ARGV["keypoints"] + ["--margin", "0.2", "--min-confidence",
                                                  "0.3", "--max-hands", "1"])
    assert (args.margin, args.min_confidence, args.max_hands) == (0.2, 0.3, 1)
