"""The shipped hand detector (--weights hands): how a model for the user's classes starts
from it, what its card says, and that the weights the kit ships are the card's."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detector import hands
from detector.config import TrainConfig
from voc_tools.errors import GestureKitError

TINY = dict(backbone="mobilenet128_0.25", head_width=8, fpn_width=8, image_min_side=64,
            image_max_side=96)


@pytest.fixture
def tiny_hands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-class model with random (non-prior) weights shipped into a temporary weights
    folder by the kit's own writer, the package's paths pointed there."""
    from detector.model import build_training_model

    model = build_training_model(TINY["backbone"], 1, None, False, 1e-4, TINY["head_width"],
                                 TINY["fpn_width"], compile_model=False)
    rng = np.random.default_rng(0)
    for variable in model.weights:  # noise on every weight; BN variances stay positive
        value = variable.numpy() + rng.normal(0, 0.1, variable.shape).astype("float32")
        variable.assign(np.abs(value) if "variance" in variable.name else value)
    snapshot = tmp_path / "snapshot.h5"
    model.save_weights(str(snapshot), save_format="h5")
    folder = tmp_path / "weights"
    card = {**TINY, "classes": ["hand"], "command": "test", "recipe": {},
            "training": {"wall_minutes": 0, "cpu_minutes": 0, "machine": "test"},
            "data": {"fingers": {"images": 1, "source": "x", "licence": "CC BY 4.0"}},
            "hand_ap50_on_held_back_val": {"fingers": {"ap50": 0.5, "val_images": 1}}}
    written = hands.write_hands_card(snapshot, card, folder)
    assert [p.name for p in written] == ["hands.h5", "hands.json", "HANDS.md"]
    monkeypatch.setattr(hands, "WEIGHTS_DIR", folder)
    monkeypatch.setattr(hands, "HANDS_WEIGHTS", folder / "hands.h5")
    monkeypatch.setattr(hands, "HANDS_CARD", folder / "hands.json")
    return folder


def test_every_class_starts_as_the_hand(tiny_hands: Path) -> None:
    """A 3-class model from --weights hands boxes exactly as the hand model does and scores
    every class exactly as the hand model scores 'hand'."""
    from detector.model import build_training_model

    hand = build_training_model(TINY["backbone"], 1, None, False, 1e-4, TINY["head_width"],
                                TINY["fpn_width"], compile_model=False)
    hand.load_weights(str(tiny_hands / "hands.h5"))
    three = build_training_model(TINY["backbone"], 3, "hands", False, 1e-4,
                                 TINY["head_width"], TINY["fpn_width"])
    image = np.random.default_rng(1).normal(0, 1, (1, 64, 96, 3)).astype("float32")
    hand_boxes, hand_scores = hand.predict(image, verbose=0)
    boxes, scores = three.predict(image, verbose=0)
    assert scores.shape == (*hand_scores.shape[:2], 3)
    np.testing.assert_allclose(boxes, hand_boxes, rtol=1e-5, atol=1e-6)
    for c in range(3):
        np.testing.assert_allclose(scores[..., c], hand_scores[..., 0], rtol=1e-5, atol=1e-6)
    assert np.isfinite(scores).all() and np.ptp(hand_scores) > 1e-3  # not the prior's constant


def test_rebuilt_hands_weights_by_path_start_like_hands(
        tiny_hands: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hands.h5 rebuilt elsewhere (e.g. pretrain_hands.py --without fingers), passed by
    path with its hands.json beside it, starts every class as its hand, takes the hand
    learning rate and fixes its own architecture, with no shipped weights installed."""
    import shutil

    from detector.config import default_learning_rate
    from detector.model import build_training_model
    from detector.train import train

    rebuilt = Path(shutil.copytree(tiny_hands, tmp_path / "rebuilt")) / "hands.h5"
    monkeypatch.setattr(hands, "HANDS_WEIGHTS", tmp_path / "absent" / "hands.h5")
    monkeypatch.setattr(hands, "HANDS_CARD", tmp_path / "absent" / "hands.json")
    assert hands.hand_weights(str(rebuilt)) == rebuilt
    assert hands.hand_weights(str(tmp_path / "other.h5")) is None
    assert default_learning_rate(str(rebuilt)) == 1e-3
    hand = build_training_model(TINY["backbone"], 1, None, False, 1e-4, TINY["head_width"],
                                TINY["fpn_width"], compile_model=False)
    hand.load_weights(str(rebuilt))
    two = build_training_model(TINY["backbone"], 2, str(rebuilt), False, 1e-4,
                               TINY["head_width"], TINY["fpn_width"])
    image = np.random.default_rng(2).normal(0, 1, (1, 64, 96, 3)).astype("float32")
    hand_scores = hand.predict(image, verbose=0)[1]
    scores = two.predict(image, verbose=0)[1]
    for c in range(2):
        np.testing.assert_allclose(scores[..., c], hand_scores[..., 0], rtol=1e-5, atol=1e-6)
    config = TrainConfig(root=str(tmp_path / "voc"), out=str(tmp_path / "run"),
                         weights=str(rebuilt), **{**TINY, "fpn_width": 16})
    with pytest.raises(GestureKitError, match="fpn_width 16 .the hand model's is 8"):
        train(config)


def test_hands_fixes_the_architecture(tiny_hands: Path, tmp_path: Path) -> None:
    from detector.train import train

    config = TrainConfig(root=str(tmp_path / "voc"), out=str(tmp_path / "run"),
                         weights="hands", **{**TINY, "head_width": 16})
    with pytest.raises(GestureKitError, match="head_width 16 .the hand model's is 8"):
        train(config)
    assert not (tmp_path / "run").exists()


def test_missing_weights_fail_with_one_line(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setattr(hands, "HANDS_CARD", tmp_path / "hands.json")
    with pytest.raises(GestureKitError, match="hand-pretrained weights are not installed"):
        hands.hands_card()


def test_the_shipped_weights_match_their_card() -> None:
    """What the package ships: at most 20 MB, a card with the CC BY attribution and the
    held-back AP of each source, and weights that load into the card's architecture."""
    if not hands.HANDS_WEIGHTS.is_file():
        pytest.skip(f"{hands.HANDS_WEIGHTS} not built (scripts/pretrain_hands.py)")
    from detector.model import build_training_model

    card = hands.hands_card()
    assert hands.HANDS_WEIGHTS.stat().st_size <= 20 * 2**20
    assert card["classes"] == ["hand"] and "pretrain_hands.py" in card["command"]
    assert {"fingers", "rf100"} <= set(card["data"])
    assert all(card["data"][n]["licence"] == "CC BY 4.0" for n in ("fingers", "rf100"))
    for row in card["hand_ap50_on_held_back_val"].values():
        assert 0.0 <= row["ap50"] <= 1.0 and row["val_images"] > 0
    readme = (hands.WEIGHTS_DIR / "HANDS.md").read_text()
    assert "attribute the two Roboflow datasets" in readme
    model = build_training_model(card["backbone"], 2, "hands", False, 1e-4,
                                 card["head_width"], card["fpn_width"])
    assert model.get_layer("classification_submodel").output_shape[-1] == 2
