"""Building keras-retinanet models for a dataset's own classes."""
from __future__ import annotations

from pathlib import Path

from voc_tools.errors import GestureKitError

from . import compat  # noqa: F401
from .config import GROUP_NORM_SUFFIX, OPTIMIZERS, TrainConfig, check_head_norm, default
from .hands import hand_weights, load_hands_weights
from . import losses as box_losses
from keras_retinanet import losses, models  # noqa: E402
from keras_retinanet.utils.anchors import make_shapes_callback  # noqa: E402
from keras_retinanet.utils.model import freeze as freeze_model  # noqa: E402
from tensorflow import keras  # noqa: E402


def get_backbone(name: str):  # type: ignore[no-untyped-def]
    """keras-retinanet's Backbone object (or the kit's CSP backbone, :mod:`detector.csp`),
    with a one-line error for unknown names."""
    try:
        if name.startswith("csp"):
            from .csp import CspBackbone

            return CspBackbone(name)
        backbone = models.backbone(name)
        backbone.validate()
    except (NotImplementedError, ValueError) as err:
        raise GestureKitError(f"backbone '{name}': {err}") from None
    return backbone


def imagenet_weights(backbone_name: str) -> str:
    """Download (or find cached) ImageNet weights; offline, a one-line error says what to do."""
    backbone = get_backbone(backbone_name)
    try:
        return backbone.download_imagenet()
    except GestureKitError:
        raise
    except Exception as err:  # keras get_file raises plain Exception on network errors
        reason = str(err).splitlines()[0][:120]
        raise GestureKitError(
            f"cannot download ImageNet weights for {backbone_name} ({reason}); "
            "offline, pass --weights none to train from scratch or --weights PATH "
            "to a local .h5") from None


#: Channels per group in a GroupNorm head (FCOS: 256 channels in 32 groups).
CHANNELS_PER_GROUP = 8


def head_submodels(num_classes: int, width: int, fpn_width: int = 256,
                   norm: str = "none") -> list | None:
    """keras-retinanet's regression/classification heads with ``width`` filters per layer,
    reading ``fpn_width``-channel pyramid levels, with ``norm`` (``detector.config.HEAD_NORMS``).

    256/256 without norm is the paper's model (``None``: keras-retinanet's own default). A
    narrower head is the light option: the head dominates RetinaNet's cost on a CPU.
    """
    if width == 256 and fpn_width == 256 and norm == "none":
        return None
    check_head_norm(norm)
    from keras_retinanet.models.retinanet import (AnchorParameters,
                                                  default_classification_model,
                                                  default_regression_model)

    anchors = AnchorParameters.default.num_anchors()
    heads = [("regression", default_regression_model(
                 4, anchors, pyramid_feature_size=fpn_width, regression_feature_size=width)),
             ("classification", default_classification_model(
                 num_classes, anchors, pyramid_feature_size=fpn_width,
                 classification_feature_size=width))]
    if norm == "group":
        heads = [(name, group_normed(head, width)) for name, head in heads]
    return heads


def group_normed(head, width: int):  # type: ignore[no-untyped-def]
    """keras-retinanet's ``head`` with GroupNorm between each hidden convolution and its
    ReLU. The same layers (names, initialisers, prior-probability bias) are reused.

    Measured on the fingers set from random weights (``bench/bench_spikes.py``, 1200 steps
    of 4, lr 1e-3): without it the classification loss spiked above 3 in 17 steps (up to
    64); with it in none, and the median losses were lower throughout. Val mAP after 30
    CPU-minutes was not higher, so it is an option (``--head-norm group``)."""
    inputs = keras.Input(head.input_shape[1:])
    outputs = inputs
    for layer in head.layers[1:]:
        hidden = isinstance(layer, keras.layers.Conv2D) and layer.name[-1].isdigit()
        if hidden:  # pyramid_*_0..3: conv -> GroupNorm -> ReLU
            layer.activation = keras.activations.linear
        outputs = layer(outputs)
        if hidden:
            outputs = keras.layers.GroupNormalization(
                max(1, width // CHANNELS_PER_GROUP), name=layer.name + GROUP_NORM_SUFFIX)(outputs)
            outputs = keras.layers.ReLU(name=f"{layer.name}_relu")(outputs)
    return keras.Model(inputs, outputs, name=head.name)


def pyramid_features(fpn_width: int) -> dict:
    """Keyword arguments giving keras-retinanet's own feature pyramid ``fpn_width`` filters
    per level instead of its fixed 256 (none for 256). At 288x384 the 256-wide pyramid is
    ~40% of a mobilenet RetinaNet's FLOPs, more than the backbone."""
    if fpn_width == 256:
        return {}
    from keras_retinanet.models import retinanet as retinanet_module

    # keras-retinanet's module-level builder; its double underscore is a name, not mangling
    stock_pyramid = getattr(retinanet_module, "__create_pyramid_features")
    return {"create_pyramid_features": lambda layers, levels: stock_pyramid(
        layers, levels, feature_size=fpn_width)}


def build_training_model(backbone_name: str, num_classes: int, weights: str | None,
                         freeze_backbone: bool, learning_rate: float,
                         head_width: int = 256, fpn_width: int = 256,
                         compile_model: bool = True,
                         head_norm: str = "none", box_loss: str = default("box_loss"),
                         optimizer: str = default("optimizer")):  # type: ignore[no-untyped-def]
    """A compiled training model (focal loss and ``box_loss``, see
    :func:`training_losses`; ``optimizer``: :func:`make_optimizer`; both TrainConfig's
    defaults unless given) for ``num_classes``.

    ``weights``: None (from scratch), 'imagenet', 'hands' (the kit's hand detector, see
    :mod:`detector.hands`) or a rebuilt ``hands.h5`` with its card beside it, or a path to
    an .h5 whose layers are loaded by name (mismatching layers, e.g. another class count,
    are skipped).
    """
    backbone = get_backbone(backbone_name)
    modifier = freeze_model if freeze_backbone else None
    model = backbone.retinanet(num_classes, modifier=modifier,
                               submodels=head_submodels(num_classes, head_width, fpn_width,
                                                         head_norm),
                               **pyramid_features(fpn_width))
    hand = hand_weights(weights)
    if hand is not None:
        load_hands_weights(model, num_classes, hand)
    elif weights == "imagenet":
        model.load_weights(imagenet_weights(backbone_name), by_name=True, skip_mismatch=True)
    elif weights:
        path = Path(weights)
        if not path.is_file():
            raise GestureKitError("weights file not found", path)
        try:
            model.load_weights(str(path), by_name=True, skip_mismatch=True)
        except (OSError, ValueError) as err:
            raise GestureKitError(f"cannot load weights ({str(err).splitlines()[0]})",
                                  path) from None
    if not compile_model:
        return model
    model.compile(loss=training_losses(box_loss),
                  optimizer=make_optimizer(optimizer, learning_rate))
    return model


def make_optimizer(name: str, learning_rate: float):  # type: ignore[no-untyped-def]
    """The optimizer called ``name`` (:data:`detector.config.OPTIMIZERS`). "adam":
    keras-retinanet's (gradients clipped to norm 0.001; it passes ``lr=``, which current
    Keras ignores, so the rate is passed as ``learning_rate``). "sgd": Nesterov momentum
    0.9 and weight decay 1e-4, the RetinaNet paper's, with no clipping."""
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=0.001)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9, nesterov=True,
                                    weight_decay=1e-4)
    raise ValueError(f"unknown optimizer {name!r}; expected one of {OPTIMIZERS}")


def training_losses(box_loss: str = default("box_loss")) -> dict:
    """The losses by output: ``box_loss`` for boxes (:func:`detector.losses.box_loss`:
    keras-retinanet's smooth L1, or GIoU), keras-retinanet's focal loss for classes."""
    return {"regression": box_losses.box_loss(box_loss), "classification": losses.focal()}


def training_models(config: TrainConfig, num_classes: int, weights: str | None,
                    precision: str = "float32"):  # type: ignore[no-untyped-def]
    """(model, step model) for a resolved ``config`` (:func:`detector.config.resolved`: its
    architecture, learning rate, box loss and optimizer): the compiled float32 training model
    (:func:`build_training_model`, starting from ``weights``) and the model whose steps
    train it: itself, or for ``precision`` "bfloat16" its bf16 twin
    (:func:`detector.precision.bf16_twin`; pass both to :func:`detector.loop.fit`)."""
    def build(start: str | None, compile_model: bool):  # type: ignore[no-untyped-def]
        return build_training_model(
            config.backbone, num_classes, start, config.freeze_backbone,
            config.learning_rate, config.head_width, config.fpn_width, compile_model,
            config.head_norm, config.box_loss, config.optimizer)

    model = build(weights, True)
    if precision == "float32":
        return model, model
    from .precision import bf16_twin

    return model, bf16_twin(model, lambda: build(None, False), training_losses(config.box_loss))


def prediction_model(training_model):  # type: ignore[no-untyped-def]
    """The inference model sharing the training model's weights: keras-retinanet's
    ``convert_model`` (regression → boxes clipped to the image, per-class NMS at IoU 0.5,
    scores from 0.05, 300 detections), except that anchors training ignored (centre
    outside the image) report nothing (:class:`detector.anchors.InsideAnchors`)."""
    from keras_retinanet import layers
    from keras_retinanet.models import retinanet as retinanet_module
    from keras_retinanet.utils.anchors import AnchorParameters

    from .anchors import InsideAnchors

    # keras-retinanet's module-level builder; its double underscore is a name, not mangling
    build_anchors = getattr(retinanet_module, "__build_anchors")
    image = training_model.inputs[0]
    features = [training_model.get_layer(f"P{level}").output for level in range(3, 8)]
    anchors = build_anchors(AnchorParameters.default, features)
    regression, classification = training_model.outputs[:2]
    boxes = layers.RegressBoxes(name="boxes")([anchors, regression])
    boxes = layers.ClipBoxes(name="clipped_boxes")([image, boxes])
    classification = InsideAnchors(name="inside_anchors")([image, anchors, classification])
    detections = layers.FilterDetections(name="filtered_detections")([boxes, classification])
    return keras.models.Model(inputs=training_model.inputs, outputs=detections,
                              name="retinanet-bbox")


def shapes_callback(model):  # type: ignore[no-untyped-def]
    """Pyramid shapes computed from the model itself, for every backbone, memoised.

    keras-retinanet's train.py does this only for vgg/densenet; guessing the shapes breaks
    the focal loss for other backbones on image sides not divisible by 32.
    """
    compute = make_shapes_callback(model)
    cache: dict = {}

    def get_shapes(image_shape, pyramid_levels):  # type: ignore[no-untyped-def]
        key = (tuple(image_shape), tuple(pyramid_levels))
        if key not in cache:
            cache[key] = compute(image_shape, pyramid_levels)
        return cache[key]

    return get_shapes
