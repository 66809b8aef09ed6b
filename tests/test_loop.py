"""detector.loop.fit trains exactly as Keras' fit; detector.data's fixed canvas."""
from __future__ import annotations

import numpy as np

from detector import compat  # noqa: F401
from detector.data import max_resized_shape
from detector.loop import fit
from tensorflow import keras


class _Batches(keras.utils.Sequence):
    """Fixed batches in order, counting passes."""

    def __init__(self, x: np.ndarray, y0: np.ndarray, y1: np.ndarray, batch: int) -> None:
        super().__init__()
        self.x, self.y0, self.y1, self.batch = x, y0, y1, batch
        self.passes = 0

    def __len__(self) -> int:
        return len(self.x) // self.batch

    def __getitem__(self, index: int):  # type: ignore[no-untyped-def]
        part = slice(index * self.batch, (index + 1) * self.batch)
        return self.x[part], [self.y0[part], self.y1[part]]

    def on_epoch_end(self) -> None:
        self.passes += 1


def _two_headed_model() -> keras.Model:
    keras.utils.set_random_seed(3)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(2, name="regression")(hidden),
                                 keras.layers.Dense(1, name="classification")(hidden)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=["mse", "mse"])
    return model


class _Record(keras.callbacks.Callback):
    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.epoch_logs: list[dict] = []
        self.stop_after = stop_after

    def on_train_begin(self, logs=None):  # type: ignore[no-untyped-def]
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):  # type: ignore[no-untyped-def]
        self.calls.append(f"epoch_begin {epoch}")

    def on_train_batch_end(self, batch, logs=None):  # type: ignore[no-untyped-def]
        self.calls.append(f"batch {batch}")

    def on_epoch_end(self, epoch, logs=None):  # type: ignore[no-untyped-def]
        self.epoch_logs.append(dict(logs))
        if self.stop_after is not None and epoch + 1 >= self.stop_after:
            self.model.stop_training = True

    def on_train_end(self, logs=None):  # type: ignore[no-untyped-def]
        self.calls.append("train_end")


def test_fit_equals_keras_fit_weights_logs_and_callbacks() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 4)).astype(np.float32)
    y0 = rng.normal(size=(24, 2)).astype(np.float32)
    y1 = rng.normal(size=(24, 1)).astype(np.float32)
    ours, theirs = _two_headed_model(), _two_headed_model()
    record = _Record()
    batches = _Batches(x, y0, y1, batch=4)
    # 3 epochs of 3 steps over 6 batches, resumed at epoch 1: batches 0-2, 3-5, then the
    # data wraps around (a new pass) to 0-2, as --steps larger than the data allows
    history = fit(ours, batches, steps=3, epochs=4, initial_epoch=1, callbacks=[record],
                  verbose=0)
    order = np.r_[0:12, 12:24, 0:12]  # Keras over the same 9 batches in the same order
    theirs.fit(x[order], [y0[order], y1[order]], batch_size=4, epochs=1, shuffle=False,
               verbose=0)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-5, atol=1e-6)
    assert record.calls[:5] == ["train_begin", "epoch_begin 1", "batch 0", "batch 1",
                                "batch 2"]
    assert record.calls[-1] == "train_end" and len(record.epoch_logs) == 3
    assert set(record.epoch_logs[0]) >= {"loss", "regression_loss", "classification_loss"}
    assert history.history["loss"] == [logs["loss"] for logs in record.epoch_logs]
    assert batches.passes == 1


def test_stop_training_ends_after_the_epoch() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 4)).astype(np.float32)
    record = _Record(stop_after=1)
    fit(_two_headed_model(), _Batches(x, x[:, :2], x[:, :1], batch=4), steps=2, epochs=5,
        callbacks=[record], verbose=0)
    assert len(record.epoch_logs) == 1 and record.calls[-1] == "train_end"


class _StopAtBatch(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):  # type: ignore[no-untyped-def]
        if batch == 1:
            self.model.stop_training = True


def test_stop_training_in_a_batch_ends_the_epoch_there_as_keras_fit() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(24, 4)).astype(np.float32)
    record = _Record()
    fit(_two_headed_model(), _Batches(x, x[:, :2], x[:, :1], batch=4), steps=5, epochs=3,
        callbacks=[_StopAtBatch(), record], verbose=0)
    assert record.calls == ["train_begin", "epoch_begin 0", "batch 0", "batch 1",
                            "train_end"]
    assert len(record.epoch_logs) == 1  # the cut epoch's callbacks ran
    theirs = _Record()
    _two_headed_model().fit(x, [x[:, :2], x[:, :1]], batch_size=4, epochs=3, verbose=0,
                            callbacks=[_StopAtBatch(), theirs])
    assert theirs.calls == record.calls


def test_canvas_holds_every_resized_image() -> None:
    assert max_resized_shape([(240, 320)], 128, 171) == (128, 171)
    assert max_resized_shape([(240, 320), (480, 640)], 288, 384) == (288, 384)
    # portrait and landscape frames share one canvas: the longer side both ways
    assert max_resized_shape([(240, 320), (320, 240)], 128, 171) == (171, 171)
