"""Pre-labels: VOC XML for images nobody has labelled yet, from a detector or from hands.

Only images of ``JPEGImages`` without an XML in ``Annotations`` are touched; an existing
annotation is never read for writing, replaced or merged. Every XML written is marked
``verified="no"`` and listed in ``prelabels.csv`` with its checksum, so that
``gesturekit check`` can tell which pre-labels nobody has reviewed in labelImg yet.
Images where nothing was found get no XML: they stay "to label".
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from tqdm import tqdm

from voc_tools.annotation import Annotation, Box, box_from_pixels, write_annotation
from voc_tools.classes import count_text, read_classes
from voc_tools.errors import GestureKitError
from voc_tools.layout import VocLayout
from voc_tools.naming import is_image
from voc_tools.prelabels import Prelabel, file_sha1, record_prelabels

if TYPE_CHECKING:
    from gesturekit.pose.hands import HandLandmarker

PLACEHOLDER_CLASS = "hand"


@dataclass(frozen=True)
class FoundBoxes:
    """What a box finder saw in one image: its size, depth and boxes (VOC pixels)."""

    width: int
    height: int
    depth: int
    boxes: list[Box]


BoxFinder = Callable[[Path], FoundBoxes]


@dataclass
class PrelabelReport:
    """What a pre-labelling run did."""

    source: str
    unlabeled: int = 0
    written: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    boxes_per_class: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        return (f"{self.source}: {self.unlabeled} unlabeled image(s); wrote {len(self.written)} "
                f"XML with {sum(self.boxes_per_class.values())} box(es) "
                f"({count_text(self.boxes_per_class)}); "
                f"{len(self.empty)} image(s) with nothing found (left without XML); "
                f"{len(self.failed)} unreadable")


def unlabeled_images(layout: VocLayout) -> list[Path]:
    """Images of JPEGImages that have no XML in Annotations, sorted by name."""
    annotated = set(layout.annotated_ids())
    return sorted(p for p in layout.images.iterdir()
                  if p.is_file() and is_image(p) and p.stem not in annotated)


def _image_depth(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as image:
        return 1 if image.mode in ("L", "1", "I;16") else 3


def prelabel(root: str | Path, find_boxes: BoxFinder, source: str,
             progress: bool = True) -> PrelabelReport:
    """Write an unverified XML for every unlabeled image where ``find_boxes`` finds boxes."""
    layout = VocLayout(Path(root)).require()
    report = PrelabelReport(source)
    images = unlabeled_images(layout)
    report.unlabeled = len(images)
    records = []
    try:
        for image in tqdm(images, desc="prelabel", unit="img", disable=not progress):
            try:
                found = find_boxes(image)
            except GestureKitError as err:
                report.failed.append(str(err))
                continue
            if not found.boxes:
                report.empty.append(image.name)
                continue
            xml = layout.annotation_path(image.stem)
            ann = Annotation(filename=image.name, width=found.width, height=found.height,
                             depth=found.depth, boxes=found.boxes, path=str(image.resolve()),
                             verified=False)
            write_annotation(ann, xml)  # refuses to replace an XML made meanwhile
            report.written.append(image.stem)
            report.boxes_per_class.update(box.name for box in found.boxes)
            records.append(Prelabel(image.stem, source, len(found.boxes), file_sha1(xml)))
    finally:
        record_prelabels(layout, records)
    return report


def _valid_boxes(boxes: Iterator[Box]) -> list[Box]:
    return [b for b in boxes if b.xmax > b.xmin and b.ymax > b.ymin]


def model_box_finder(model: str | Path, threshold: float = 0.5, backend: str = "auto",
                     card: str | Path | None = None,
                     classes: list[str] | None = None) -> BoxFinder:
    """A finder running a trained/exported detector (.h5, .onnx, .xml); its classes must
    all be in ``classes`` (the dataset's classes.txt) when given."""
    from gesturekit.runtime.backends import load_detector
    from voc_tools.image_io import read_image_bounded

    detector = load_detector(model, backend, card)
    unknown = [name for name in detector.classes if classes is not None and name not in classes]
    if unknown:
        raise GestureKitError(f"the model's classes {', '.join(unknown)} are not in the "
                              "dataset's classes.txt (add them with gesturekit voc init ROOT "
                              "--classes ...)", model)

    def find(path: Path) -> FoundBoxes:
        image = read_image_bounded(path)
        width, height = image.width, image.height
        detections = detector.detect(image.pixels,
                                     score_threshold=threshold).in_original_pixels(image.scale)
        boxes = (box_from_pixels(detections.classes[int(label)], *map(float, corners),
                                 width, height)
                 for corners, label in zip(detections.boxes, detections.labels))
        return FoundBoxes(width, height, _image_depth(path), _valid_boxes(boxes))

    return find


def hands_box_finder(landmarker: "HandLandmarker", class_name: str = PLACEHOLDER_CLASS,
                     margin: float = 0.15) -> BoxFinder:
    """A finder boxing every hand MediaPipe finds (landmarks' extent plus ``margin``)."""

    def find(path: Path) -> FoundBoxes:
        result = landmarker.detect_path(path)
        boxes = (box_from_pixels(class_name, *hand.box(result.width, result.height, margin),
                                 result.width, result.height)
                 for hand in result.hands)
        return FoundBoxes(result.width, result.height, _image_depth(path), _valid_boxes(boxes))

    return find


def dataset_classes(root: str | Path) -> list[str] | None:
    """The dataset's classes.txt names, or None when it has none yet."""
    layout = VocLayout(Path(root))
    return read_classes(layout.classes_file) if layout.classes_file.is_file() else None


def prelabel_with_model(root: str | Path, model: str | Path, threshold: float = 0.5,
                        backend: str = "auto", card: str | Path | None = None,
                        progress: bool = True) -> PrelabelReport:
    """Pre-label the unlabeled images of ``root`` with a trained or exported detector."""
    VocLayout(Path(root)).require()
    finder = model_box_finder(model, threshold, backend, card, dataset_classes(root))
    return prelabel(root, finder, f"model {Path(model).name} (score > {threshold:g})", progress)


def prelabel_with_hands(root: str | Path, class_name: str | None = None, margin: float = 0.15,
                        min_confidence: float = 0.5, max_hands: int = 2,
                        progress: bool = True) -> PrelabelReport:
    """Pre-label the unlabeled images of ``root`` with MediaPipe hands; every box gets
    ``class_name`` (it must be in classes.txt) or the placeholder ``hand`` to rename."""
    from gesturekit.pose.hands import HandLandmarker

    VocLayout(Path(root)).require()
    classes = dataset_classes(root)
    if class_name is not None and classes is not None and class_name not in classes:
        raise GestureKitError(f"class '{class_name}' is not in classes.txt "
                              f"({', '.join(classes)})", VocLayout(Path(root)).classes_file)
    name = class_name or PLACEHOLDER_CLASS
    with HandLandmarker(max_hands=max_hands, min_confidence=min_confidence) as landmarker:
        finder = hands_box_finder(landmarker, name, margin)
        return prelabel(root, finder, f"MediaPipe {landmarker.version} hands", progress)
