"""Training-time augmentation: keras-retinanet's geometric transforms and colour effects,
in three strengths.

* flip only (``--no-random-transform``);
* standard (``--random-transform``, the default): small rotation, shift, shear and scale,
  and mild colour changes, keras-retinanet's own ranges;
* strong (``--strong-augment``, the hand pretraining's): scale 0.6-1.4 with shifts of up
  to 20% (zooming in crops the frame), wide colour changes, and some frames blurred or
  made grey, so one model copes with other cameras, lighting and grayscale JPEGs.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import cv2
import numpy as np
from keras_retinanet.utils.image import random_visual_effect_generator
from keras_retinanet.utils.transform import random_transform_generator

BLUR_CHANCE = 0.2
GRAY_CHANCE = 0.15


def _blur_and_gray(effects: Iterator[Callable]) -> Iterator[Callable]:
    """keras-retinanet's colour effects, then (sometimes) a Gaussian blur or grayscale."""
    for effect in effects:
        blur = np.random.uniform() < BLUR_CHANCE
        kernel = int(np.random.choice((3, 5)))
        gray = np.random.uniform() < GRAY_CHANCE

        def apply(image: np.ndarray, effect: Callable = effect, blur: bool = blur,
                  kernel: int = kernel, gray: bool = gray) -> np.ndarray:
            image = effect(image)
            if blur:
                image = cv2.GaussianBlur(image, (kernel, kernel), 0)
            if gray:
                image = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY),
                                     cv2.COLOR_GRAY2BGR)
            return image

        yield apply


def augmentation(random_transform: bool, strong: bool) -> tuple[Iterator, Iterator | None]:
    """(transform generator, visual effect generator) for a training generator. The
    transforms draw from a generator seeded by NumPy's global one (which
    ``tf.keras.utils.set_random_seed`` seeds): keras-retinanet's own default is an
    unseeded ``RandomState``, so ``--seed`` did not repeat a run's batches."""
    prng = np.random.RandomState(np.random.randint(2**31))
    if strong:
        transform = random_transform_generator(
            prng=prng, min_rotation=-0.1, max_rotation=0.1, min_translation=(-0.2, -0.2),
            max_translation=(0.2, 0.2), min_shear=-0.1, max_shear=0.1,
            min_scaling=(0.6, 0.6), max_scaling=(1.4, 1.4), flip_x_chance=0.5)
        effects = _blur_and_gray(random_visual_effect_generator(
            contrast_range=(0.7, 1.3), brightness_range=(-.2, .2),
            hue_range=(-0.1, 0.1), saturation_range=(0.6, 1.4)))
        return transform, effects
    if random_transform:
        transform = random_transform_generator(
            prng=prng, min_rotation=-0.1, max_rotation=0.1, min_translation=(-0.1, -0.1),
            max_translation=(0.1, 0.1), min_shear=-0.1, max_shear=0.1,
            min_scaling=(0.9, 0.9), max_scaling=(1.1, 1.1), flip_x_chance=0.5)
        effects = random_visual_effect_generator(
            contrast_range=(0.9, 1.1), brightness_range=(-.1, .1),
            hue_range=(-0.05, 0.05), saturation_range=(0.95, 1.05))
        return transform, effects
    return random_transform_generator(prng=prng, flip_x_chance=0.5), None
