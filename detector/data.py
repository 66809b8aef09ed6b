"""The training input pipeline: a keras-retinanet Generator over a GestureKit VOC root.

Classes come from the dataset's ``classes.txt``; decoded images are cached in memory
(bounded), so epochs after the first skip JPEG decoding entirely. Huge images are decoded
reduced (``voc_tools.image_io.DECODE_MAX_SIDE``), their boxes scaled to match.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from voc_tools.errors import GestureKitError
from voc_tools.image_io import decode_reduction, read_image_bgr
from voc_tools.layout import VocLayout

from . import compat  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
from .ground_truth import read_ground_truth
from keras_retinanet.preprocessing.generator import Generator  # noqa: E402
from tensorflow import keras  # noqa: E402


class VocGenerator(Generator):
    """keras-retinanet ``Generator`` over one split of a VOC root (listed ``repeat`` times),
    plus any ``extra`` ``(root, image ids)`` (pseudo-labelled frames), with an image cache."""

    def __init__(self, root: str | Path, split: str, classes: list[str],
                 cache_megabytes: int = 2048, repeat: int = 1,
                 extra: Sequence[tuple[str | Path, Sequence[str]]] = (), **kwargs) -> None:
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
        super().__init__(**kwargs)

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


class EpochOfSteps(keras.utils.Sequence):
    """Presents ``steps`` batches per epoch from ``base``, cycling through it (reshuffled
    at every wrap), so ``--steps`` may exceed one pass over a small dataset without Keras
    stopping early with "input ran out of data"."""

    def __init__(self, base: Generator, steps: int) -> None:
        super().__init__()
        self.base = base
        self.steps = steps
        self.offset = 0

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int):  # type: ignore[no-untyped-def]
        return self.base[(self.offset + index) % len(self.base)]

    def on_epoch_end(self) -> None:
        passes_before = self.offset // len(self.base)
        self.offset += self.steps
        if self.offset // len(self.base) != passes_before:
            self.base.on_epoch_end()
