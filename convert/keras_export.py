"""Export of small one-input, one-output Keras classifiers (clip and pose): OpenVINO IR with
FP32 weights, ONNX through tf2onnx, and their agreement with Keras."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from voc_tools.errors import GestureKitError

from .onnx_export import ONNX_OPSET, _rename


def write_ir(model, path: Path, input_name: str, output_name: str) -> Path:  # type: ignore[no-untyped-def]
    """OpenVINO IR (FP32 weights kept: ``compress_to_fp16=False``) with named tensors."""
    import openvino as ov

    graph = ov.convert_model(model)
    graph.inputs[0].get_tensor().set_names({input_name})
    graph.outputs[0].get_tensor().set_names({output_name})
    ov.save_model(graph, str(path), compress_to_fp16=False)
    return path


def write_onnx(model, path: Path, input_name: str, output_name: str) -> Path:  # type: ignore[no-untyped-def]
    """ONNX (tf2onnx in-process) with the model's input shape (a None batch stays dynamic)."""
    import onnx
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec(model.input_shape, tf.float32, name=input_name),)
    try:
        proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=ONNX_OPSET)
    except Exception as err:  # tf2onnx raises many types; the first line says what failed
        raise GestureKitError(f"tf2onnx failed: {str(err).splitlines()[0][:200]}",
                              path) from None
    _rename(proto, proto.graph.output[0].name, output_name)
    onnx.save(proto, str(path))
    return path


def parity(model, files: dict[str, Path], inputs: Sequence[np.ndarray],  # type: ignore[no-untyped-def]
           input_name: str) -> dict:
    """Max |output difference| against Keras of the IR (OpenVINO CPU, f32) and the ONNX
    (ONNX Runtime) over ``inputs`` (each one model input), and whether the top-1s agree."""
    import onnxruntime
    import openvino as ov

    reference = np.concatenate([np.asarray(model(x, training=False)) for x in inputs])
    compiled = ov.Core().compile_model(str(files["openvino"]), "CPU",
                                       {"INFERENCE_PRECISION_HINT": "f32"})
    session = onnxruntime.InferenceSession(str(files["onnx"]),
                                           providers=["CPUExecutionProvider"])
    results = {"openvino": np.concatenate([compiled(x)[0] for x in inputs]),
               "onnx": np.concatenate([session.run(None, {input_name: x})[0] for x in inputs])}
    report: dict = {f"{name}_max_abs_diff": float(np.abs(out - reference).max())
                    for name, out in results.items()}
    report["same_top1"] = all(bool((out.argmax(-1) == reference.argmax(-1)).all())
                              for out in results.values())
    return report


def write_both(model, out: Path, ir_file: str, onnx_file: str, input_name: str,  # type: ignore[no-untyped-def]
               output_name: str) -> tuple[dict[str, Path], dict[str, float]]:
    """The IR and the ONNX of ``model`` in ``out``; returns their paths by role
    ("openvino", "onnx") and the seconds each took."""
    import time

    files, timings = {}, {}
    for role, name, writer in (("openvino", ir_file, write_ir), ("onnx", onnx_file, write_onnx)):
        started = time.perf_counter()
        files[role] = writer(model, out / name, input_name, output_name)
        timings[role] = round(time.perf_counter() - started, 2)
    return files, timings
