"""Training templates: named presets written to ``WORK_DIR/template.yaml``.

As in OpenVINO's training extensions, a work folder starts from a template
(``gesturekit template instantiate NAME WORK_DIR``); ``clip-train``, ``clip-eval`` and
``clip-export`` read its ``template.yaml``, and any value can be overridden on their
command line. The file is plain YAML the user may edit.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from voc_tools.errors import GestureKitError

TEMPLATE_FILE = "template.yaml"
ARCHITECTURES = ("tsm-mobilenetv3-small", "r2plus1d-tiny")  # built by classifier.model
CROPS = ("frame",)


@dataclass(frozen=True)
class Template:
    """Every setting of a clip classifier's training, evaluation and export."""

    name: str
    description: str
    architecture: str
    frames: int  # T, frames per clip
    fps: float  # clips are sampled at this rate from the video
    input_size: int  # frames are resized to input_size x input_size
    epochs: int
    batch_size: int
    learning_rate: float
    weights: str = "none"  # none | imagenet (tsm-mobilenetv3-small) | PATH to .h5
    crop: str = "frame"  # centre square of the whole frame
    crop_scale: float = 1.0  # side of the centre square / the frame's shorter side
    color_order: str = "RGB"
    normalise: dict = field(default_factory=lambda: {"mean": [127.5] * 3, "std": [127.5] * 3})
    dropout: float = 0.2

    def check(self, where: Path | None = None) -> "Template":
        """Refuse impossible values (one-line error naming ``where``)."""
        problems = []
        if self.architecture not in ARCHITECTURES:
            problems.append(f"architecture '{self.architecture}' is not one of "
                            f"{', '.join(ARCHITECTURES)}")
        if self.crop not in CROPS:
            problems.append(f"crop '{self.crop}' is not one of {', '.join(CROPS)}")
        for name in ("frames", "input_size", "epochs", "batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                problems.append(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.input_size < 16:
            problems.append(f"input_size must be at least 16, got {self.input_size}")
        if not self.fps > 0 or not self.learning_rate > 0:
            problems.append("fps and learning_rate must be positive")
        if not 0 < self.crop_scale <= 1 or not 0 <= self.dropout < 1:
            problems.append("need 0 < crop_scale <= 1 and 0 <= dropout < 1")
        if self.color_order != "RGB":
            problems.append("color_order must be RGB")
        mean, std = self.normalise.get("mean"), self.normalise.get("std")
        if not (isinstance(mean, list) and isinstance(std, list) and len(mean) == len(std) == 3
                and min(std) > 0):
            problems.append("normalise needs mean and std lists of 3 values, std > 0")
        if problems:
            raise GestureKitError(f"bad template: {problems[0]}", where)
        return self

    def to_dict(self) -> dict:
        return asdict(self)


TEMPLATES = {t.name: t for t in (
    Template("tsm-mobilenetv3-small", "MobileNetV3-Small per frame with temporal shift; "
             "16 frames at 15 fps, 160 px (webcam gestures)",
             "tsm-mobilenetv3-small", frames=16, fps=15, input_size=160, epochs=40,
             batch_size=8, learning_rate=1e-3),
    Template("r2plus1d-tiny", "small (2+1)D ResNet trained from scratch; 8 frames at 8 fps, "
             "96 px (fast on a CPU)", "r2plus1d-tiny", frames=8, fps=8, input_size=96,
             epochs=30, batch_size=8, learning_rate=3e-3),
    Template("sample-r2plus1d-tiny", "the (2+1)D network sized for the synthetic dynamic "
             "sample (gesturekit sample OUT --dynamic): 8 frames at 5 fps, 48 px",
             "r2plus1d-tiny", frames=8, fps=5, input_size=48, epochs=15, batch_size=4,
             learning_rate=3e-3),
)}


def get_template(name: str) -> Template:
    """A built-in template by name (one-line error listing the names)."""
    if name not in TEMPLATES:
        raise GestureKitError(f"unknown template '{name}' (one of {', '.join(TEMPLATES)}; "
                              "see 'gesturekit template list')")
    return TEMPLATES[name]


def instantiate(name: str, work_dir: str | Path, force: bool = False) -> Path:
    """Write ``WORK_DIR/template.yaml`` from a built-in template; an existing one is
    refused unless ``force``."""
    import yaml

    template = get_template(name)
    path = Path(work_dir) / TEMPLATE_FILE
    if path.exists() and not force:
        raise GestureKitError("exists; refusing to overwrite (edit it, or pass --force)", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# GestureKit clip classifier template '{name}': {template.description}\n"
              "# Read by gesturekit clip-train / clip-eval / clip-export; every value can be\n"
              "# overridden on their command line (e.g. --epochs 5 --lr 1e-4).\n")
    path.write_text(header + yaml.safe_dump(template.to_dict(), sort_keys=False,
                                                  default_flow_style=None, width=100),
                    encoding="utf-8")
    return path


def read_template(work_dir: str | Path) -> Template:
    """The template of a work folder (one-line errors for a missing or bad file)."""
    import yaml

    path = Path(work_dir) / TEMPLATE_FILE
    if not path.is_file():
        raise GestureKitError(f"no {TEMPLATE_FILE}; start a work folder with 'gesturekit "
                              "template instantiate NAME WORK_DIR' (see 'gesturekit template "
                              "list')", path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise GestureKitError(f"cannot read template ({first})", path) from None
    if not isinstance(data, dict):
        raise GestureKitError("bad template: expected a mapping", path)
    known = {f.name for f in fields(Template)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise GestureKitError(f"bad template: unknown key(s) {', '.join(unknown)} (known: "
                              f"{', '.join(sorted(known))})", path)
    defaults = TEMPLATES.get(str(data.get("name")), TEMPLATES["r2plus1d-tiny"]).to_dict()
    try:
        return Template(**{**defaults, **data}).check(path)
    except TypeError as err:
        raise GestureKitError(f"bad template ({err})", path) from None


def with_overrides(template: Template, overrides: dict[str, Any],
                   where: Path | None = None) -> Template:
    """``template`` with the non-None ``overrides`` applied and checked."""
    given = {key: value for key, value in overrides.items() if value is not None}
    unknown = sorted(set(given) - {f.name for f in fields(Template)})
    if unknown:
        raise ValueError(f"not template settings: {unknown}")
    return replace(template, **given).check(where)
