"""One set of training defaults: the CLI's options come from the library's TrainConfig."""
from __future__ import annotations

import json
from dataclasses import asdict, fields, replace
from pathlib import Path

import pytest

from detector.config import LEGACY_VALUES, TrainConfig, resolved
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
                         "--lr-schedule", "constant", "--ema-decay", "0.99", "--precision", "bfloat16",
                         "--head-width", "16", "--head-norm", "group",
                         "--box-loss", "smooth_l1", "--optimizer", "sgd",
                         "--outside-anchors", "ignore", "--assigner", "atss",
                         "--fpn-width", "24", "--freeze-backbone", "--no-random-transform",
                         "--strong-augment", "--mosaic", "0.5",
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


def test_a_run_saved_before_the_precision_option_resumes_in_float32(tmp_path: Path) -> None:
    saved = asdict(TrainConfig(root="R", out=str(tmp_path)))
    del saved["precision"]
    (tmp_path / "train_config.json").write_text(json.dumps(saved))
    assert resume_config(tmp_path).precision == "float32"


def test_the_learning_rate_follows_the_weights_unless_set() -> None:
    assert resolved(TrainConfig(root="R", out="O")).learning_rate == 1e-3
    assert resolved(TrainConfig(root="R", out="O", weights="none")).learning_rate == 1e-4
    assert resolved(_cli_config("R", "--out", "O", "--lr", "0.02")).learning_rate == 0.02
    assert resolved(_cli_config("R", "--out", "O", "--optimizer", "sgd")).learning_rate == 1e-2


def test_the_defaults_are_the_shipped_hand_models_architecture() -> None:
    """`gesturekit train ROOT --out RUN` fine-tunes the hand detector as it was built."""
    from detector.hands import architecture_mismatch, hands_card

    defaults = TrainConfig(root="R", out="O")
    assert architecture_mismatch(asdict(defaults)) is None
    card = hands_card()
    assert (defaults.image_min_side, defaults.image_max_side) == (
        card["image_min_side"], card["image_max_side"])


def test_the_head_norm_follows_the_weights_unless_set(tmp_path: Path) -> None:
    from detector.model import build_training_model

    assert resolved(TrainConfig(root="R", out="O")).head_norm == "none"  # the shipped hands
    assert resolved(TrainConfig(root="R", out="O", weights="none")).head_norm == "none"
    grouped = tmp_path / "grouped.h5"
    build_training_model("mobilenet128_0.25", 1, None, False, 1e-3, head_width=8,
                         fpn_width=8, head_norm="group").save(str(grouped))
    assert resolved(TrainConfig(root="R", out="O", weights=str(grouped))).head_norm == "group"
    assert resolved(_cli_config("R", "--out", "O", "--weights", "none",
                                "--head-norm", "group")).head_norm == "group"


@pytest.mark.parametrize("name", sorted(LEGACY_VALUES))
def test_a_run_saved_before_an_option_existed_resumes_as_it_was_built(
        tmp_path: Path, name: str) -> None:
    """A train_config.json without the field resumes with the value those runs were
    trained with (e.g. smooth L1, outside anchors ignored), not today's default."""
    saved = asdict(TrainConfig(root="R", out=str(tmp_path)))
    del saved[name]
    (tmp_path / "train_config.json").write_text(json.dumps(saved))
    assert getattr(resume_config(tmp_path), name) == LEGACY_VALUES[name]


def test_the_training_models_follow_the_config_they_are_given() -> None:
    """Library callers (train, the benches) get the config's box loss and optimizer; the
    builder's own defaults are TrainConfig's, so no caller trains a stale default."""
    from detector.model import build_training_model, training_models

    config = resolved(TrainConfig(root="R", out="O", backbone="mobilenet128_0.25",
                                  weights="none", head_width=8, fpn_width=8))
    model, step_model = training_models(config, 2, None)
    assert step_model is model
    assert model.loss["regression"].__name__ == "_giou_loss"
    assert type(model.optimizer).__name__ == "Adam"
    sgd = replace(config, box_loss="smooth_l1", optimizer="sgd", learning_rate=1e-2)
    model, twin = training_models(sgd, 2, None, "bfloat16")
    assert model.loss["regression"].__name__ == "_smooth_l1"
    assert twin.loss["regression"].__name__ == "_smooth_l1"
    assert type(model.optimizer).__name__ == "SGD"
    plain = build_training_model("mobilenet128_0.25", 2, None, False, 1e-3, 8, 8)
    assert plain.loss["regression"].__name__ == "_giou_loss"

