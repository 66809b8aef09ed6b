"""Model cost: parameters and floating-point operations of one clip (batch 1).

FLOPs are counted by TensorFlow's own profiler (``tf.compat.v1.profiler``, the
``float_operation`` view) on the frozen inference graph of the model at batch 1: every op
with a registered FLOP statistic counts, convolutions (Conv2D, Conv3D, depthwise) and
MatMul as 2 FLOPs per multiply-add, element-wise ops (Add, Mul, ...) and pooling as one
per output value. Batch normalisation (FusedBatchNormV3) and ReLU have no registered
statistic and are not counted (an inference engine folds BN into the convolution anyway).
"""
from __future__ import annotations

from detector import compat  # noqa: F401
import tensorflow as tf  # noqa: E402

FLOPS_METHOD = ("TensorFlow profiler float_operation on the frozen batch-1 inference graph "
                "(2 FLOPs per multiply-add; BN and ReLU not counted)")


def count_flops(model) -> int:  # type: ignore[no-untyped-def]
    """FLOPs of one forward pass of ``model`` on a batch of one."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2)

    spec = tf.TensorSpec([1] + list(model.input_shape[1:]), tf.float32)
    concrete = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
    graph = convert_variables_to_constants_v2(concrete).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    logger, level = tf.get_logger(), tf.get_logger().level
    logger.setLevel("ERROR")  # the v1 profiler's deprecation notes
    try:
        profile = tf.compat.v1.profiler.profile(graph=graph, cmd="op", options=options,
                                                run_meta=tf.compat.v1.RunMetadata())
    finally:
        logger.setLevel(level)
    return int(profile.total_float_ops)


def model_cost(model) -> dict:  # type: ignore[no-untyped-def]
    """``{"parameters", "trainable_parameters", "gflops", "gflops_method"}``."""
    trainable = sum(int(tf.size(w)) for w in model.trainable_weights)
    return {"parameters": int(model.count_params()), "trainable_parameters": trainable,
            "gflops": round(count_flops(model) / 1e9, 4), "gflops_method": FLOPS_METHOD}
