"""Finding a served model's card and checking it against the model.

The card itself is the kit's one :class:`detector.card.ModelCard` (schema, loader, writer
and the earlier versions it still reads live there). The runtime adds where a card is
found for a model given without one, the cards it ships for third-party models
(``cards/``, e.g. Open Model Zoo's ``person-detection-asl-0001``), and the check that a
card agrees with the model's actual input.
"""
from __future__ import annotations

from pathlib import Path

from detector.card import (CARD_FILE, ModelCard, card_from_rt_info, read_card_file,
                           read_rt_info)
from voc_tools.errors import GestureKitError

SHIPPED_CARDS = Path(__file__).resolve().parent / "cards"


def resolve_card(model_path: Path, card_path: str | Path | None) -> ModelCard:
    """The card given, else the one the model carries or a shipped one."""
    return read_card_file(card_path) if card_path is not None else find_card(model_path)


def find_card(model_path: str | Path) -> ModelCard:
    """The card of a model given without one: ``gesturekit.json`` beside it or the IR's
    rt_info (an exported GestureKit model), else a card beside it with the same stem
    (``model.xml`` -> ``model.yaml``, as ``gesturekit clip-export`` writes), else a card
    shipped in ``gesturekit/runtime/cards/<model stem>.yaml``."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise GestureKitError("model file not found", model_path)
    if (model_path.parent / CARD_FILE).is_file():
        return read_card_file(model_path.parent / CARD_FILE)
    info = read_rt_info(model_path) if model_path.suffix == ".xml" else None
    if info is not None:
        return card_from_rt_info(info, model_path)
    for candidate in (model_path.with_suffix(".yaml"),
                      SHIPPED_CARDS / f"{model_path.stem}.yaml"):
        if candidate.is_file():
            return read_card_file(candidate)
    raise GestureKitError("no model card: pass one (YAML/JSON), or export the model with "
                          "'gesturekit export' so that it carries its own", model_path)


def check_input_shape(card: ModelCard, shape: list[int | None], model_path: Path) -> None:
    """Refuse a card that disagrees with the model's input shape (None = free dimension)."""
    rule = card.input
    where = f"(model {model_path.name}, input shape {_shape_text(shape)})"
    if len(shape) != len(rule.layout):
        raise GestureKitError(f"card says {card.kind} with layout {rule.layout}, but the "
                              f"model's input has rank {len(shape)} {where}", card.path)
    axes = dict(zip(rule.layout, shape))
    if card.kind == "pose_classifier":
        features = card.pose["features"]
        if axes["C"] not in (None, features):
            raise GestureKitError(f"card pose.features {features} disagrees with the "
                                  f"model {where}", card.path)
        return
    if axes["C"] not in (None, 3):
        raise GestureKitError(f"card layout {rule.layout} puts 3 colour channels on an axis "
                              f"of size {axes['C']} {where}", card.path)
    for axis, value in (("H", rule.height), ("W", rule.width)):
        if axes[axis] is not None and value is not None and axes[axis] != value:
            raise GestureKitError(f"card input size {rule.height}x{rule.width} disagrees "
                                  f"with the model {where}", card.path)
        if axes[axis] is not None and value is None:
            raise GestureKitError(f"card declares a free input size but the model's is "
                                  f"fixed {where}", card.path)
    if card.kind == "clip_classifier" and axes["T"] not in (None, card.clip["frames"]):
        raise GestureKitError(f"card clip.frames {card.clip['frames']} disagrees with the "
                              f"model {where}", card.path)


def _shape_text(shape: list[int | None]) -> str:
    return "[" + ",".join("?" if v is None else str(v) for v in shape) + "]"
