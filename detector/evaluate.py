"""Pascal VOC mAP of a detector on a dataset split, computed exactly as keras-retinanet does.

The metrics are plain numpy: :func:`compute_ap` (VOC2010+ all-points, or VOC2007 11-point)
and :func:`evaluate_detections` (keras-retinanet's ``utils.eval.evaluate`` algorithm).
:func:`collect` runs a detector over a split, :func:`evaluate_and_report` ties it together
for any detector and writes ``eval_<split>.json`` and ``pr_<split>.png``;
:func:`evaluate_model` does it for a converted model.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from voc_tools.errors import GestureKitError

from .ground_truth import read_ground_truth

AP_METHODS = ("all_points", "voc07_11pt")



def compute_ap(recall: np.ndarray, precision: np.ndarray, method: str = "all_points") -> float:
    """Average precision of a PR curve (recall ascending, as produced by a score ranking).

    ``all_points``: area under the monotone precision envelope (VOC2010+), identical to
    keras-retinanet's ``_compute_ap``. ``voc07_11pt``: mean of the best precision at
    recall >= 0, 0.1, ..., 1 (VOC2007), 0 where that recall is never reached.
    """
    recall = np.asarray(recall, dtype=np.float64)
    precision = np.asarray(precision, dtype=np.float64)
    if method == "all_points":
        mrec = np.concatenate(([0.0], recall, [1.0]))
        mpre = np.concatenate(([0.0], precision, [0.0]))
        mpre = np.maximum.accumulate(mpre[::-1])[::-1]  # precision envelope
        changes = np.where(mrec[1:] != mrec[:-1])[0]
        return float(np.sum((mrec[changes + 1] - mrec[changes]) * mpre[changes + 1]))
    if method == "voc07_11pt":
        ap = 0.0
        for threshold in np.arange(11) / 10.0:  # exact 0.0, 0.1, ..., 1.0
            reached = recall >= threshold
            ap += (float(np.max(precision[reached])) if reached.any() else 0.0) / 11.0
        return ap
    raise ValueError(f"unknown AP method {method!r}; expected one of {AP_METHODS}")


def box_overlaps(boxes: np.ndarray, query_boxes: np.ndarray) -> np.ndarray:
    """IoU matrix (N, K) of boxes (N, >=4) and query_boxes (K, >=4), x1 y1 x2 y2.

    The same arithmetic as keras-retinanet's ``compute_overlap`` (no +1 on widths).
    """
    a = np.asarray(boxes, dtype=np.float64)[:, None, :4]
    b = np.asarray(query_boxes, dtype=np.float64)[None, :, :4]
    iw = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    ih = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    overlap = (iw > 0) & (ih > 0)
    intersection = np.where(overlap, iw * ih, 0.0)
    query_area = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]) + query_area - intersection
    return np.where(overlap, intersection / np.where(overlap, union, 1.0), 0.0)


@dataclass
class ClassResult:
    """Evaluation of one class: APs, counts and the PR curve (in score order)."""

    name: str
    ap: float
    ap_11pt: float
    num_annotations: int
    num_detections: int
    num_true_positives: int
    precision: np.ndarray
    recall: np.ndarray

    def to_dict(self) -> dict:
        return {"class": self.name, "ap": self.ap, "ap_11pt": self.ap_11pt,
                "num_annotations": self.num_annotations,
                "num_detections": self.num_detections,
                "num_true_positives": self.num_true_positives}


@dataclass
class EvalResult:
    """Per-class results; mAP is the mean over classes that have annotations."""

    classes: list[ClassResult]
    iou_threshold: float
    #: annotated boxes that some detection, of any class, overlaps at ``iou_threshold``
    boxes_found: int = 0
    #: found boxes whose best-scoring such detection has the box's class
    boxes_named: int = 0

    def _mean(self, attribute: str) -> float:
        values = [getattr(c, attribute) for c in self.classes if c.num_annotations > 0]
        return float(np.mean(values)) if values else float("nan")

    @property
    def num_boxes(self) -> int:
        """Annotated boxes over all classes."""
        return sum(c.num_annotations for c in self.classes)

    def failure_summary(self) -> str:
        """Where the detector fails, in one line: finding the objects, or naming them."""
        found, named = self.boxes_found, self.boxes_named
        return (f"found {found} of {self.num_boxes} annotated boxes (a detection of any class "
                f"at IoU {self.iou_threshold:g}); the best-scoring one names {named} of them "
                f"right ({named / max(found, 1):.0%})")

    @property
    def map(self) -> float:
        """mAP, all-points AP (keras-retinanet's unweighted mAP); NaN if nothing annotated."""
        return self._mean("ap")

    @property
    def map_11pt(self) -> float:
        """mAP with VOC2007 11-point AP."""
        return self._mean("ap_11pt")

    def to_dict(self) -> dict:
        """JSON-ready summary (curves left out); NaN becomes null."""
        def number(value: float) -> float | None:
            return None if np.isnan(value) else value
        return {"iou_threshold": self.iou_threshold, "map": number(self.map),
                "map_11pt": number(self.map_11pt),
                "boxes": self.num_boxes, "boxes_found": self.boxes_found,
                "boxes_named": self.boxes_named,
                "classes": [c.to_dict() for c in self.classes]}

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


def _match_class(detections: Sequence[np.ndarray], annotations: Sequence[np.ndarray],
                 iou_threshold: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Scores and true-positive flags of one class over all images, and its annotation count.

    Per image, detections are taken best first; each goes to the annotation it overlaps
    most, and is a true positive if that IoU >= threshold and the annotation is still free.
    """
    scores, true_positives, num_annotations = [], [], 0
    for image_detections, image_annotations in zip(detections, annotations):
        dets = np.asarray(image_detections, dtype=np.float64).reshape(-1, 5)
        anns = np.asarray(image_annotations, dtype=np.float64).reshape(-1, 4)
        num_annotations += len(anns)
        dets = dets[np.argsort(-dets[:, 4], kind="stable")]
        overlaps = box_overlaps(dets, anns) if len(anns) else None
        detected = np.zeros(len(anns), dtype=bool)
        for k in range(len(dets)):
            scores.append(dets[k, 4])
            hit = False
            if overlaps is not None:
                best = int(np.argmax(overlaps[k]))
                if overlaps[k, best] >= iou_threshold and not detected[best]:
                    detected[best] = hit = True
            true_positives.append(hit)
    return (np.asarray(scores, dtype=np.float64), np.asarray(true_positives, dtype=bool),
            num_annotations)


def _labelled(per_class: Sequence[np.ndarray], width: int) -> np.ndarray:
    """One image's per-class arrays stacked into rows of ``width`` columns plus the class."""
    rows = [np.column_stack([np.asarray(a, dtype=np.float64).reshape(-1, width),
                             np.full(len(a), label)])
            for label, a in enumerate(per_class)]
    return np.concatenate(rows) if rows else np.zeros((0, width + 1))


def found_and_named(detections: Sequence[Sequence[np.ndarray]],
                    annotations: Sequence[Sequence[np.ndarray]],
                    iou_threshold: float = 0.5) -> tuple[int, int]:
    """How many annotated boxes some detection of any class overlaps at ``iou_threshold``
    (found), and for how many of those the best-scoring such detection has the box's class
    (named). Separates a detector that misses objects from one that confuses classes."""
    found = named = 0
    for image_detections, image_annotations in zip(detections, annotations):
        candidates = _labelled(image_detections, 5)  # x1 y1 x2 y2 score class
        boxes = _labelled(image_annotations, 4)      # x1 y1 x2 y2 class
        if not len(candidates) or not len(boxes):
            continue
        overlapping = box_overlaps(candidates[:, :4], boxes[:, :4]) >= iou_threshold
        scores = np.where(overlapping, candidates[:, 4:5], -np.inf)  # (dets, boxes)
        is_found = overlapping.any(axis=0)
        best_class = candidates[np.argmax(scores, axis=0), 5]  # first of equal scores
        found += int(is_found.sum())
        named += int((is_found & (best_class == boxes[:, 4])).sum())
    return found, named


def evaluate_detections(detections: Sequence[Sequence[np.ndarray]],
                        annotations: Sequence[Sequence[np.ndarray]],
                        classes: Sequence[str], iou_threshold: float = 0.5) -> EvalResult:
    """VOC evaluation as keras-retinanet's ``evaluate``.

    ``detections[i][c]``: array (n, 5) x1 y1 x2 y2 score of image i, class c;
    ``annotations[i][c]``: array (m, 4). Classes without annotations get AP 0 and are
    left out of the mAP.
    """
    if len(detections) != len(annotations):
        raise ValueError(f"{len(detections)} detection lists for {len(annotations)} images")
    results = []
    for label, name in enumerate(classes):
        scores, hits, num_annotations = _match_class(
            [d[label] for d in detections], [a[label] for a in annotations], iou_threshold)
        if num_annotations == 0:
            empty = np.zeros(0)
            results.append(ClassResult(name, 0.0, 0.0, 0, len(scores), int(hits.sum()),
                                       empty, empty))
            continue
        order = np.argsort(-scores)  # the same (default) sort keras-retinanet uses
        tp = np.cumsum(hits[order].astype(np.float64))
        fp = np.cumsum((~hits[order]).astype(np.float64))
        recall = tp / num_annotations
        precision = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        results.append(ClassResult(name, compute_ap(recall, precision, "all_points"),
                                   compute_ap(recall, precision, "voc07_11pt"),
                                   num_annotations, len(scores), int(hits.sum()),
                                   precision, recall))
    return EvalResult(results, iou_threshold,
                      *found_and_named(detections, annotations, iou_threshold))


def ground_truth_by_class(layout, image_id: str, classes: Sequence[str]) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    """Boxes (m, 4) per class of one image, difficult ones included, shifted like keras-retinanet."""
    truth = read_ground_truth(layout, image_id, classes)
    return [truth.boxes[truth.labels == label] for label in range(len(classes))]


def collect(detector, layout, image_ids: Sequence[str], score_threshold: float = 0.05,  # type: ignore[no-untyped-def]
            max_detections: int = 100, progress: bool = True,
            ) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]]]:
    """Run ``detector`` over ``image_ids`` of a VOC ``layout``: (detections, annotations).

    Annotations are read first, so a class the model does not know fails before any work.
    """
    from tqdm import tqdm

    from voc_tools.image_io import read_image_bounded

    classes = list(detector.classes)
    annotations = [ground_truth_by_class(layout, image_id, classes) for image_id in image_ids]
    detections = []
    for image_id in tqdm(image_ids, desc="evaluating", unit="image", disable=not progress):
        image = read_image_bounded(layout.image_path(image_id))
        found = detector.detect(image.pixels, score_threshold,
                                max_detections).in_original_pixels(image.scale)
        rows = np.column_stack([found.boxes, found.scores]).astype(np.float64)
        detections.append([rows[found.labels == label] for label in range(len(classes))])
    return detections, annotations


def plot_pr_curves(result: EvalResult, path: str | Path, title: str = "") -> Path:
    """Write one precision-recall curve per annotated class, AP in the legend, as PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, ax = plt.subplots(figsize=(6, 5))
    for c in result.classes:
        if c.num_annotations == 0:
            continue
        label = f"{c.name}: AP {c.ap:.3f} (11-pt {c.ap_11pt:.3f}, n={c.num_annotations})"
        ax.plot(np.concatenate(([0.0], c.recall)), np.concatenate(([1.0], c.precision)),
                drawstyle="steps-post", label=label)
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.02),
           title=title or f"mAP@{result.iou_threshold:g} = {result.map:.3f}")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def report_paths(model_path: str | Path, split: str,
                 out_dir: str | Path | None = None) -> tuple[Path, Path]:
    """Where :func:`evaluate_model` writes its JSON and PNG (default: the model's folder)."""
    folder = Path(out_dir) if out_dir is not None else Path(model_path).parent
    return folder / f"eval_{split}.json", folder / f"pr_{split}.png"


def split_image_ids(layout, split: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The image ids of a split; an empty list is a one-line error."""
    image_ids = layout.read_split(split)
    if not image_ids:
        raise GestureKitError(f"the '{split}' list is empty", layout.split_path(split))
    return image_ids


def evaluate_and_report(detector, layout, split: str, model_path: str | Path,  # type: ignore[no-untyped-def]
                        out_dir: str | Path | None = None, iou_threshold: float = 0.5,
                        score_threshold: float = 0.05, max_detections: int = 100,
                        label: str | None = None, report_fields: dict | None = None,
                        timed: bool = False) -> tuple[EvalResult, dict]:
    """Any detector (``.classes``, ``.detect``) on a split of a VOC ``layout``: mAP, then
    ``eval_<split>.json`` (``report_fields`` first) and ``pr_<split>.png`` beside
    ``model_path`` or in ``out_dir``. ``timed``: one warm-up image, then ``ms_per_image``
    over the split. Returns the result and the report (with the two paths)."""
    import time

    from voc_tools.image_io import read_image_bgr

    image_ids = split_image_ids(layout, split)
    if timed:
        detector.detect(read_image_bgr(layout.image_path(image_ids[0])))  # load, compile
    started = time.perf_counter()
    detections, annotations = collect(detector, layout, image_ids, score_threshold,
                                      max_detections)
    ms_per_image = 1000 * (time.perf_counter() - started) / len(image_ids)
    result = evaluate_detections(detections, annotations, detector.classes, iou_threshold)
    if np.isnan(result.map):
        raise GestureKitError(f"no annotated objects in the '{split}' split",
                              layout.split_path(split))
    json_path, png_path = report_paths(model_path, split, out_dir)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    report = {**(report_fields or {}), "model": str(Path(model_path).resolve()),
              "root": str(layout.root.resolve()), "split": split,
              "num_images": len(image_ids),
              **({"ms_per_image": round(ms_per_image, 1)} if timed else {}),
              "score_threshold": score_threshold, "max_detections": max_detections,
              **result.to_dict()}
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    plot_pr_curves(result, png_path, f"{label or Path(model_path).name} on {split}: "
                   f"mAP@{iou_threshold:g} = {result.map:.3f}")
    return result, {**report, "json": str(json_path), "png": str(png_path)}


def evaluate_model(model_path: str | Path, root: str | Path, split: str = "val",
                   out_dir: str | Path | None = None, iou_threshold: float = 0.5,
                   score_threshold: float = 0.05, max_detections: int = 100) -> EvalResult:
    """Evaluate a converted model on a split of a VOC root; write the JSON and PR plot."""
    from voc_tools.layout import VocLayout

    from .engine import load_detector

    layout = VocLayout(Path(root)).require()
    split_image_ids(layout, split)  # an empty list fails before the model loads
    result, _ = evaluate_and_report(load_detector(model_path), layout, split, model_path,
                                    out_dir, iou_threshold, score_threshold, max_detections)
    return result
