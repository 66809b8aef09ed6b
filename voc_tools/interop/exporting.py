"""Reading a kit VOC root for export, and writing the exported files safely."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..annotation import Annotation, read_annotation
from ..classes import read_classes
from ..errors import GestureKitError
from ..layout import VocLayout
from .report import InteropReport, message_of


@dataclass
class ExportItem:
    """One annotated image of the root."""

    image_id: str
    image: Path
    annotation: Annotation


def export_items(root: str | Path, split: str | None, report: InteropReport,
                 progress: bool = True) -> tuple[list[str], list[ExportItem]]:
    """Classes and the exportable images of ``root`` (all annotated ones, or ``split``).

    An image whose XML is unreadable, whose image file is missing, or with a box of an
    unknown class or an empty box is reported as skipped; images without objects are
    kept (negatives). Classes come from classes.txt (when it is missing: the names in
    the XML, sorted, reported as a fix).
    """
    from tqdm import tqdm

    layout = VocLayout(Path(root)).require()
    ids = layout.read_split(split) if split else layout.annotated_ids()
    if not ids:
        raise GestureKitError(f"nothing to export ({'split ' + split if split else 'no XML'} "
                              "is empty)", layout.root)
    classes = read_classes(layout.classes_file) if layout.classes_file.is_file() else None
    items = []
    for image_id in tqdm(list(dict.fromkeys(ids)), desc="reading", unit="image",
                         disable=not progress, leave=False):
        item = _item(layout, image_id, classes, report)
        if item is not None:
            items.append(item)
    if classes is None:
        classes = sorted({box.name for item in items for box in item.annotation.boxes})
        report.fix("classes.txt", "missing; classes taken from the XML, sorted: "
                                  + " ".join(classes))
    report.classes = classes
    return classes, items


def _item(layout: VocLayout, image_id: str, classes: list[str] | None,
          report: InteropReport) -> ExportItem | None:
    xml = layout.annotation_path(image_id)
    where = xml.relative_to(layout.root).as_posix()
    if not xml.is_file():
        report.skip(where, "missing (listed in the split); not exported")
        return None
    try:
        ann = read_annotation(xml)
    except GestureKitError as err:
        report.skip(where, f"{message_of(err)}; not exported")
        return None
    image = layout.image_path(image_id)
    if not image.is_file():
        report.skip(where, f"image {image.relative_to(layout.root).as_posix()} is missing; "
                           "not exported")
        return None
    problems = []
    for number, box in enumerate(ann.boxes, 1):
        if classes is not None and box.name not in classes:
            problems.append(f"object {number}: class '{box.name}' is not in classes.txt")
        elif box.xmin >= box.xmax or box.ymin >= box.ymax:
            problems.append(f"object {number} ({box.name}): empty box")
    for line in problems:
        report.skip(where, f"{line}; image not exported")
    return None if problems else ExportItem(image_id, image, ann)


def write_output(path: Path, text: str, force: bool, report: InteropReport) -> Path:
    """Write ``text`` to ``path``; an identical file is left alone, a different one is
    refused unless ``force``."""
    if path.exists():
        if path.is_dir():
            raise GestureKitError("is a folder; give a file name", path)
        if path.read_text(encoding="utf-8") == text:
            return path
        if not force:
            raise GestureKitError("exists with different content; refusing to overwrite "
                                  "(use --force)", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.gk-tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)
    report.written.append(path)
    return path
