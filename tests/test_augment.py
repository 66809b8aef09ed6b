"""Training batches repeat with the seed: augmentation draws only from seeded generators."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detector import compat  # noqa: F401
import tensorflow as tf  # noqa: E402

from detector.config import TrainConfig, resolved  # noqa: E402
from detector.train import training_generators  # noqa: E402
from voc_tools.classes import read_classes  # noqa: E402

from hostile import tiny_voc  # noqa: E402


@pytest.fixture(scope="module")
def small_voc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_voc(tmp_path_factory.mktemp("small") / "voc", 12)


def _first_batches(root: Path, seed: int, **options: object) -> list[np.ndarray]:
    config = resolved(TrainConfig(root=str(root), out="unused", weights="none", batch_size=2,
                                  image_min_side=96, image_max_side=128, seed=seed,
                                  **options))  # type: ignore[arg-type]
    tf.keras.utils.set_random_seed(seed)
    train, _ = training_generators(config, read_classes(root / "classes.txt"), [])
    return [np.concatenate([part.ravel() for part in (inputs, *targets)])
            for inputs, targets in (train[index] for index in range(3))]


@pytest.mark.parametrize("options", [{}, {"strong_augment": True}, {"mosaic": 0.5},
                                     {"random_transform": False}])
def test_the_same_seed_gives_the_same_augmented_batches(small_voc: Path,
                                                        options: dict) -> None:
    first = _first_batches(small_voc, 0, **options)
    again = _first_batches(small_voc, 0, **options)
    for ours, theirs in zip(first, again):
        np.testing.assert_array_equal(ours, theirs)
    other = _first_batches(small_voc, 1, **options)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))
