"""Create a VOC root and add images (with their XML) to it, never overwriting anything."""
from __future__ import annotations

import csv
import filecmp
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .annotation import read_annotation
from .classes import read_classes, write_classes
from .csv_rows import append_csv_rows
from .errors import GestureKitError
from .frames import read_manifest
from .layout import VocLayout
from .naming import FRAMES_MANIFEST, IMAGE_EXTENSIONS, SOURCES_FILE, id_problem, is_image
from .text_io import open_csv, read_text
from .xml_edit import set_header_fields

SOURCES_COLUMNS = ("image_id", "source")


@dataclass
class InitResult:
    """Folders/files created and class names appended by :func:`init_voc`."""

    created: list[Path] = field(default_factory=list)
    classes_added: list[str] = field(default_factory=list)


def existing_classes(layout: VocLayout) -> list[str]:
    """Names in ``classes.txt``; empty when the file is absent or has no names yet."""
    path = layout.classes_file
    if not path.is_file() or not read_text(path).strip():
        return []
    return read_classes(path)


def _append_classes(layout: VocLayout, names: Sequence[str]) -> list[str]:
    current = existing_classes(layout)
    added = [n for n in dict.fromkeys(names) if n not in current]
    if added:
        write_classes(current + added, layout.classes_file)
    return added


def init_voc(root: str | Path, classes: Sequence[str] = ()) -> InitResult:
    """Create JPEGImages, Annotations, ImageSets/Main and classes.txt under ``root``.

    Safe on an existing root: creates only what is missing; given class names that are
    not yet in classes.txt are appended (existing names keep their order and ids).
    """
    layout = VocLayout(Path(root))
    if layout.root.exists() and not layout.root.is_dir():
        raise GestureKitError("exists and is not a folder", layout.root)
    result = InitResult()
    for folder in (layout.root, layout.images, layout.annotations, layout.imagesets):
        if not folder.is_dir():
            folder.mkdir(parents=True)
            result.created.append(folder)
    bad = [n for n in classes if not n.strip() or any(c.isspace() for c in n)]
    if bad:
        raise GestureKitError(f"class names must be non-empty words without spaces: {bad!r}")
    if not layout.classes_file.exists():
        layout.classes_file.write_text("", encoding="utf-8")
        result.created.append(layout.classes_file)
    result.classes_added = _append_classes(layout, classes)
    return result


@dataclass
class _Item:
    image: Path
    xml: Path | None
    xml_bytes: bytes | None
    source: str | None
    image_unchanged: bool
    xml_unchanged: bool


@dataclass
class AddResult:
    """What :func:`add_to_voc` did."""

    images_added: list[Path] = field(default_factory=list)
    annotations_added: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    without_annotation: list[Path] = field(default_factory=list)
    classes_added: list[str] = field(default_factory=list)
    sources_added: int = 0


def collect_images(inputs: Sequence[str | Path]) -> list[Path]:
    """Image files named directly, plus the images directly inside named folders."""
    images: list[Path] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            images += sorted(p for p in path.iterdir()
                             if p.is_file() and is_image(p) and not p.name.startswith("."))
        elif path.is_file():
            if not is_image(path):
                raise GestureKitError(f"not an image (expected {', '.join(IMAGE_EXTENSIONS)})",
                                      path)
            images.append(path)
        else:
            raise GestureKitError("no such file or folder", path)
    if not images:
        raise GestureKitError(f"no images found in {', '.join(map(str, inputs))}")
    return images


def find_annotation(image: Path, annotations: Path | None) -> Path | None:
    """The XML of ``image``: in ``annotations`` if given, else beside it (or ../Annotations)."""
    if annotations is not None:
        candidates = [annotations / f"{image.stem}.xml"]
    else:
        candidates = [image.with_suffix(".xml"),
                      image.parent.parent / "Annotations" / f"{image.stem}.xml"]
    return next((c for c in candidates if c.is_file()), None)


def _same_content(a: Path, b: Path) -> bool:
    return filecmp.cmp(a, b, shallow=False)


def _read_sources(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    with open_csv(path) as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not set(SOURCES_COLUMNS) <= set(reader.fieldnames):
            raise GestureKitError(f"expected columns {','.join(SOURCES_COLUMNS)}", path)
        return {row["image_id"]: row["source"] for row in reader}


def read_sources(root: str | Path) -> dict[str, str]:
    """``image_id -> source`` from ``ROOT/sources.csv`` (empty when absent)."""
    return _read_sources(Path(root) / SOURCES_FILE)


def _plan(layout: VocLayout, images: list[Path], annotations: Path | None,
          sources: dict[str, str]) -> tuple[list[_Item], list[str]]:
    names: dict[str, Path] = {}
    for image in images:
        problem = id_problem(image.stem)
        if problem:
            raise GestureKitError(f"{problem}; nothing was added", image)
        if image.stem in names and names[image.stem] != image:
            raise GestureKitError(f"two images share the id '{image.stem}' "
                                  f"({names[image.stem]} and {image})", image)
        names[image.stem] = image
    manifests: dict[Path, dict[str, str]] = {}
    items, class_names = [], []
    for image in images:
        dest = layout.images / image.name
        for other in layout.images.glob(f"{image.stem}.*"):
            if other.name != image.name and is_image(other):
                raise GestureKitError(f"JPEGImages already has {other.name} with the same id",
                                      image)
        image_unchanged = dest.exists() and _same_content(image, dest)
        if dest.exists() and not image_unchanged:
            raise GestureKitError(f"{dest} exists with different content; refusing to "
                                  "overwrite (rename one of them first)", image)
        xml = find_annotation(image, annotations)
        xml_bytes, xml_unchanged = None, False
        if xml is not None:
            class_names += [box.name for box in read_annotation(xml).boxes]
            xml_bytes = set_header_fields(xml.read_bytes(), xml, folder=layout.images.name,
                                          filename=image.name, path=str(dest.resolve()))
            xml_dest = layout.annotation_path(image.stem)
            xml_unchanged = xml_dest.exists() and (xml_dest.resolve() == xml.resolve()
                                                   or xml_dest.read_bytes() == xml_bytes)
            if xml_dest.exists() and not xml_unchanged:
                raise GestureKitError(f"{xml_dest} exists with different content; refusing "
                                      "to overwrite", xml)
        folder = image.parent
        if folder not in manifests:
            manifests[folder] = {row["frame_file"]: row["source_video"]
                                 for row in read_manifest(folder / FRAMES_MANIFEST)}
        source = manifests[folder].get(image.name)
        if source is not None and sources.get(image.stem, source) != source:
            raise GestureKitError(f"sources.csv already gives '{image.stem}' the source "
                                  f"{sources[image.stem]}, the frames manifest says {source}",
                                  image)
        items.append(_Item(image, xml, xml_bytes, source, image_unchanged, xml_unchanged))
    return items, class_names


def add_to_voc(root: str | Path, inputs: Sequence[str | Path],
               annotations: str | Path | None = None, move: bool = False,
               progress: bool = True) -> AddResult:
    """Copy (or move) images and their XML into the VOC root ``root``.

    Every check runs before any file is touched: a different file already at a target
    name is an error; an identical one is left as is (adding twice is harmless).
    """
    from tqdm import tqdm

    layout = VocLayout(Path(root)).require()
    annotations = Path(annotations) if annotations is not None else None
    if annotations is not None and not annotations.is_dir():
        raise GestureKitError("--annotations is not a folder", annotations)
    sources = read_sources(layout.root)
    items, class_names = _plan(layout, collect_images(inputs), annotations, sources)
    result = AddResult()
    new_sources: list[tuple[str, str]] = []
    for item in tqdm(items, desc="adding", unit="image", disable=not progress, leave=False):
        dest = layout.images / item.image.name
        if item.image_unchanged:
            result.unchanged.append(dest)
        elif move:
            shutil.move(str(item.image), dest)
            result.images_added.append(dest)
        else:
            shutil.copy2(item.image, dest)
            result.images_added.append(dest)
        if item.xml is None:
            result.without_annotation.append(dest)
        elif item.xml_unchanged:
            result.unchanged.append(layout.annotation_path(item.image.stem))
        else:
            xml_dest = layout.annotation_path(item.image.stem)
            tmp = xml_dest.with_name(f".{xml_dest.name}.gk-tmp")
            tmp.write_bytes(item.xml_bytes or b"")
            os.replace(tmp, xml_dest)
            if move:
                item.xml.unlink()
            result.annotations_added.append(xml_dest)
        if item.source is not None and item.image.stem not in sources:
            sources[item.image.stem] = item.source
            new_sources.append((item.image.stem, item.source))
    result.classes_added = _append_classes(layout, class_names)
    if new_sources:
        _append_sources(layout.root / SOURCES_FILE, new_sources)
        result.sources_added = len(new_sources)
    return result


def _append_sources(path: Path, rows: list[tuple[str, str]]) -> None:
    append_csv_rows(path, SOURCES_COLUMNS, rows)
