"""Run MediaPipe over a VOC dataset and match each labelled box to a detected hand.

Per image, the hands' boxes (landmarks' extent + margin, as ``prelabel --hands``) and the
labelled boxes are paired by the Hungarian method on IoU; a pair counts when its IoU is
at least ``iou_threshold``, or when at least ``cover_threshold`` of the hand's box lies
inside the labelled box (labels that include the forearm or both hands of a sign have a
low IoU with one hand's box). Where MediaPipe finds no hand, second passes
(:class:`gesturekit.pose.retry.RetryOptions`) look again. Whatever stays alone is reported, never
dropped silently: labelled boxes without a hand, images with boxes but no hand at all, and
hands nobody labelled (e.g. two hands where one box is labelled: the better-overlapping one
is matched).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voc_tools.annotation import VOC_PIXEL_OFFSET, read_annotation
from voc_tools.classes import read_classes
from voc_tools.errors import GestureKitError
from voc_tools.layout import VocLayout

from .boxes import cover_matrix, iou_matrix
from .crops import hybrid_landmarker
from .hands import HandsResult
from .keypoints import FORMAT, KeypointSet, annotations_fingerprint, empty_rows
from .retry import DEFAULT_RETRY, RetryOptions

SHOWN = 5  # ids named in a summary line


def match_boxes(labelled: np.ndarray, hands: np.ndarray, iou_threshold: float,
                cover_threshold: float | None = None) -> list[tuple[int, int, float]]:
    """(labelled index, hand index, IoU) pairs of the best one-to-one assignment (on IoU,
    then on cover) whose IoU is at least ``iou_threshold`` or whose cover (the hand box's
    fraction inside the labelled box) is at least ``cover_threshold``."""
    if not len(labelled) or not len(hands):
        return []
    from scipy.optimize import linear_sum_assignment

    iou = iou_matrix(labelled, hands)
    cover = cover_matrix(labelled, hands) if cover_threshold is not None else np.zeros_like(iou)
    rows, cols = linear_sum_assignment(-(iou + 1e-3 * cover))
    return [(int(r), int(c), float(iou[r, c])) for r, c in zip(rows, cols)
            if iou[r, c] >= iou_threshold or
            (cover_threshold is not None and cover[r, c] >= cover_threshold and iou[r, c] > 0)]


@dataclass
class ExtractReport:
    """What :func:`extract_keypoints` could not pair, and how long it took."""

    images: int = 0
    matched: int = 0
    unmatched_boxes: list[dict] = field(default_factory=list)   # labelled, no hand
    no_hand_images: list[str] = field(default_factory=list)     # boxes but no hand
    unlabelled_hands: list[dict] = field(default_factory=list)  # hand, no labelled box
    seconds: float = 0.0
    retried: int = 0    # images without a hand on the first pass
    recovered: int = 0  # of those, where a second pass found one
    cropped: int | None = None  # --hand-detector: crops of detector boxes tried
    from_crops: int = 0         # and hands found in them

    @property
    def ms_per_image(self) -> float:
        """Landmarks per image, the first one (which loads the models) not counted."""
        return 1000 * self.seconds / max(self.images - 1, 1)

    def to_dict(self) -> dict:
        return {"images": self.images, "matched": self.matched,
                "unmatched_boxes": self.unmatched_boxes, "no_hand_images": self.no_hand_images,
                "unlabelled_hands": self.unlabelled_hands, "retried": self.retried,
                "recovered": self.recovered, "cropped": self.cropped,
                "from_crops": self.from_crops, "ms_per_image": round(self.ms_per_image, 1)}

    def lines(self) -> list[str]:
        """A human summary: one line per kind of problem."""
        def some(ids: list[str]) -> str:
            return ", ".join(ids[:SHOWN]) + (", ..." if len(ids) > SHOWN else "")
        boxes = len(self.unmatched_boxes) + self.matched
        out = [f"{self.matched} of {boxes} labelled boxes matched to a hand in "
               f"{self.images} images ({self.ms_per_image:.0f} ms/image)"]
        if self.retried:
            out.append(f"second pass: a hand found in {self.recovered} of {self.retried} "
                       "images where the first pass found none")
        if self.cropped is not None:
            out.append(f"hand detector: {self.from_crops} hand(s) found in {self.cropped} "
                       "crop(s) of its boxes, where MediaPipe found none in the whole image")
        if self.unmatched_boxes:
            out.append(f"{len(self.unmatched_boxes)} labelled boxes without a hand: "
                       + some([u["image"] for u in self.unmatched_boxes]))
        if self.no_hand_images:
            out.append(f"{len(self.no_hand_images)} images with boxes but no hand found: "
                       + some(self.no_hand_images))
        if self.unlabelled_hands:
            out.append(f"{len(self.unlabelled_hands)} hands without a labelled box: "
                       + some([u["image"] for u in self.unlabelled_hands]))
        return out


def _image_rows(image_id: str, layout: VocLayout, found: HandsResult, label_of: dict,
                iou_threshold: float, margin: float, report: ExtractReport,
                cover_threshold: float | None = None) -> list[dict]:
    path = layout.annotation_path(image_id)
    ann = read_annotation(path)
    for box in ann.boxes:
        if box.name not in label_of:
            raise GestureKitError(f"class '{box.name}' is not in classes.txt "
                                  f"({', '.join(label_of)})", path)
    labelled = np.array([[b.xmin - VOC_PIXEL_OFFSET, b.ymin - VOC_PIXEL_OFFSET, b.xmax, b.ymax]
                         for b in ann.boxes], np.float64).reshape(-1, 4)
    hand_boxes = np.array([h.box(found.width, found.height, margin) for h in found.hands],
                          np.float64).reshape(-1, 4)
    pairs = match_boxes(labelled, hand_boxes, iou_threshold, cover_threshold)
    if ann.boxes and not found.hands:
        report.no_hand_images.append(image_id)
    paired_boxes = {b for b, _, _ in pairs}
    paired_hands = {h for _, h, _ in pairs}
    for index, box in enumerate(ann.boxes):
        if index not in paired_boxes:
            report.unmatched_boxes.append({"image": image_id, "class": box.name,
                                           "box": [box.xmin, box.ymin, box.xmax, box.ymax]})
    for index, hand in enumerate(found.hands):
        if index not in paired_hands:
            report.unlabelled_hands.append({"image": image_id, "score": hand.score,
                                            "box": [round(v, 1) for v in hand_boxes[index]]})
    rows = []
    for box_index, hand_index, iou in pairs:
        box, hand = ann.boxes[box_index], found.hands[hand_index]
        rows.append({"image_ids": image_id, "boxes": [box.xmin, box.ymin, box.xmax, box.ymax],
                     "labels": label_of[box.name], "landmarks": hand.landmarks,
                     "handedness": hand.handedness, "scores": hand.score, "ious": iou,
                     "sizes": [found.width, found.height]})
    report.matched += len(rows)
    return rows


def extract_keypoints(root: str | Path, split: str | None = None, iou_threshold: float = 0.3,
                      margin: float = 0.15, max_hands: int = 2, min_confidence: float = 0.5,
                      progress: bool = True, cover_threshold: float | None = None,
                      retry: RetryOptions = DEFAULT_RETRY,
                      hand_detector: bool = False) -> tuple[KeypointSet, ExtractReport]:
    """The landmarks of every labelled box of ``root``'s annotated images (or of the
    ``split`` list), matched to MediaPipe's hands (``cover_threshold`` None: on IoU
    only; ``retry``: second passes where no hand was found; ``hand_detector``: also
    MediaPipe on the crops of the shipped hand detector's boxes, :mod:`gesturekit.pose.crops`), and
    what could not be matched."""
    from tqdm import tqdm

    layout = VocLayout(Path(root)).require()
    classes = read_classes(layout.classes_file)
    image_ids = layout.read_split(split) if split else layout.annotated_ids()
    if not image_ids:
        raise GestureKitError("no annotated images" if not split else
                              f"the '{split}' list is empty",
                              layout.split_path(split) if split else layout.annotations)
    for image_id in image_ids:
        if not layout.annotation_path(image_id).is_file():
            raise GestureKitError(f"image {image_id} has no annotation",
                                  layout.annotation_path(image_id))
    label_of = {name: i for i, name in enumerate(classes)}
    report = ExtractReport(images=len(image_ids))
    rows: list[dict] = []
    with hybrid_landmarker(max_hands, min_confidence, retry, hand_detector) as landmarker:
        for index, image_id in enumerate(tqdm(image_ids, desc="keypoints", unit="image",
                                              disable=not progress)):
            if index == 1:  # the first image also loads MediaPipe's models: not timed
                started = time.perf_counter()
            found = landmarker.detect_path(layout.image_path(image_id))
            rows += _image_rows(image_id, layout, found, label_of, iou_threshold, margin,
                                report, cover_threshold)
        if len(image_ids) > 1:
            report.seconds = time.perf_counter() - started
        version = landmarker.version
        for name, count in landmarker.counts().items():  # retried, recovered (, crops)
            setattr(report, name, count)
    columns = empty_rows()
    if rows:
        columns = {name: np.asarray([row[name] for row in rows], column.dtype
                                    if column.dtype.kind not in "U" else None)
                   for name, column in columns.items()}
    meta = {"format": FORMAT, "version": 1, "dataset": layout.root.resolve().name,
            "root": str(layout.root.resolve()), "classes": classes, "split": split,
            "images": list(image_ids),
            "fingerprint": annotations_fingerprint(layout, list(image_ids)),
            "iou_threshold": iou_threshold, "cover_threshold": cover_threshold,
            "margin": margin, "min_confidence": min_confidence, "retry": retry.to_dict(),
            "hand_detector": hand_detector,
            "mediapipe": version,
            "report": report.to_dict()}
    return KeypointSet(**columns, meta=meta), report
