"""Import of a CVAT "PASCAL VOC 1.1" export (written by Datumaro).

Layout of the export (a folder or the .zip CVAT gives)::

    Annotations/<item>.xml            one per item, also for items without objects
    ImageSets/Main/<subset>.txt       item ids per subset ("default" for a task)
    ImageSets/Main/<label>_<subset>.txt   per-class lists (ignored: derived from the XML)
    JPEGImages/<item>.jpg             only when exported with "Save images"
    labelmap.txt                      "# label:color_rgb:parts:actions", then name:r,g,b::

Classes come from labelmap.txt in its order, without the background label (the one
coloured 0,0,0, else the one named ``background``). Subsets named train/val/test (also
Train, Validation, ...) become ImageSets lists; others (``default``) do not. Datumaro
writes box corners as fractional pixels; they are rounded and edges at 0 moved to 1
(see :mod:`voc_tools.interop.boxes`). Items whose image is not in the export are listed
one by one; ``images`` names a folder with the original files to take them from.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..annotation import Annotation, read_annotation
from ..errors import GestureKitError
from ..naming import IMAGE_EXTENSIONS
from ..text_io import read_text
from .importing import ImportItem, VocWriter, kit_split, open_source
from .report import InteropReport, message_of

LABELMAP = "labelmap.txt"


def read_labelmap(path: str | Path) -> list[str]:
    """Label names of a Datumaro/CVAT ``labelmap.txt``, background left out."""
    path = Path(path)
    entries: list[tuple[str, str]] = []
    for line in read_text(path).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")
        name, color = fields[0].strip(), (fields[1].replace(" ", "") if len(fields) > 1 else "")
        if name in (n for n, _ in entries):
            raise GestureKitError(f"label '{name}' is defined twice", path)
        entries.append((name, color))
    background = next((n for n, c in entries if c == "0,0,0"),
                      "background" if any(n == "background" for n, _ in entries) else None)
    return [n for n, _ in entries if n != background]


def read_subsets(main: Path, labels: list[str]) -> dict[str, str]:
    """``item id -> subset`` from ImageSets/Main (per-class lists are skipped)."""
    subsets: dict[str, str] = {}
    if not main.is_dir():
        return subsets
    for path in sorted(main.glob("*.txt")):
        if any(path.stem.startswith(f"{label}_") for label in labels + ["background"]):
            continue
        rows = [line.split() for line in read_text(path).splitlines()]
        rows = [r for r in rows if r]
        if any(len(r) != 1 for r in rows):
            continue  # "<id> 1/-1" lines: a per-class list
        for (item_id,) in rows:
            subsets.setdefault(item_id, path.stem)
    return subsets


def _find_image(folder: Path, item_id: str, filename: str, images: Path | None) -> Path | None:
    stem_candidates = [item_id + ext for ext in IMAGE_EXTENSIONS + tuple(
        e.upper() for e in IMAGE_EXTENSIONS)]
    places = [(folder / "JPEGImages", [filename, *stem_candidates])]
    if images is not None:
        places.append((images, [filename, Path(filename).name, *stem_candidates,
                                *(Path(c).name for c in stem_candidates)]))
    for base, names in places:
        for name in names:
            path = base / name
            if name and path.is_file() and path.resolve().is_relative_to(base.resolve()):
                return path
    return None


def import_cvat(src: str | Path, root: str | Path, images: str | Path | None = None,
                progress: bool = True) -> InteropReport:
    """Import a CVAT Pascal VOC export (folder or .zip) into the VOC root ``root``."""
    from tqdm import tqdm

    images = Path(images) if images else None
    if images is not None and not images.is_dir():
        raise GestureKitError("--images is not a folder", images)
    report = InteropReport()
    with open_source(src, refuse_links=True) as folder:
        annotations = folder / "Annotations"
        if not annotations.is_dir():
            raise GestureKitError("not a CVAT Pascal VOC export (no Annotations folder)", src)
        parsed: dict[str, Annotation] = {}
        for xml in sorted(annotations.rglob("*.xml")):
            item_id = xml.relative_to(annotations).with_suffix("").as_posix()
            try:
                parsed[item_id] = read_annotation(xml)
            except GestureKitError as err:
                report.skip(f"Annotations/{item_id}.xml", f"{message_of(err)}; not imported")
        labelmap = folder / LABELMAP
        if labelmap.is_file():
            classes = read_labelmap(labelmap)
        else:
            classes = sorted({b.name for a in parsed.values() for b in a.boxes})
            report.fix(LABELMAP, "missing; classes taken from the XML (sorted)")
        subsets = read_subsets(folder / "ImageSets" / "Main", classes)
        for item_id in sorted(set(subsets) - set(parsed)):
            if not (annotations / f"{item_id}.xml").is_file():
                report.skip(f"ImageSets/Main/{subsets[item_id]}.txt",
                            f"{item_id}: no Annotations/{item_id}.xml; not imported")
        items, missing = [], []
        for item_id, ann in parsed.items():
            where = f"Annotations/{item_id}.xml"
            if Path(ann.filename).stem != Path(item_id).name:
                report.skip(where, f"<filename> {ann.filename} does not match the XML file "
                                   f"name ({Path(item_id).name}); not imported")
                continue
            image = _find_image(folder, item_id, ann.filename, images)
            if image is None:
                missing.append(item_id)
                report.skip(where, f"image {ann.filename} is not in the export"
                                   + (f" nor in {images}" if images else "") + "; not imported")
                continue
            subset = subsets.get(item_id)
            items.append(ImportItem(item_id.replace("/", "_"), image, ann.boxes, where,
                                    split=kit_split(subset) if subset else None,
                                    size=(ann.width, ann.height)))
        writer = VocWriter(root, classes, report, fractional="CVAT")
        for item in tqdm(items, desc="importing", unit="image", disable=not progress,
                         leave=False):
            writer.add(item)
        writer.finish()
    if missing:
        report.hints.insert(0, f"{len(missing)} of {len(parsed)} image(s) are not in the "
                               "export (exported without 'Save images'?): export again with "
                               "images, or pass --images DIR with the original files")
    other = Counter(s for i, s in subsets.items() if i in parsed and kit_split(s) is None)
    if other:
        report.hints.append("subset(s) without a train/val/test meaning: "
                            + ", ".join(f"{s} ({n})" for s, n in sorted(other.items())))
    return report
