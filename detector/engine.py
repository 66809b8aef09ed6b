"""The one inference engine: every model the kit makes or runs, in every format.

A loaded model is a :class:`ModelRunner`: its card (:mod:`detector.card`), an adapter for
its kind (image -> tensor through the one preprocessing, raw outputs -> results) and a
backend that runs one tensor:

* ``keras``: a Keras model in memory or a ``.h5`` (:class:`KerasModel`);
* ``onnxruntime``: an ``.onnx`` on onnxruntime's CPU provider (:class:`OnnxRuntimeModel`);
* ``openvino``: an IR ``.xml`` or an ``.onnx`` compiled by OpenVINO for CPU with an
  explicit precision hint (:class:`OpenVinoModel`; the runtime's ``ServedModel`` adds
  asynchronous serving on top).

``detect(image)``, ``classify(clip)`` and ``predict(features)`` are the same calls on
every backend; :func:`load_model` and :func:`load_detector` open any file. Detectors are
adapted here; the runtime registers the clip- and pose-classifier adapters
(:func:`register_adapter`). Training (val mAP per epoch), evaluation, export checks,
benchmarks, pre-labels, the pose route, ``testDetector.py`` and the demo all run their
models through this module.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from voc_tools.errors import GestureKitError

from .card import PRECISIONS, ModelCard, find_card, load_card, read_card_file
from .inference import Detections, select
from .preprocess import to_network

BACKENDS = ("auto", "keras", "openvino", "onnxruntime")
_ALLOWED = {".h5": ("keras",), ".xml": ("openvino",), ".onnx": ("onnxruntime", "openvino")}


# -- what a model's tensors are --------------------------------------------------------------

@dataclass(frozen=True)
class TensorInfo:
    """One input or output: its names, shape (None = free dimension) and integer-ness."""

    names: frozenset[str]
    shape: tuple[int | None, ...] | None  # None: even the rank is unknown
    integer: bool

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    @property
    def last(self) -> int | None:
        return None if not self.shape else self.shape[-1]


def find_output(outputs: list[TensorInfo], role: str, names: dict[str, str],
                rule: Callable[[TensorInfo], bool], model_path: Path | None) -> int:
    """The index of the output playing ``role``: the one the card names, else the first
    matching ``rule``."""
    if role in names:
        hits = [i for i, out in enumerate(outputs) if names[role] in out.names]
        what = f"named '{names[role]}'"
    else:
        hits = [i for i, out in enumerate(outputs) if rule(out)]
        what = "of the expected shape and type"
    if not hits:
        raise GestureKitError(f"the model has no '{role}' output {what}; is it the kind of "
                              "model its card says?", model_path)
    return hits[0]


# -- adapters: one per kind ------------------------------------------------------------------

def check_image(image: Any, model_path: Path | None) -> None:
    """Refuse anything but an H x W x 3 image (the error names the model)."""
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
        shape = getattr(image, "shape", type(image).__name__)
        raise GestureKitError(f"expected a 3-channel BGR image (H x W x 3), got shape {shape}",
                              model_path)


class DetectorAdapter:
    """Prepares images for, and decodes outputs of, one detector.

    Two output formats: ``retinanet`` (the kit's detectors: boxes N x 4 in network pixels,
    scores, labels, padded with -1; NMS inside the model) and ``boxes_conf`` (Open Model
    Zoo style, e.g. person-detection-asl-0001: N x 5 rows of x_min, y_min, x_max, y_max,
    conf; one class)."""

    def __init__(self, card: ModelCard, outputs: list[TensorInfo],
                 model_path: Path | None) -> None:
        self.card, self.model_path = card, model_path
        names = card.output_names
        if card.output == "retinanet":
            self.boxes = find_output(outputs, "boxes", names,
                                     lambda o: o.rank == 3 and o.last == 4 and not o.integer,
                                     model_path)
            self.scores = find_output(outputs, "scores", names,
                                      lambda o: o.rank == 2 and not o.integer, model_path)
            self.labels = find_output(outputs, "labels", names, lambda o: o.integer,
                                      model_path)
        else:
            self.boxes = find_output(outputs, "boxes", names,
                                     lambda o: o.last == 5 and not o.integer, model_path)

    def prepare(self, image_bgr: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, tuple]]:
        """The input tensor, and what decoding needs: the scale and the image size."""
        check_image(image_bgr, self.model_path)
        tensor, scale = to_network(image_bgr, self.card.input)
        return tensor, (scale, image_bgr.shape[:2])

    def decode(self, outputs: list[np.ndarray], meta: tuple[np.ndarray, tuple],
               score_threshold: float = 0.05, max_detections: int = 100) -> Detections:
        """Detections in original-image pixels, best first, above the threshold."""
        scale, (height, width) = meta
        if self.card.output == "retinanet":
            boxes = np.asarray(outputs[self.boxes]).reshape(-1, 4) / np.tile(scale, 2)
            scores = np.asarray(outputs[self.scores]).reshape(-1)
            labels = np.asarray(outputs[self.labels]).reshape(-1)
        else:
            rows = np.asarray(outputs[self.boxes], np.float32).reshape(-1, 5)
            factor = (np.array([width, height], np.float32) if self.card.box_units ==
                      "normalised" else 1.0 / scale)
            boxes, scores = rows[:, :4] * np.tile(factor, 2), rows[:, 4]
            labels = np.zeros(len(rows), np.int64)
        return select(boxes, scores, labels, self.card.classes, score_threshold,
                      max_detections)


_ADAPTERS: dict[str, Callable[..., Any]] = {"detector": DetectorAdapter}


def register_adapter(kind: str, adapter: Callable[..., Any]) -> None:
    """Let the engine run models of ``kind`` (the runtime registers its classifiers)."""
    _ADAPTERS[kind] = adapter


def make_adapter(card: ModelCard, inputs: list[TensorInfo], outputs: list[TensorInfo],
                 model_path: Path | None) -> Any:
    """Check the card against the model's input and build the adapter for its kind."""
    if len(inputs) != 1:
        raise GestureKitError(f"expected a model with one input, this one has {len(inputs)}",
                              model_path)
    if inputs[0].shape is None:
        raise GestureKitError("the model's input rank is unknown", model_path)
    check_input_shape(card, list(inputs[0].shape), model_path)
    if card.kind not in _ADAPTERS:
        raise GestureKitError(f"no adapter for a {card.kind} here; load it through "
                              "gesturekit.runtime", model_path)
    return _ADAPTERS[card.kind](card, outputs, model_path)


def check_input_shape(card: ModelCard, shape: list[int | None],
                      model_path: Path | None) -> None:
    """Refuse a card that disagrees with the model's input shape (None = free dimension)."""
    rule = card.input
    name = model_path.name if model_path is not None else "in memory"
    where = f"(model {name}, input shape {_shape_text(shape)})"
    if len(shape) != len(rule.layout):
        raise GestureKitError(f"card says {card.kind} with layout {rule.layout}, but the "
                              f"model's input has rank {len(shape)} {where}", card.path)
    axes = dict(zip(rule.layout, shape))
    if card.kind == "pose_classifier":
        features = card.pose["features"]
        if axes["C"] not in (None, features):
            raise GestureKitError(f"card pose.features {features} disagrees with the "
                                  f"model {where}", card.path)
        return
    if axes["C"] not in (None, 3):
        raise GestureKitError(f"card layout {rule.layout} puts 3 colour channels on an axis "
                              f"of size {axes['C']} {where}", card.path)
    for axis, value in (("H", rule.height), ("W", rule.width)):
        if axes[axis] is not None and value is not None and axes[axis] != value:
            raise GestureKitError(f"card input size {rule.height}x{rule.width} disagrees "
                                  f"with the model {where}", card.path)
        if axes[axis] is not None and value is None:
            raise GestureKitError(f"card declares a free input size but the model's is "
                                  f"fixed {where}", card.path)
    if card.kind == "clip_classifier" and axes["T"] not in (None, card.clip["frames"]):
        raise GestureKitError(f"card clip.frames {card.clip['frames']} disagrees with the "
                              f"model {where}", card.path)


def _shape_text(shape: list[int | None]) -> str:
    return "[" + ",".join("?" if v is None else str(v) for v in shape) + "]"


# -- the runner and its backends -------------------------------------------------------------

class ModelRunner:
    """A model ready to run synchronously; backends provide ``run(tensor) -> outputs``
    (one forward pass on a prepared input tensor)."""

    backend = ""

    def __init__(self, name: str, path: Path | None, card: ModelCard, adapter: Any) -> None:
        self.name, self.path, self.card, self.adapter = name, path, card, adapter

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        raise NotImplementedError

    @property
    def classes(self) -> list[str]:
        return self.card.classes

    @property
    def kind(self) -> str:
        return self.card.kind

    def prepare(self, item: Any) -> np.ndarray:
        """The input tensor this model is fed for ``item`` (an image, clip or features)."""
        return self.adapter.prepare(item)[0]

    def infer(self, item: Any, **decode_args: Any) -> Any:
        """Run one item (a BGR image for detectors, a clip for clip classifiers, feature
        rows for pose classifiers) and decode the result."""
        tensor, meta = self.adapter.prepare(item)
        return self.adapter.decode(self.run(tensor), meta, **decode_args)

    def _require(self, kind: str) -> None:
        if self.kind != kind:
            raise GestureKitError(f"'{self.name}' is a {self.kind}, not a "
                                  f"{kind.replace('_', ' ')}", self.path)

    def detect(self, image_bgr: np.ndarray, score_threshold: float = 0.05,
               max_detections: int = 100) -> Detections:
        """Detections in original-image pixels, best first."""
        self._require("detector")
        return self.infer(image_bgr, score_threshold=score_threshold,
                          max_detections=max_detections)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """A pose classifier's class probabilities (N x classes) of hand features N x C."""
        self._require("pose_classifier")
        if not np.size(features):
            return np.zeros((0, len(self.classes)), np.float32)
        return self.infer(features)

    def classify(self, clip: Any) -> Any:
        """The class probabilities of one clip."""
        self._require("clip_classifier")
        return self.infer(clip)


def keras_info(tensors: Any) -> list[TensorInfo]:
    """Keras inputs or outputs as :class:`TensorInfo`."""
    return [TensorInfo(frozenset({t.name.split(":")[0].split("/")[0]}),
                       tuple(None if d is None else int(d) for d in t.shape),
                       t.dtype.is_integer) for t in tensors]


class KerasModel(ModelRunner):
    """A Keras model, loaded from a ``.h5`` or in memory (e.g. the model being trained)."""

    backend = "keras"

    def __init__(self, model: Any, card: ModelCard, path: Path | None = None,
                 name: str = "keras", call: Callable[[np.ndarray], Any] | None = None) -> None:
        """``call``: how to run the model on a batch (default ``predict_on_batch``; e.g. a
        ``tf.function`` of it)."""
        # Keras outputs are found by shape and type: a card's output names are those of the
        # exported graph, not the Keras layers'
        adapter = make_adapter(replace(card, output_names={}), keras_info(model.inputs),
                               keras_info(model.outputs), path)
        super().__init__(name, path, card, adapter)
        self.model = model
        self.call = call or model.predict_on_batch

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        outputs = self.call(tensor)
        if isinstance(outputs, dict):  # a tf.function's named outputs, in the model's order
            outputs = list(outputs.values())
        return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple))
                                        else [outputs])]


class OnnxRuntimeModel(ModelRunner):
    """An ``.onnx`` run by onnxruntime on CPU (it runs the ONNX Loop tf2onnx makes of the
    NMS, which OpenVINO rejects)."""

    backend = "onnxruntime"

    def __init__(self, path: Path, card: ModelCard, name: str = "model") -> None:
        from .backends import OnnxRuntimeSession

        self.session = OnnxRuntimeSession(path)
        adapter = make_adapter(card, self.session.inputs, self.session.outputs, path)
        super().__init__(name, path, card, adapter)

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        return self.session.run(tensor)


class OpenVinoModel(ModelRunner):
    """An IR (or ``.onnx``) compiled by OpenVINO for one device with an explicit precision
    hint (never the CPU plugin's silent bf16 default) and the LATENCY hint."""

    backend = "openvino"

    def __init__(self, path: Path, card: ModelCard, name: str = "model",
                 precision: str | None = None, core: Any = None, device: str = "CPU") -> None:
        import openvino as ov

        from .backends import compile_openvino, openvino_info, read_openvino

        self.core = core if core is not None else ov.Core()
        self.device = device
        self.model = read_openvino(self.core, path)
        adapter = make_adapter(card, openvino_info(self.model.inputs),
                               openvino_info(self.model.outputs), path)
        super().__init__(name, path, card, adapter)
        chosen = card.precision_hint if precision is None else PRECISIONS.get(precision.lower())
        if chosen is None:
            raise GestureKitError(f"unknown precision '{precision}' (f32, bf16 or f16)", path)
        self.precision = chosen
        self.compiled = compile_openvino(self.core, self.model, path, chosen, "LATENCY", device)
        self._request = self.compiled.create_infer_request()
        self._lock = threading.Lock()

    def outputs_of(self, request: Any) -> list[np.ndarray]:
        return [request.get_output_tensor(i).data.copy()
                for i in range(len(self.compiled.outputs))]

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            self._request.infer({0: tensor})
            return self.outputs_of(self._request)


# -- opening files ---------------------------------------------------------------------------

def choose_backend(path: Path, backend: str = "auto") -> str:
    """The backend for a model file: from its suffix, or the one asked for if it can run it."""
    if backend not in BACKENDS:
        raise GestureKitError(f"unknown backend '{backend}' (one of {', '.join(BACKENDS)})",
                              path)
    allowed = _ALLOWED.get(path.suffix)
    if allowed is None:
        raise GestureKitError("unsupported model file (expected .h5, .onnx or .xml)", path)
    if backend == "auto":
        return allowed[0]
    if backend not in allowed:
        raise GestureKitError(f"the {backend} backend cannot run a {path.suffix} file "
                              f"(use {' or '.join(allowed)})", path)
    return backend


def read_keras(path: Path, card: ModelCard) -> Any:
    """The Keras network of a ``.h5`` of ``card``'s kind (one-line errors); a detector
    must be an inference model."""
    from .inference import is_training_model, load_keras_model

    if card.kind == "detector":
        model = load_keras_model(path, card.backbone)
        if is_training_model(model):
            raise GestureKitError("this is a training model; convert it first with "
                                  "'gesturekit convert SNAPSHOT OUT'", path)
        return model
    from . import compat  # noqa: F401  (tf-keras before TensorFlow)
    from tensorflow import keras

    try:
        return keras.models.load_model(str(path), compile=False)
    except (OSError, ValueError) as err:
        raise GestureKitError(f"cannot load the {card.kind.replace('_', ' ')} "
                              f"({str(err).splitlines()[0]})", path) from None


def keras_model(path: Path, card: ModelCard) -> KerasModel:
    """A ``.h5`` with its card on the Keras backend."""
    return KerasModel(read_keras(path, card), card, path, name=path.stem)


def load_model(path: str | Path, backend: str = "auto",
               card: ModelCard | str | Path | None = None, precision: str | None = None,
               core: Any = None, cards_dir: Path | None = None) -> ModelRunner:
    """Any model file the kit makes or runs: ``.h5`` (Keras), ``.onnx`` (onnxruntime, or
    OpenVINO when asked) or ``.xml`` (OpenVINO), with ``card`` (a card or its file) or the
    card the model carries (:func:`detector.card.find_card`; ``cards_dir``: shipped cards
    of third-party models, by model stem)."""
    path = Path(path)
    chosen = choose_backend(path, backend)
    if not path.is_file():
        raise GestureKitError("model file not found", path)
    if card is None:
        card = load_card(path) if chosen == "keras" else find_card(path, cards_dir)
    elif not isinstance(card, ModelCard):
        card = read_card_file(card)
    if chosen == "keras":
        return keras_model(path, card)
    if card.stage != "exported":
        raise GestureKitError(f"the card beside it describes a {card.stage} model, not this "
                              "exported one; export with 'gesturekit export'", card.path)
    if chosen == "onnxruntime":
        return OnnxRuntimeModel(path, card, name=path.stem)
    return OpenVinoModel(path, card, name=path.stem, precision=precision, core=core)


def load_detector(path: str | Path, backend: str = "auto",
                  card: ModelCard | str | Path | None = None, precision: str | None = None,
                  core: Any = None, cards_dir: Path | None = None) -> ModelRunner:
    """A detector from any file (see :func:`load_model`); another kind is a one-line error.

    ``auto``: .h5 -> Keras, .onnx -> onnxruntime (OpenVINO rejects the ONNX Loop tf2onnx
    makes of the NMS), .xml -> OpenVINO."""
    model = load_model(path, backend, card, precision, core, cards_dir)
    if model.kind != "detector":
        raise GestureKitError(f"this model is a {model.kind}, not a detector", path)
    return model
