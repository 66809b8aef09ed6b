"""Accuracy of a pose classifier on the hands of a landmark file: per class, confusion
matrix (``pose_eval_<split>.json`` + ``confusion_<split>.png``)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from gesturekit.clips.classifier.evaluate import ClipScores as Scores, plot_confusion
from gesturekit.pose.classify import hand_probabilities
from gesturekit.pose.keypoints import KeypointSet, load_keypoints
from voc_tools.errors import GestureKitError


def rows_of_split(keypoints: KeypointSet, root: Path | None, split: str) -> tuple[KeypointSet, str]:
    """The rows of the dataset's ``split`` list ("all": every row), and what they are."""
    if split == "all":
        return keypoints, "all rows"
    if root is None:
        raise GestureKitError(f"the dataset of this landmark file is gone, so its '{split}' "
                              "list is unknown; pass --root ROOT or --split all",
                              keypoints.path)
    from voc_tools.layout import VocLayout

    return keypoints.rows_of(VocLayout(root).read_split(split)), f"'{split}' images"


def dataset_root(keypoints: KeypointSet, root: str | Path | None) -> Path | None:
    """``root`` (checked against the file), else the file's own root if it still exists."""
    path = Path(root) if root is not None else Path(keypoints.meta["root"])
    if root is None and not path.is_dir():
        return None
    keypoints.check_dataset(path)
    return path


def evaluate_pose_classifier(classifier: Any, keypoints_path: str | Path, out_dir: str | Path,
                             split: str = "val", root: str | Path | None = None,
                             mirror_tta: bool = False, prior: np.ndarray | None = None) -> dict:
    """Accuracy of ``classifier`` (``.classes``, ``.predict``) on the landmark file's
    hands of ``split`` (``mirror_tta``, ``prior``: see :mod:`gesturekit.pose.classify`); writes the
    JSON and confusion PNG into ``out_dir``."""
    keypoints = load_keypoints(keypoints_path)
    if list(classifier.classes) != keypoints.classes:
        raise GestureKitError(f"the classifier's classes ({', '.join(classifier.classes)}) "
                              f"are not the landmark file's ({', '.join(keypoints.classes)})",
                              keypoints.path)
    rows, what = rows_of_split(keypoints, dataset_root(keypoints, root), split)
    if not len(rows):
        raise GestureKitError(f"no matched hands in the {what}", keypoints.path)
    probabilities = hand_probabilities(classifier, rows.landmarks, list(rows.handedness),
                                       rows.sizes[:, 0] / np.maximum(rows.sizes[:, 1], 1),
                                       mirror_tta, prior)
    scores = Scores(keypoints.classes, rows.labels, probabilities.argmax(axis=1))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = plot_confusion(scores, out_dir / f"confusion_{split}.png",
                         f"pose classifier on {what}: accuracy {scores.top1:.3f}")
    report = {"keypoints": str(Path(keypoints_path).resolve()), "split": split,
              "hands": len(rows), "mirror_tta": mirror_tta, "prior": prior is not None,
              "accuracy": scores.top1,
              "mean_class_accuracy": scores.mean_class_accuracy,
              "class_accuracy": scores.class_accuracy(), "classes": keypoints.classes,
              "confusion_matrix": scores.confusion.tolist(), "confusion_rows": "true class",
              "confusion_png": png.name}
    path = out_dir / f"pose_eval_{split}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    report["json"] = str(path)
    return report
