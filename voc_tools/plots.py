"""Pictures of a VOC root for people: objects per class and split, a few boxed images."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from .annotation import Box, read_annotation
from .classes import read_classes
from .errors import GestureKitError
from .image_io import read_image_bgr
from .layout import VocLayout


def class_counts(root: str | Path, splits: tuple[str, ...] = ("train", "val", "test")
                 ) -> dict[str, Counter]:
    """Objects per class in each ``ImageSets/Main`` list of ``splits`` that exists
    (all annotated images under ``"all"`` when none does)."""
    layout = VocLayout(root).require()
    lists = {s: layout.read_split(s) for s in splits if layout.split_path(s).is_file()}
    if not lists:
        lists = {"all": layout.annotated_ids()}
    counts: dict[str, Counter] = {}
    for split, ids in lists.items():
        counts[split] = Counter(box.name for i in ids
                                for box in read_annotation(layout.annotation_path(i)).boxes)
    return counts


def plot_class_counts(root: str | Path, path: str | Path) -> Path:
    """Bar chart of objects per class, one bar per split (see :func:`class_counts`); PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = class_counts(root)
    classes = read_classes(VocLayout(root).classes_file)
    classes += sorted({n for c in counts.values() for n in c} - set(classes))
    path = Path(path)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(classes) + 2), 3.5))
    width = 0.8 / len(counts)
    for k, (split, counter) in enumerate(counts.items()):
        xs = np.arange(len(classes)) + k * width
        bars = ax.bar(xs, [counter.get(c, 0) for c in classes], width,
                      label=f"{split} ({sum(counter.values())})")
        ax.bar_label(bars, fontsize=8)
    ax.set_xticks(np.arange(len(classes)) + width * (len(counts) - 1) / 2, classes)
    ax.set(ylabel="objects", title=f"{Path(root).name}: objects per class")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return save_figure(fig, path)


def save_figure(fig, path: str | Path, dpi: int = 100) -> Path:  # type: ignore[no-untyped-def]
    """Write a matplotlib figure and close it; an unwritable path is a one-line error."""
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, dpi=dpi)
    except OSError as err:
        raise GestureKitError(f"cannot write plot ({err.strerror})", path) from None
    finally:
        plt.close(fig)
    return Path(path)


def boxed_images(root: str | Path, ids: list[str] | None = None, count: int = 8
                 ) -> list[tuple[np.ndarray, list[Box]]]:
    """``count`` evenly spaced (BGR image, boxes) pairs of a VOC root, for
    ``sample_data.contact_sheet``; ``ids`` defaults to every annotated image."""
    layout = VocLayout(root).require()
    ids = layout.annotated_ids() if ids is None else list(ids)
    if not ids:
        raise GestureKitError("no annotated images to show", layout.annotations)
    picked = sorted(set(np.linspace(0, len(ids) - 1, min(count, len(ids))).round().astype(int)))
    return [(read_image_bgr(layout.image_path(ids[k])),
             read_annotation(layout.annotation_path(ids[k])).boxes) for k in picked]
