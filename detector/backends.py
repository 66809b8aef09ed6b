"""Reading and compiling model files with OpenVINO and onnxruntime, with one-line errors."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from voc_tools.errors import GestureKitError

from .engine import TensorInfo

MODEL_SUFFIXES = (".xml", ".onnx")


def _first_line(err: Exception) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("Exception from", "Check "))]
    return (useful or lines or [type(err).__name__])[0][:300]


def read_openvino(core: Any, path: Path) -> Any:
    """``core.read_model`` of an IR (.xml + .bin) or ONNX file."""
    if path.suffix not in MODEL_SUFFIXES:
        raise GestureKitError(f"unsupported model file (expected {' or '.join(MODEL_SUFFIXES)})",
                              path)
    if not path.is_file():
        raise GestureKitError("model file not found", path)
    if path.suffix == ".xml" and not path.with_suffix(".bin").is_file():
        raise GestureKitError(f"the IR's weights {path.with_suffix('.bin').name} are missing",
                              path)
    try:
        return core.read_model(str(path))
    except RuntimeError as err:
        message = _first_line(err)
        if path.suffix == ".onnx":
            message += "; try --backend onnxruntime"
        elif "bin" in message.lower():  # the weights do not fit the graph
            message += f" (truncated .bin, or not the weights of {path.name}?)"
            path = path.with_suffix(".bin")
        else:
            message += " (truncated or damaged .xml?)"
        raise GestureKitError(f"OpenVINO cannot read this model: {message}", path) from None


def compile_openvino(core: Any, model: Any, path: Path, precision: str, mode: str,
                     device: str = "CPU") -> Any:
    """Compile with an explicit inference precision and performance hint (LATENCY or
    THROUGHPUT); never the plugin's silent default precision."""
    config = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": mode}
    try:
        return core.compile_model(model, device, config)
    except RuntimeError as err:
        raise GestureKitError(f"OpenVINO cannot compile this model: {_first_line(err)}",
                              path) from None


def openvino_info(ports: Any) -> list[TensorInfo]:
    """Inputs or outputs of an ``ov.Model``/``ov.CompiledModel`` as :class:`TensorInfo`."""
    infos = []
    for port in ports:
        shape = port.get_partial_shape()
        dims = None if shape.rank.is_dynamic else tuple(
            d.get_length() if d.is_static else None for d in shape)
        infos.append(TensorInfo(frozenset(port.get_names()), dims,
                                port.get_element_type().is_integral()))
    return infos


class OnnxRuntimeSession:
    """An onnxruntime CPU session of one .onnx file: ``run(tensor) -> outputs``."""

    def __init__(self, path: Path) -> None:
        import onnxruntime as ort

        if path.suffix != ".onnx":
            raise GestureKitError("onnxruntime runs .onnx files only", path)
        if not path.is_file():
            raise GestureKitError("model file not found", path)
        try:
            self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception classes
            raise GestureKitError(f"onnxruntime cannot load this model: {_first_line(err)}",
                                  path) from None
        self.input_name = self.session.get_inputs()[0].name

    @staticmethod
    def _info(args: Any) -> list[TensorInfo]:
        return [TensorInfo(frozenset([a.name]), tuple(d if isinstance(d, int) else None
                                                      for d in a.shape),
                           "int" in a.type) for a in args]

    @property
    def inputs(self) -> list[TensorInfo]:
        return self._info(self.session.get_inputs())

    @property
    def outputs(self) -> list[TensorInfo]:
        return self._info(self.session.get_outputs())

    def run(self, tensor: Any) -> list[Any]:
        return self.session.run(None, {self.input_name: tensor})
