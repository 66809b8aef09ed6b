"""Safe, undoable batch renames of images and their VOC XML files.

``plan_rename`` numbers the images of a folder (natural sort order: ``img2`` before
``img10``) as ``<prefix><number>.<ext>``. The XML of an image has the same stem and lives
in the sibling ``Annotations/`` folder when the folder is a VOC ``JPEGImages`` folder, and
beside the image otherwise. Its ``<filename>`` and ``<path>`` are edited in place (every
other byte kept). Lists that name the images are updated too: ``frames_manifest.csv`` in
the folder and, for a VOC root, ``ImageSets/Main/*.txt`` and ``sources.csv``.

``apply_rename`` never overwrites: every target is checked before anything moves, and
files move in two phases through temporary names so swaps and cycles are safe. It first
writes a JSON manifest (in the folder) with every old -> temporary -> new path, each file's
sha256 and the original bytes of each edited file; the manifest is also the journal of the
rename (:mod:`voc_tools.rename_journal`), so an interrupted rename is rolled back at once
or, after a kill, by ``undo_rename`` or a re-run. ``undo_rename`` restores the exact
previous tree and then deletes the manifest.
"""
from __future__ import annotations

import base64
import csv
import io
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .annotation import parse_xml
from .errors import GestureKitError
from .naming import FRAMES_MANIFEST, SOURCES_FILE, id_problem, is_image
from .rename_journal import (MANIFEST_PREFIX, TMP_PREFIX, Journal, interrupts_deferred,
                             interrupts_raise, load_journal, new_journal, sha256,
                             unfinished_journals)
from .text_io import decode_utf8
from .xml_edit import replace_basename, set_header_fields


@dataclass
class Move:
    """One file to move; ``sha256`` is the digest of its bytes before the rename."""

    old: Path
    new: Path
    sha256: str = ""


@dataclass
class Edit:
    """A file whose content changes: it ends up at ``path`` holding ``new``."""

    original_path: Path
    path: Path
    original: bytes
    new: bytes


@dataclass
class RenamePlan:
    """Everything a rename will do; nothing is touched until :func:`apply_rename`."""

    directory: Path
    moves: list[Move] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)

    def describe(self) -> list[str]:
        """Human-readable lines: one per move, then one per edited file."""
        lines = [f"{_rel(m.old, self.directory)} -> {_rel(m.new, self.directory)}"
                 for m in self.moves]
        lines += [f"edit {_rel(e.path, self.directory)}" for e in self.edits]
        return lines


def _rel(path: Path, base: Path) -> str:
    return os.path.relpath(path, base)


def natural_key(name: str) -> list:
    """Sort key that orders digit runs by value: ``a2`` < ``a10``."""
    return [(0, int(part), part) if part.isdigit() else (1, 0, part.lower() + part)
            for part in re.split(r"(\d+)", name) if part]


def annotation_folder(directory: Path) -> Path:
    """Where the XML files of the images in ``directory`` live (see module docstring)."""
    sibling = directory.parent / "Annotations"
    if directory.name == "JPEGImages" and sibling.is_dir():
        return sibling
    return directory


def _voc_root(directory: Path) -> Path | None:
    return directory.parent if annotation_folder(directory) != directory else None


def plan_rename(directory: str | Path, prefix: str, start: int = 1,
                digits: int = 4) -> RenamePlan:
    """Plan renaming the images of ``directory`` to ``<prefix><start:0{digits}d>...``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise GestureKitError("not a folder", directory)
    if (not prefix or any(sep in prefix for sep in "/\\") or prefix.startswith(".")
            or id_problem(prefix)):
        raise GestureKitError(f"bad --prefix {prefix!r} (must be a plain file-name start)")
    if start < 0 or digits < 1:
        raise GestureKitError("--start must be >= 0 and --digits >= 1")
    _refuse_unfinished(directory)
    _refuse_strays(directory)
    images = sorted((p for p in directory.iterdir()
                     if p.is_file() and is_image(p) and not p.name.startswith(".")),
                    key=lambda p: natural_key(p.name))
    if not images:
        raise GestureKitError("no images to rename", directory)
    last = start + len(images) - 1
    if len(str(last)) > digits:
        raise GestureKitError(f"{len(images)} images starting at {start} need more than "
                              f"{digits} digits; raise --digits", directory)
    stems: dict[str, Path] = {}
    for image in images:
        if image.stem in stems:
            raise GestureKitError(f"two images share the stem '{image.stem}' "
                                  f"({stems[image.stem].name}, {image.name}); "
                                  "their XML would be ambiguous", directory)
        stems[image.stem] = image

    xml_dir = annotation_folder(directory)
    plan = RenamePlan(directory)
    id_map: dict[str, str] = {}
    name_map: dict[str, str] = {}
    for number, image in enumerate(images, start):
        new_stem = f"{prefix}{number:0{digits}d}"
        new_image = image.with_name(new_stem + image.suffix)
        if new_image.name == image.name:
            continue
        id_map[image.stem] = new_stem
        name_map[image.name] = new_image.name
        plan.moves.append(Move(image, new_image))
        xml = xml_dir / f"{image.stem}.xml"
        if xml.is_file():
            new_xml = xml_dir / f"{new_stem}.xml"
            plan.moves.append(Move(xml, new_xml))
            plan.edits.append(_xml_edit(xml, new_xml, new_image.name))
    _check_collisions(plan)
    plan.edits += _list_edits(directory, id_map, name_map)
    for move in plan.moves:
        move.sha256 = sha256(move.old.read_bytes())
    return plan


def _refuse_strays(directory: Path) -> None:
    """Temporary files of an interrupted rename whose manifest is gone would be lost."""
    for folder in dict.fromkeys((directory, annotation_folder(directory))):
        for stray in sorted(folder.glob(f"{TMP_PREFIX}*")):
            raise GestureKitError("left by an interrupted rename that has no manifest; give "
                                  "it back its name (or delete it) first", stray)


def _xml_edit(xml: Path, new_xml: Path, new_image_name: str) -> Edit:
    root = parse_xml(xml)
    values = {"filename": new_image_name}
    old_path = root.findtext("path")
    if old_path and old_path.strip():
        values["path"] = replace_basename(old_path.strip(), new_image_name)
    original = xml.read_bytes()
    return Edit(xml, new_xml, original, set_header_fields(original, xml, **values))


def _check_collisions(plan: RenamePlan) -> None:
    sources = {m.old for m in plan.moves}
    targets: set[Path] = set()
    for move in plan.moves:
        if move.new in targets:
            raise GestureKitError("two files would get this name", move.new)
        targets.add(move.new)
        if move.new.exists() and move.new not in sources:
            raise GestureKitError(f"exists and is not being renamed (would be overwritten by "
                                  f"{move.old.name}); nothing was changed", move.new)


def _list_edits(directory: Path, id_map: dict[str, str],
                name_map: dict[str, str]) -> list[Edit]:
    edits = []
    candidates = [(directory / FRAMES_MANIFEST, "csv", "frame_file", name_map)]
    root = _voc_root(directory)
    if root is not None:
        candidates.append((root / SOURCES_FILE, "csv", "image_id", id_map))
        imagesets = root / "ImageSets" / "Main"
        if imagesets.is_dir():
            candidates += [(p, "ids", "", id_map) for p in sorted(imagesets.glob("*.txt"))]
    for path, kind, column, mapping in candidates:
        if not path.is_file():
            continue
        original = path.read_bytes()
        new = (_edit_csv_column(original, column, mapping, path) if kind == "csv"
               else _edit_id_list(original, mapping, path))
        if new != original:
            edits.append(Edit(path, path, original, new))
    return edits


def _edit_csv_column(data: bytes, column: str, mapping: dict[str, str], path: Path) -> bytes:
    text = decode_utf8(data, path)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or column not in rows[0]:
        raise GestureKitError(f"has no '{column}' column", path)
    col = rows[0].index(column)
    for row in rows[1:]:
        if len(row) > col:
            row[col] = mapping.get(row[col], row[col])
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n" if "\r\n" in text else "\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _edit_id_list(data: bytes, mapping: dict[str, str], path: Path) -> bytes:
    lines = decode_utf8(data, path).splitlines(keepends=True)
    out = []
    for line in lines:
        match = re.match(r"(\s*)(\S+)(.*)", line, re.S)
        if match and match.group(2) in mapping:
            line = match.group(1) + mapping[match.group(2)] + match.group(3)
        out.append(line)
    return "".join(out).encode("utf-8")


def _manifest_path(directory: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = directory / f"{MANIFEST_PREFIX}{stamp}.json"
    counter = 1
    while path.exists():
        path = directory / f"{MANIFEST_PREFIX}{stamp}-{counter}.json"
        counter += 1
    return path


def apply_rename(plan: RenamePlan) -> Path:
    """Carry out ``plan``; return the path of the JSON manifest that can undo it.

    The manifest is written before the first move (see :mod:`voc_tools.rename_journal`).
    Ctrl-C, SIGTERM or an error part-way rolls every move back before the error is raised.
    """
    if not plan.moves:
        raise GestureKitError("nothing to rename (names already match)", plan.directory)
    _refuse_unfinished(plan.directory)
    _check_collisions(plan)
    base = plan.directory
    moves = [{"old": _rel(m.old, base), "new": _rel(m.new, base), "sha256": m.sha256}
             for m in plan.moves]
    edits = [{"original_path": _rel(e.original_path, base), "path": _rel(e.path, base),
              "original_sha256": sha256(e.original), "new_sha256": sha256(e.new),
              "original_base64": base64.b64encode(e.original).decode("ascii")}
             for e in plan.edits]
    journal = new_journal(_manifest_path(base), moves, edits,
                          datetime.now().isoformat(timespec="seconds"))
    try:
        with interrupts_raise():
            journal.save("staging")
            journal.forward([e.new for e in plan.edits])
    except BaseException as err:
        _roll_back_after(journal, err)
    return journal.path


def _roll_back_after(journal: Journal, err: BaseException) -> None:
    """Undo a rename stopped by ``err``, then raise one line saying what happened."""
    try:
        with interrupts_deferred():
            journal.rollback()
    except (OSError, GestureKitError) as second:
        raise GestureKitError(f"rename stopped ({_reason(err)}) and could not be rolled back "
                              f"({_reason(second)}); finish it with: gesturekit rename --undo "
                              f"{journal.path}") from None
    where = err.filename if isinstance(err, OSError) else None  # a GestureKitError names it
    raise GestureKitError(f"rename stopped ({_reason(err)}); every file was put back, "
                          "nothing changed", where or journal.base) from None


def _reason(err: BaseException) -> str:
    if isinstance(err, KeyboardInterrupt):
        return "interrupted"
    if isinstance(err, GestureKitError):
        return str(err)
    if isinstance(err, OSError):
        return err.strerror or str(err)
    return f"{type(err).__name__}: {err}"


def _refuse_unfinished(directory: Path) -> None:
    for journal in unfinished_journals(directory):
        raise GestureKitError(f"an interrupted rename is recorded here; roll it back first "
                              f"with: gesturekit rename --undo {journal.path}", journal.path)


def recover_interrupted(directory: str | Path) -> list[Path]:
    """Roll back every interrupted rename recorded in ``directory``; return their manifests."""
    done = []
    for journal in unfinished_journals(Path(directory)):
        journal.verify()
        with interrupts_deferred():
            journal.rollback()
        done.append(journal.path)
    return done


def load_manifest(path: str | Path) -> dict:
    """Read and sanity-check a rename manifest."""
    return load_journal(path).record


def undo_rename(manifest: str | Path) -> list[str]:
    """Restore the tree recorded in ``manifest`` byte for byte; delete the manifest.

    Works on a finished rename and on one that was interrupted at any point. Refuses
    (changing nothing) when a renamed file is missing, was modified since the rename, or
    when an original name has been taken by another file.
    """
    journal = load_journal(manifest)
    journal.verify()
    with interrupts_deferred():
        journal.rollback()
    return [f"{m['new']} -> {m['old']}" for m in journal.record["moves"]]
