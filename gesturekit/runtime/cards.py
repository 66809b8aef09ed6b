"""Model cards for the runtime: what any served model is and how to feed it.

A runtime card is a small YAML or JSON file (schema below) for third-party models such as
Open Model Zoo's ``person-detection-asl-0001``; GestureKit's own exported models carry an
export card (:mod:`convert.card`: ``gesturekit.json`` v2 or IR ``rt_info``), which
:func:`from_export_card` turns into the same :class:`RuntimeCard`. Schema::

    kind: detector                 # 'detector' | 'clip_classifier' | 'pose_classifier'
    classes: [person]              # label i -> classes[i]
    precision: f32                 # INFERENCE_PRECISION_HINT: f32 (default) | bf16 | f16
    input:
      layout: NCHW                 # detector: NCHW | NHWC; clip classifier: NCTHW;
                                   # pose classifier: NC (N hands x C features)
      height: 320                  # omit height and width for a free (dynamic) size
      width: 320
      color_order: BGR             # BGR | RGB
      normalise: none              # none | caffe | tf | torch | {mean: [..], std: [..]}
      resize: stretch              # stretch | keras_retinanet_letterbox (min_side, max_side)
    output:
      format: boxes_conf           # detector: boxes_conf (N x 5) | retinanet (boxes,
                                   # scores, labels); clip, pose: logits | probabilities
      box_units: pixels            # boxes_conf: pixels of the network input | normalised
      names: {boxes: boxes}        # optional: role -> output tensor name
    clip:                          # clip classifiers only
      frames: 16                   # T, must equal the model's T
      fps: 15                      # frames are sampled at this rate from the video
      crop_scale: 1.0              # side of the centre square / the box's shorter side
      crop: box                    # box: square around the tracked box (default);
                                   # frame: square around the whole frame's centre
    pose:                          # pose classifiers only
      features: 60                 # C, features per hand (gesturekit.pose.normalize.FEATURES)
      features_version: 1          # pose.normalize.FEATURES_VERSION the model was made for

``mean``/``std`` are per channel in the model's colour order, in 0..255 pixel units.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detector.preprocess import (COLOR_ORDERS, LETTERBOX, NAMED_NORMALISATIONS, STRETCH,
                                 InputRule)
from voc_tools.errors import GestureKitError

KINDS = ("detector", "clip_classifier", "pose_classifier")
DETECTOR_LAYOUTS = ("NCHW", "NHWC")
CLIP_LAYOUTS = ("NCTHW",)
POSE_LAYOUTS = ("NC",)
RESIZE_RULES = (STRETCH, LETTERBOX)
DETECTOR_OUTPUTS = ("boxes_conf", "retinanet")
CLIP_OUTPUTS = ("logits", "probabilities")
CLIP_CROPS = ("box", "frame")
BOX_UNITS = ("pixels", "normalised")
PRECISIONS = {"f32": "f32", "fp32": "f32", "bf16": "bf16", "f16": "f16", "fp16": "f16"}
SHIPPED_CARDS = Path(__file__).resolve().parent / "cards"


@dataclass
class RuntimeCard:
    """Everything the runtime needs to feed a model and read its outputs."""

    kind: str
    classes: list[str]
    layout: str
    height: int | None = None
    width: int | None = None
    color_order: str = "BGR"
    normalise: Any = "none"
    resize: str = "stretch"
    min_side: int | None = None
    max_side: int | None = None
    output: str = "boxes_conf"
    box_units: str = "pixels"
    output_names: dict[str, str] = field(default_factory=dict)
    precision: str = "f32"
    frames: int | None = None
    fps: float | None = None
    crop_scale: float = 1.0
    crop: str = "box"
    features: int | None = None
    features_version: int | None = None
    path: Path | None = None

    @property
    def fixed_size(self) -> bool:
        return self.height is not None and self.width is not None

    @property
    def input_rule(self) -> InputRule:
        """The card's input fields as the kit's one preprocessing rule."""
        return InputRule(normalise=self.normalise, color_order=self.color_order,
                         resize=self.resize, min_side=self.min_side, max_side=self.max_side,
                         height=self.height, width=self.width,
                         layout="NCHW" if self.layout == "NCHW" else "NHWC")


def _choice(value: Any, allowed: tuple[str, ...], what: str, path: Path | None) -> str:
    if value not in allowed:
        raise GestureKitError(f"bad model card: {what} {value!r} is not one of "
                              f"{', '.join(allowed)}", path)
    return str(value)


def _normalisation(value: Any, path: Path | None) -> Any:
    if isinstance(value, dict):
        try:
            mean = [float(v) for v in value["mean"]]
            std = [float(v) for v in value.get("std", [1.0, 1.0, 1.0])]
        except (KeyError, TypeError, ValueError) as err:
            raise GestureKitError(f"bad model card: normalise needs mean (and std) lists "
                                  f"({err})", path) from None
        if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
            raise GestureKitError("bad model card: normalise mean/std need 3 values, "
                                  "std > 0", path)
        return {"mean": mean, "std": std}
    return _choice(value if value is not None else "none", NAMED_NORMALISATIONS,
                   "normalise", path)


def card_from_dict(data: Any, path: Path | None = None) -> RuntimeCard:
    """Validate a runtime card's parsed YAML/JSON; problems are one-line errors naming
    ``path``."""
    if not isinstance(data, dict):
        raise GestureKitError("bad model card: expected a mapping at the top level", path)
    kind = _choice(data.get("kind"), KINDS, "kind", path)
    inp, out, clip = data.get("input") or {}, data.get("output") or {}, data.get("clip") or {}
    pose = data.get("pose") or {}
    if not all(isinstance(part, dict) for part in (inp, out, clip, pose)):
        raise GestureKitError("bad model card: input, output, clip and pose must be mappings",
                              path)
    classes = data.get("classes")
    if not isinstance(classes, list) or not classes:
        raise GestureKitError("bad model card: classes must be a non-empty list", path)
    layouts = {"detector": DETECTOR_LAYOUTS, "clip_classifier": CLIP_LAYOUTS,
               "pose_classifier": POSE_LAYOUTS}[kind]
    outputs = DETECTOR_OUTPUTS if kind == "detector" else CLIP_OUTPUTS
    resize = inp.get("resize", "stretch")
    resize_args = resize if isinstance(resize, dict) else {"rule": resize}
    try:
        height = None if inp.get("height") is None else int(inp["height"])
        width = None if inp.get("width") is None else int(inp["width"])
        card = RuntimeCard(
            kind=kind, classes=[str(c) for c in classes],
            layout=_choice(inp.get("layout"), layouts, f"{kind} input layout", path),
            height=height, width=width,
            color_order=_choice(inp.get("color_order", "BGR"), COLOR_ORDERS, "color_order",
                                path),
            normalise=_normalisation(inp.get("normalise", "none"), path),
            resize=_choice(resize_args.get("rule"), RESIZE_RULES, "resize rule", path),
            min_side=resize_args.get("min_side"), max_side=resize_args.get("max_side"),
            output=_choice(out.get("format", outputs[0]), outputs, f"{kind} output format",
                           path),
            box_units=_choice(out.get("box_units", "pixels"), BOX_UNITS, "box_units", path),
            output_names={str(k): str(v) for k, v in (out.get("names") or {}).items()},
            precision=_choice(PRECISIONS.get(str(data.get("precision", "f32")).lower(),
                                             data.get("precision")),
                              tuple(sorted(set(PRECISIONS.values()))), "precision", path),
            frames=None if clip.get("frames") is None else int(clip["frames"]),
            fps=None if clip.get("fps") is None else float(clip["fps"]),
            crop_scale=float(clip.get("crop_scale", 1.0)),
            crop=_choice(clip.get("crop", "box"), CLIP_CROPS, "clip crop", path),
            features=None if pose.get("features") is None else int(pose["features"]),
            features_version=None if pose.get("features_version") is None
            else int(pose["features_version"]), path=path)
    except (TypeError, ValueError) as err:
        raise GestureKitError(f"bad model card ({err})", path) from None
    if (height is None) != (width is None) or any(v is not None and v <= 0
                                                  for v in (height, width)):
        raise GestureKitError("bad model card: give both input height and width (> 0), "
                              "or neither for a free size", path)
    if card.resize == "keras_retinanet_letterbox" and not (card.min_side and card.max_side):
        raise GestureKitError("bad model card: resize keras_retinanet_letterbox needs "
                              "min_side and max_side", path)
    if kind == "pose_classifier":
        if not card.features or card.features_version is None:
            raise GestureKitError("bad model card: a pose classifier needs pose.features and "
                                  "pose.features_version", path)
        return card
    if card.resize == "stretch" and not card.fixed_size:
        raise GestureKitError("bad model card: resize stretch needs input height and width",
                              path)
    if kind == "clip_classifier" and (not card.frames or not card.fps or
                                      not 0 < card.crop_scale <= 1):
        raise GestureKitError("bad model card: a clip classifier needs clip.frames, clip.fps "
                              "and 0 < clip.crop_scale <= 1", path)
    return card


def read_card_file(path: str | Path) -> RuntimeCard:
    """Read a runtime card (.yaml/.yml/.json) or an exported model's ``gesturekit.json``."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise GestureKitError(f"cannot read model card ({first})", path) from None
    if isinstance(data, dict) and data.get("format") == "gesturekit-model":
        from convert.card import load_card

        return from_export_card(load_card(path))
    return card_from_dict(data, path)


def from_export_card(card: Any) -> RuntimeCard:
    """The runtime view of a :class:`convert.card.ModelCard` (an exported GestureKit model)."""
    path = card.path
    if card.kind != "detector":
        raise GestureKitError(f"bad model card: kind {card.kind!r} is not one of detector",
                              path)
    spec = card.input
    resize = dict(spec.resize or {})
    rule = resize.get("rule", "keras_retinanet_letterbox")
    names = {role: str(out["name"]) for role, out in card.outputs.items()
             if isinstance(out, dict) and "name" in out}
    data = {"kind": "detector", "classes": list(card.classes),
            "precision": card.precision.get("inference_precision_hint", "f32"),
            "input": {"layout": spec.layout, "color_order": spec.color_order,
                      "height": None if spec.dynamic else spec.height,
                      "width": None if spec.dynamic else spec.width,
                      "normalise": spec.preprocess,
                      "resize": {"rule": rule, "min_side": resize.get("min_side"),
                                 "max_side": resize.get("max_side")}},
            "output": {"format": "retinanet", "names": names}}
    return card_from_dict(data, path)


def find_card(model_path: str | Path) -> RuntimeCard:
    """The card of a model given without one: its export card (``gesturekit.json`` beside
    it, or the IR's rt_info), else a runtime card beside it with the same stem
    (``model.xml`` -> ``model.yaml``, as ``gesturekit clip-export`` writes), else a card
    shipped in ``gesturekit/runtime/cards/<model stem>.yaml``."""
    from convert.card import CARD_FILE, load_card, read_rt_info

    model_path = Path(model_path)
    if not model_path.is_file():
        raise GestureKitError("model file not found", model_path)
    shipped = SHIPPED_CARDS / f"{model_path.stem}.yaml"
    if (model_path.parent / CARD_FILE).is_file() or (
            model_path.suffix == ".xml" and read_rt_info(model_path) is not None):
        return from_export_card(load_card(model_path))
    beside = model_path.with_suffix(".yaml")
    if beside.is_file():
        return read_card_file(beside)
    if shipped.is_file():
        return read_card_file(shipped)
    raise GestureKitError("no model card: pass one (YAML/JSON), or export the model with "
                          "'gesturekit export' so that it carries its own", model_path)


def check_input_shape(card: RuntimeCard, shape: list[int | None], model_path: Path) -> None:
    """Refuse a card that disagrees with the model's input shape (None = free dimension)."""
    expected_rank = len(card.layout)
    where = f"(model {model_path.name}, input shape {_shape_text(shape)})"
    if len(shape) != expected_rank:
        raise GestureKitError(f"card says {card.kind} with layout {card.layout}, but the "
                              f"model's input has rank {len(shape)} {where}", card.path)
    axes = dict(zip(card.layout, shape))
    if card.kind == "pose_classifier":
        if axes["C"] not in (None, card.features):
            raise GestureKitError(f"card pose.features {card.features} disagrees with the "
                                  f"model {where}", card.path)
        return
    if axes["C"] not in (None, 3):
        raise GestureKitError(f"card layout {card.layout} puts 3 colour channels on an axis "
                              f"of size {axes['C']} {where}", card.path)
    for axis, value in (("H", card.height), ("W", card.width)):
        if axes[axis] is not None and value is not None and axes[axis] != value:
            raise GestureKitError(f"card input size {card.height}x{card.width} disagrees "
                                  f"with the model {where}", card.path)
        if axes[axis] is not None and value is None:
            raise GestureKitError(f"card declares a free input size but the model's is "
                                  f"fixed {where}", card.path)
    if card.kind == "clip_classifier" and axes["T"] not in (None, card.frames):
        raise GestureKitError(f"card clip.frames {card.frames} disagrees with the model "
                              f"{where}", card.path)


def _shape_text(shape: list[int | None]) -> str:
    return "[" + ",".join("?" if v is None else str(v) for v in shape) + "]"
