"""Find the parts of a model made by ``gesturekit convert``: inference.h5, saved_model/, card."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from detector.card import CARD_FILE, ModelCard, read_card_file
from voc_tools.errors import GestureKitError

INFERENCE_H5 = "inference.h5"  # the names detector.convert writes
SAVED_MODEL_DIR = "saved_model"


@dataclass
class ConvertedModel:
    """A converted (inference) keras-retinanet model and its metadata."""

    folder: Path
    h5: Path
    saved_model: Path
    metadata: ModelCard


def find_converted(path: str | Path) -> ConvertedModel:
    """The converted model at ``path``: its folder or its inference.h5."""
    path = Path(path)
    if not path.exists():
        raise GestureKitError("not found", path)
    folder = path if path.is_dir() else path.parent
    h5 = path if path.is_file() else folder / INFERENCE_H5
    if path.is_file() and path.suffix != ".h5":
        raise GestureKitError("expected a folder made by 'gesturekit convert' or its "
                              "inference.h5", path)
    saved_model = folder / SAVED_MODEL_DIR
    if not (saved_model / "saved_model.pb").is_file():
        raise GestureKitError(f"no {SAVED_MODEL_DIR}/saved_model.pb beside the model; "
                              "make it with 'gesturekit convert SNAPSHOT OUT'", folder)
    if not h5.is_file():
        raise GestureKitError(f"no {INFERENCE_H5} in the converted model folder", folder)
    if not (folder / CARD_FILE).is_file():
        raise GestureKitError(f"no {CARD_FILE} beside the model", folder)
    metadata = read_card_file(folder / CARD_FILE)
    if metadata.stage != "inference" or metadata.kind != "detector":
        raise GestureKitError(f"a {metadata.stage} {metadata.kind}; export needs a converted "
                              "(inference) model from 'gesturekit convert'", folder)
    return ConvertedModel(folder, h5, saved_model, metadata)
