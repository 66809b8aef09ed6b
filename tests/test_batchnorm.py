"""detector.batchnorm: precise BN statistics, over enough augmented training images."""
from __future__ import annotations

import numpy as np

from detector import compat  # noqa: F401
from detector.batchnorm import PRECISE_BN_IMAGES, RecalibrateBatchNorm, recalibrate_batchnorm
from tensorflow import keras


def _bn_model() -> keras.Model:
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.BatchNormalization()(inputs))


def test_statistics_are_the_population_ones() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal([1.0, -2.0, 5.0], [0.1, 2.0, 0.5], size=(400, 3)).astype(np.float32)
    model = _bn_model()
    assert recalibrate_batchnorm(model, np.split(data, 50)) == 1
    layer = model.layers[-1]
    np.testing.assert_allclose(layer.moving_mean.numpy(), data.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(layer.moving_variance.numpy(), data.var(axis=0), rtol=1e-3)


class _Batches(keras.utils.Sequence):
    def __init__(self, batch_size: int, count: int) -> None:
        super().__init__()
        self.batch_size, self.count, self.served = batch_size, count, 0

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int):  # type: ignore[no-untyped-def]
        self.served += 1
        return np.full((self.batch_size, 3), index, np.float32), None


def test_callback_uses_enough_images_at_most_one_pass() -> None:
    for batch_size, count, served in ((8, 100, PRECISE_BN_IMAGES // 8), (4, 100, 64),
                                      (8, 5, 5), (3, 200, 86)):
        batches = _Batches(batch_size, count)
        callback = RecalibrateBatchNorm(batches)
        callback.set_model(_bn_model())
        callback.on_epoch_end(0)
        assert batches.served == served
