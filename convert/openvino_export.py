"""OpenVINO IR of the detector, NMS inside: keras-retinanet's (converted from TF) or
OpenVINO's own NonMaxSuppression on the raw network outputs."""
from __future__ import annotations

from pathlib import Path

from detector.card import RT_INFO_KEY, ModelCard

from .tf_graph import OUTPUT_NAMES

NMS_VARIANTS = ("openvino", "tensorflow")  # OpenVINO's NMS op / keras-retinanet's, converted


def _name_ports(model, input_name: str) -> None:  # type: ignore[no-untyped-def]
    """Input ``input_name``; outputs boxes, scores, labels (by shape and type)."""
    model.inputs[0].get_tensor().set_names({input_name})
    for port in model.outputs:
        rank = port.get_partial_shape().rank.get_length()
        name = "boxes" if rank == 3 else ("scores" if port.get_element_type().is_real()
                                          else "labels")
        port.get_tensor().set_names({name})
    order = {name: i for i, name in enumerate(OUTPUT_NAMES)}
    names = sorted(model.outputs, key=lambda p: order[p.get_any_name()])
    if [p.get_any_name() for p in names] != list(OUTPUT_NAMES):
        raise RuntimeError("unexpected detector outputs")


def openvino_with_tf_nms(saved_model: Path, card: ModelCard):  # type: ignore[no-untyped-def]
    """The SavedModel (keras-retinanet NMS inside) converted by OpenVINO, fixed input."""
    import openvino as ov

    model = ov.convert_model(str(saved_model), input=[card.input.shape()])
    _name_ports(model, card.input_name)
    return model


def openvino_raw(keras_model, card: ModelCard):  # type: ignore[no-untyped-def]
    """The network without NMS: outputs raw_boxes (1,N,4), raw_classification (1,N,C)."""
    import openvino as ov

    from .tf_graph import raw_function

    raw = ov.convert_model(raw_function(keras_model, card).get_concrete_function())
    for port in raw.outputs:  # the final outputs take the plain names
        port.get_tensor().set_names({f"raw_{port.get_any_name()}"})
    raw.inputs[0].get_tensor().set_names({card.input_name})
    return raw


def attach_nms(raw, settings: dict):  # type: ignore[no-untyped-def]
    """A new model: ``raw`` (float or INT8) followed by OpenVINO's NMS operation."""
    import openvino as ov

    from .ov_nms import add_nms

    # the tensors feeding the raw model's Result nodes
    ports = {port.get_any_name(): port.get_node().input_value(0) for port in raw.outputs}
    outputs = add_nms(ports["raw_boxes"], ports["raw_classification"], settings)
    model = ov.Model(list(outputs), raw.get_parameters(), "gesturekit_detector")
    for port, name in zip(model.outputs, OUTPUT_NAMES):
        port.get_tensor().set_names({name})
    return model


def save_ir(model, xml_path: Path, card: ModelCard) -> Path:  # type: ignore[no-untyped-def]
    """Save FP32 weights (never FP16-compressed) with the card's essentials in rt_info."""
    import openvino as ov

    for key, value in card.rt_info().items():
        model.set_rt_info(value, [RT_INFO_KEY, key])
    ov.save_model(model, str(xml_path), compress_to_fp16=False)
    return xml_path
