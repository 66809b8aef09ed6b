"""What a clip-classifier snapshot carries: ``epoch_NNN.json`` beside ``epoch_NNN.h5``.

The JSON holds the class names and the full template the model was trained with (frames,
fps, input size, crop, normalisation, ...), so evaluation and export never ask again.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from voc_tools.errors import GestureKitError

from .templates import Template

FORMAT = "gesturekit-clip-classifier"


@dataclass
class SnapshotInfo:
    """A snapshot's classes and template, plus where it came from."""

    classes: list[str]
    template: Template
    extra: dict = field(default_factory=dict)  # epoch, val_top1, data, ...

    def save(self, snapshot: str | Path) -> Path:
        path = info_path(snapshot)
        data = {"format": FORMAT, "version": 1, "classes": self.classes,
                "template": self.template.to_dict(), **self.extra}
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        return path


def info_path(snapshot: str | Path) -> Path:
    """The JSON beside a snapshot ``.h5``."""
    return Path(snapshot).with_suffix(".json")


def load_info(snapshot: str | Path) -> SnapshotInfo:
    """The metadata of a snapshot (one-line error when missing or not ours)."""
    path = info_path(snapshot)
    if not Path(snapshot).is_file():
        raise GestureKitError("snapshot not found", snapshot)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise GestureKitError(f"cannot read the snapshot's metadata ({err}); snapshots of "
                              "gesturekit clip-train have a .json beside them", path) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise GestureKitError("not a GestureKit clip-classifier metadata file", path)
    try:
        template = Template(**data["template"]).check(path)
        extra = {k: v for k, v in data.items()
                 if k not in ("format", "version", "classes", "template")}
        return SnapshotInfo([str(c) for c in data["classes"]], template, extra)
    except (KeyError, TypeError) as err:
        raise GestureKitError(f"bad clip-classifier metadata ({err})", path) from None
