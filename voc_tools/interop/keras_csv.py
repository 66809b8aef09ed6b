"""keras-retinanet CSV datasets (``retinanet-train csv``, ``CSVGenerator``).

Annotations CSV, no header, one row per box: ``path,x1,y1,x2,y2,class_name``; an image
without objects is one row ``path,,,,,``. Classes CSV, no header: ``class_name,id``.

Coordinates: CSVGenerator takes whole-pixel integers and uses them as given, while the
kit (like keras-retinanet's PascalVocGenerator) subtracts :data:`VOC_PIXEL_OFFSET` from
VOC coordinates. The export writes ``x1 = xmin - 1`` etc., so a model trained on the CSV
sees the very boxes the kit trains on; the import adds the 1 back. Fractional VOC
coordinates are rounded to the nearest pixel and a VOC edge at 0 (which would become -1)
is written as 0; each file so changed is reported. An import rounds fractional CSV values
the same way and reports them; negative values, unknown classes and broken rows skip
their image (reported with the CSV line).

Paths: the export writes image paths relative to the annotations CSV's folder, which is
where CSVGenerator looks by default (``base_dir``); the import accepts relative (to that
folder) and absolute paths. ``classes.csv`` is written beside the annotations CSV (one
for several split exports into one folder); ids follow classes.txt order.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from ..annotation import VOC_PIXEL_OFFSET, Box
from ..errors import GestureKitError
from ..text_io import open_csv
from .boxes import export_corners
from .exporting import export_items, write_output
from .importing import ImportItem, VocWriter
from .report import InteropReport

CLASSES_CSV = "classes.csv"


def _csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def export_csv(root: str | Path, out: str | Path, split: str | None = None,
               force: bool = False, progress: bool = True) -> InteropReport:
    """Write ``out`` (annotations CSV) and ``classes.csv`` beside it for the VOC root."""
    out = Path(out)
    if out.name == CLASSES_CSV:
        raise GestureKitError(f"the classes file is written as {CLASSES_CSV} beside the "
                              "annotations CSV; give the annotations CSV another name", out)
    report = InteropReport()
    classes, items = export_items(root, split, report, progress)
    base = out.parent.resolve()
    rows: list[list] = []
    for item in items:
        where = f"Annotations/{item.image_id}.xml"
        corners, notes = export_corners(item.annotation.boxes, whole_pixels=True)
        if corners is None:
            report.skip(where, f"{notes[0]}; image not exported")
            continue
        for line in notes:
            report.fix(where, line)
        path = Path(os.path.relpath(item.image.resolve(), base)).as_posix()
        if not corners:
            rows.append([path, "", "", "", "", ""])
            report.empty += 1
        for box, values in zip(item.annotation.boxes, corners):
            rows.append([path, *(int(v) for v in values), box.name])
        report.images += 1
        report.boxes += len(corners)
    write_output(out.parent / CLASSES_CSV,
                 _csv_text([[name, index] for index, name in enumerate(classes)]), force, report)
    write_output(out, _csv_text(rows), force, report)
    return report


def read_classes_csv(path: str | Path) -> list[str]:
    """Class names of a keras-retinanet classes CSV, ordered by id."""
    path = Path(path)
    if not path.is_file():
        raise GestureKitError("classes CSV not found", path)
    by_id: dict[int, str] = {}
    with open_csv(path) as handle:
        for line, row in enumerate(csv.reader(handle), 1):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != 2:
                raise GestureKitError(f"line {line}: expected class_name,id", path)
            name, raw_id = row[0].strip(), row[1].strip()
            try:
                class_id = int(raw_id)
            except ValueError:
                raise GestureKitError(f"line {line}: class id {raw_id!r} is not a whole "
                                      "number", path) from None
            if name in by_id.values() or class_id in by_id:
                raise GestureKitError(f"line {line}: duplicate class name or id ({name}, "
                                      f"{class_id})", path)
            by_id[class_id] = name
    if not by_id:
        raise GestureKitError("no classes", path)
    return [by_id[i] for i in sorted(by_id)]


def _parse_rows(path: Path, report: InteropReport) -> dict[str, ImportItem]:
    items: dict[str, ImportItem] = {}
    broken: set[str] = set()
    with open_csv(path) as handle:
        for line, row in enumerate(csv.reader(handle), 1):
            if not any(cell.strip() for cell in row):
                continue
            where = f"{path.name}:{line}"
            if len(row) < 6 or not row[0].strip():
                image_file = row[0].strip() if row else ""
                report.skip(where, "expected path,x1,y1,x2,y2,class_name or path,,,,,; "
                                   "row not imported" + (" (nor its image)" if image_file else ""))
                broken.add(image_file)
                continue
            image_file, cells, name = row[0].strip(), [c.strip() for c in row[1:5]], row[5].strip()
            item = items.setdefault(image_file, ImportItem(
                Path(image_file).stem, _resolve(path.parent, image_file),
                where=f"{path.name} ({image_file})"))
            if not any(cells) and not name:
                continue
            problem = _bad_values(cells, name)
            if problem:
                report.skip(where, f"{problem}; image {image_file} not imported")
                broken.add(image_file)
                continue
            x1, y1, x2, y2 = (float(c) + VOC_PIXEL_OFFSET for c in cells)
            item.boxes.append(Box(name, x1, y1, x2, y2))
            item.labels.append(f"line {line}")
    return {k: v for k, v in items.items() if k not in broken}


def _bad_values(cells: list[str], name: str) -> str | None:
    if not name:
        return "no class name"
    try:
        values = [float(c) for c in cells]
    except ValueError:
        return f"coordinates must be numbers ({','.join(cells)})"
    negative = [c for c, v in zip(("x1", "y1", "x2", "y2"), values) if v < 0]
    if negative:
        return f"negative coordinate ({', '.join(negative)})"
    return None


def _resolve(base: Path, image_file: str) -> Path:
    path = Path(image_file)
    return path if path.is_absolute() else base / path


def import_csv(annotations: str | Path, root: str | Path, classes_csv: str | Path | None = None,
               split: str | None = None, progress: bool = True) -> InteropReport:
    """Import a keras-retinanet annotations CSV (+ classes CSV) into the VOC root ``root``.

    Images are copied to JPEGImages; each gets XML with its real size (images listed as
    ``path,,,,,`` get XML without objects and stay as negatives). ``split`` (train, val,
    test) lists the imported ids in ImageSets/Main.
    """
    from tqdm import tqdm

    annotations = Path(annotations)
    if not annotations.is_file():
        raise GestureKitError("annotations CSV not found", annotations)
    classes_path = Path(classes_csv) if classes_csv else annotations.parent / CLASSES_CSV
    if classes_csv is None and not classes_path.is_file():
        raise GestureKitError(f"no {CLASSES_CSV} beside it; pass --classes FILE", annotations)
    classes = read_classes_csv(classes_path)
    report = InteropReport()
    items = _parse_rows(annotations, report)
    writer = VocWriter(root, classes, report)
    for item in tqdm(list(items.values()), desc="importing", unit="image",
                     disable=not progress, leave=False):
        item.split = split
        writer.add(item)
    return writer.finish()
