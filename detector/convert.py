"""Turn a training snapshot into an inference model (boxes + NMS) with its metadata."""
from __future__ import annotations

from pathlib import Path

from voc_tools.errors import GestureKitError
from voc_tools.outputs import check_output_folder

from .inference import is_training_model, load_keras_model, quiet_saving, save_h5
from .card import load_card

INFERENCE_H5 = "inference.h5"
SAVED_MODEL_DIR = "saved_model"


def convert(snapshot: str | Path, out: str | Path, force: bool = False) -> Path:
    """Write ``OUT/inference.h5``, ``OUT/saved_model/`` and ``OUT/gesturekit.json``.

    Refuses to replace an existing converted model, or to write into any non-empty
    folder, unless ``force``.
    """
    from .model import prediction_model

    snapshot, out = Path(snapshot), Path(out)
    if (out / INFERENCE_H5).exists() and not force:
        raise GestureKitError("already holds a converted model; pass --force to replace it",
                              out)
    check_output_folder(out, force, "convert")
    metadata = load_card(snapshot)
    model = load_keras_model(snapshot, metadata.backbone)
    if not is_training_model(model):
        raise GestureKitError("already an inference model; nothing to convert", snapshot)
    inference = prediction_model(model)
    out.mkdir(parents=True, exist_ok=True)
    save_h5(inference, out / INFERENCE_H5)
    with quiet_saving():
        inference.save(str(out / SAVED_MODEL_DIR), save_format="tf", include_optimizer=False)
    metadata = metadata.at_stage("inference")
    metadata.extra["source_snapshot"] = str(snapshot.resolve())
    metadata.save(out)
    return out / INFERENCE_H5
