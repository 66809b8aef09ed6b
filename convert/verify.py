"""Check exported files against their card: one-line errors naming the broken file."""
from __future__ import annotations

import hashlib
from pathlib import Path

from voc_tools.errors import GestureKitError

from detector.card import ModelCard, load_card
from .tf_graph import OUTPUT_NAMES


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_shape(shape: list[int], card: ModelCard, path: Path) -> None:
    """The model's input shape (-1 for free) must be the card's."""
    expected = card.input.shape()
    if len(shape) != len(expected) or any(e != -1 and s != e for s, e in zip(shape, expected)) \
            or any(e == -1 and s != -1 for s, e in zip(shape, expected)):
        raise GestureKitError(f"the model's input shape {shape} disagrees with its card "
                              f"({card.path}: {expected})", path)


def check_ir(xml_path: Path, card: ModelCard, core=None):  # type: ignore[no-untyped-def]
    """Read an IR (.xml + .bin) and check it against ``card``; returns the ov.Model."""
    import openvino as ov

    bin_path = xml_path.with_suffix(".bin")
    if not bin_path.is_file():
        raise GestureKitError(f"weights file {bin_path.name} is missing", xml_path)
    expected = card.export.get("sha256", {}).get(bin_path.name)
    if expected and sha256(bin_path) != expected:
        raise GestureKitError(f"weights file does not belong to this model (checksum differs "
                              f"from the card {card.path})", bin_path)
    try:
        model = (core or ov.Core()).read_model(str(xml_path))
    except RuntimeError as err:
        reason = next((line for line in str(err).splitlines()
                       if line.strip() and "Exception from" not in line), "unreadable")
        raise GestureKitError(f"not a valid OpenVINO IR with its weights {bin_path.name} "
                              f"(truncated or from another model: {reason.strip()})",
                              xml_path) from None
    names = sorted(port.get_any_name() for port in model.outputs)
    if names != sorted(OUTPUT_NAMES):
        raise GestureKitError(f"not a GestureKit detector: outputs {names}", xml_path)
    shape = [d.get_length() if d.is_static else -1 for d in model.inputs[0].get_partial_shape()]
    _check_shape(shape, card, xml_path)
    return model


def check_onnx(onnx_path: Path, card: ModelCard):  # type: ignore[no-untyped-def]
    """Load an ONNX file and check it against ``card``; returns the onnx.ModelProto."""
    import onnx

    try:
        model = onnx.load(str(onnx_path))
    except Exception as err:  # protobuf's DecodeError and friends
        raise GestureKitError(f"not a readable ONNX file ({type(err).__name__})",
                              onnx_path) from None
    names = sorted(output.name for output in model.graph.output)
    if names != sorted(OUTPUT_NAMES):
        raise GestureKitError(f"not a GestureKit detector: outputs {names} (expected "
                              f"{sorted(OUTPUT_NAMES)})", onnx_path)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    _check_shape([d.dim_value if d.HasField("dim_value") else -1 for d in dims], card,
                 onnx_path)
    return model


def verify_export(path: str | Path) -> ModelCard:
    """Load the card of an exported model (folder, .json, .onnx or .xml) and check the
    model file(s) it names; returns the card."""
    path = Path(path)
    card = load_card(path)
    targets = [path] if path.suffix in (".onnx", ".xml") else \
        [card.file(role) for role in card.files]
    for target in targets:
        if not target.is_file():
            raise GestureKitError("named by the model card but missing", target)
        if target.suffix == ".xml":
            check_ir(target, card)
        elif target.suffix == ".onnx":
            check_onnx(target, card)
    return card
