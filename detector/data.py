"""The training input pipeline: a keras-retinanet Generator over a GestureKit VOC root.

Classes come from the dataset's ``classes.txt``; decoded images are cached in memory
(bounded), so epochs after the first skip JPEG decoding entirely. Every batch is padded to
one fixed canvas (the largest resized image of the split), so the compiled train step of
``detector.loop`` is traced once and the anchors are computed once. Huge images are
decoded reduced (``voc_tools.image_io.DECODE_MAX_SIDE``), their boxes scaled to match.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import math

import numpy as np

from voc_tools.errors import GestureKitError
from voc_tools.image_io import decode_reduction, read_image_bgr
from voc_tools.layout import VocLayout

from . import compat  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
from .anchors import anchor_targets
from .config import default
from .ground_truth import read_ground_truth
from .mosaic import mosaic
from keras_retinanet.preprocessing.generator import Generator  # noqa: E402
from keras_retinanet.utils.image import compute_resize_scale  # noqa: E402
from tensorflow import keras  # noqa: E402


class VocGenerator(Generator):
    """keras-retinanet ``Generator`` over one split of a VOC root (listed ``repeat`` times),
    plus any ``extra`` ``(root, image ids)`` (pseudo-labelled frames), with an image cache.
    ``mosaic``: the chance that a training image is replaced by a mosaic of it and three
    random others (:mod:`detector.mosaic`), before the other augmentation.
    ``outside_anchors``: what anchors centred past an image's edge learn; ``assigner``:
    which anchors learn an object (:func:`detector.anchors.anchor_targets`)."""

    def __init__(self, root: str | Path, split: str, classes: list[str],
                 cache_megabytes: int = 2048, repeat: int = 1,
                 extra: Sequence[tuple[str | Path, Sequence[str]]] = (),
                 mosaic: float = 0.0,
                 outside_anchors: str = default("outside_anchors"),
                 assigner: str = default("assigner"), **kwargs) -> None:
        self.mosaic_chance = mosaic
        self.outside_anchors, self.assigner = outside_anchors, assigner
        self._rng = np.random.default_rng(np.random.randint(2**31))  # set_random_seed's
        self.layout = VocLayout(root).require()
        self.image_ids = self.layout.read_split(split)
        if not self.image_ids:
            raise GestureKitError(f"split '{split}' is empty", self.layout.split_path(split))
        self.classes = list(classes)
        # (layout, image id) of every image: the split's, then those of each extra root
        self.items = [(self.layout, image_id) for image_id in self.image_ids] * repeat
        for extra_root, extra_ids in extra:
            extra_layout = VocLayout(extra_root).require()
            self.items += [(extra_layout, image_id) for image_id in extra_ids]
        self.annotations = [read_ground_truth(layout, image_id, self.classes)
                            for layout, image_id in self.items]
        self._cache: dict[tuple, np.ndarray] = {}  # by (layout, id): repeats share one
        self._cache_budget = cache_megabytes * 2**20
        self._canvas_anchors: np.ndarray | None = None  # computed on first use
        super().__init__(**kwargs)
        self.canvas = max_resized_shape([self._decoded_shape(i) for i in range(self.size())],
                                        self.image_min_side, self.image_max_side)

    def size(self) -> int:
        return len(self.items)

    def num_classes(self) -> int:
        return len(self.classes)

    def has_label(self, label: int) -> bool:
        return 0 <= label < len(self.classes)

    def has_name(self, name: str) -> bool:
        return name in self.classes

    def name_to_label(self, name: str) -> int:
        return self.classes.index(name)

    def label_to_name(self, label: int) -> str:
        return self.classes[label]

    def image_aspect_ratio(self, image_index: int) -> float:
        truth = self.annotations[image_index]
        return float(truth.width) / float(truth.height)

    def image_path(self, image_index: int) -> str:
        layout, image_id = self.items[image_index]
        return str(layout.image_path(image_id))

    def _reduction(self, image_index: int) -> int:
        truth = self.annotations[image_index]
        return decode_reduction(truth.width, truth.height)

    def _decoded_shape(self, image_index: int) -> tuple[int, int]:
        """(height, width) of the image as ``load_image`` returns it."""
        truth, reduction = self.annotations[image_index], self._reduction(image_index)
        return math.ceil(truth.height / reduction), math.ceil(truth.width / reduction)

    def load_image(self, image_index: int) -> np.ndarray:
        key = self.items[image_index]
        image = self._cache.get(key)
        if image is None:
            image = read_image_bgr(self.image_path(image_index), self._reduction(image_index))
            if self._cache_budget >= image.nbytes:
                self._cache[key] = image
                self._cache_budget -= image.nbytes
        return image.copy()

    def load_annotations(self, image_index: int) -> dict:
        truth = self.annotations[image_index]
        return {"labels": truth.labels.astype(np.float64),
                "bboxes": truth.boxes / self._reduction(image_index)}

    def random_visual_effect_group(self, image_group: list[np.ndarray],
                                   annotations_group: list[dict]) -> tuple[list, list]:
        """Mosaics (keras-retinanet calls this first of its augmentation steps). The colour
        effects come later, on the resized image (:meth:`preprocess_group_entry`)."""
        if self.mosaic_chance > 0:
            for index in range(len(image_group)):
                if self._rng.uniform() < self.mosaic_chance:
                    others = self._rng.integers(0, self.size(), 3)
                    image_group[index], annotations_group[index] = mosaic(
                        [image_group[index], *(self.load_image(i) for i in others)],
                        [annotations_group[index], *(self.load_annotations(i) for i in others)],
                        self._rng)
        return image_group, annotations_group

    def preprocess_group_entry(self, image: np.ndarray,
                               annotations: dict) -> tuple[np.ndarray, dict]:
        """Resize, then the colour effect, then the backbone's normalisation.
        keras-retinanet applies the colour effects to the decoded image, before the
        geometric transform and the resize: on rf100's 640x400 frames that was 80% of
        making a batch (its contrast and hue steps are float NumPy over every pixel).
        On the network's input, ~6x fewer pixels, the same effects cost a sixth."""
        image, scale = self.resize_image(image)
        if self.visual_effect_generator is not None:
            image = next(self.visual_effect_generator)(image)
        annotations["bboxes"] *= scale
        return keras.backend.cast_to_floatx(self.preprocess_image(image)), annotations

    def compute_inputs(self, image_group: list[np.ndarray]) -> np.ndarray:
        """The batch: every image at the top left of the fixed canvas (an image a pixel
        larger than the canvas after rounding is cropped to it)."""
        height, width = self.canvas
        batch = np.zeros((self.batch_size, height, width, 3), dtype=keras.backend.floatx())
        for index, image in enumerate(image_group):
            part = image[:height, :width]
            batch[index, :part.shape[0], :part.shape[1]] = part
        return batch

    def compute_targets(self, image_group: list[np.ndarray],
                        annotations_group: list[dict]) -> list[np.ndarray]:
        """Anchor targets on the canvas; its anchors are computed once."""
        if self._canvas_anchors is None:
            self._canvas_anchors = self.generate_anchors((*self.canvas, 3))
        return list(anchor_targets(self._canvas_anchors, image_group, annotations_group,
                                   self.num_classes(), self.outside_anchors, self.assigner))

    def dataset(self):  # type: ignore[no-untyped-def]
        """One pass over the batches as a ``tf.data.Dataset`` of static shape (for
        ``model.evaluate``; training feeds batches itself, see ``detector.loop``)."""
        import tensorflow as tf

        inputs, targets = self[0]
        signature = (tf.TensorSpec(inputs.shape, inputs.dtype),
                     tuple(tf.TensorSpec(t.shape, t.dtype) for t in targets))

        def batches():  # type: ignore[no-untyped-def]
            for index in range(len(self)):
                inputs, targets = self[index]
                yield inputs, tuple(targets)
            self.on_epoch_end()

        return tf.data.Dataset.from_generator(batches, output_signature=signature)


def max_resized_shape(shapes: Sequence[tuple[int, int]], min_side: int,
                      max_side: int) -> tuple[int, int]:
    """The smallest (height, width) holding every (height, width) of ``shapes`` after
    keras-retinanet's resize to ``min_side``/``max_side`` (cv2 rounds to the nearest)."""
    resized = [(round(h * scale), round(w * scale)) for h, w in shapes
               for scale in [compute_resize_scale((h, w, 3), min_side, max_side)]]
    return max(h for h, _ in resized), max(w for _, w in resized)
