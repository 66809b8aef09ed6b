"""An exponential moving average (EMA) of the weights, evaluated and saved instead of them.

The average smooths the noise of the last steps' updates (Polyak averaging; YOLOv5/v8
evaluate and save their EMA model). Here the average is taken over the trainable weights
after every step; at each epoch's end the model holds the average while the epoch's
callbacks run (BN recalibration, val loss and mAP, snapshot), and the raw weights come back
before the next epoch trains. A snapshot therefore holds the averaged weights, and a
resumed run continues from them.
"""
from __future__ import annotations

from . import compat  # noqa: F401
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402


def ema_decay_at(update: int, decay: float) -> float:
    """The decay for the ``update``-th average (1-based): ``(1 + n) / (10 + n)`` capped at
    ``decay``, so the first steps, whose weights are far from the end, are soon forgotten
    (TensorFlow's ``ExponentialMovingAverage`` with ``num_updates``)."""
    return min(decay, (1.0 + update) / (10.0 + update))


class WeightAverage(keras.callbacks.Callback):
    """Keeps the EMA of the model's trainable weights; holds it in the model from each
    epoch's end to the next epoch's start. Put it before the callbacks that should see the
    average (it swaps in its ``on_epoch_end``) and after none that train."""

    def __init__(self, decay: float) -> None:
        super().__init__()
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be between 0 and 1 (got {decay})")
        self.decay = decay
        self.updates = 0
        self.average: list[tf.Variable] = []
        self.swapped = False
        self._decay_now: tf.Variable | None = None
        self._update = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        weights = self.model.trainable_weights
        self.average = [tf.Variable(w, trainable=False) for w in weights]
        self._decay_now = tf.Variable(0.0, trainable=False)

        @tf.function
        def update() -> None:
            d = self._decay_now
            for mean, weight in zip(self.average, weights):
                mean.assign(d * mean + (1.0 - d) * weight)

        self._update = update

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.updates += 1
        self._decay_now.assign(ema_decay_at(self.updates, self.decay))
        self._update()

    def _swap(self) -> None:
        for mean, weight in zip(self.average, self.model.trainable_weights):
            held = tf.identity(weight)
            weight.assign(mean)
            mean.assign(held)
        self.swapped = not self.swapped

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.swapped:
            self._swap()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.swapped:
            self._swap()
