"""detector.ema: the weight average the epoch's callbacks see, and the raw weights trained."""
from __future__ import annotations

import numpy as np
import pytest

from detector import compat  # noqa: F401
from detector.ema import WeightAverage, ema_decay_at
from detector.loop import fit
from tensorflow import keras

from test_loop import _Batches, _two_headed_model


def test_decay_ramps_up_to_its_cap() -> None:
    assert ema_decay_at(1, 0.998) == pytest.approx(2 / 11)
    assert ema_decay_at(90, 0.998) == pytest.approx(91 / 100)
    assert ema_decay_at(10_000, 0.998) == 0.998


class _Watch(keras.callbacks.Callback):
    """Raw weights after every step (before the average); what later callbacks see."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[list[np.ndarray]] = []
        self.at_epoch_end: list[list[np.ndarray]] = []
        self.at_epoch_begin: list[list[np.ndarray]] = []

    def on_train_batch_end(self, batch, logs=None):  # type: ignore[no-untyped-def]
        self.raw.append([w.numpy().copy() for w in self.model.trainable_weights])


class _After(keras.callbacks.Callback):
    def __init__(self, watch: _Watch) -> None:
        super().__init__()
        self.watch = watch

    def on_epoch_begin(self, epoch, logs=None):  # type: ignore[no-untyped-def]
        self.watch.at_epoch_begin.append([w.numpy().copy()
                                          for w in self.model.trainable_weights])

    def on_epoch_end(self, epoch, logs=None):  # type: ignore[no-untyped-def]
        self.watch.at_epoch_end.append([w.numpy().copy()
                                        for w in self.model.trainable_weights])


def test_epoch_end_sees_the_average_and_training_continues_from_the_raw_weights() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 4)).astype(np.float32)
    model = _two_headed_model()
    start = [w.numpy().copy() for w in model.trainable_weights]
    watch = _Watch()
    fit(model, _Batches(x, x[:, :2], x[:, :1], batch=4), steps=3, epochs=2,
        callbacks=[watch, WeightAverage(0.5), _After(watch)], verbose=0)
    expected = start
    averages = []
    for update, raw in enumerate(watch.raw, start=1):
        d = ema_decay_at(update, 0.5)
        expected = [d * mean + (1 - d) * weight for mean, weight in zip(expected, raw)]
        if update % 3 == 0:
            averages.append(expected)
    for seen, average, raw in zip(watch.at_epoch_end, averages, watch.raw[2::3]):
        for got, want, last in zip(seen, average, raw):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
            assert not np.allclose(got, last)  # not simply the raw weights
    # the second epoch starts from the first epoch's raw weights, not from the average
    for got, raw in zip(watch.at_epoch_begin[1], watch.raw[2]):
        np.testing.assert_allclose(got, raw, rtol=1e-6)
    # after training the model keeps the last average (what the last snapshot holds)
    for got, want in zip(model.trainable_weights, averages[-1]):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_decay_must_be_a_fraction() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        WeightAverage(1.0)
