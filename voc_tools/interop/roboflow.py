"""Import of a Roboflow "Pascal VOC" export.

Layout (a folder or the .zip Roboflow gives)::

    train/  valid/  test/        images and their XML side by side, any of the three
    README.roboflow.txt  README.dataset.txt   (copied into the root: source and licence)

Roboflow renames files to ``<name>_<ext>.rf.<hash>.jpg`` (``frame_000012_jpg.rf.3f...``);
the XML ``<filename>`` gives that name. Imported ids get the original name back
(``frame_000012``) when only one file of the export carries it; augmented copies of one
image keep the hash (``frame_000012_rf3f0a9c1d``). ``valid`` becomes the ``val`` list,
train + valid ``trainval``; ``sources.csv`` gets each image's capture group
(:mod:`voc_tools.grouping`). Classes: the names found, sorted; an existing classes.txt
keeps its order and new names are appended.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ..annotation import read_annotation
from ..errors import GestureKitError
from ..grouping import capture_group
from ..naming import is_image
from .importing import ImportItem, VocWriter, copy_extra_file, kit_split, open_source
from .report import InteropReport, message_of

ROBOFLOW_NAME = re.compile(r"^(?P<name>.+)_(?P<ext>[A-Za-z0-9]+)\.rf\.(?P<hash>[0-9A-Za-z]+)$")
SUBSET_FOLDERS = ("train", "valid", "val", "test")
README_FILES = ("README.roboflow.txt", "README.dataset.txt")


def original_ids(stems: list[str]) -> dict[str, str]:
    """``Roboflow file stem -> image id``: the original name when it is unique."""
    parsed = {s: ROBOFLOW_NAME.match(s) for s in stems}
    originals = Counter(m["name"] for m in parsed.values() if m)
    taken = {s for s, m in parsed.items() if not m}
    ids = {}
    for stem, match in parsed.items():
        if match is None:
            ids[stem] = stem
        elif originals[match["name"]] == 1 and match["name"] not in taken:
            ids[stem] = match["name"]
        else:
            ids[stem] = f"{match['name']}_rf{match['hash'][:8]}"
    return ids


def _subset_folders(folder: Path) -> list[tuple[Path, str | None]]:
    found = [(folder / name, kit_split(name)) for name in SUBSET_FOLDERS
             if (folder / name).is_dir()]
    if not found and any(folder.glob("*.xml")):
        found = [(folder, None)]
    return found


def import_roboflow(src: str | Path, root: str | Path, progress: bool = True) -> InteropReport:
    """Import a Roboflow Pascal VOC export (folder or .zip) into the VOC root ``root``."""
    from tqdm import tqdm

    report = InteropReport()
    with open_source(src, refuse_links=True) as folder:
        subsets = _subset_folders(folder)
        if not subsets:
            raise GestureKitError("not a Roboflow Pascal VOC export (no train/, valid/ or "
                                  "test/ folder with XML)", src)
        items: list[ImportItem] = []
        for subset, split in subsets:
            items += _read_subset(folder, subset, split, report)
        ids = original_ids([item.image_id for item in items])
        for item in items:
            item.image_id = ids[item.image_id]
        classes = sorted({box.name for item in items for box in item.boxes})
        writer = VocWriter(root, classes, report)
        for item in tqdm(items, desc="importing", unit="image", disable=not progress,
                         leave=False):
            if writer.add(item):
                writer.set_source(item.image_id, capture_group(_original(item.image)
                                                               or item.image.stem))
        writer.finish()
        imported = [i for i in items if i.image is not None and i.image_id in writer.sources]
        restored = sum(1 for i in imported if i.image_id == _original(i.image))
        hashed = sum(1 for i in imported if _original(i.image) not in (None, i.image_id))
        for name in README_FILES:
            if (folder / name).is_file():
                copy_extra_file(folder / name, writer.layout.root, report)
    if restored:
        report.hints.append(f"{restored} Roboflow file name(s) (<name>_<ext>.rf.<hash>) "
                            "imported under their original name")
    if hashed:
        report.hints.append(f"{hashed} image(s) share an original name with another "
                            "(augmented copies); imported as <name>_rf<hash>")
    return report


def _original(image: Path) -> str | None:
    match = ROBOFLOW_NAME.match(image.stem)
    return match["name"] if match else None


def _read_subset(folder: Path, subset: Path, split: str | None,
                 report: InteropReport) -> list[ImportItem]:
    images = {p.stem: p for p in sorted(subset.iterdir()) if p.is_file() and is_image(p)}
    xml_stems = set()
    items = []
    for xml in sorted(subset.glob("*.xml")):
        where = xml.relative_to(folder).as_posix()
        xml_stems.add(xml.stem)
        try:
            ann = read_annotation(xml)
        except GestureKitError as err:
            report.skip(where, f"{message_of(err)}; not imported")
            continue
        image = images.get(xml.stem)
        if image is None:
            report.skip(where, "no image beside it; not imported")
            continue
        if ann.filename != image.name:
            report.skip(where, f"<filename> {ann.filename} does not match the image beside "
                               f"it ({image.name}); not imported")
            continue
        items.append(ImportItem(xml.stem, image, ann.boxes, where, split=split,
                                size=(ann.width, ann.height)))
    for stem, image in images.items():
        if stem not in xml_stems:
            report.skip(image.relative_to(folder).as_posix(), "no XML beside it; not imported")
    return items
