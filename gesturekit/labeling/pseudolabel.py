"""Pseudo-labels: a VOC dataset from unlabelled videos or frames, labelled by a model.

The model is anything with ``.classes`` and ``.detect(image_bgr, score_threshold,
max_detections)`` — in practice :class:`gesturekit.runtime.pose_detector.PoseDetector` (MediaPipe
hands boxed from their landmarks, the gesture from the pose classifier). Videos are sliced
by ``voc_tools.frames.extract_frames`` into a staging folder inside the output root, so
their frames keep their source video in ``sources.csv`` for ``gesturekit split``. A frame
is kept only when the model finds at least one hand and every hand scores at least
``min_score``; the others are counted, not written (a hand left without a box would
teach the detector that it is background). Kept frames are added with
``voc_tools.voc_init.add_to_voc`` (never replacing a different file), their XML marked
``verified="no"`` and listed in ``prelabels.csv`` and, with every box's score, in
``pseudolabels.csv`` (``gesturekit train --pseudo-min-score`` filters on it).
"""
from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from tqdm import tqdm

from detector.pseudo import PSEUDO_SCORES_FILE, PseudoBox, record_pseudo_boxes
from voc_tools.annotation import Annotation, box_from_pixels, read_annotation, write_annotation
from voc_tools.classes import count_text, read_classes
from voc_tools.errors import GestureKitError
from voc_tools.frames import FrameSelection, extract_frames
from voc_tools.image_io import read_image_bgr
from voc_tools.layout import VocLayout
from voc_tools.naming import is_image
from voc_tools.prelabels import Prelabel, file_sha1, record_prelabels
from voc_tools.voc_init import add_to_voc, collect_images, existing_classes, init_voc

from .box_fit import BoxFit

STAGING_PREFIX = ".pseudolabel-"  # the run's frames and XML before they join the root


@dataclass
class PseudolabelReport:
    """What a pseudo-labelling run did."""

    source: str
    min_score: float
    seen: int = 0
    kept: list[str] = field(default_factory=list)
    already_there: int = 0
    no_hand: int = 0
    low_confidence: int = 0
    boxes_per_class: Counter = field(default_factory=Counter)

    @property
    def skipped(self) -> int:
        return self.no_hand + self.low_confidence

    def summary(self) -> str:
        again = f" ({self.already_there} already there)" if self.already_there else ""
        return (f"{self.source}: {self.seen} frame(s) seen; kept {len(self.kept)}{again} with "
                f"{sum(self.boxes_per_class.values())} box(es) "
                f"({count_text(self.boxes_per_class)}); skipped {self.skipped}: "
                f"{self.no_hand} without a hand, {self.low_confidence} with a hand scoring "
                f"< {self.min_score:g}")


def check_request(inputs: Sequence[str | Path], out: str | Path, every: int,
                  min_score: float) -> None:
    """One-line errors for bad arguments, before any model is loaded."""
    if not inputs:
        raise GestureKitError("no video or frame folder given")
    for item in inputs:
        if not Path(item).exists():
            raise GestureKitError("no such video, image or folder", item)
    FrameSelection(every=every).validate()
    if not 0.0 <= min_score <= 1.0:
        raise GestureKitError(f"--min-score must be between 0 and 1 (got {min_score:g})")
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise GestureKitError("exists and is not a folder", root)
    leftover = [p for p in root.iterdir() if not p.name.startswith(STAGING_PREFIX)] \
        if root.is_dir() else []
    if leftover and not (root / PSEUDO_SCORES_FILE).is_file():
        raise GestureKitError("exists and is not an earlier gesturekit pseudolabel output; "
                              "choose a new --out (pseudo-labels never go into a "
                              "hand-labelled dataset)", root)


def output_classes(model_classes: Sequence[str], classes_from: str | Path | None) -> list[str]:
    """classes.txt of the output: ``classes_from``'s (so a training root and its pseudo root
    agree) when given, and every class of the model must be in it; else the model's."""
    if classes_from is None:
        return list(model_classes)
    path = VocLayout(Path(classes_from)).classes_file
    names = read_classes(path)
    unknown = [name for name in model_classes if name not in names]
    if unknown:
        raise GestureKitError(f"the model's classes {', '.join(unknown)} are not in "
                              f"classes.txt ({', '.join(names)})", path)
    return names


def prepare_output(out: str | Path, classes: list[str]) -> VocLayout:
    """Create the output root (checked by :func:`check_request`); an earlier output must
    have the same classes."""
    layout = VocLayout(Path(out))
    if (layout.root / PSEUDO_SCORES_FILE).is_file():
        have = existing_classes(layout)
        if have != classes:
            raise GestureKitError(f"classes.txt holds {', '.join(have) or 'nothing'}, not "
                                  f"{', '.join(classes)}; choose a new --out", layout.root)
    init_voc(layout.root, classes)
    record_pseudo_boxes(layout.root, [])  # marks the root as pseudo-labelled from the start
    return layout


def stage_frames(inputs: Sequence[str | Path], staging: Path, every: int,
                 progress: bool) -> list[Path]:
    """Frames to label: every ``every``-th frame of each video (extracted into ``staging``
    with a manifest naming its video), plus the images of each frame folder or image file."""
    videos = [Path(p) for p in inputs if Path(p).is_file() and not is_image(p)]
    others = [Path(p) for p in inputs if Path(p) not in videos]
    frames = collect_images(others) if others else []
    if videos:
        result = extract_frames(videos, staging, FrameSelection(every=every),
                                progress=progress)
        frames += sorted(result.written + result.skipped)
    return frames


def label_frame(detector: Any, path: Path, min_score: float, report: PseudolabelReport,
                box_fit: BoxFit | None = None) -> tuple[Annotation, list[float]] | None:
    """The unverified annotation of one frame and its box scores, or None (counted) when
    the frame has no hand or a hand scoring below ``min_score``; ``box_fit`` moves each box
    to the user's convention."""
    image = read_image_bgr(path)
    height, width = image.shape[:2]
    found = detector.detect(image, score_threshold=0.0)
    if not len(found):
        report.no_hand += 1
        return None
    names = [found.classes[int(label)] for label in found.labels]
    corners = [tuple(map(float, box)) for box in found.boxes]
    if box_fit is not None:
        corners = [box_fit.apply(name, box, width, height) for name, box in zip(names, corners)]
    boxes = [box_from_pixels(name, *box, width, height) for name, box in zip(names, corners)]
    degenerate = any(b.xmax <= b.xmin or b.ymax <= b.ymin for b in boxes)
    if degenerate or float(min(found.scores)) < min_score:
        report.low_confidence += 1
        return None
    return (Annotation(filename=path.name, width=width, height=height, depth=3, boxes=boxes,
                       verified=False), [float(s) for s in found.scores])


def pseudolabel(inputs: Sequence[str | Path], out: str | Path, detector: Any, source: str,
                every: int = 1, min_score: float = 0.6,
                classes_from: str | Path | None = None, box_fit: BoxFit | None = None,
                progress: bool = True) -> PseudolabelReport:
    """Turn videos / frame folders into the pseudo-labelled VOC root ``out``."""
    check_request(inputs, out, every, min_score)
    layout = prepare_output(out, output_classes(detector.classes, classes_from))
    report = PseudolabelReport(source, min_score)
    with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX, dir=layout.root) as tmp:
        staging = Path(tmp)
        frames = stage_frames(inputs, staging / "frames", every, progress)
        report.seen = len(frames)
        xml_dir = staging / "annotations"
        xml_dir.mkdir()
        scores: dict[str, list[float]] = {}
        for frame in tqdm(frames, desc="pseudolabel", unit="frame", disable=not progress):
            labelled = label_frame(detector, frame, min_score, report, box_fit)
            if labelled is not None:
                annotation, scores[frame.stem] = labelled
                write_annotation(annotation, xml_dir / f"{frame.stem}.xml")
                report.boxes_per_class.update(box.name for box in annotation.boxes)
        kept = [f for f in frames if f.stem in scores]
        if kept:
            _add_kept(layout, kept, xml_dir, staging, scores, report)
    return report


def _add_kept(layout: VocLayout, kept: list[Path], xml_dir: Path, staging: Path,
              scores: dict[str, list[float]], report: PseudolabelReport) -> None:
    """Add the kept frames and their XML to the root; record the new ones."""
    staged = [f for f in kept if staging in f.parents]
    given = [f for f in kept if staging not in f.parents]
    added = []
    for frames, move in ((staged, True), (given, False)):
        if frames:
            result = add_to_voc(layout.root, frames, annotations=xml_dir, move=move,
                                progress=False)
            added += [p.stem for p in result.annotations_added]
    report.kept = sorted(f.stem for f in kept)
    report.already_there = len(kept) - len(added)
    prelabels, boxes = [], []
    for image_id in added:
        xml = layout.annotation_path(image_id)
        names = [box.name for box in read_annotation(xml).boxes]
        prelabels.append(Prelabel(image_id, report.source, len(names), file_sha1(xml)))
        boxes += [PseudoBox(image_id, number, name, score) for number, (name, score)
                  in enumerate(zip(names, scores[image_id]), 1)]
    record_prelabels(layout, prelabels)
    record_pseudo_boxes(layout.root, boxes)
