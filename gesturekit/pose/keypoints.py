"""Landmark files of ``gesturekit keypoints``: one row per labelled box matched to a hand.

A ``.npz`` with arrays ``image_ids`` (N,), ``boxes`` (N, 4) labelled box (VOC pixels as
in the XML), ``labels`` (N,) class index, ``landmarks`` (N, 21, 3) MediaPipe's normalised
landmarks, ``handedness`` (N,) Left/Right, ``scores`` (N,) MediaPipe's hand score,
``ious`` (N,) IoU of the hand's box with the labelled box, ``sizes`` (N, 2) image width,
height; and ``meta``, a JSON string: format, dataset (root folder name), root, classes,
images (ids looked at), split, fingerprint (of those images' annotations), MediaPipe
version, and the report (what was not matched, timing).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voc_tools.annotation import read_annotation
from voc_tools.errors import GestureKitError
from voc_tools.layout import VocLayout

from .normalize import batch_features

FORMAT = "gesturekit-keypoints"
ARRAYS = ("image_ids", "boxes", "labels", "landmarks", "handedness", "scores", "ious", "sizes")


def annotations_fingerprint(layout: VocLayout, image_ids: list[str]) -> str:
    """A SHA-256 of the images' sizes and labelled boxes (not of the XML bytes, so that
    re-saving or verifying in labelImg keeps it)."""
    digest = hashlib.sha256()
    for image_id in sorted(image_ids):
        ann = read_annotation(layout.annotation_path(image_id))
        boxes = [[b.name, b.xmin, b.ymin, b.xmax, b.ymax] for b in ann.boxes]
        digest.update(json.dumps([image_id, ann.width, ann.height, boxes]).encode())
    return digest.hexdigest()[:16]


@dataclass
class KeypointSet:
    """The rows of a landmark file (see the module docstring) and its ``meta``."""

    image_ids: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    landmarks: np.ndarray
    handedness: np.ndarray
    scores: np.ndarray
    ious: np.ndarray
    sizes: np.ndarray
    meta: dict = field(default_factory=dict)
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def classes(self) -> list[str]:
        return list(self.meta["classes"])

    def features(self) -> np.ndarray:
        """Pose-classifier features (N, FEATURES) of every row."""
        return batch_features(self.landmarks, list(self.handedness),
                              self.sizes[:, 0] / np.maximum(self.sizes[:, 1], 1))

    def subset(self, mask: np.ndarray) -> "KeypointSet":
        """The rows where ``mask`` is true (same meta)."""
        return KeypointSet(*(getattr(self, name)[mask] for name in ARRAYS),
                           meta=self.meta, path=self.path)

    def rows_of(self, image_ids: list[str]) -> "KeypointSet":
        """The rows of the given images."""
        return self.subset(np.isin(self.image_ids, list(image_ids)))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        arrays = {name: getattr(self, name) for name in ARRAYS}
        with open(path, "wb") as handle:
            np.savez_compressed(handle, meta=np.array(json.dumps(self.meta)), **arrays)
        return path

    def check_dataset(self, root: str | Path) -> VocLayout:
        """Refuse, in one line, a landmark file made from another dataset or from older
        annotations than ``root`` has now; returns the root's layout."""
        layout = VocLayout(Path(root)).require()
        made_from = f"'{self.meta['dataset']}' ({len(self.meta['images'])} images)"
        missing = [i for i in self.meta["images"] if not layout.annotation_path(i).is_file()]
        if missing:
            raise GestureKitError(f"landmark file made from another dataset {made_from}: "
                                  f"{len(missing)} of its images (e.g. {missing[0]}) are not "
                                  f"annotated in {layout.root}; run gesturekit keypoints on "
                                  "this dataset", self.path)
        if layout.classes_file.is_file():
            from voc_tools.classes import read_classes

            if read_classes(layout.classes_file) != self.classes:
                raise GestureKitError(f"landmark file made from another dataset {made_from}:"
                                      f" its classes {', '.join(self.classes)} differ from "
                                      f"{layout.classes_file}", self.path)
        if annotations_fingerprint(layout, self.meta["images"]) != self.meta["fingerprint"]:
            raise GestureKitError(f"the annotations of {layout.root} changed since this "
                                  "landmark file was made (or it comes from another dataset "
                                  f"{made_from}); run gesturekit keypoints again", self.path)
        return layout


def empty_rows() -> dict[str, np.ndarray]:
    """Zero-length arrays of every column (for a file without a matched box)."""
    return {"image_ids": np.zeros(0, "<U1"), "boxes": np.zeros((0, 4), np.float32),
            "labels": np.zeros(0, np.int64), "landmarks": np.zeros((0, 21, 3), np.float32),
            "handedness": np.zeros(0, "<U5"), "scores": np.zeros(0, np.float32),
            "ious": np.zeros(0, np.float32), "sizes": np.zeros((0, 2), np.int64)}


def load_keypoints(path: str | Path) -> KeypointSet:
    """Read a landmark file; anything else is a one-line error."""
    path = Path(path)
    if not path.is_file():
        raise GestureKitError("landmark file not found (make it with gesturekit keypoints)",
                              path)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {name: data[name] for name in ARRAYS}
    except (OSError, ValueError, KeyError) as err:
        raise GestureKitError(f"not a landmark file of gesturekit keypoints "
                              f"({str(err).splitlines()[0] if str(err) else type(err).__name__})",
                              path) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise GestureKitError("not a landmark file of gesturekit keypoints", path)
    return KeypointSet(**arrays, meta=meta, path=path)
