"""Pseudo-labelled VOC roots (``gesturekit pseudolabel``) as extra training data.

A pseudo root is an ordinary VOC root whose XML a model wrote. Its ``pseudolabels.csv``
lists every box written with the model's score, so that training can keep only the frames
whose every box scores at least ``--pseudo-min-score`` without labelling again. No
TensorFlow here: ``gesturekit pseudolabel`` writes the list through this module.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from voc_tools.classes import read_classes
from voc_tools.csv_rows import append_csv_rows
from voc_tools.errors import GestureKitError
from voc_tools.layout import VocLayout

PSEUDO_SCORES_FILE = "pseudolabels.csv"
PSEUDO_COLUMNS = ("image_id", "object", "class", "score")


@dataclass(frozen=True)
class PseudoBox:
    """One box a model wrote: the image, its 1-based object number in the XML, class, score."""

    image_id: str
    number: int
    name: str
    score: float


def record_pseudo_boxes(root: str | Path, boxes: Iterable[PseudoBox]) -> None:
    """Append boxes to the root's pseudolabels.csv."""
    append_csv_rows(Path(root) / PSEUDO_SCORES_FILE, PSEUDO_COLUMNS,
                    [(b.image_id, b.number, b.name, f"{b.score:.4f}") for b in boxes])


def read_pseudo_scores(root: str | Path) -> dict[str, float]:
    """``image_id -> lowest box score`` from pseudolabels.csv (the latest run's rows win)."""
    path = Path(root) / PSEUDO_SCORES_FILE
    if not path.is_file():
        raise GestureKitError(f"no {PSEUDO_SCORES_FILE}: not made by gesturekit pseudolabel, "
                              "so there are no scores to filter on", Path(root))
    boxes: dict[tuple[str, int], float] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        try:
            for row in csv.DictReader(handle):
                boxes[(row["image_id"], int(row["object"]))] = float(row["score"])
        except (KeyError, TypeError, ValueError):
            raise GestureKitError(f"not a pseudo-label list (columns "
                                  f"{', '.join(PSEUDO_COLUMNS)})", path) from None
    lowest: dict[str, float] = {}
    for (image_id, _), score in boxes.items():
        lowest[image_id] = min(score, lowest.get(image_id, score))
    return lowest


def require_same_classes(pseudo_root: str | Path, classes: Sequence[str]) -> None:
    """The pseudo root's classes.txt must name the same classes (any order)."""
    layout = VocLayout(Path(pseudo_root))
    names = read_classes(layout.classes_file)
    if set(names) != set(classes):
        raise GestureKitError(f"classes ({', '.join(names)}) differ from the hand-labelled "
                              f"root's ({', '.join(classes)}); pseudo-label with "
                              "--classes-from ROOT", layout.classes_file)


def pseudo_image_ids(pseudo_root: str | Path, classes: Sequence[str],
                     min_score: float | None = None) -> list[str]:
    """Ids of the pseudo root to train on: its train list when it has one, else every
    annotated image; with ``min_score``, only images whose every box scored at least that
    (images without a recorded score are left out)."""
    layout = VocLayout(Path(pseudo_root)).require()
    require_same_classes(pseudo_root, classes)
    has_list = layout.split_path("train").is_file()
    ids = layout.read_split("train") if has_list else layout.annotated_ids()
    if min_score is not None:
        scores = read_pseudo_scores(pseudo_root)
        ids = [i for i in ids if scores.get(i, -1.0) >= min_score]
    if not ids:
        what = f"scoring >= {min_score:g}" if min_score is not None else "annotated"
        raise GestureKitError(f"no pseudo-labelled image {what} to train on"
                              + (" in its train list" if has_list else ""), layout.root)
    return ids


def sampling_repeats(weight: float | None) -> tuple[int, int]:
    """How often each hand-labelled and each pseudo-labelled frame is listed per pass, so a
    pseudo frame is drawn ``weight`` times as often as a hand-labelled one (rounded to a
    whole ratio: 0.3 -> hand frames 3 times, 2.4 -> pseudo frames twice; None: 1:1)."""
    if weight is None:
        return 1, 1
    if not weight > 0:
        raise GestureKitError(f"--pseudo-weight must be > 0 (got {weight:g})")
    if weight >= 1:
        return 1, max(1, round(weight))
    return max(1, round(1 / weight)), 1
