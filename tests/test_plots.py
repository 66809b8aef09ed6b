"""Pictures for people: objects per class per split, boxed images of a VOC root, and the
live training curves a notebook shows after every epoch."""
from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from sample_voc import build_sample_voc
from voc_tools.errors import GestureKitError


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_voc(tmp_path_factory.mktemp("plots"), videos=3, frames=6)


def test_class_counts_match_the_xml_of_each_split(root: Path) -> None:
    from voc_tools.annotation import read_annotation
    from voc_tools.layout import VocLayout
    from voc_tools.plots import class_counts, plot_class_counts

    layout = VocLayout(root)
    counts = class_counts(root)
    assert set(counts) == {"train", "val"}
    for split, counter in counts.items():
        names = [b.name for i in layout.read_split(split)
                 for b in read_annotation(layout.annotation_path(i)).boxes]
        assert sum(counter.values()) == len(names) > 0
        assert set(counter) <= {"grab", "drop"}
    png = plot_class_counts(root, root.parent / "counts.png")
    assert cv2.imread(str(png)).shape[2] == 3


def test_boxed_images_are_evenly_spaced_with_their_boxes(root: Path) -> None:
    from voc_tools.layout import VocLayout
    from voc_tools.plots import boxed_images

    ids = VocLayout(root).annotated_ids()
    pairs = boxed_images(root, count=4)
    assert len(pairs) == 4
    assert all(image.ndim == 3 and boxes for image, boxes in pairs)
    assert len(boxed_images(root, ids[:2], count=8)) == 2
    with pytest.raises(GestureKitError, match="no annotated images"):
        boxed_images(root, [])


def test_live_curves_redraw_the_run_curves_each_epoch(tmp_path: Path) -> None:
    from detector.live_curves import LiveCurves, notebook_display
    from detector.run_log import write_metrics

    shown: list[Path] = []
    callback = LiveCurves(tmp_path, show=shown.append)
    callback.on_epoch_end(0)          # no metrics.csv yet: nothing to show
    assert shown == []
    for epoch in (1, 2):
        write_metrics(tmp_path, [{"epoch": e, "loss": 3.0 / e, "val_loss": 3.5 / e,
                                  "map": 0.2 * e} for e in range(1, epoch + 1)])
        callback.on_epoch_end(epoch - 1)
    assert shown == [tmp_path / "curves.png"] * 2 and callback.shown == 2
    assert cv2.imread(str(shown[0])) is not None
    assert notebook_display() is None  # outside a Jupyter kernel it shows nothing
    assert LiveCurves(tmp_path).show is None
