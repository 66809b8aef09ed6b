"""Export a clip-classifier snapshot for the runtime: OpenVINO IR, ONNX and its model card.

The exported graph takes the runtime's clip layout, ``clip`` 1 x 3 x T x H x W (RGB,
normalised as the card says), transposes it to the Keras model's 1 x T x H x W x 3 inside
the graph, and gives ``logits`` 1 x classes. Files in OUT::

    model.xml / model.bin   OpenVINO IR (ov.convert_model of the Keras model, FP32 weights)
    model.onnx              ONNX (tf2onnx from the Keras model, opset 17)
    model.yaml              the model card (detector.card, stage exported, kind clip_classifier,
                            layout NCTHW, clip.frames/fps/crop_scale/crop, normalise, logits)

Serve with ``ModelServer().add("gesture", "OUT/model.xml")`` (the runtime finds the card
of the same stem beside the model) or ``gesturekit demo SOURCE --detector D --classifier
OUT/model.xml``. Parity
(max |logit difference| of OpenVINO and ONNX Runtime against Keras) is measured on a few
clips and written into the card's ``export`` section.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from detector.card import ModelCard

from .export import _prepare_out, _tool_versions
from .keras_export import parity, write_both

IR_FILE, ONNX_FILE, CARD_FILE = "model.xml", "model.onnx", "model.yaml"
INPUT_NAME, OUTPUT_NAME = "clip", "logits"


@dataclass
class ClipExport:
    """What :func:`export_clip_classifier` wrote and measured."""

    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    card: ModelCard | None = None
    parity: dict[str, float] = field(default_factory=dict)


def ncthw_model(model):  # type: ignore[no-untyped-def]
    """``model`` (B x T x H x W x 3) behind a transpose from 1 x 3 x T x H x W."""
    from gesturekit.clips.classifier.model import keras

    frames, height, width, channels = model.input_shape[1:]
    clip = keras.Input((channels, frames, height, width), batch_size=1, name=INPUT_NAME)
    nthwc = keras.layers.Permute((2, 3, 4, 1), name="ncthw_to_nthwc")(clip)
    return keras.Model(clip, model(nthwc, training=False), name="clip_classifier")


def exported_card(classes: list[str], template) -> ModelCard:  # type: ignore[no-untyped-def]
    """The card of an exported clip classifier (1 x 3 x T x H x W in, logits out)."""
    from gesturekit.clips.classifier.metadata import snapshot_card

    card = snapshot_card(classes, template, stage="exported", layout="NCTHW")
    card.input_name, card.output_names = INPUT_NAME, {"probabilities": OUTPUT_NAME}
    return card


def sample_tensors(template, data_dir: Path | None, split: str | Path,  # type: ignore[no-untyped-def]
                   classes: list[str], count: int) -> np.ndarray:
    """Up to ``count`` NCTHW clips of the data's split (centred windows), else random."""
    if data_dir is None:
        rng = np.random.default_rng(0)
        shape = (count, 1, 3, template.frames, template.input_size, template.input_size)
        return rng.normal(0, 1, shape).astype(np.float32)
    from gesturekit.clips.classifier.data import ClipBatches, load_split, normalise

    clips = load_split(data_dir, split, template.frames, classes)
    clips.records = clips.records[::max(1, len(clips.records) // count)][:count]
    batches = ClipBatches(clips, template, 1, train=False)
    return np.stack([normalise(batches.clip(i), template).transpose(3, 0, 1, 2)[None]
                     for i in range(len(clips.records))]).astype(np.float32)


def export_clip_classifier(snapshot: str | Path, out: str | Path, force: bool = False,
                           data_dir: str | Path | None = None,
                           split: str | Path = "val.txt", parity_clips: int = 4,
                           template=None) -> ClipExport:  # type: ignore[no-untyped-def]
    """Write IR, ONNX and the runtime card of a snapshot into ``out`` and check parity
    (on clips of ``data_dir``'s ``split`` when given, else random tensors). ``template``:
    the snapshot's own unless given (e.g. another clip fps for the card)."""
    from gesturekit.clips.classifier.metadata import load_info, template_of
    from gesturekit.clips.classifier.model import load_model

    snapshot, out = Path(snapshot), Path(out)
    info = load_info(snapshot)
    template = template or template_of(info)
    model = load_model(snapshot)
    _prepare_out(out, force)
    exported = ncthw_model(model)
    result = ClipExport(out)
    files, timings = write_both(exported, out, IR_FILE, ONNX_FILE, INPUT_NAME, OUTPUT_NAME)
    result.files.update(files)
    tensors = sample_tensors(template, None if data_dir is None else Path(data_dir), split,
                             info.classes, parity_clips)
    result.parity = {**parity(exported, result.files, list(tensors), INPUT_NAME),
                     "clips": int(len(tensors))}
    result.card = exported_card(info.classes, template)
    result.card.files = {"openvino": IR_FILE, "onnx": ONNX_FILE}
    result.card.metadata = {"architecture": template.architecture, "snapshot": str(snapshot),
                            "template": template.name, "trained": info.metadata}
    result.card.export = {"tools": _tool_versions(), "timings_s": timings,
                          "parity": {**result.parity, "on": "data clips" if data_dir
                                     else "random tensors"}}
    result.files["card"] = result.card.save(out / CARD_FILE)
    return result
