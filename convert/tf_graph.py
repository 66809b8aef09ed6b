"""The detector as fixed-shape TensorFlow functions: with keras-retinanet's NMS, or raw."""
from __future__ import annotations

from pathlib import Path

from . import _tf_setup  # noqa: F401  (tf-keras before TensorFlow)
from detector.card import ModelCard

OUTPUT_NAMES = ("boxes", "scores", "labels")


def _input_spec(card: ModelCard):  # type: ignore[no-untyped-def]
    import tensorflow as tf

    shape = [None if side == -1 else side for side in card.input.shape()]
    return tf.TensorSpec(shape, tf.float32, name=card.input_name)


def nms_function(saved_model: Path, card: ModelCard):  # type: ignore[no-untyped-def]
    """A tf.function: image batch -> {boxes, scores, labels}, keras-retinanet NMS inside."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(saved_model))
    signature = loaded.signatures["serving_default"]
    (input_key,) = signature.structured_input_signature[1].keys()
    by_rank = {}
    for key, tensor in signature.structured_outputs.items():
        rank = 3 if tensor.shape.rank == 3 else (2 if tensor.dtype.is_floating else 1)
        by_rank[rank] = key  # boxes (1,N,4), scores (1,N) float, labels (1,N) int

    @tf.function(input_signature=[_input_spec(card)])
    def detect(image):  # type: ignore[no-untyped-def]
        out = signature(**{input_key: image})
        return {"boxes": tf.identity(out[by_rank[3]], name="boxes"),
                "scores": tf.identity(out[by_rank[2]], name="scores"),
                "labels": tf.identity(out[by_rank[1]], name="labels")}

    detect.keep_alive = loaded  # the function's variables live in ``loaded``
    return detect


def filter_settings(model) -> dict:  # type: ignore[no-untyped-def]
    """keras-retinanet's FilterDetections settings of an inference model."""
    layer = next(l for l in model.layers if type(l).__name__ == "FilterDetections")
    config = layer.get_config()
    return {key: config[key] for key in ("nms_threshold", "score_threshold",
                                         "max_detections", "class_specific_filter", "nms")}


def raw_function(keras_model, card: ModelCard):  # type: ignore[no-untyped-def]
    """A tf.function: image batch -> {boxes (1,N,4), classification (1,N,C)} before NMS."""
    import tensorflow as tf

    layer = next(l for l in keras_model.layers if type(l).__name__ == "FilterDetections")
    boxes, classification = layer.input[:2]
    raw = tf.keras.Model(keras_model.inputs, [boxes, classification])

    @tf.function(input_signature=[_input_spec(card)])
    def detect(image):  # type: ignore[no-untyped-def]
        out_boxes, out_classification = raw(image, training=False)
        return {"boxes": tf.identity(out_boxes, name="boxes"),
                "classification": tf.identity(out_classification, name="classification")}

    detect.keep_alive = raw
    return detect
