"""Writing imported images and boxes into a kit VOC root, never overwriting anything.

Every importer turns its input into :class:`ImportItem` s and hands them to
:class:`VocWriter`, which reads each image (real size, readable), cleans its boxes
(:func:`~voc_tools.interop.boxes.clean_boxes`), copies it to ``JPEGImages`` and writes
labelImg-style XML. A file already in the root is left alone when identical and is a
conflict (the image is skipped, the file untouched) when different. ImageSets lists
get the new ids appended; ids already listed stay where they are.
"""
from __future__ import annotations

import contextlib
import filecmp
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from ..annotation import Annotation, Box, write_annotation
from ..check import ImageInfo, inspect_image
from ..errors import GestureKitError
from ..layout import VocLayout
from ..csv_rows import append_csv_rows
from ..naming import IMAGE_EXTENSIONS, SOURCES_FILE
from ..voc_init import SOURCES_COLUMNS, existing_classes, init_voc, read_sources
from .boxes import clean_boxes
from .report import InteropReport, message_of

#: Kit split names and the names other tools use for them.
SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "valid": "val",
               "validation": "val", "test": "test", "testing": "test"}


@dataclass
class ImportItem:
    """One image to import: where its file is and the boxes it has (VOC pixels)."""

    image_id: str
    image: Path | None
    boxes: list[Box] = field(default_factory=list)
    where: str = ""  # the input file named in messages (XML file, CSV file and line)
    labels: list[str] = field(default_factory=list)  # per box, e.g. "object 2", "line 14"
    split: str | None = None
    size: tuple[int, int] | None = None  # width, height declared by the input, if any
    info: ImageInfo | None = None  # the image already inspected by the importer, if it was


def kit_split(name: str) -> str | None:
    """``valid`` -> ``val`` and the like; None for a subset name with no kit meaning."""
    return SPLIT_NAMES.get(name.lower())


#: What an import reads from an archive; other members are never unpacked.
IMPORTED_SUFFIXES = IMAGE_EXTENSIONS + (".xml", ".txt", ".yaml", ".yml", ".csv", ".json")
#: Bytes one archive may unpack to unless raised (``--max-unpacked-mb``).
DEFAULT_MAX_UNPACKED = 2 * 1024 ** 3
#: A member larger than 1 MiB that expands more than this is refused as a zip bomb.
MAX_RATIO = 200
_MIB = 1024 ** 2
_max_unpacked: ContextVar[int] = ContextVar("max_unpacked", default=DEFAULT_MAX_UNPACKED)


@contextlib.contextmanager
def unpack_limit(max_bytes: int) -> Iterator[None]:
    """Let the archives opened inside the block unpack to at most ``max_bytes``."""
    token = _max_unpacked.set(max_bytes)
    try:
        yield
    finally:
        _max_unpacked.reset(token)


@contextlib.contextmanager
def open_source(src: str | Path, max_unpacked: int | None = None,
                refuse_links: bool = False) -> Iterator[Path]:
    """The export folder ``src``, or a ``.zip`` of it unpacked to a temporary folder
    (a single top-level folder inside the zip is stepped into).

    With ``refuse_links`` a folder may not hold symbolic links that lead out of it (for
    importers that do not check each file themselves). From a zip only the files an
    import reads (:data:`IMPORTED_SUFFIXES`) are unpacked, at most ``max_unpacked`` bytes
    in all (default: :func:`unpack_limit`'s, else :data:`DEFAULT_MAX_UNPACKED`)."""
    src = Path(src)
    if src.is_dir():
        if refuse_links:
            refuse_outside_links(src)
        yield src
        return
    if not src.is_file():
        raise GestureKitError("no such file or folder", src)
    if not zipfile.is_zipfile(src):
        raise GestureKitError("expected an export folder or a .zip of one", src)
    with tempfile.TemporaryDirectory(prefix="gesturekit-import-") as tmp:
        _unpack(src, Path(tmp), max_unpacked or _max_unpacked.get())
        entries = list(Path(tmp).iterdir())
        yield entries[0] if len(entries) == 1 and entries[0].is_dir() else Path(tmp)


def refuse_outside_links(folder: Path) -> None:
    """Raise for a symbolic link under ``folder`` that points outside it (or nowhere)."""
    top = folder.resolve()
    for parent, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(parent) / name
            if path.is_symlink():
                target = path.resolve()
                if target != top and top not in target.parents:
                    raise GestureKitError(f"is a symbolic link to {target}, outside the "
                                          "export; not followed", path)


def _member_path(dest: Path, name: str, src: Path) -> Path | None:
    """Where member ``name`` goes under ``dest``; None for files no import reads."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise GestureKitError(f"member {name!r} would be written outside the export; "
                              "refused", src)
    if (not parts or Path(parts[-1]).suffix.lower() not in IMPORTED_SUFFIXES
            or any(p.startswith("__MACOSX") for p in parts) or parts[-1].startswith("._")):
        return None
    return dest.joinpath(*parts)


def _unpack(src: Path, dest: Path, limit: int) -> None:
    """Unpack the members an import reads, within ``limit`` bytes and :data:`MAX_RATIO`."""
    try:
        with zipfile.ZipFile(src) as archive:
            wanted = [(m, _member_path(dest, m.filename, src)) for m in archive.infolist()
                      if not m.is_dir()]
            wanted = [(m, path) for m, path in wanted if path is not None]
            declared = sum(m.file_size for m, _ in wanted)
            if declared > limit:
                raise GestureKitError(f"would unpack to {declared / _MIB:.0f} MB, more than "
                                      f"the {limit / _MIB:.0f} MB allowed; raise the cap with "
                                      "--max-unpacked-mb", src)
            for member, path in wanted:
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > _MIB and ratio > MAX_RATIO:
                    raise GestureKitError(f"member {member.filename} expands {ratio:.0f} times "
                                          f"(more than {MAX_RATIO}); refused as a zip bomb", src)
                path.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as reader, path.open("wb") as writer:
                    shutil.copyfileobj(reader, writer, _MIB)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
            RuntimeError) as err:
        raise GestureKitError(f"corrupt or unsupported archive ({err})", src) from None
    except OSError as err:
        raise GestureKitError(f"cannot unpack into {dest} ({err.strerror or err})",
                              src) from None


def _same_file(a: Path, b: Path) -> bool:
    return filecmp.cmp(a, b, shallow=False)


class VocWriter:
    """Adds imported items to the VOC root ``root`` (created with :func:`init_voc`)."""

    def __init__(self, root: str | Path, classes: list[str], report: InteropReport,
                 fractional: str | None = None) -> None:
        """``fractional``: the tool's name when sub-pixel corners are its normal output;
        their rounding is then one note in total instead of a line per file."""
        self.layout = VocLayout(Path(root))
        self.report = report
        self.fractional = fractional
        self.rounded = 0
        self.renamed = {n: re.sub(r"\s+", "_", n.strip()) for n in classes
                        if re.search(r"\s", n)}
        for old, new in self.renamed.items():
            report.fix("classes", f"'{old}' imported as '{new}' (class names are single words)")
        classes = [self.renamed.get(n, n) for n in classes]
        report.classes_added = init_voc(self.layout.root, classes).classes_added
        self.classes = existing_classes(self.layout)
        report.classes = classes
        self.sources: dict[str, str] = {}
        self.groups: dict[str, str] = {}
        self.split_ids: dict[str, list[str]] = {}

    def add(self, item: ImportItem) -> bool:
        """Import one item; a problem is reported (naming ``item.where``) and skips it."""
        image_id = re.sub(r"\s+", "_", item.image_id)
        checked = self._checked(image_id, item)
        if checked is None:
            return False
        ann, fixed = checked
        image_dest = self.layout.images / ann.filename
        xml_dest = self.layout.annotation_path(image_id)
        conflict = self._conflict(image_id, item.image, image_dest)  # type: ignore[arg-type]
        tmp = xml_dest.with_name(f".{xml_dest.name}.gk-import")
        write_annotation(ann, tmp, overwrite=True)
        xml_same = xml_dest.exists() and xml_dest.read_bytes() == tmp.read_bytes()
        if conflict is None and xml_dest.exists() and not xml_same:
            conflict = f"{xml_dest} exists with different content"
        if conflict:
            tmp.unlink()
            self.report.skip(item.where, f"{conflict}; not imported (nothing overwritten)")
            return False
        for line in fixed:
            self.report.fix(item.where, line)
        image_same = image_dest.exists()
        if not image_same:
            shutil.copy2(item.image, image_dest)  # type: ignore[arg-type]
        if xml_same:
            tmp.unlink()
        else:
            os.replace(tmp, xml_dest)
        self.sources[image_id] = item.where
        self.report.images += 1
        self.report.unchanged += image_same and xml_same
        self.report.empty += not ann.boxes
        self.report.boxes += len(ann.boxes)
        if item.split:
            self.split_ids.setdefault(item.split, []).append(image_id)
        return True

    def _checked(self, image_id: str, item: ImportItem) -> tuple[Annotation, list[str]] | None:
        """The annotation to write (real image size, cleaned boxes) and the fixes made;
        None (with the problem reported) when the item cannot be imported."""
        report, where = self.report, item.where
        if image_id in self.sources:
            report.skip(where, f"image id '{image_id}' is already taken by "
                               f"{self.sources[image_id]} in this import")
            return None
        if item.image is None or not item.image.is_file():
            report.skip(where, f"image {item.image.name if item.image else image_id} is "
                               "missing; not imported")
            return None
        try:
            info = item.info or inspect_image(item.image)
        except GestureKitError as err:
            report.skip(where, f"image {item.image.name}: {message_of(err)}; not imported")
            return None
        if item.size is not None and item.size != (info.width, info.height):
            report.skip(where, f"<size> {item.size[0]}x{item.size[1]} does not match the image "
                               f"({info.width}x{info.height}); boxes may belong to another "
                               "resolution; not imported")
            return None
        labels = item.labels or [f"object {n}" for n in range(1, len(item.boxes) + 1)]
        named = [replace(b, name=self.renamed.get(b.name, b.name)) for b in item.boxes]
        cleaned = clean_boxes(named, labels, info.width, info.height, self.classes,
                              note_rounding=self.fractional is None)
        for line in cleaned.fatal:
            report.skip(where, f"{line}; image not imported")
        if cleaned.boxes is None:
            return None
        self.rounded += cleaned.rounded
        image_dest = self.layout.images / f"{image_id}{item.image.suffix}"
        return Annotation(filename=image_dest.name, width=info.width, height=info.height,
                          depth=1 if info.mode == "L" else 3, boxes=cleaned.boxes,
                          path=str(image_dest.resolve())), cleaned.fixed

    def _conflict(self, image_id: str, source: Path, dest: Path) -> str | None:
        other = self.layout.image_path(image_id)
        if other.exists() and other.name != dest.name:
            return f"JPEGImages already has {other.name} with the id '{image_id}'"
        if dest.exists() and not _same_file(source, dest):
            return f"{dest} exists with different content"
        return None

    def set_source(self, image_id: str, group: str) -> None:
        """Record the capture group of an imported image for ``sources.csv``."""
        self.groups[image_id] = group

    def _write_sources(self) -> None:
        known = read_sources(self.layout.root)
        rows = []
        for image_id, group in self.groups.items():
            if image_id not in known:
                rows.append((image_id, group))
            elif known[image_id] != group:
                self.report.fix(SOURCES_FILE, f"{image_id} already has the source "
                                              f"'{known[image_id]}'; kept (the import's "
                                              f"rule gives '{group}')")
        if rows:
            append_csv_rows(self.layout.root / SOURCES_FILE, SOURCES_COLUMNS, rows)
            self.report.written.append(self.layout.root / SOURCES_FILE)
            self.report.hints.append(
                f"sources.csv: {len(rows)} image(s) in {len(set(g for _, g in rows))} capture "
                "group(s) from their names; 'gesturekit split' keeps each group on one side")

    def finish(self) -> InteropReport:
        """Append the imported ids to the ImageSets lists (train + val also to trainval),
        and their capture groups to ``sources.csv``."""
        self._write_sources()
        wanted = dict(self.split_ids)
        if "train" in wanted or "val" in wanted:
            wanted["trainval"] = wanted.get("train", []) + wanted.get("val", [])
        listed = {s: self._listed(s) for s in ("train", "val", "test")}
        for split, ids in wanted.items():
            current = self._listed(split)
            new = []
            for image_id in dict.fromkeys(ids):
                elsewhere = [s for s, members in listed.items()
                             if s != split and image_id in members
                             and not (split == "trainval" and s in ("train", "val"))]
                if elsewhere:
                    self.report.fix(self.layout.split_path(elsewhere[0]).name,
                                    f"{image_id} is already listed there; not added to "
                                    f"{split}.txt")
                elif image_id not in current:
                    new.append(image_id)
            if new:
                path = self.layout.split_path(split)
                path.write_text("".join(f"{i}\n" for i in current + new), encoding="utf-8")
                self.report.written.append(path)
            if split != "trainval":
                self.report.splits[split] += len(ids)
        if self.fractional and self.rounded:
            self.report.hints.append(f"{self.rounded} fractional coordinate(s) rounded to "
                                     f"whole pixels ({self.fractional} writes sub-pixel "
                                     "corners, labelImg whole ones)")
        missing = [s for s in ("train", "val") if not self._listed(s)]
        if missing:
            force = " --force" if len(missing) == 1 else ""
            self.report.hints.append(
                f"no {'/'.join(missing)} list yet: run 'gesturekit split {self.layout.root} "
                f"--val 0.2{force}' before training")
        return self.report

    def _listed(self, split: str) -> list[str]:
        path = self.layout.split_path(split)
        return self.layout.read_split(split) if path.is_file() else []


def copy_extra_file(source: Path, root: Path, report: InteropReport) -> None:
    """Copy a provenance file (licence, README) into ``root`` unless a different one is there."""
    dest = root / source.name
    if dest.exists():
        if not _same_file(source, dest):
            report.fix(source.name, f"{dest} exists with different content; not copied")
        return
    shutil.copy2(source, dest)
    report.written.append(dest)
