"""The metadata a GestureKit model carries: classes, backbone, input size, preprocessing.

It lives in a JSON sidecar, ``gesturekit.json``, in the model's folder (a training run
folder, or a converted model folder), so no later step asks the user to repeat it.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from voc_tools.errors import GestureKitError

from .preprocess import InputRule

METADATA_FILE = "gesturekit.json"
FORMAT = "gesturekit-model"

# keras-retinanet's per-backbone preprocessing, as a name our numpy code implements.
_PREPROCESS_BY_FAMILY = {"resnet": "caffe", "vgg": "caffe", "mobilenet": "tf",
                         "densenet": "tf", "EfficientNet": "torch", "seresnet": "caffe",
                         "seresnext": "caffe", "senet": "caffe"}


def preprocess_mode(backbone: str) -> str:
    """The preprocessing mode ('caffe', 'tf', 'torch') keras-retinanet uses for a backbone."""
    for prefix, mode in _PREPROCESS_BY_FAMILY.items():
        if backbone.startswith(prefix):
            return mode
    raise GestureKitError(f"unknown backbone '{backbone}'")


@dataclass
class ModelMetadata:
    """Everything needed to run a model on a raw image without asking the user."""

    classes: list[str]
    backbone: str
    image_min_side: int
    image_max_side: int
    preprocess: str = ""
    color_order: str = "BGR"
    model_type: str = "training"  # 'training' or 'inference'
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.preprocess:
            self.preprocess = preprocess_mode(self.backbone)

    @property
    def input_rule(self) -> InputRule:
        """How a raw image becomes this Keras model's input: letterboxed to the training
        sides, free size (the kit's one preprocessing, :mod:`detector.preprocess`)."""
        return InputRule(normalise=self.preprocess, color_order=self.color_order,
                         min_side=self.image_min_side, max_side=self.image_max_side)

    def save(self, folder: str | Path) -> Path:
        """Write ``gesturekit.json`` into ``folder``."""
        path = Path(folder) / METADATA_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT, "version": 1, **asdict(self)}
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "ModelMetadata":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise GestureKitError(f"cannot read model metadata ({err})", path) from None
        if data.get("format") != FORMAT:
            raise GestureKitError("not a GestureKit model metadata file", path)
        try:
            return cls(**{k: v for k, v in data.items() if k not in ("format", "version")})
        except TypeError as err:
            raise GestureKitError(f"bad model metadata ({err})", path) from None


def find_metadata(model_path: str | Path) -> Path:
    """The sidecar of a model file or folder: its own folder first, then the parent."""
    model_path = Path(model_path)
    if not model_path.exists():
        raise GestureKitError("model not found", model_path)
    folder = model_path if model_path.is_dir() else model_path.parent
    for candidate in (folder / METADATA_FILE, folder.parent / METADATA_FILE):
        if candidate.is_file():
            return candidate
    raise GestureKitError(f"no {METADATA_FILE} beside the model; models made by "
                          "'gesturekit train' or 'gesturekit convert' carry one", model_path)


def load_metadata(model_path: str | Path) -> ModelMetadata:
    """Load the metadata that travels with ``model_path``."""
    return ModelMetadata.load(find_metadata(model_path))
