"""What an import or export did: counts, plus one line per problem naming the file."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GestureKitError

SKIPPED, FIXED = "skipped", "fixed"


@dataclass
class InteropReport:
    """Counts of an import/export and its problems.

    ``skipped`` lines name something left out (an image, or a whole input file);
    ``fixed`` lines name something taken with a change (rounded, clamped, dropped duplicate).
    """

    images: int = 0
    unchanged: int = 0
    empty: int = 0
    boxes: int = 0
    classes: list[str] = field(default_factory=list)
    classes_added: list[str] = field(default_factory=list)
    splits: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)

    def skip(self, where: str | Path, message: str) -> None:
        self.skipped.append(f"{where}: {message}")

    def fix(self, where: str | Path, message: str) -> None:
        self.fixed.append(f"{where}: {message}")

    def problem_lines(self) -> list[str]:
        """``skipped: ...`` and ``fixed: ...`` lines, skipped first."""
        return ([f"{SKIPPED}: {line}" for line in self.skipped]
                + [f"{FIXED}: {line}" for line in self.fixed])

    def counts(self) -> str:
        """``N image(s) (E without objects), B box(es), C class(es)``."""
        return (f"{self.images} image(s) ({self.empty} without objects), {self.boxes} box(es), "
                f"{len(self.classes)} class(es)")


def message_of(err: GestureKitError) -> str:
    """The message of ``err`` without its leading ``path: ``."""
    text = str(err)
    prefix = f"{err.path}: " if err.path is not None else ""
    return text[len(prefix):] if prefix and text.startswith(prefix) else text
