"""The model card: one schema, one loader, one writer, for every model the kit makes or runs.

A card travels with a model through its life, so no later step asks the user to repeat
anything. Two fields say what it describes: ``stage`` (``training`` run, converted
``inference`` model, ``exported`` ONNX/IR or a third-party model) and ``kind``
(``detector``, ``clip_classifier``, ``pose_classifier``). It is ``gesturekit.json`` beside
a training run's snapshots, a converted model or an export, embedded in an OpenVINO IR's
``rt_info``, or a YAML/JSON file for a third-party model. Layout (version 3)::

    format: gesturekit-model
    version: 3
    stage: exported                  # training | inference | exported
    kind: detector                   # detector | clip_classifier | pose_classifier
    classes: [grab, drop]            # label i -> classes[i]
    input:                           # detector.preprocess.InputRule: how an image becomes
      name: input                    #   the input tensor (the kit's one preprocessing)
      layout: NHWC                   # detector NHWC | NCHW; clip NCTHW; pose NC
      height: 192                    # both null: a free (dynamic) size
      width: 256
      color_order: BGR               # the channel order the network takes
      normalise: tf                  # none | caffe | tf | torch | {mean: [..], std: [..]}
      resize: keras_retinanet_letterbox   # or stretch
      min_side: 192                  # letterbox only
      max_side: 256
      canvas: [160, 256]             # free size: pad to at least the training canvas
    output:
      format: retinanet              # detector: retinanet | boxes_conf; classifiers:
                                     #   logits | probabilities
      box_units: pixels              # boxes_conf: pixels | normalised
      names: {boxes: boxes}          # role -> tensor name (optional)
      tensors: {boxes: {..}}         # role -> name, shape, meaning (documentation)
    precision: {inference_precision_hint: f32, default: fp32, weights: fp32}
    clip: {frames: 16, fps: 15, crop_scale: 1.0, crop: box}   # clip classifiers
    pose: {features: 68, features_version: 2}                 # pose classifiers
    files: {onnx: model.onnx}        # role -> file beside the card
    metadata: {backbone: mobilenet224_0.5, extra: {..}}       # where the model came from
    export: {tools: {..}, nms: {..}, sha256: {..}}            # what exporting measured

Earlier cards still load: version 1 (a training run's or converted model's metadata),
version 2 (an exported detector's card, in JSON or IR rt_info) and runtime cards without
``format`` (kind, input, output, clip, pose sections as above, with ``resize`` as a rule
name or a mapping and ``precision`` as a hint).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from voc_tools.errors import GestureKitError

from .preprocess import COLOR_ORDERS, LETTERBOX, NAMED_NORMALISATIONS, STRETCH, InputRule

CARD_FILE = "gesturekit.json"
FORMAT = "gesturekit-model"
VERSION = 3
RT_INFO_KEY = "gesturekit"
STAGES = ("training", "inference", "exported")
KINDS = ("detector", "clip_classifier", "pose_classifier")
LAYOUTS = {"detector": ("NHWC", "NCHW"), "clip_classifier": ("NCTHW", "NTHWC"),
           "pose_classifier": ("NC",)}
OUTPUTS = {"detector": ("retinanet", "boxes_conf"),
           "clip_classifier": ("logits", "probabilities"),
           "pose_classifier": ("logits", "probabilities")}
BOX_UNITS = ("pixels", "normalised")
CLIP_CROPS = ("box", "frame")
RESIZE_RULES = (LETTERBOX, STRETCH)
PRECISIONS = {"f32": "f32", "fp32": "f32", "bf16": "bf16", "f16": "f16", "fp16": "f16"}
# What the letterbox rule means in detail, written into every card that uses it.
LETTERBOX_DETAILS = {"interpolation": "linear", "pad": "bottom_right", "pad_value": 0.0,
                     "pad_after_normalise": True}

# keras-retinanet's per-backbone preprocessing, as a name detector.preprocess implements.
_PREPROCESS_BY_FAMILY = {"resnet": "caffe", "vgg": "caffe", "mobilenet": "tf",
                         "densenet": "tf", "EfficientNet": "torch", "seresnet": "caffe",
                         "seresnext": "caffe", "senet": "caffe", "csp": "tf"}


def preprocess_mode(backbone: str) -> str:
    """The preprocessing mode ('caffe', 'tf', 'torch') keras-retinanet uses for a backbone."""
    for prefix, mode in _PREPROCESS_BY_FAMILY.items():
        if backbone.startswith(prefix):
            return mode
    raise GestureKitError(f"unknown backbone '{backbone}'")


@dataclass
class ModelCard:
    """Everything needed to run, convert, export or serve one model without asking."""

    kind: str
    stage: str
    classes: list[str]
    input: InputRule = field(default_factory=InputRule)
    input_name: str = "input"
    output: str = ""                 # empty: the kind's first format (see OUTPUTS)
    box_units: str = "pixels"
    output_names: dict[str, str] = field(default_factory=dict)
    output_tensors: dict[str, dict] = field(default_factory=dict)
    precision: dict[str, Any] = field(default_factory=lambda: {"inference_precision_hint":
                                                               "f32"})
    clip: dict[str, Any] = field(default_factory=dict)
    pose: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    export: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self) -> None:
        self.output = self.output or OUTPUTS.get(self.kind, ("",))[0]

    # -- what callers read -----------------------------------------------------------------

    @property
    def precision_hint(self) -> str:
        """The INFERENCE_PRECISION_HINT a runtime compiles with (f32, bf16, f16)."""
        return str(self.precision.get("inference_precision_hint", "f32"))

    @property
    def backbone(self) -> str:
        """A keras-retinanet detector's backbone (training and inference cards)."""
        if "backbone" not in self.metadata:
            raise GestureKitError("the model card names no backbone", self.path)
        return str(self.metadata["backbone"])

    @property
    def extra(self) -> dict:
        """Training settings and results recorded with a detector."""
        return self.metadata.setdefault("extra", {})

    @property
    def image_min_side(self) -> int:
        return int(self.input.min_side)

    @property
    def image_max_side(self) -> int:
        return int(self.input.max_side)

    @property
    def folder(self) -> Path | None:
        return None if self.path is None else self.path.parent

    def file(self, role: str) -> Path:
        """The absolute path of a file named in ``files`` (e.g. 'openvino_fp32')."""
        if role not in self.files:
            raise GestureKitError(f"the model card names no '{role}' file "
                                  f"(it has {sorted(self.files)})", self.path)
        return Path(self.files[role]) if self.folder is None else self.folder / self.files[role]

    def at_stage(self, stage: str, **changes: Any) -> "ModelCard":
        """A copy of this card for the next stage of the model (no path yet)."""
        return replace(self, stage=stage, path=None, **changes)

    # -- the one writer --------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The card as the version-3 mapping written to files."""
        rule = asdict(self.input)
        if rule["canvas"] is None:
            del rule["canvas"]
        else:  # a list, which YAML writes too
            rule["canvas"] = list(rule["canvas"])
        if rule["resize"] == LETTERBOX:
            rule.update(LETTERBOX_DETAILS)
        data = {"format": FORMAT, "version": VERSION, "stage": self.stage, "kind": self.kind,
                "classes": list(self.classes), "input": {"name": self.input_name, **rule},
                "output": {"format": self.output, "box_units": self.box_units,
                           "names": dict(self.output_names),
                           "tensors": dict(self.output_tensors)},
                "precision": dict(self.precision)}
        for section in ("clip", "pose", "files", "metadata", "export"):
            if getattr(self, section):
                data[section] = getattr(self, section)
        return data

    def save(self, path: str | Path) -> Path:
        """Write the card to ``path`` (a folder: its ``gesturekit.json``; a ``.yaml``/``.yml``
        file as YAML, anything else as JSON); returns the file written."""
        path = Path(path)
        if path.is_dir() or not path.suffix:
            path = path / CARD_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.to_dict()
        if path.suffix in (".yaml", ".yml"):
            import yaml

            text = yaml.safe_dump(data, sort_keys=False)
        else:
            text = json.dumps(data, indent=2) + "\n"
        path.write_text(text, encoding="utf-8")
        self.path = path
        return path

    def rt_info(self) -> dict[str, str]:
        """The card as strings for ``ov.Model.set_rt_info`` (files and export stay out)."""
        data = self.to_dict()
        for section in ("files", "export"):
            data.pop(section, None)
        return {"format": FORMAT, "version": str(VERSION), "card": json.dumps(data)}


# -- the one loader --------------------------------------------------------------------------

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


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _canvas(inp: dict, metadata: dict) -> tuple[int, int] | None:
    """The input's training canvas: its own field, else (cards written before it) the
    one ``gesturekit train`` recorded with the run's data."""
    value = inp.get("canvas")
    if value is None:
        value = ((metadata.get("extra") or {}).get("data") or {}).get("train_canvas")
    if value is None:
        return None
    height, width = (int(v) for v in value)
    return height, width


# The formats of the pose and clip classifiers' training cards before the one card.
LEGACY_POSE, LEGACY_CLIP = "gesturekit-pose-classifier", "gesturekit-clip-classifier"


def _upgrade(data: dict, path: Path | None) -> dict:
    """An earlier card's mapping in the version-3 layout."""
    if data.get("format") == LEGACY_POSE:  # pose-train's pose_classifier.json
        known = ("format", "version", "classes", "features", "features_version")
        return {"stage": "training", "kind": "pose_classifier", "classes": data.get("classes"),
                "input": {"name": "features", "layout": "NC", "resize": STRETCH},
                "output": {"format": "probabilities",
                           "names": {"probabilities": "probabilities"}},
                "pose": {"features": data.get("features"),
                         "features_version": data.get("features_version")},
                "metadata": {k: v for k, v in data.items() if k not in known}}
    if data.get("format") == LEGACY_CLIP:  # clip-train's epoch_NNN.json
        template = data.get("template") or {}
        known = ("format", "version", "classes", "template")
        return {"stage": "training", "kind": "clip_classifier", "classes": data.get("classes"),
                "input": {**clip_input(template), "layout": "NTHWC"},
                "output": {"format": "logits"},
                "clip": {**clip_section(template), "template": template},
                "metadata": {k: v for k, v in data.items() if k not in known}}
    if data.get("format") != FORMAT:  # a runtime card: kind, input, output, clip, pose
        inp = dict(data.get("input") or {})
        resize = inp.get("resize", STRETCH)
        inp.update(resize if isinstance(resize, dict) else {"rule": resize})
        inp["resize"] = inp.pop("rule", None)
        out = data.get("output") or {}
        precision = data.get("precision", "f32")
        return {**data, "stage": data.get("stage", "exported"), "input": inp,
                "precision": {"inference_precision_hint": PRECISIONS.get(
                    str(precision).lower(), precision)},
                "output": out if isinstance(out, dict) else {}}
    version = int(data.get("version", 1))
    if version == 1:  # detector.metadata: a training run's or a converted model's
        extra = data.get("extra") or {}
        return {"stage": data.get("model_type", "training"), "kind": "detector",
                "classes": data.get("classes"),
                "input": {"normalise": data.get("preprocess") or preprocess_mode(
                    str(data.get("backbone"))), "color_order": data.get("color_order", "BGR"),
                          "resize": LETTERBOX, "min_side": data.get("image_min_side"),
                          "max_side": data.get("image_max_side"), "layout": "NHWC"},
                "metadata": {"backbone": data.get("backbone"), "extra": extra}}
    if version == 2:  # an exported detector's card
        spec = dict(data.get("input") or {})
        resize = spec.pop("resize", None) or {}
        dynamic = spec.pop("dynamic", False)
        outputs = data.get("outputs") or {}
        meta = dict(data.get("metadata") or {})
        return {"stage": "exported", "kind": data.get("kind"), "classes": data.get("classes"),
                "input": {"name": spec.get("name", "input"), "layout": spec.get("layout"),
                          "height": None if dynamic else spec.get("height"),
                          "width": None if dynamic else spec.get("width"),
                          "color_order": spec.get("color_order", "BGR"),
                          "normalise": spec.get("preprocess", "none"),
                          "resize": resize.get("rule", LETTERBOX),
                          "min_side": resize.get("min_side"),
                          "max_side": resize.get("max_side")},
                "output": {"format": "retinanet",
                           "names": {role: str(out["name"]) for role, out in outputs.items()
                                     if isinstance(out, dict) and "name" in out},
                           "tensors": outputs},
                "precision": data.get("precision") or {}, "files": data.get("files") or {},
                "metadata": {"backbone": meta.get("backbone"),
                             "extra": meta.get("extra") or {}},
                "export": data.get("export") or {}}
    return data


def card_from_dict(data: Any, path: Path | None = None) -> ModelCard:
    """Validate any card's mapping (version 1-3 or a runtime card) into a :class:`ModelCard`;
    problems are one-line errors naming ``path``."""
    if not isinstance(data, dict):
        raise GestureKitError("bad model card: expected a mapping at the top level", path)
    if data.get("format") not in (None, FORMAT, LEGACY_POSE, LEGACY_CLIP):
        raise GestureKitError("not a GestureKit model card", path)
    data = _upgrade(data, path)
    kind = _choice(data.get("kind"), KINDS, "kind", path)
    stage = _choice(data.get("stage"), STAGES, "stage", path)
    sections = [data.get(name) or {} for name in ("input", "output", "clip", "pose",
                                                     "precision", "files", "metadata",
                                                     "export")]
    if not all(isinstance(part, dict) for part in sections):
        raise GestureKitError("bad model card: input, output, clip, pose, precision, files, "
                              "metadata and export must be mappings", path)
    inp, out, clip, pose, precision, files, metadata, export = sections
    classes = data.get("classes")
    if not isinstance(classes, list) or not classes:
        raise GestureKitError("bad model card: classes must be a non-empty list", path)
    try:
        rule = InputRule(
            normalise=_normalisation(inp.get("normalise", "none"), path),
            color_order=_choice(inp.get("color_order", "BGR"), COLOR_ORDERS, "color_order",
                                path),
            resize=_choice(inp.get("resize") or STRETCH, RESIZE_RULES, "resize rule", path),
            min_side=_optional_int(inp.get("min_side")),
            max_side=_optional_int(inp.get("max_side")),
            height=_optional_int(inp.get("height")), width=_optional_int(inp.get("width")),
            canvas=_canvas(inp, metadata),
            layout=_choice(inp.get("layout"), LAYOUTS[kind], f"{kind} input layout", path))
        raw_hint = precision.get("inference_precision_hint", "f32")
        hint = PRECISIONS.get(str(raw_hint).lower(), raw_hint)
        card = ModelCard(
            kind=kind, stage=stage, classes=[str(c) for c in classes], input=rule,
            input_name=str(inp.get("name", "input")),
            output=_choice(out.get("format", OUTPUTS[kind][0]), OUTPUTS[kind],
                           f"{kind} output format", path),
            box_units=_choice(out.get("box_units", "pixels"), BOX_UNITS, "box_units", path),
            output_names={str(k): str(v) for k, v in (out.get("names") or {}).items()},
            output_tensors=dict(out.get("tensors") or {}),
            precision={**precision, "inference_precision_hint": _choice(
                hint, tuple(sorted(set(PRECISIONS.values()))), "precision", path)},
            clip=dict(clip), pose=dict(pose), files={str(k): str(v) for k, v in files.items()},
            metadata=dict(metadata), export=dict(export), path=path)
    except (TypeError, ValueError) as err:
        raise GestureKitError(f"bad model card ({err})", path) from None
    _check(card)
    return card


def _check(card: ModelCard) -> None:
    """The rules between fields that a mapping's types cannot say."""
    rule, path = card.input, card.path
    if (rule.height is None) != (rule.width is None) or any(
            v is not None and v <= 0 for v in (rule.height, rule.width)):
        raise GestureKitError("bad model card: give both input height and width (> 0), "
                              "or neither for a free size", path)
    if rule.canvas is not None and min(rule.canvas) <= 0:
        raise GestureKitError("bad model card: input canvas must be [height, width] > 0", path)
    if card.kind == "pose_classifier":
        if not card.pose.get("features") or card.pose.get("features_version") is None:
            raise GestureKitError("bad model card: a pose classifier needs pose.features and "
                                  "pose.features_version", path)
        return
    if rule.resize == LETTERBOX and not (rule.min_side and rule.max_side):
        raise GestureKitError("bad model card: resize keras_retinanet_letterbox needs "
                              "min_side and max_side", path)
    if rule.resize == STRETCH and not rule.fixed_size:
        raise GestureKitError("bad model card: resize stretch needs input height and width",
                              path)
    if card.kind == "clip_classifier":
        clip = card.clip
        try:
            ok = clip.get("frames") and clip.get("fps") and 0 < float(
                clip.get("crop_scale", 1.0)) <= 1
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise GestureKitError("bad model card: a clip classifier needs clip.frames, "
                                  "clip.fps and 0 < clip.crop_scale <= 1", path)
        clip.setdefault("crop_scale", 1.0)
        _choice(clip.setdefault("crop", "box"), CLIP_CROPS, "clip crop", path)


def read_card_file(path: str | Path) -> ModelCard:
    """Read a card file: ``gesturekit.json`` (any version) or a YAML/JSON runtime card."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise GestureKitError(f"cannot read model card ({first})", path) from None
    return card_from_dict(data, path)


def read_rt_info(xml_path: Path) -> dict[str, str] | None:
    """The ``gesturekit`` rt_info section of an IR .xml, read from the XML only (no .bin)."""
    from defusedxml import ElementTree

    try:
        root = ElementTree.parse(str(xml_path)).getroot()
    except (OSError, ElementTree.ParseError) as err:
        raise GestureKitError(f"not a readable OpenVINO IR ({err})", xml_path) from None
    if root.tag != "net":
        raise GestureKitError("not an OpenVINO IR (.xml without <net>)", xml_path)
    section = root.find(f"rt_info/{RT_INFO_KEY}")
    if section is None:
        return None
    return {child.tag: child.get("value", "") for child in section}


def card_from_rt_info(rt_info: dict[str, str], path: Path | None = None) -> ModelCard:
    """Rebuild a card from the strings :meth:`ModelCard.rt_info` stored in an IR (version
    3), or from an earlier IR's version-2 strings."""
    try:
        if "card" in rt_info:
            data = json.loads(rt_info["card"])
        else:
            data = {"format": rt_info["format"], "version": int(rt_info["version"]),
                    "kind": rt_info["kind"], "classes": json.loads(rt_info["classes"]),
                    "input": json.loads(rt_info["input"]),
                    "outputs": json.loads(rt_info.get("outputs", "{}")),
                    "precision": json.loads(rt_info.get("precision", "{}")),
                    "metadata": json.loads(rt_info.get("metadata", "{}"))}
    except (KeyError, ValueError) as err:
        raise GestureKitError(f"bad gesturekit rt_info in the IR ({err})", path) from None
    if path is not None:
        data["files"] = {"openvino": path.name}
    return card_from_dict(data, path)


def _carried_card(path: Path) -> ModelCard | None:
    """The card a model folder or file carries: ``gesturekit.json`` in its folder (for a
    snapshot or a folder, also the one above: a run's), else an IR's own ``rt_info``."""
    folder = path if path.is_dir() else path.parent
    parents = (folder, folder.parent) if path.is_dir() or path.suffix == ".h5" else (folder,)
    for candidate in (parent / CARD_FILE for parent in parents):
        if candidate.is_file():
            return read_card_file(candidate)
    info = read_rt_info(path) if path.suffix == ".xml" else None
    return None if info is None else card_from_rt_info(info, path)


def load_card(path: str | Path) -> ModelCard:
    """The card that travels with a model: ``path`` is a card file, a model folder, or a
    model file (``.h5``, ``.onnx``, ``.xml``) that carries one (see :func:`_carried_card`).
    One-line error when there is no usable card."""
    path = Path(path)
    if not path.exists():
        raise GestureKitError("model not found", path)
    if path.is_file() and path.suffix in (".json", ".yaml", ".yml"):
        return read_card_file(path)
    card = _carried_card(path)
    if card is None:
        raise GestureKitError(f"no {CARD_FILE} beside the model; models made by 'gesturekit "
                              "train', 'convert' or 'export' carry one", path)
    return card


def find_card(model_path: str | Path, cards_dir: Path | None = None) -> ModelCard:
    """The card of a model file given without one: the one it carries (an exported
    GestureKit model), else a card beside it with the same stem (``model.xml`` ->
    ``model.yaml``, as ``gesturekit clip-export`` writes), else ``cards_dir/<model
    stem>.yaml`` (cards shipped for third-party models)."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise GestureKitError("model file not found", model_path)
    card = _carried_card(model_path)
    if card is not None:
        return card
    shipped = [] if cards_dir is None else [Path(cards_dir) / f"{model_path.stem}.yaml"]
    for candidate in [model_path.with_suffix(".yaml"), *shipped]:
        if candidate.is_file():
            return read_card_file(candidate)
    raise GestureKitError("no model card: pass one (YAML/JSON), or export the model with "
                          "'gesturekit export' so that it carries its own", model_path)


def clip_input(template: dict) -> dict:
    """The card's input of a clip classifier trained with ``template`` (a template's
    mapping): clips of ``input_size`` squares, normalised by its mean and std."""
    size = template.get("input_size")
    return {"name": "clip", "layout": "NCTHW", "height": size, "width": size,
            "color_order": template.get("color_order", "RGB"), "resize": STRETCH,
            "normalise": template.get("normalise") or "none"}


def clip_section(template: dict) -> dict:
    """The card's ``clip`` section of a template's mapping."""
    return {key: template.get(key) for key in ("frames", "fps", "crop_scale", "crop")
            if template.get(key) is not None}


def detector_card(classes: list[str], backbone: str, image_min_side: int,
                  image_max_side: int, stage: str = "training", extra: dict | None = None,
                  color_order: str = "BGR",
                  canvas: tuple[int, int] | None = None) -> ModelCard:
    """The card of a keras-retinanet detector the kit trains (free input size, letterboxed
    to the training sides and padded to the training ``canvas``, the backbone's own
    preprocessing)."""
    rule = InputRule(normalise=preprocess_mode(backbone), color_order=color_order,
                     min_side=int(image_min_side), max_side=int(image_max_side),
                     canvas=None if canvas is None else (int(canvas[0]), int(canvas[1])))
    return ModelCard("detector", stage, list(classes), rule,
                     metadata={"backbone": backbone, "extra": dict(extra or {})})
