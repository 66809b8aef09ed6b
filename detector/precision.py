"""bf16 mixed precision for training, where the CPU computes bf16 natively.

On a CPU with AVX512-BF16 (or AMX-BF16) the kit's training step takes 1.04-1.15x less
time in Keras' ``mixed_bfloat16`` policy at the same loss (``bench/results/bf16.md``), but
the main job ended 0.02-0.04 lower in val mAP in both seeds measured, so it is an option
(``--precision bfloat16`` or ``auto``), not the default. The float32 model stays the
run's model: callbacks, precise BN, val mAP, snapshots and the
inference model see float32 layers, so conversion and export are unchanged. A twin of it
built under the mixed policy (its variables are float32 too) takes the training steps;
:func:`detector.loop.fit` copies its weights into the model after every step and back at
every epoch's start, so both always hold the same numbers.
"""
from __future__ import annotations

from collections.abc import Callable

from .machine import cpu_flags

#: What ``TrainConfig.precision`` accepts: ``auto`` is bfloat16 where the CPU has bf16
#: instructions (:data:`BF16_FLAGS`), float32 elsewhere.
PRECISIONS = ("auto", "float32", "bfloat16")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_bf16() -> bool:
    """Whether /proc/cpuinfo lists an instruction set that computes bf16 natively."""
    return any(flag in BF16_FLAGS for flag in cpu_flags())


def training_precision(requested: str) -> str:
    """The precision a run with ``requested`` (one of :data:`PRECISIONS`) trains in."""
    if requested not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)} (got {requested!r})")
    if requested == "auto":
        return "bfloat16" if cpu_has_bf16() else "float32"
    return requested


def bf16_twin(model, build: Callable, losses: dict[str, Callable]):  # type: ignore[no-untyped-def]
    """A copy of the compiled float32 training ``model`` computing in bf16: ``build()``
    makes the uncompiled architecture again, here under the ``mixed_bfloat16`` policy, and
    its outputs are cast to float32 under the model's output names, so ``losses`` (by
    output name) compute in float32 on float32 targets and log under the same names. The
    twin gets the model's weights and its optimizer object, so a learning-rate schedule
    set on the model drives the twin's steps."""
    from tensorflow import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        inner = build()
    finally:
        keras.mixed_precision.set_global_policy(previous)
    inputs = keras.Input(inner.input_shape[1:], name="image")
    outputs = [keras.layers.Activation("linear", dtype="float32", name=name)(output)
               for name, output in zip(model.output_names, inner(inputs))]
    twin = keras.Model(inputs, outputs, name=f"{model.name}_bf16")
    shapes = [tuple(w.shape) for w in model.weights]
    if shapes != [tuple(w.shape) for w in twin.weights]:
        raise RuntimeError("the bf16 twin's weights do not line up with the model's")
    twin.set_weights(model.get_weights())
    twin.compile(loss=losses, optimizer=model.optimizer)
    return twin
