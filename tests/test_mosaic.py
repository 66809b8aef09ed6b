"""detector.mosaic: four images around a centre, their boxes moved, clipped or dropped."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detector.mosaic import mosaic
from sample_voc import build_sample_voc

COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]


def _image(height: int, width: int, box: tuple[int, int, int, int], colour) -> tuple:
    """A black image with one coloured rectangle, and its annotation (label = colour's)."""
    image = np.zeros((height, width, 3), dtype=np.uint8)
    x1, y1, x2, y2 = box
    image[y1:y2, x1:x2] = colour
    label = COLOURS.index(colour)
    return image, {"bboxes": np.array([box], dtype=np.float64),
                   "labels": np.array([label], dtype=np.float64)}


def test_boxes_follow_their_pixels_and_half_hidden_ones_go() -> None:
    parts = [_image(120, 160, (40, 30, 100, 90), COLOURS[0]),
             _image(240, 320, (0, 0, 320, 240), COLOURS[1]),  # fills its image: clipped
             _image(60, 80, (10, 10, 30, 30), COLOURS[2]),  # upscaled x2 to fit
             _image(120, 160, (150, 110, 160, 120), COLOURS[3])]  # a corner: may go
    for seed in range(40):
        image, truth = mosaic([p[0] for p in parts], [p[1] for p in parts],
                              np.random.default_rng(seed))
        assert image.shape == (120, 160, 3)
        boxes, labels = truth["bboxes"], truth["labels"].astype(int)
        assert boxes.shape == (len(labels), 4)
        assert (boxes[:, [0, 2]] >= 0).all() and (boxes[:, [0, 2]] <= 160).all()
        assert (boxes[:, [1, 3]] >= 0).all() and (boxes[:, [1, 3]] <= 120).all()
        for (x1, y1, x2, y2), label in zip(boxes.round().astype(int), labels):
            inside = image[y1 + 1:y2 - 1, x1 + 1:x2 - 1].reshape(-1, 3)
            if len(inside):  # each kept box holds its own colour, nothing else
                assert (inside == COLOURS[label]).all(axis=1).mean() > 0.95, (seed, label)
        # every colour still visible over a box's 40% has its box
        for label, colour in enumerate(COLOURS):
            seen = (image == colour).all(axis=2).sum()
            full = [60 * 60, 160 * 120, 40 * 40, 10 * 10][label]
            if seen >= 0.45 * full:
                assert label in labels, (seed, label)
            if seen < 0.35 * full:
                assert label not in labels, (seed, label)


def test_a_mosaic_takes_four() -> None:
    part = _image(10, 10, (1, 1, 5, 5), COLOURS[0])
    with pytest.raises(ValueError, match="four"):
        mosaic([part[0]] * 3, [part[1]] * 3, np.random.default_rng(0))


def test_generator_mosaics_real_batches(tmp_path: Path) -> None:
    from detector.data import VocGenerator

    root = build_sample_voc(tmp_path / "voc", videos=2, frames=4)
    np.random.seed(0)  # the generator's own random state derives from NumPy's
    always = VocGenerator(root, "train", ["grab", "drop"], mosaic=1.0, batch_size=2,
                          image_min_side=96, image_max_side=128, shuffle_groups=False)
    never = VocGenerator(root, "train", ["grab", "drop"], batch_size=2,
                         image_min_side=96, image_max_side=128, shuffle_groups=False)
    inputs, _ = always[0]
    plain, _ = never[0]
    assert inputs.shape == plain.shape  # the same fixed canvas
    assert not np.allclose(inputs, plain)
    # boxes survive as anchor targets (a mosaic may hide every box of one image)
    assert any((always[i][1][1][:, :, -1] == 1).any() for i in range(len(always)))
