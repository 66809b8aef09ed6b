"""A CSP backbone (YOLOv8's layout) registered as a keras-retinanet backbone.

MobileNet v1 is a poor start from random weights; YOLOv8n trains its cross-stage-partial
backbone from scratch. ``csp_n`` and ``csp_s`` are that backbone at YOLOv8's n and s
widths and depths: 3x3 stride-2 convolutions, CSP blocks of residual 3x3 pairs and an SPPF
block at the end, each convolution followed by BatchNormalization and SiLU. It feeds
keras-retinanet's own pyramid and heads with C3, C4 and C5 (strides 8, 16, 32), so the
model trains, converts and exports like any keras-retinanet RetinaNet.

The CSP block splits its input with two 1x1 convolutions (not one convolution and a
channel split, as YOLOv8's C2f does): the same arithmetic, with only standard Keras layers
in the saved model. There are no ImageNet weights: train with ``--weights none``.
"""
from __future__ import annotations

from voc_tools.errors import GestureKitError

from . import compat  # noqa: F401
from keras_retinanet.models import Backbone, retinanet as retinanet_module  # noqa: E402
from keras_retinanet.utils.image import preprocess_image  # noqa: E402
from tensorflow import keras  # noqa: E402

#: name -> (width multiple, depth multiple), YOLOv8's n and s scales
SCALES = {"csp_n": (0.25, 1 / 3), "csp_s": (0.5, 1 / 3)}
#: YOLOv8's channels of stages 1..5 and residual pairs of stages 2..5 at scale 1
BASE_CHANNELS = (64, 128, 256, 512, 1024)
BASE_DEPTHS = (3, 6, 6, 3)
#: YOLOv8's BatchNormalization (PyTorch momentum 0.03 is Keras momentum 0.97)
BN_MOMENTUM, BN_EPSILON = 0.97, 1e-3


def conv_block(x, filters: int, size: int, stride: int, name: str):  # type: ignore[no-untyped-def]
    """Convolution (no bias), BatchNormalization, SiLU."""
    x = keras.layers.Conv2D(filters, size, strides=stride, padding="same", use_bias=False,
                            name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON,
                                        name=f"{name}_bn")(x)
    return keras.layers.Activation("swish", name=f"{name}_silu")(x)


def csp_block(x, filters: int, pairs: int, name: str):  # type: ignore[no-untyped-def]
    """Two halves by 1x1 convolutions; ``pairs`` residual 3x3 pairs on the second, every
    intermediate result kept; all of them concatenated and mixed by a 1x1 convolution."""
    half = filters // 2
    parts = [conv_block(x, half, 1, 1, f"{name}_a"), conv_block(x, half, 1, 1, f"{name}_b")]
    for index in range(pairs):
        y = conv_block(parts[-1], half, 3, 1, f"{name}_{index}_1")
        y = conv_block(y, half, 3, 1, f"{name}_{index}_2")
        parts.append(keras.layers.Add(name=f"{name}_{index}_add")([parts[-1], y]))
    merged = keras.layers.Concatenate(name=f"{name}_concat")(parts)
    return conv_block(merged, filters, 1, 1, f"{name}_out")


def sppf_block(x, filters: int, name: str):  # type: ignore[no-untyped-def]
    """Spatial pyramid pooling, fast: three chained 5x5 max pools, concatenated."""
    x = conv_block(x, filters // 2, 1, 1, f"{name}_in")
    pooled = [x]
    for index in range(3):
        pooled.append(keras.layers.MaxPooling2D(5, strides=1, padding="same",
                                                name=f"{name}_pool{index}")(pooled[-1]))
    merged = keras.layers.Concatenate(name=f"{name}_concat")(pooled)
    return conv_block(merged, filters, 1, 1, f"{name}_out")


def csp_features(inputs, name: str) -> list:  # type: ignore[no-untyped-def]
    """C3, C4 and C5 of the CSP backbone ``name`` (a key of :data:`SCALES`) on ``inputs``."""
    width, depth = SCALES[name]
    channels = [max(8, int(round(c * width))) for c in BASE_CHANNELS]
    pairs = [max(1, round(d * depth)) for d in BASE_DEPTHS]
    x = conv_block(inputs, channels[0], 3, 2, "csp_stem")
    outputs = []
    for stage in range(1, 5):
        x = conv_block(x, channels[stage], 3, 2, f"csp_down{stage}")
        x = csp_block(x, channels[stage], pairs[stage - 1], f"csp_stage{stage}")
        if stage == 4:
            x = sppf_block(x, channels[stage], "csp_sppf")
        if stage >= 2:
            outputs.append(x)
    return outputs


class CspBackbone(Backbone):
    """keras-retinanet's description of a CSP backbone (see the module docstring)."""

    def retinanet(self, num_classes: int, inputs=None, modifier=None,  # type: ignore[no-untyped-def]
                  **kwargs):
        """A RetinaNet on this backbone (keras-retinanet's pyramid and heads)."""
        if inputs is None:
            inputs = keras.layers.Input((None, None, 3))
        backbone = keras.Model(inputs, csp_features(inputs, self.backbone), name=self.backbone)
        if modifier:
            backbone = modifier(backbone)
        layers = dict(zip(("C3", "C4", "C5"), backbone.outputs))
        return retinanet_module.retinanet(inputs=inputs, num_classes=num_classes,
                                          backbone_layers=layers, **kwargs)

    def download_imagenet(self):  # type: ignore[no-untyped-def]
        raise GestureKitError(f"there are no ImageNet weights for {self.backbone}; train it "
                              "with --weights none")

    def validate(self) -> None:
        if self.backbone not in SCALES:
            raise ValueError(f"Backbone ('{self.backbone}') not in allowed backbones "
                             f"({sorted(SCALES)}).")

    def preprocess_image(self, inputs):  # type: ignore[no-untyped-def]
        """Pixels scaled to [-1, 1], as for MobileNet."""
        return preprocess_image(inputs, mode="tf")
