"""The cards the runtime ships for third-party models, and where a served model's card is
found. The card itself is the kit's one :class:`detector.card.ModelCard`."""
from __future__ import annotations

from pathlib import Path

from detector.card import ModelCard, find_card, read_card_file

#: Cards of third-party models, by model stem (e.g. Open Model Zoo's person-detection-asl-0001).
SHIPPED_CARDS = Path(__file__).resolve().parent / "cards"


def resolve_card(model_path: str | Path, card_path: str | Path | None) -> ModelCard:
    """The card given, else the one the model carries, beside it, or shipped here."""
    if card_path is not None:
        return read_card_file(card_path)
    return find_card(model_path, SHIPPED_CARDS)
