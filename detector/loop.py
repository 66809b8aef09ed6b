"""The training loop: Keras callbacks and metrics as in ``Model.fit``, one compiled step of
static shape, fed NumPy batches from the generator between steps.

Why not ``model.fit(generator)``: Keras wraps a Python generator or ``Sequence`` in
``tf.data.Dataset.from_generator``, whose per-batch ``py_func`` fights TensorFlow's own
threads for the cores. Measured on the main job's settings (2 cores, 60 steps): 1.03
s/step with 50 s of system time that way, 0.42 s/step for the same network fed from
in-memory tensors, and 0.52 s/step here (0.05 of it making the batch). A background thread
making the next batch was slower on 2 cores (0.62 s/step): it competes with TensorFlow's
own threads, so batches are made in the main thread.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import compat  # noqa: F401
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402

Batch = tuple[np.ndarray, list[np.ndarray]]


def endless_batches(generator: keras.utils.Sequence) -> Iterator[Batch]:
    """Every batch of ``generator``, pass after pass, reshuffled between passes."""
    while True:
        for index in range(len(generator)):
            yield generator[index]
        generator.on_epoch_end()


def compiled_step(model: keras.Model,
                  step_model: keras.Model | None = None) -> Callable[[Batch], dict[str, Any]]:
    """``model.train_step`` as a ``tf.function``; one trace per distinct batch shape
    (one, for the kit's fixed-canvas batches). With a ``step_model`` (a bf16 twin, see
    :mod:`detector.precision`) that one trains, and its weights are copied into ``model``
    after the step, in the same function."""
    if step_model is None or step_model is model:
        step = tf.function(lambda x, y: model.train_step((x, y)))
    else:
        pairs = list(zip(model.weights, step_model.weights))

        @tf.function
        def step(x, y):  # type: ignore[no-untyped-def]
            logs = step_model.train_step((x, y))
            for target, source in pairs:
                target.assign(tf.cast(source, target.dtype))
            return logs

    def run(batch: Batch) -> dict[str, Any]:
        inputs, targets = batch
        return step(tf.convert_to_tensor(inputs), tuple(tf.convert_to_tensor(t) for t in targets))

    return run


def fit(model: keras.Model, generator: keras.utils.Sequence, steps: int, epochs: int,
        initial_epoch: int = 0, callbacks: list[keras.callbacks.Callback] | None = None,
        verbose: int = 2, step_model: keras.Model | None = None) -> keras.callbacks.History:
    """Train ``model`` for ``epochs`` (from ``initial_epoch``) of ``steps`` batches of
    ``generator``, as ``model.fit`` would: the same callback calls, epoch logs holding the
    epoch's running mean loss, ``model.stop_training`` honoured after the batch that sets it
    (the epoch's callbacks still run). ``step_model``: the bf16 twin that takes the steps
    (:func:`detector.model.training_models`); the callbacks see ``model``, which gets the
    twin's weights after every step and gives its own back at every epoch's start (after
    the callbacks' ``on_epoch_begin``, e.g. an EMA swapping the raw weights back)."""
    twin = step_model if step_model is not None and step_model is not model else None
    callback_list = keras.callbacks.CallbackList(
        callbacks, add_history=True, add_progbar=verbose != 0, model=model,
        verbose=verbose, epochs=epochs, steps=steps)
    step = compiled_step(model, twin)
    batches = endless_batches(generator)
    model.stop_training = False
    logs: dict[str, Any] = {}
    epoch_logs: dict[str, float] | None = None
    callback_list.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        if twin is not None:
            twin.reset_metrics()
            twin.set_weights(model.get_weights())
        for batch in range(steps):
            callback_list.on_train_batch_begin(batch)
            logs = step(next(batches))
            callback_list.on_train_batch_end(batch, logs)
            if model.stop_training:  # as fit: the epoch ends here, its callbacks still run
                break
        epoch_logs = {name: float(value) for name, value in logs.items()}
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs=epoch_logs)
    return model.history
