"""The model card of an exported model: what a runtime needs to run it with nothing else.

A card is the JSON file ``gesturekit.json`` beside the exported files (the same name and
``format`` as :mod:`detector.metadata`, ``version`` 2). The essentials are also embedded in
an OpenVINO IR's ``rt_info`` under ``gesturekit`` so that an ``.xml`` alone is
self-describing. Layout of the JSON::

    {
      "format": "gesturekit-model", "version": 2,
      "kind": "detector",                      # what the model does (runtime picks a handler)
      "classes": ["grab", "drop"],             # label i -> classes[i]
      "files": {"onnx": "model.onnx",          # role -> file name, relative to the card
                "openvino_fp32": "model.xml", "openvino_int8": "model_int8.xml"},
      "input": {
        "name": "input", "layout": "NHWC", "height": 128, "width": 171,
        "dynamic": false,                       # true: H, W free (height/width = default size)
        "color_order": "BGR", "dtype": "float32",
        "preprocess": "tf",                     # 'caffe' | 'tf' | 'torch' (detector.preprocess)
        "resize": {"rule": "keras_retinanet_letterbox", "min_side": 128, "max_side": 171,
                   "interpolation": "linear", "pad": "bottom_right", "pad_value": 0.0,
                   "pad_after_normalise": true}
      },
      "outputs": {"boxes": {...}, "scores": {...}, "labels": {...}},   # name, shape, meaning
      "precision": {"default": "fp32", "inference_precision_hint": "f32", ...},
      "metadata": {"backbone": ..., "image_min_side": ..., "image_max_side": ...},
      "export": {"tools": {...}, "nms": ..., "timings_s": {...}, ...}
    }

Resize rule ``keras_retinanet_letterbox`` (see :func:`detector.preprocess.to_network`):
scale = keras-retinanet's scale (smallest side to ``min_side``, largest at most
``max_side``), further reduced if needed so the resized image fits into height × width
(never for a 4:3 frame at the default size); the uint8 BGR image is resized with
``cv2.resize(fx=scale, fy=scale, INTER_LINEAR)``, normalised with ``preprocess``, then
placed at the top-left of a zero tensor of the fixed size (zero *after* normalisation, as
keras-retinanet pads its training batches). Output boxes are x1 y1 x2 y2 in network-input
pixels: divide by ``scale`` for original-image pixels. Outputs are padded to a fixed count
with score -1 and label -1.

Public API: :func:`load_card` (card of an ``.onnx``/``.xml``/folder/``.json``),
:class:`ModelCard`, :class:`InputSpec`, :func:`card_from_rt_info`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from detector.preprocess import LETTERBOX, InputRule
from voc_tools.errors import GestureKitError

CARD_FILE = "gesturekit.json"
CARD_FORMAT = "gesturekit-model"
CARD_VERSION = 2
RT_INFO_KEY = "gesturekit"
LAYOUTS = ("NHWC", "NCHW", "NCTHW")
RESIZE_RULES = ("keras_retinanet_letterbox", "stretch", "center_square")


@dataclass
class InputSpec:
    """How a raw image becomes the model's input tensor."""

    name: str
    layout: str = "NHWC"
    height: int | None = None
    width: int | None = None
    dynamic: bool = False
    color_order: str = "BGR"
    dtype: str = "float32"
    preprocess: str = "caffe"
    resize: dict = field(default_factory=dict)

    @property
    def rule(self) -> InputRule:
        """This input as the kit's one preprocessing rule (:mod:`detector.preprocess`)."""
        resize = self.resize or {}
        fixed = not self.dynamic
        return InputRule(normalise=self.preprocess, color_order=self.color_order,
                         resize=resize.get("rule", LETTERBOX), min_side=resize.get("min_side"),
                         max_side=resize.get("max_side"),
                         height=int(self.height) if fixed else None,
                         width=int(self.width) if fixed else None, layout=self.layout)

    def shape(self) -> list[int]:
        """The input shape with batch 1 (-1 for a free dimension)."""
        h = -1 if self.dynamic or self.height is None else int(self.height)
        w = -1 if self.dynamic or self.width is None else int(self.width)
        return [1, h, w, 3] if self.layout == "NHWC" else [1, 3, h, w]


@dataclass
class ModelCard:
    """An exported model's card; ``path`` is the file it was read from (None if built)."""

    kind: str
    classes: list[str]
    input: InputSpec
    outputs: dict[str, dict] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    precision: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    export: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def folder(self) -> Path | None:
        return None if self.path is None else self.path.parent

    def file(self, role: str) -> Path:
        """The absolute path of a file named in ``files`` (e.g. 'openvino_fp32')."""
        if role not in self.files:
            raise GestureKitError(f"the model card names no '{role}' file "
                                  f"(it has {sorted(self.files)})", self.path)
        if self.folder is None:
            return Path(self.files[role])
        return self.folder / self.files[role]

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("path")
        return {"format": CARD_FORMAT, "version": CARD_VERSION, **data}

    def save(self, folder: str | Path) -> Path:
        """Write ``folder/gesturekit.json``; returns its path."""
        path = Path(folder) / CARD_FILE
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        self.path = path
        return path

    def rt_info(self) -> dict[str, str]:
        """The essentials as flat strings, for ``ov.Model.set_rt_info``."""
        return {"format": CARD_FORMAT, "version": str(CARD_VERSION), "kind": self.kind,
                "classes": json.dumps(self.classes),
                "input": json.dumps(asdict(self.input)),
                "outputs": json.dumps(self.outputs),
                "precision": json.dumps(self.precision),
                "metadata": json.dumps(self.metadata)}

    @classmethod
    def from_dict(cls, data: dict, path: Path | None = None) -> "ModelCard":
        """Validate and build a card; problems are one-line errors naming ``path``."""
        if not isinstance(data, dict) or data.get("format") != CARD_FORMAT:
            raise GestureKitError("not a GestureKit model card", path)
        if int(data.get("version", 1)) < CARD_VERSION or "input" not in data:
            raise GestureKitError("a training/convert metadata file, not an exported model's "
                                  "card; export the model with 'gesturekit export'", path)
        try:
            spec = InputSpec(**data["input"])
            card = cls(kind=str(data["kind"]), classes=[str(c) for c in data["classes"]],
                       input=spec, outputs=dict(data.get("outputs", {})),
                       files=dict(data.get("files", {})),
                       precision=dict(data.get("precision", {})),
                       metadata=dict(data.get("metadata", {})),
                       export=dict(data.get("export", {})), path=path)
        except (KeyError, TypeError, ValueError) as err:
            raise GestureKitError(f"bad model card ({type(err).__name__}: {err})",
                                  path) from None
        if spec.layout not in LAYOUTS:
            raise GestureKitError(f"bad model card: input layout '{spec.layout}' is not one "
                                  f"of {LAYOUTS}", path)
        if not spec.dynamic and (not spec.height or not spec.width):
            raise GestureKitError("bad model card: a fixed input needs height and width", path)
        return card


def card_from_rt_info(rt_info: dict[str, str], path: Path | None = None) -> ModelCard:
    """Rebuild a card from the strings :meth:`ModelCard.rt_info` stored in an IR."""
    try:
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
    return ModelCard.from_dict(data, path)


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


def load_card(path: str | Path) -> ModelCard:
    """The card of an exported model: ``path`` is its folder, its ``gesturekit.json``, or
    a model file (``.onnx``/``.xml``) whose folder holds the card.

    An ``.xml`` without a card beside it is described by its own ``rt_info``. Raises
    :class:`GestureKitError` (one line, naming the file) when there is no usable card.
    """
    path = Path(path)
    if not path.exists():
        raise GestureKitError("not found", path)
    card_path = path if path.suffix == ".json" else (path if path.is_dir() else
                                                     path.parent) / CARD_FILE
    if card_path.is_file():
        try:
            data = json.loads(card_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise GestureKitError(f"cannot read model card ({err})", card_path) from None
        return ModelCard.from_dict(data, card_path)
    if path.suffix == ".xml":
        info = read_rt_info(path)
        if info is not None:
            return card_from_rt_info(info, path)
        raise GestureKitError(f"no {CARD_FILE} beside the model and no gesturekit rt_info "
                              "in it", path)
    raise GestureKitError(f"no {CARD_FILE} model card beside the model", path)
