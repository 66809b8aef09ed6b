"""Precise batch-norm statistics for models trained from scratch.

Keras keeps BatchNormalization's moving variance as an exponential average starting at
1.0. Trained from scratch, MobileNet's depthwise layers have variances near 1e-3, so after
a few hundred steps (momentum 0.99) the moving statistics are still ~20x too large and the
inference model outputs the same scores for every image. Recalibrating the statistics on
a few training batches (Wu & Johnson's "precise BN") fixes that at the cost of a few
forward passes.
"""
from __future__ import annotations

import numpy as np

from . import compat  # noqa: F401
from tensorflow import keras  # noqa: E402


def _batchnorm_layers(model) -> list:  # type: ignore[no-untyped-def]
    """The model's trainable (not frozen) BatchNormalization layers."""
    return [layer for layer in model.layers
            if isinstance(layer, keras.layers.BatchNormalization)
            and layer.trainable and not getattr(layer, "freeze", False)]


class BatchNormStatistics:
    """A model's trainable BN layers and one compiled forward pass (training mode) that
    returns the per-channel mean and variance of each one's input for a batch. Built once
    per model: a compiled pass is ~3x faster than calling the model eagerly, and only the
    per-channel statistics leave the graph, not the activations."""

    def __init__(self, model) -> None:  # type: ignore[no-untyped-def]
        import tensorflow as tf

        self.layers = _batchnorm_layers(model)
        if not self.layers:
            return
        probe = keras.Model(model.inputs, [layer.input for layer in self.layers])

        @tf.function(reduce_retracing=True)
        def moments(inputs):  # type: ignore[no-untyped-def]
            outputs = probe(inputs, training=True)
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            result = []
            for layer, value in zip(self.layers, outputs):
                axis = layer.axis[0] % len(value.shape)
                axes = [i for i in range(len(value.shape)) if i != axis]
                result.append(tf.nn.moments(tf.cast(value, tf.float32), axes))
            return result

        self.moments = moments

    def recalibrate(self, batches) -> int:  # type: ignore[no-untyped-def]
        """Set each layer's moving mean/variance to the population statistics of its
        inputs over ``batches`` (model inputs); returns the number of layers set."""
        if not self.layers:
            return 0
        sums, count = None, 0
        for inputs in batches:  # per layer: sums of the batch means and of E[x^2]
            moments = [(mean.numpy().astype(np.float64), variance.numpy().astype(np.float64))
                       for mean, variance in self.moments(inputs)]
            stats = [np.stack([mean, variance + mean ** 2]) for mean, variance in moments]
            sums = stats if sums is None else [a + b for a, b in zip(sums, stats)]
            count += 1
        if count == 0:
            return 0
        for layer, total in zip(self.layers, sums):
            mean, square = total / count
            layer.moving_mean.assign(mean.astype(np.float32))
            layer.moving_variance.assign(np.maximum(square - mean ** 2, 0).astype(np.float32))
        return len(self.layers)


def recalibrate_batchnorm(model, batches) -> int:  # type: ignore[no-untyped-def]
    """Set each BN layer's moving mean/variance to the population statistics of its inputs
    over ``batches`` (an iterable of model inputs), computed in training mode.

    Returns the number of layers recalibrated.
    """
    return BatchNormStatistics(model).recalibrate(batches)


#: Augmented training images the statistics are taken over. Measured on rf100 (one
#: fine-tuned snapshot, val mAP@0.5 after four recalibrations each): 64 images (8 batches)
#: gave 0.67-0.79, mean 0.71; 256 images 0.76-0.78, mean 0.77; 512 0.75-0.78. Without
#: augmentation (flips only) 256 images gave 0.71-0.72: the network was trained on
#: augmented batches' statistics, so they are taken from augmented batches.
PRECISE_BN_IMAGES = 256


class RecalibrateBatchNorm(keras.callbacks.Callback):
    """Recalibrates BN statistics on ``images`` augmented training images (whole
    batches, at most one pass) at every epoch end, before the epoch's evaluation and
    snapshot."""

    def __init__(self, generator,  # type: ignore[no-untyped-def]
                 images: int = PRECISE_BN_IMAGES) -> None:
        super().__init__()
        self.generator = generator
        self.batches = max(1, -(-images // generator.batch_size))
        self.statistics: BatchNormStatistics | None = None  # built at the first epoch's end

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.statistics is None:
            self.statistics = BatchNormStatistics(self.model)
        count = min(self.batches, len(self.generator))
        self.statistics.recalibrate(self.generator[i][0] for i in range(count))
