"""The hand detector the kit ships (``--weights hands``): where it lives, its card, and
how a training model for the user's classes starts from it.

The shipped weights are a one-class (``hand``) RetinaNet trained on real labelled hands
(``scripts/pretrain_hands.py`` rebuilds them from ``../shared``). A model for C classes
takes the backbone, pyramid and box head as they are, and every class's score layer
starts as the hand score layer: each class starts as "a hand" and learns to split.
TensorFlow-free except :func:`load_hands_weights`.
"""
from __future__ import annotations

import json
from pathlib import Path

from voc_tools.errors import GestureKitError

from .config import GROUP_NORM_SUFFIX

HANDS = "hands"
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
HANDS_WEIGHTS = WEIGHTS_DIR / "hands.h5"
HANDS_CARD = WEIGHTS_DIR / "hands.json"
#: TrainConfig fields the shipped model fixes (a fine-tuned model must be built the same)
ARCHITECTURE = ("backbone", "head_width", "fpn_width", "head_norm")
#: What a card written before a field existed holds for it
CARD_DEFAULTS = {"head_norm": "none"}


def hand_weights(weights: str | None) -> Path | None:
    """The hand-pretrained weights file ``weights`` names: the shipped one for 'hands', or
    a path to a ``hands.h5`` rebuilt by ``scripts/pretrain_hands.py`` (its ``hands.json``
    card beside it, e.g. ``--without fingers``); None for any other weights."""
    if weights == HANDS:
        return HANDS_WEIGHTS
    if weights and weights not in ("none", "imagenet"):
        path = Path(weights)
        if path.suffix == ".h5" and (path.parent / HANDS_CARD.name).is_file():
            return path
    return None


def hands_card(weights: Path | None = None) -> dict:
    """The card (architecture, input, data, licences, scores) of the hand-pretrained
    ``weights`` (default: the shipped ones), read from the ``hands.json`` beside them."""
    weights = HANDS_WEIGHTS if weights is None else weights
    card = HANDS_CARD if weights == HANDS_WEIGHTS else weights.parent / HANDS_CARD.name
    if not card.is_file() or not weights.is_file():
        raise GestureKitError("the hand-pretrained weights are not installed (rebuild them "
                              "with scripts/pretrain_hands.py, or pass --weights none)",
                              weights.parent)
    return json.loads(card.read_text(encoding="utf-8"))


def architecture_mismatch(values: dict, weights: Path | None = None) -> str | None:
    """Why a model with these TrainConfig ``values`` cannot start from the hand-pretrained
    ``weights`` (default: the shipped ones; one line), or None when it can. A value None
    is left to the weights."""
    card = {**CARD_DEFAULTS, **hands_card(weights)}
    wrong = [f"{name} {values[name]} (the hand model's is {card[name]})"
             for name in ARCHITECTURE if values[name] not in (None, card[name])]
    if not wrong:
        return None
    return ("--weights hands fixes the architecture: " + "; ".join(wrong) +
            "; leave these options at their defaults, or train another architecture with "
            "--weights imagenet or none")


def _hand_model(card: dict, weights: str | Path):  # type: ignore[no-untyped-def]
    """The card's one-class network, uncompiled, with ``weights`` loaded."""
    from .model import build_training_model

    model = build_training_model(card["backbone"], 1, None, False, 1e-4, card["head_width"],
                                 card["fpn_width"], compile_model=False,
                                 head_norm=card.get("head_norm", CARD_DEFAULTS["head_norm"]))
    model.load_weights(str(weights))
    return model


def load_hands_weights(model, num_classes: int,  # type: ignore[no-untyped-def]
                       weights: Path | None = None):
    """Load hand-pretrained ``weights`` (default: the shipped ones) into ``model`` (built
    for ``num_classes`` classes with their card's architecture); the class score layer is
    the hand's, repeated per class."""
    import numpy as np

    weights = HANDS_WEIGHTS if weights is None else weights
    hand = _hand_model(hands_card(weights), weights)
    # the same architecture built twice lists its layers in the same order (auto-numbered
    # names such as the input's differ between the two builds, so match by position)
    for layer, source in zip(model.layers, hand.layers):
        if layer.name != "classification_submodel":
            layer.set_weights(source.get_weights())
            continue
        for inner, inner_source in zip(layer.layers, source.layers):
            weights = inner_source.get_weights()
            if inner.name == "pyramid_classification":
                # channel a*C + c scores class c at anchor a: the hand's channel a for every c
                weights = [np.repeat(w, num_classes, axis=-1) for w in weights]
            inner.set_weights(weights)
    return model


def hand_detector():  # type: ignore[no-untyped-def]
    """The shipped hand detector as a :class:`~detector.engine.KerasModel` (class
    ``hand``, the card's input size): the hybrid route's first stage."""
    from .card import detector_card
    from .engine import KerasModel
    from .model import prediction_model

    card = hands_card()
    model = _hand_model(card, HANDS_WEIGHTS)
    metadata = detector_card(card["classes"], card["backbone"], card["image_min_side"],
                             card["image_max_side"], "inference")
    return KerasModel(prediction_model(model), metadata, name="hands")


def write_hands_card(snapshot: str | Path, card: dict,
                     dest: str | Path | None = None) -> list[Path]:
    """Ship a pretraining run's ``snapshot``: its weights (no optimizer state) as
    ``hands.h5``, ``card`` as ``hands.json`` and a readable ``HANDS.md``, in ``dest``
    (default: the package's weights folder). Returns the files written."""
    folder = Path(dest) if dest is not None else WEIGHTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    model = _hand_model(card, snapshot)
    weights, card_path, readme = (folder / HANDS_WEIGHTS.name, folder / HANDS_CARD.name,
                                  folder / "HANDS.md")
    tmp = weights.with_name(f".{weights.name}.tmp")
    model.save_weights(str(tmp), save_format="h5")
    tmp.replace(weights)
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    readme.write_text(card_markdown(card), encoding="utf-8")
    return [weights, card_path, readme]


def card_markdown(card: dict) -> str:
    """The card for people: what the model is, what it learnt from, how good, the limits."""
    lines = ["# GestureKit hand detector (`--weights hands`)", "",
             f"One class, `hand`. RetinaNet, {card['backbone']} backbone, heads and feature "
             f"pyramid {card['head_width']}/{card['fpn_width']} filters wide, trained at "
             f"{card['image_min_side']}..{card['image_max_side']} px from random weights "
             f"on a {card['training']['machine']} in {card['training']['wall_minutes']} "
             f"minutes ({card['training']['cpu_minutes']} CPU-minutes).", "",
             f"Rebuild: `{card['command']}` (needs `../shared`).", "",
             "## Data and licences", "", "| source | images | licence | attribution |",
             "|---|---|---|---|"]
    for name, data in card["data"].items():
        lines.append(f"| {name} | {data['images']} | {data['licence']} | {data['source']} |")
    lines += ["", "Images used for training and validation; each set's published test "
              "split was held out of both.", "",
              "Weights trained on CC BY 4.0 data: when you publish this model, or a "
              "model fine-tuned from it, attribute the two Roboflow datasets above.", "",
              "## Hand AP@0.5 on each source's held-back val part", "",
              "Capture groups (a WhatsApp day, a block of video frames, a sample take) are "
              "never split between train and val.", "", "| source | val images | AP@0.5 |",
              "|---|---|---|"]
    for name, row in card["hand_ap50_on_held_back_val"].items():
        lines.append(f"| {name} | {row['val_images']} | {row['ap50']:.3f} |")
    lines += ["", "## Recipe", "", "```json", json.dumps(card["recipe"], indent=2), "```", "",
              "## Limits", ""] + [f"- {line}" for line in card.get("limits", [])]
    return "\n".join(lines) + "\n"


def stored_head_norm(weights: str | Path) -> str:
    """The head norm (``detector.config.HEAD_NORMS``) of the network saved in the .h5
    ``weights``: from the card of hand-pretrained weights, else "group" when the file
    holds GroupNorm head layers, so a model that loads them is built the same way."""
    hand = hand_weights(str(weights))
    if hand is not None:
        return {**CARD_DEFAULTS, **hands_card(hand)}["head_norm"]
    import h5py

    if not Path(weights).is_file():
        raise GestureKitError("weights file not found", weights)
    names: list[str] = []
    try:
        with h5py.File(str(weights), "r") as saved:
            saved.visit(names.append)
    except OSError as err:
        raise GestureKitError(f"cannot read weights ({str(err).splitlines()[0]})",
                              weights) from None
    marker = "pyramid_classification_0" + GROUP_NORM_SUFFIX
    return "group" if any(marker in name for name in names) else "none"
