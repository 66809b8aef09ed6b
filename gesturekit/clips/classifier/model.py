"""Clip classifier architectures (tf-keras), input B x T x H x W x 3, output logits.

* ``tsm-mobilenetv3-small``: MobileNetV3-Small applied to every frame (the T frames folded
  into the batch), with a temporal shift (TSM: 1/8 of the channels from the next frame,
  1/8 from the previous one) at the start of every residual inverted-bottleneck block,
  then average pooling over space and time. Layer names are Keras' own MobileNetV3Small
  names, so ImageNet weights can be copied in by name.
* ``r2plus1d-tiny``: a small residual (2+1)D network (every 3-D convolution split into a
  1x3x3 spatial and a 3x1x1 temporal one) fed each frame and its difference from the
  previous one (TSN's RGB-difference cue: the static background cancels, the moving hand
  stays), fast to train from scratch on a CPU.

BatchNorm momentum is 0.9 (not Keras' 0.999) so that short runs on small datasets end
with usable moving statistics.
"""
from __future__ import annotations

from pathlib import Path

from voc_tools.errors import GestureKitError

from detector import compat  # noqa: F401  (tf-keras before TensorFlow)
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402

from .templates import ARCHITECTURES  # noqa: E402

layers = keras.layers
INPUT_NAME = "clip"
OUTPUT_NAME = "logits"
BN_MOMENTUM = 0.9


@keras.utils.register_keras_serializable(package="gesturekit")
class FoldTime(layers.Layer):
    """B x T x H x W x C -> (B*T) x H x W x C."""

    def build(self, input_shape) -> None:  # type: ignore[no-untyped-def]
        self.frame_shape = [int(v) for v in input_shape[2:]]  # fit() may feed unknown shapes
        super().build(input_shape)

    def call(self, x):  # type: ignore[no-untyped-def]
        return tf.reshape(x, [-1] + self.frame_shape)


@keras.utils.register_keras_serializable(package="gesturekit")
class UnfoldTime(layers.Layer):
    """(B*T) x ... -> B x T x ... for a known T."""

    def __init__(self, frames: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.frames = int(frames)

    def build(self, input_shape) -> None:  # type: ignore[no-untyped-def]
        self.item_shape = [int(v) for v in input_shape[1:]]
        super().build(input_shape)

    def call(self, x):  # type: ignore[no-untyped-def]
        return tf.reshape(x, [-1, self.frames] + self.item_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "frames": self.frames}


@keras.utils.register_keras_serializable(package="gesturekit")
class TemporalShift(layers.Layer):
    """TSM on folded frames: channel group 0 takes the next frame's values, group 1 the
    previous frame's (zeros past the clip's ends), the rest stays."""

    def __init__(self, frames: int, fold_div: int = 8, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.frames, self.fold_div = int(frames), int(fold_div)

    def build(self, input_shape) -> None:  # type: ignore[no-untyped-def]
        self.item_shape = [int(v) for v in input_shape[1:]]
        super().build(input_shape)

    def call(self, x):  # type: ignore[no-untyped-def]
        shape = self.item_shape
        fold = shape[-1] // self.fold_div
        x5 = tf.reshape(x, [-1, self.frames] + shape)
        ahead, behind, rest = x5[..., :fold], x5[..., fold:2 * fold], x5[..., 2 * fold:]
        ahead = tf.concat([ahead[:, 1:], tf.zeros_like(ahead[:, :1])], axis=1)
        behind = tf.concat([tf.zeros_like(behind[:, :1]), behind[:, :-1]], axis=1)
        return tf.reshape(tf.concat([ahead, behind, rest], axis=-1), [-1] + shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "frames": self.frames, "fold_div": self.fold_div}


def _bn(name: str | None = None):  # type: ignore[no-untyped-def]
    return layers.BatchNormalization(epsilon=1e-3, momentum=BN_MOMENTUM, name=name)


# ---------------------------------------------------------------- TSM MobileNetV3-Small

def _depth(value: float, divisor: int = 8) -> int:
    """Keras' channel rounding: to a multiple of 8, never below 90 % of ``value``."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _hard_sigmoid(x):  # type: ignore[no-untyped-def]
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x):  # type: ignore[no-untyped-def]
    return layers.Multiply()([x, _hard_sigmoid(x)])


def _relu(x):  # type: ignore[no-untyped-def]
    return layers.ReLU()(x)


def _squeeze_excite(inputs, filters: int, prefix: str):  # type: ignore[no-untyped-def]
    x = layers.GlobalAveragePooling2D(keepdims=True, name=prefix + "squeeze_excite/AvgPool")(
        inputs)
    x = layers.Conv2D(_depth(filters * 0.25), 1, name=prefix + "squeeze_excite/Conv")(x)
    x = layers.ReLU(name=prefix + "squeeze_excite/Relu")(x)
    x = layers.Conv2D(filters, 1, name=prefix + "squeeze_excite/Conv_1")(x)
    return layers.Multiply(name=prefix + "squeeze_excite/Mul")([inputs, _hard_sigmoid(x)])


def _stride_pad(x, kernel: int) -> tuple:  # type: ignore[no-untyped-def]
    """Keras' padding before a 'valid' stride-2 depthwise convolution."""
    height, width = x.shape[1:3]
    half = kernel // 2
    return ((half - 1 + height % 2, half), (half - 1 + width % 2, half))


# (expansion, filters, kernel, stride, squeeze-excite, activation) of Keras' MobileNetV3Small
_SMALL_BLOCKS = ((1, 16, 3, 2, True, _relu), (72 / 16, 24, 3, 2, False, _relu),
                 (88 / 24, 24, 3, 1, False, _relu), (4, 40, 5, 2, True, _hard_swish),
                 (6, 40, 5, 1, True, _hard_swish), (6, 40, 5, 1, True, _hard_swish),
                 (3, 48, 5, 1, True, _hard_swish), (3, 48, 5, 1, True, _hard_swish),
                 (6, 96, 5, 2, True, _hard_swish), (6, 96, 5, 1, True, _hard_swish),
                 (6, 96, 5, 1, True, _hard_swish))


def _inverted_residual(x, block_id: int, frames: int, expansion: float, filters: int,  # type: ignore[no-untyped-def]
                       kernel: int, stride: int, squeeze: bool, activation):
    in_filters = x.shape[-1]
    residual = stride == 1 and in_filters == filters
    prefix = f"expanded_conv_{block_id}/" if block_id else "expanded_conv/"
    shortcut = x
    if residual:
        x = TemporalShift(frames, name=prefix + "temporal_shift")(x)
    expanded = _depth(in_filters * expansion)
    if block_id:
        x = layers.Conv2D(expanded, 1, use_bias=False, name=prefix + "expand")(x)
        x = activation(_bn(prefix + "expand/BatchNorm")(x))
    if stride == 2:
        x = layers.ZeroPadding2D(_stride_pad(x, kernel), name=prefix + "depthwise/pad")(x)
    x = layers.DepthwiseConv2D(kernel, strides=stride, padding="same" if stride == 1
                               else "valid", use_bias=False, name=prefix + "depthwise")(x)
    x = activation(_bn(prefix + "depthwise/BatchNorm")(x))
    if squeeze:
        x = _squeeze_excite(x, expanded, prefix)
    x = layers.Conv2D(filters, 1, use_bias=False, name=prefix + "project")(x)
    x = _bn(prefix + "project/BatchNorm")(x)
    return layers.Add(name=prefix + "Add")([shortcut, x]) if residual else x


def _tsm_mobilenetv3_small(clip, frames: int):  # type: ignore[no-untyped-def]
    x = FoldTime(name="fold_time")(clip)
    x = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False, name="Conv")(x)
    x = _hard_swish(_bn("Conv/BatchNorm")(x))
    for block_id, settings in enumerate(_SMALL_BLOCKS):
        x = _inverted_residual(x, block_id, frames, *settings)
    x = layers.Conv2D(576, 1, use_bias=False, name="Conv_1")(x)
    x = _hard_swish(_bn("Conv_1/BatchNorm")(x))
    x = layers.GlobalAveragePooling2D(name="spatial_pool")(x)
    x = UnfoldTime(frames, name="unfold_time")(x)
    return layers.GlobalAveragePooling1D(name="temporal_pool")(x)


def copy_imagenet_weights(model: keras.Model, size: int) -> int:
    """Copy Keras' ImageNet MobileNetV3Small weights into same-named layers; returns how
    many layers got them. Offline, a one-line error says what to do."""
    try:
        source = keras.applications.MobileNetV3Small(
            input_shape=(max(size, 32),) * 2 + (3,), include_top=False, weights="imagenet",
            include_preprocessing=False)
    except Exception as err:  # keras get_file raises plain Exception on network errors
        reason = str(err).splitlines()[0][:120]
        raise GestureKitError(f"cannot download ImageNet weights for MobileNetV3Small "
                              f"({reason}); offline, use weights: none (from scratch) or "
                              "--weights PATH to a local .h5") from None
    copied = 0
    for layer in source.layers:
        weights = layer.get_weights()
        try:
            target = model.get_layer(layer.name)
        except ValueError:
            continue
        if weights and [w.shape for w in weights] == [w.shape for w in target.get_weights()]:
            target.set_weights(weights)
            copied += 1
    return copied


# ---------------------------------------------------------------- (2+1)D tiny

def _conv2plus1d(x, filters: int, stride_t: int, stride_s: int, name: str):  # type: ignore[no-untyped-def]
    x = layers.Conv3D(filters, (1, 3, 3), strides=(1, stride_s, stride_s), padding="same",
                      use_bias=False, name=f"{name}_spatial")(x)
    x = layers.ReLU()(_bn(f"{name}_spatial_bn")(x))
    x = layers.Conv3D(filters, (3, 1, 1), strides=(stride_t, 1, 1), padding="same",
                      use_bias=False, name=f"{name}_temporal")(x)
    return _bn(f"{name}_temporal_bn")(x)


def _residual_2plus1d(x, filters: int, stride_t: int, stride_s: int, name: str):  # type: ignore[no-untyped-def]
    y = layers.ReLU()(_conv2plus1d(x, filters, stride_t, stride_s, f"{name}_a"))
    y = _conv2plus1d(y, filters, 1, 1, f"{name}_b")
    if stride_t > 1 or stride_s > 1 or x.shape[-1] != filters:
        x = layers.Conv3D(filters, 1, strides=(stride_t, stride_s, stride_s), use_bias=False,
                          name=f"{name}_shortcut")(x)
        x = _bn(f"{name}_shortcut_bn")(x)
    return layers.ReLU()(layers.Add(name=f"{name}_add")([x, y]))


@keras.utils.register_keras_serializable(package="gesturekit")
class FrameDifference(layers.Layer):
    """B x T x H x W x C -> B x T x H x W x 2C: each frame and its difference from the
    previous frame (zero for the first), TSN's RGB-difference cue for motion."""

    def call(self, x):  # type: ignore[no-untyped-def]
        previous = tf.concat([x[:, :1], x[:, :-1]], axis=1)
        return tf.concat([x, x - previous], axis=-1)


def _r2plus1d_tiny(clip, frames: int):  # type: ignore[no-untyped-def]
    x = FrameDifference(name="frame_difference")(clip)
    x = layers.ReLU()(_conv2plus1d(x, 16, 1, 2, "stem"))
    x = _residual_2plus1d(x, 24, 1, 2, "block1")
    x = _residual_2plus1d(x, 48, 2 if frames >= 4 else 1, 2, "block2")
    x = _residual_2plus1d(x, 96, 2 if frames >= 8 else 1, 2, "block3")
    return layers.GlobalAveragePooling3D(name="pool")(x)


_BODIES = {"tsm-mobilenetv3-small": _tsm_mobilenetv3_small, "r2plus1d-tiny": _r2plus1d_tiny}


def build_model(architecture: str, num_classes: int, frames: int, size: int,
                weights: str | None = None, dropout: float = 0.2) -> keras.Model:
    """An uncompiled classifier: input ``clip`` (B, frames, size, size, 3), output
    ``logits`` (B, num_classes). ``weights``: None/'none', 'imagenet' (TSM-MobileNetV3
    only) or a path to an .h5 whose same-named layers are loaded."""
    if architecture not in _BODIES:
        raise GestureKitError(f"unknown architecture '{architecture}' (one of "
                              f"{', '.join(ARCHITECTURES)})")
    if frames < 1 or size < 16:
        raise GestureKitError(f"need frames >= 1 and input size >= 16 (got {frames}, {size})")
    clip = keras.Input((frames, size, size, 3), name=INPUT_NAME)
    features = _BODIES[architecture](clip, frames)
    features = layers.Dropout(dropout, name="dropout")(features)
    logits = layers.Dense(num_classes, name=OUTPUT_NAME)(features)
    model = keras.Model(clip, logits, name=architecture.replace("-", "_"))
    if weights in (None, "", "none"):
        return model
    if weights == "imagenet":
        if architecture != "tsm-mobilenetv3-small":
            raise GestureKitError(f"no ImageNet weights for {architecture} (use weights: none)")
        copy_imagenet_weights(model, size)
    else:
        load_weights_by_name(model, weights)
    return model


def load_weights_by_name(model: keras.Model, path: str | Path) -> None:
    """Load an .h5's same-named layers (a different class count's head is skipped)."""
    path = Path(path)
    try:
        model.load_weights(str(path), by_name=True, skip_mismatch=True)
    except (OSError, ValueError) as err:
        reason = "no such file" if not path.is_file() else str(err).splitlines()[0]
        raise GestureKitError(f"cannot load weights ({reason})", path) from None


def load_model(path: str | Path) -> keras.Model:
    """A saved classifier (.h5), with the custom layers of this module."""
    path = Path(path)
    if not path.is_file():
        raise GestureKitError("snapshot not found", path)
    try:
        return keras.models.load_model(str(path), compile=False)
    except (OSError, ValueError) as err:
        raise GestureKitError(f"cannot load the model ({str(err).splitlines()[0]})",
                              path) from None
