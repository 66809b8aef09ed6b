"""The crash-safe journal of a batch rename: recorded before the first move, so a rename
stopped at any point (Ctrl-C, kill, crash, full disk) can be rolled back to the exact tree
it started from.

The rename manifest is the journal. Every file moves ``old -> tmp -> new`` through a
temporary name recorded in it (rollback goes ``new -> tmp -> old`` through the same name),
and its ``phase`` says which two places a file can be in:

* ``staging`` (old -> tmp) and ``undo-placing`` (tmp -> old): at ``old`` or ``tmp``;
* ``placing`` (tmp -> new), ``editing``, ``done`` and ``undo-staging`` (new -> tmp): at
  ``tmp`` or ``new``.

Within a phase the temporary name decides: a file whose ``tmp`` exists is there, else it is
at the other place. Each phase is written (fsync, atomic replace) before its first move, so
the record is never behind the tree. Edits (XML headers, lists) are atomic replacements whose
old and new sha256 are both recorded; rollback writes the original bytes back.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import GestureKitError

MANIFEST_PREFIX = "rename-manifest-"
VERSION = 2
OLD_SIDE = ("staging", "undo-placing")
NEW_SIDE = ("placing", "editing", "done", "undo-staging")
TMP_PREFIX = ".gk-rename-"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _move(src: Path, dst: Path) -> None:
    os.rename(src, dst)


def write_atomic(path: Path, data: bytes, durable: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary name: the old bytes or the new, never
    half. ``durable`` also syncs it to the disk first (for the journal)."""
    tmp = path.with_name(f".{path.name}.gk-tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class Journal:
    """A rename manifest on disk and the moves and edits it records."""

    def __init__(self, path: Path, record: dict) -> None:
        self.path = path
        self.base = path.parent
        self.record = record

    @property
    def phase(self) -> str:
        return self.record["phase"]

    def _abs(self, rel: str) -> Path:
        return self.base / rel

    def save(self, phase: str) -> None:
        """Record ``phase`` on disk before anything of that phase happens."""
        self.record["phase"] = phase
        try:
            write_atomic(self.path, json.dumps(self.record).encode("utf-8"), True)
        except OSError as err:
            raise GestureKitError(f"cannot write the rename journal ({err.strerror})",
                                  self.path) from None

    def moves(self) -> Iterator[tuple[Path, Path, Path, dict]]:
        for entry in self.record["moves"]:
            yield (self._abs(entry["old"]), self._abs(entry["tmp"]), self._abs(entry["new"]),
                   entry)

    def location(self, old: Path, tmp: Path, new: Path) -> Path:
        """Where a file of this journal is now (see the module docstring)."""
        if tmp.exists():
            return tmp
        return old if self.phase in OLD_SIDE else new

    # -- forward -------------------------------------------------------------------------
    def forward(self, new_contents: list[bytes]) -> None:
        """Carry out the rename recorded in the journal (phase ``staging`` on disk);
        ``new_contents`` are the edited bytes, one per recorded edit."""
        for old, tmp, _, _ in self.moves():
            _move(old, tmp)
        self.save("placing")
        for _, tmp, new, _ in self.moves():
            if new.exists():  # appeared meanwhile: rolled back by the caller
                raise GestureKitError("appeared during the rename; rolled back", new)
            _move(tmp, new)
        self.save("editing")
        for entry, data in zip(self.record["edits"], new_contents, strict=True):
            write_atomic(self._abs(entry["path"]), data)
        self.save("done")

    # -- checks and rollback --------------------------------------------------------------
    def verify(self) -> None:
        """Refuse (changing nothing) when a file is missing, changed or its old name taken."""
        edited = {entry["path"]: entry for entry in self.record["edits"]}
        olds_in_use = set()
        for old, tmp, new, entry in self.moves():
            where = self.location(old, tmp, new)
            if not where.is_file():
                raise GestureKitError("renamed file is missing; cannot undo", where)
            allowed = {entry["sha256"]}
            if entry["new"] in edited:
                allowed.add(edited[entry["new"]]["new_sha256"])
            if sha256(where.read_bytes()) not in allowed:
                raise GestureKitError("changed since the rename; cannot undo without losing "
                                      "that change", where)
            if where == new:
                olds_in_use.add(new)
        for old, tmp, new, _ in self.moves():
            if self.location(old, tmp, new) != old and old.exists() and old not in olds_in_use:
                raise GestureKitError("original name is taken by another file; cannot undo",
                                      old)
        moved = {entry["new"] for entry in self.record["moves"]}
        for entry in self.record["edits"]:
            if entry["path"] in moved:
                continue  # checked with its move
            path = self._abs(entry["path"])
            if not path.is_file():
                raise GestureKitError("renamed file is missing; cannot undo", path)
            if sha256(path.read_bytes()) not in {entry["original_sha256"], entry["new_sha256"]}:
                raise GestureKitError("changed since the rename; cannot undo without losing "
                                      "that change", path)

    def rollback(self) -> None:
        """Put every file back under its old name with its original bytes; delete the journal.

        Resumable: stopped half-way, it leaves a journal that a later rollback finishes.
        """
        if self.phase in NEW_SIDE:
            self.save("undo-staging")
            for old, tmp, new, _ in self.moves():
                if self.location(old, tmp, new) == new:
                    _move(new, tmp)
            self.save("undo-placing")
        for old, tmp, _, _ in self.moves():
            if tmp.exists():
                _move(tmp, old)
        for entry in self.record["edits"]:
            path = self._abs(entry["original_path"])
            path.with_name(f".{path.name}.gk-tmp").unlink(missing_ok=True)
            original = base64.b64decode(entry["original_base64"])
            if not path.is_file() or sha256(path.read_bytes()) != entry["original_sha256"]:
                write_atomic(path, original)
        self.path.unlink(missing_ok=True)


def new_journal(path: Path, moves: list[dict], edits: list[dict], created: str) -> Journal:
    """A journal in phase ``staging``, not written yet: ``save("staging")`` before moving."""
    token = os.urandom(4).hex()
    for number, move in enumerate(moves):
        old = Path(move["old"])
        move["tmp"] = (old.parent / f"{TMP_PREFIX}{token}-{number}{old.suffix}").as_posix()
    record = {"version": VERSION, "created": created, "phase": "staging",
              "moves": moves, "edits": edits}
    return Journal(path, record)


def load_journal(path: str | Path) -> Journal:
    """Read and sanity-check a rename manifest (version 1 manifests count as ``done``)."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise GestureKitError(f"cannot read ({err.strerror})", path) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise GestureKitError("not a rename manifest (invalid JSON)", path) from None
    if not isinstance(record, dict) or record.get("version") not in (1, VERSION) \
            or not {"moves", "edits"} <= set(record):
        raise GestureKitError("not a rename manifest of this GestureKit version", path)
    if record["version"] == 1:
        token = os.urandom(4).hex()
        record["phase"] = "done"
        for number, move in enumerate(record["moves"]):
            old = Path(move["old"])
            move["tmp"] = (old.parent / f"{TMP_PREFIX}{token}-{number}{old.suffix}").as_posix()
    if record.get("phase") not in OLD_SIDE + NEW_SIDE:
        raise GestureKitError(f"unknown rename phase {record.get('phase')!r}", path)
    return Journal(path, record)


def unfinished_journals(directory: Path) -> list[Journal]:
    """Journals in ``directory`` of renames that were stopped before they finished."""
    found = []
    for path in sorted(directory.glob(f"{MANIFEST_PREFIX}*.json")):
        try:
            journal = load_journal(path)
        except GestureKitError:
            continue
        if journal.phase != "done":
            found.append(journal)
    return found


@contextmanager
def interrupts_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP raise KeyboardInterrupt (as Ctrl-C does) so a rollback can run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    saved = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP are held back while a rollback runs (it takes moments)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
