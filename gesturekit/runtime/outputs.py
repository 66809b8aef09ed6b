"""A backend-neutral description of a model's inputs and outputs, and finding outputs by role."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from voc_tools.errors import GestureKitError


@dataclass(frozen=True)
class TensorInfo:
    """One input or output: its names, shape (None = free dimension) and integer-ness."""

    names: frozenset[str]
    shape: tuple[int | None, ...] | None  # None: even the rank is unknown
    integer: bool

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    @property
    def last(self) -> int | None:
        return None if not self.shape else self.shape[-1]


def find_output(outputs: list[TensorInfo], role: str, names: dict[str, str],
                rule: Callable[[TensorInfo], bool], model_path: Path) -> int:
    """The index of the output playing ``role``: the one the card names, else the only one
    matching ``rule``."""
    if role in names:
        hits = [i for i, out in enumerate(outputs) if names[role] in out.names]
        what = f"named '{names[role]}'"
    else:
        hits = [i for i, out in enumerate(outputs) if rule(out)]
        what = "of the expected shape and type"
    if not hits:
        raise GestureKitError(f"the model has no '{role}' output {what}; is it the kind of "
                              "model its card says?", model_path)
    return hits[0]
