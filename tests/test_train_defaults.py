"""One set of training defaults: the CLI's options come from the library's TrainConfig."""
from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

from detector.config import TrainConfig
from detector.train import resume_config
from gesturekit.cli import build_parser
from gesturekit.cli.train import config_from_args


def _cli_config(*argv: str) -> TrainConfig:
    return config_from_args(build_parser().parse_args(["train", *argv]))


def test_cli_defaults_are_the_librarys() -> None:
    assert _cli_config("ROOT", "--out", "RUN") == TrainConfig(root="ROOT", out="RUN")


def test_every_field_is_an_option() -> None:
    """Each TrainConfig field can be set from the command line (and reaches the config)."""
    config = _cli_config("R", "--out", "O", "--backbone", "resnet50", "--epochs", "3",
                         "--steps", "7", "--batch-size", "2", "--image-min-side", "100",
                         "--image-max-side", "150", "--weights", "none", "--lr", "0.01",
                         "--lr-schedule", "constant", "--head-width", "16",
                         "--fpn-width", "24", "--freeze-backbone", "--no-random-transform",
                         "--strong-augment",
                         "--keep-best", "1", "--eval-every", "2", "--train-split", "t",
                         "--val-split", "v", "--seed", "5", "--pseudo", "P",
                         "--pseudo-min-score", "0.5", "--pseudo-weight", "0.25")
    defaults = TrainConfig(root="R", out="O")
    changed = {f.name for f in fields(TrainConfig)
               if getattr(config, f.name) != getattr(defaults, f.name)}
    assert changed == {f.name for f in fields(TrainConfig)} - {"root", "out"}


def test_a_run_saved_before_the_pyramid_option_resumes_with_its_256_pyramid(
        tmp_path: Path) -> None:
    saved = asdict(TrainConfig(root="R", out=str(tmp_path), fpn_width=0))
    del saved["fpn_width"]
    (tmp_path / "train_config.json").write_text(json.dumps(saved))
    config = resume_config(tmp_path)
    assert config.fpn_width == 256 and config.head_width == saved["head_width"]
