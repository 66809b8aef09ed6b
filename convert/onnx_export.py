"""ONNX of the detector through tf2onnx's command line on the SavedModel, keras-retinanet's
NMS inside (an ONNX Loop that onnxruntime runs; OpenVINO rejects it, so the IR is made from
TensorFlow directly).

tf2onnx is given the SavedModel with its dynamic input: with a fixed input shape it folds
FPN upsampling into constant Resize scales, wrong when a side is not a multiple of 32
(e.g. 171 px), and its tf.function route breaks the NMS Loop's types. The fixed size is set
on the ONNX graph input afterwards, where onnxruntime computes every shape from it.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from detector.card import ModelCard
from voc_tools.errors import GestureKitError

from .tf_graph import OUTPUT_NAMES

ONNX_OPSET = 17


def _rename(model, old: str, new: str) -> None:  # type: ignore[no-untyped-def]
    """Rename a top-level tensor everywhere in the graph (subgraphs see it by name too)."""
    def visit(graph) -> None:  # type: ignore[no-untyped-def]
        for node in graph.node:
            node.input[:] = [new if name == old else name for name in node.input]
            node.output[:] = [new if name == old else name for name in node.output]
            for attribute in node.attribute:
                if attribute.g.node:
                    visit(attribute.g)
                for sub in attribute.graphs:
                    visit(sub)
        for value in list(graph.input) + list(graph.output):
            if value.name == old:
                value.name = new
    visit(model.graph)


def _output_roles(model) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """tf2onnx output name -> boxes/scores/labels, by rank and element type."""
    from onnx import TensorProto

    roles = {}
    for output in model.graph.output:
        tensor = output.type.tensor_type
        rank = len(tensor.shape.dim)
        roles[output.name] = "boxes" if rank == 3 else (
            "scores" if tensor.elem_type == TensorProto.FLOAT else "labels")
    if sorted(roles.values()) != sorted(OUTPUT_NAMES):
        raise GestureKitError(f"unexpected SavedModel outputs {sorted(roles)} (expected a "
                              "keras-retinanet inference model)")
    return roles


def export_onnx(saved_model: Path, card: ModelCard, onnx_path: Path) -> Path:
    """Write ``onnx_path``: input ``card.input_name`` (1, H, W, 3), outputs boxes, scores,
    labels."""
    import onnx

    with tempfile.TemporaryDirectory() as tmp:
        raw_path = Path(tmp) / "raw.onnx"
        command = [sys.executable, "-m", "tf2onnx.convert", "--saved-model", str(saved_model),
                   "--output", str(raw_path), "--opset", str(ONNX_OPSET)]
        # the child inherits the kit's TF setup (detector/__init__.py) through os.environ
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not raw_path.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise GestureKitError(f"tf2onnx failed: {last}", saved_model)
        model = onnx.load(str(raw_path))
    for old, new in _output_roles(model).items():
        _rename(model, old, new)
    _rename(model, model.graph.input[0].name, card.input_name)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[0].dim_value = 1
    if card.input.fixed_size:
        dims[1].dim_value, dims[2].dim_value = int(card.input.height), int(card.input.width)
    onnx.save(model, str(onnx_path))
    return onnx_path
