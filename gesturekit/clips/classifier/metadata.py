"""What a clip-classifier snapshot carries: ``epoch_NNN.json`` beside ``epoch_NNN.h5``.

The JSON is the kit's one model card (:class:`detector.card.ModelCard`, stage training, kind
clip_classifier): the class names, the clip input (frames, fps, size, crop, normalisation)
and the full template the model was trained with, so evaluation and export never ask
again. Snapshots saved before the one card still load.
"""
from __future__ import annotations

from pathlib import Path

from detector.card import (FORMAT, VERSION, ModelCard, card_from_dict, clip_input,
                           clip_section, read_card_file)
from voc_tools.errors import GestureKitError

from .templates import Template


def snapshot_card(classes: list[str], template: Template, extra: dict | None = None,
                  stage: str = "training", layout: str = "NTHWC") -> ModelCard:
    """The card of a clip classifier trained with ``template`` (the Keras model's input
    is N x T x H x W x 3, the exported one's N x 3 x T x H x W: ``layout``)."""
    spec = template.to_dict()
    return card_from_dict({"format": FORMAT, "version": VERSION, "stage": stage,
                           "kind": "clip_classifier", "classes": list(classes),
                           "input": {**clip_input(spec), "layout": layout},
                           "output": {"format": "logits", "names": {"probabilities": "logits"}},
                           "clip": {**clip_section(spec), "template": spec},
                           "metadata": dict(extra or {})})


def template_of(card: ModelCard) -> Template:
    """The template a clip classifier's card records."""
    try:
        return Template(**card.clip["template"]).check(card.path)
    except (KeyError, TypeError) as err:
        raise GestureKitError(f"bad clip-classifier card: no usable template ({err})",
                              card.path) from None


def info_path(snapshot: str | Path) -> Path:
    """The JSON beside a snapshot ``.h5``."""
    return Path(snapshot).with_suffix(".json")


def save_info(card: ModelCard, snapshot: str | Path) -> Path:
    """Write a snapshot's card beside it."""
    return card.save(info_path(snapshot))


def load_info(snapshot: str | Path) -> ModelCard:
    """The card of a snapshot (one-line error when missing or not a clip classifier's)."""
    path = info_path(snapshot)
    if not Path(snapshot).is_file():
        raise GestureKitError("snapshot not found", snapshot)
    if not path.is_file():
        raise GestureKitError("the snapshot's card is missing; snapshots of gesturekit "
                              "clip-train have a .json beside them", path)
    card = read_card_file(path)
    if card.kind != "clip_classifier":
        raise GestureKitError(f"not a clip classifier's card (kind {card.kind})", path)
    template_of(card)
    return card
