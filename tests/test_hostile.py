"""Hostile input, tried as a new user would (issue 14): every case gives one line naming the
file and the problem, a non-zero exit, and leaves the user's files byte-identical."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import one_error_line, run_verb, tiny_voc, tree_digest

from voc_tools import rename_journal
from voc_tools.errors import GestureKitError
from voc_tools.check import check_dataset
from voc_tools.rename import apply_rename, plan_rename, undo_rename

REPO = Path(__file__).resolve().parents[1]


# -- 1. interrupted renames -------------------------------------------------------------------
@pytest.fixture(scope="module", params=[200, pytest.param(2000, marks=pytest.mark.slow)],
                ids=["200-files", "2000-files"])
def big_voc(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny images + XML + lists (200, and 2000 in the slow run); each test restores it
    byte-identically."""
    return tiny_voc(tmp_path_factory.mktemp("hostile") / "voc", request.param)


def _steps(root: Path) -> int:
    """Moves, edits and journal writes a rename of ``root``'s images makes."""
    plan = plan_rename(root / "JPEGImages", "Z_")
    return 2 * len(plan.moves) + len(plan.edits) + 4


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, step: int,
                     error: BaseException) -> None:
    """The ``step``-th move or atomic write of the rename raises ``error`` (once)."""
    count = [0]
    real_move, real_write = rename_journal._move, rename_journal.write_atomic

    def tick() -> None:
        count[0] += 1
        if count[0] == step:
            raise error

    def move(src: Path, dst: Path) -> None:
        tick()
        real_move(src, dst)

    def write(path: Path, data: bytes, *durable: bool) -> None:
        tick()
        real_write(path, data, *durable)

    monkeypatch.setattr(rename_journal, "_move", move)
    monkeypatch.setattr(rename_journal, "write_atomic", write)


def _hidden(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".gk-")]


def test_rename_interrupted_at_20_points_rolls_back(big_voc: Path, capsys,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree_digest(big_voc)
    total = _steps(big_voc)
    for point in range(20):
        step = 2 + point * (total - 2) // 19  # step 1 is the journal itself
        with monkeypatch.context() as patch:
            _interrupt_after(patch, step, KeyboardInterrupt())
            code = run_verb("rename", [str(big_voc / "JPEGImages"), "--prefix", "Z_"])
        line = one_error_line(capsys.readouterr().out)
        assert code == 2 and "interrupted" in line and "nothing changed" in line, (step, line)
        assert tree_digest(big_voc) == before, step
        assert not _hidden(big_voc)


def test_rename_disk_full_rolls_back(big_voc: Path, capsys,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    before = tree_digest(big_voc)
    full = OSError(errno.ENOSPC, "No space left on device")
    _interrupt_after(monkeypatch, _steps(big_voc) - 3, full)  # while the lists are edited
    assert run_verb("rename", [str(big_voc / "JPEGImages"), "--prefix", "Z_"]) == 2
    assert "No space left on device" in one_error_line(capsys.readouterr().out)
    assert tree_digest(big_voc) == before


KILL_SCRIPT = """
import os, signal, sys
from voc_tools import rename_journal as journal
from voc_tools.rename import apply_rename, plan_rename, undo_rename
action, target, stop = sys.argv[1], sys.argv[2], int(sys.argv[3])
count = [0]
real_move, real_write = journal._move, journal.write_atomic
def tick():
    count[0] += 1
    if count[0] == stop:
        os.kill(os.getpid(), signal.SIGKILL)
journal._move = lambda a, b: (tick(), real_move(a, b))
journal.write_atomic = lambda p, d, *f: (tick(), real_write(p, d, *f))
if action == "rename":
    apply_rename(plan_rename(target, "Z_"))
else:
    undo_rename(target)
"""


def _killed(action: str, target: Path, step: int) -> None:
    """Run a rename (or an undo) in a child process killed by SIGKILL at ``step``."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", KILL_SCRIPT, action, str(target), str(step)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr[-2000:]


def test_rename_killed_at_20_points_is_recoverable(big_voc: Path, capsys) -> None:
    """SIGKILL leaves the journal; undo restores byte-identically, a re-run completes."""
    before = tree_digest(big_voc)
    images = big_voc / "JPEGImages"
    total = _steps(big_voc)
    for point in range(20):
        step = 2 + point * (total - 2) // 19
        _killed("rename", images, step)
        manifests = list(images.glob("rename-manifest-*.json"))
        assert len(manifests) == 1, step
        if not check_dataset(big_voc).ok:  # a half-done tree is never passed as fine
            assert any("interrupted rename" in str(p) for p in check_dataset(big_voc).errors)
        if point % 4 == 3:  # a plain re-run rolls back, then renames: check accepts it
            assert run_verb("rename", [str(images), "--prefix", "Z_"]) == 0
            assert "rolled back an interrupted rename" in capsys.readouterr().out
            report = check_dataset(big_voc)
            count = len(list((big_voc / "Annotations").iterdir()))
            assert report.ok and report.annotations == count, report.errors[:3]
            assert (images / f"Z_{count:04d}.jpg").is_file() and not _hidden(big_voc)
            manifests = list(images.glob("rename-manifest-*.json"))
        elif point % 4 == 1:  # the undo itself is killed half-way, then run again
            _killed("undo", manifests[0], 3 + step % 50)
        assert run_verb("rename", ["--undo", str(manifests[0])]) == 0, step
        capsys.readouterr()
        assert tree_digest(big_voc) == before, step
        assert not _hidden(big_voc)


def test_real_sigint_mid_rename(tmp_path: Path) -> None:
    """Ctrl-C of the real command: one line, exit non-zero, tree as before (or renamed in
    full and undoable when the signal came after the end)."""
    import signal
    import time

    root = tiny_voc(tmp_path / "voc", 1000)
    before = tree_digest(root)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", "import sys; from gesturekit.cli import main; "
                              "sys.exit(main())", "rename",
                              str(root / "JPEGImages"), "--prefix", "Z_"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list((root / "JPEGImages").glob("rename-manifest-*.json")):
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.002)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    manifests = list((root / "JPEGImages").glob("rename-manifest-*.json"))
    if child.returncode == 0:  # finished before the signal arrived
        assert run_verb("rename", ["--undo", str(manifests[0])]) == 0
    else:
        assert child.returncode in (2, 130)
        assert len([line for line in (out + err).splitlines() if line.strip()]) == 1
        assert not manifests
    assert tree_digest(root) == before and not _hidden(root)


def test_rename_refuses_strays_and_unfinished(tmp_path: Path, capsys) -> None:
    root = tiny_voc(tmp_path / "voc", 5)
    images = root / "JPEGImages"
    stray = images / ".gk-rename-0badc0de-0.jpg"
    stray.write_bytes(b"a hidden file of an old interrupted rename")
    before = tree_digest(root)
    assert run_verb("rename", [str(images), "--prefix", "Z_"]) == 2
    line = one_error_line(capsys.readouterr().out)
    assert ".gk-rename-0badc0de-0.jpg" in line and "no manifest" in line
    assert tree_digest(root) == before
    assert any("hidden by an interrupted rename" in str(p) for p in check_dataset(root).errors)


# -- 2, 3, 4, 8: train and convert never write over the user's files ---------------------------
TINY_TRAIN = ["--backbone", "mobilenet128_0.5", "--weights", "none", "--head-width", "32",
              "--image-min-side", "128", "--image-max-side", "171", "--batch-size", "1",
              "--steps", "2", "--lr", "1e-3", "--epochs", "1"]


@pytest.fixture(scope="module")
def small_voc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_voc(tmp_path_factory.mktemp("small") / "voc", 12)


def _refused(verb: str, argv: list[str], capsys, *files: Path) -> str:
    """Run the verb; assert exit 2, one line, and every path in ``files`` byte-identical."""
    before = [tree_digest(f) if f.is_dir() else f.read_bytes() for f in files]
    assert run_verb(verb, argv) == 2
    line = one_error_line(capsys.readouterr().out)
    assert [tree_digest(f) if f.is_dir() else f.read_bytes() for f in files] == before
    return line


def test_train_refuses_a_filled_folder_and_the_dataset(small_voc: Path, tmp_path: Path,
                                                       capsys) -> None:
    model = tmp_path / "model"  # what convert leaves: a model card and more
    model.mkdir()
    (model / "gesturekit.json").write_text('{"model_type": "inference"}')
    (model / "metrics.csv").write_text("mine\n")
    line = _refused("train", [str(small_voc), "--out", str(model), *TINY_TRAIN], capsys, model)
    assert "is not empty; pass --force" in line and str(model) in line
    for out in (small_voc, small_voc / "runs" / "r1"):
        line = _refused("train", [str(small_voc), "--out", str(out), *TINY_TRAIN], capsys,
                        small_voc)
        assert "is inside the VOC root" in line
    assert not (small_voc / "runs").exists()


@pytest.mark.parametrize("flag,value", [("--batch-size", "0"), ("--batch-size", "-1"),
                                        ("--epochs", "0"), ("--steps", "0")])
def test_train_refuses_bad_numbers(small_voc: Path, tmp_path: Path, capsys, flag: str,
                                   value: str) -> None:
    argv = [str(small_voc), "--out", str(tmp_path / "run"), *TINY_TRAIN, flag, value]
    line = _refused("train", argv, capsys, small_voc)
    assert f"{flag} must be at least 1 (got {value})" in line
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("value", ["1", "-0.5"])
def test_train_refuses_an_ema_decay_outside_0_to_1(small_voc: Path, tmp_path: Path, capsys,
                                                   value: str) -> None:
    argv = [str(small_voc), "--out", str(tmp_path / "run"), *TINY_TRAIN, "--ema-decay", value]
    line = _refused("train", argv, capsys, small_voc)
    assert f"--ema-decay must be 0 (off) or below 1 (got {float(value)})" in line
    assert not (tmp_path / "run").exists()


def test_train_refuses_a_mosaic_chance_outside_0_to_1(small_voc: Path, tmp_path: Path,
                                                      capsys) -> None:
    argv = [str(small_voc), "--out", str(tmp_path / "run"), *TINY_TRAIN, "--mosaic", "1.5"]
    line = _refused("train", argv, capsys, small_voc)
    assert "--mosaic must be a chance from 0 to 1 (got 1.5)" in line
    assert not (tmp_path / "run").exists()


def test_train_library_refuses_an_unknown_precision(small_voc: Path, tmp_path: Path) -> None:
    from detector.config import TrainConfig
    from detector.train import train

    config = TrainConfig(root=str(small_voc), out=str(tmp_path / "run"), precision="float16")
    with pytest.raises(GestureKitError, match="--precision must be one of auto, float32, "
                                              "bfloat16 \\(got float16\\)"):
        train(config)
    assert not (tmp_path / "run").exists()


def test_train_library_refuses_an_unknown_head_norm_and_a_head_the_hands_lack(
        small_voc: Path, tmp_path: Path) -> None:
    from detector.config import TrainConfig
    from detector.train import train

    for head_norm, message in (("batch", "--head-norm must be one of none, group \\(got batch\\)"),
                               ("group", "--weights hands fixes the architecture: head_norm "
                                         "group \\(the hand model's is none\\)")):
        config = TrainConfig(root=str(small_voc), out=str(tmp_path / "run"),
                             head_norm=head_norm)
        with pytest.raises(GestureKitError, match=message):
            train(config)
        assert not (tmp_path / "run").exists()


def test_train_library_refuses_an_unknown_box_loss_or_optimizer(small_voc: Path,
                                                                tmp_path: Path) -> None:
    from detector.config import TrainConfig
    from detector.train import train

    for change, message in (({"box_loss": "l2"},
                             "--box-loss must be one of smooth_l1, giou \\(got l2\\)"),
                            ({"optimizer": "rmsprop"},
                             "--optimizer must be one of adam, sgd \\(got rmsprop\\)")):
        with pytest.raises(GestureKitError, match=message):
            train(TrainConfig(root=str(small_voc), out=str(tmp_path / "run"), **change))
        assert not (tmp_path / "run").exists()


def test_train_refuses_train_val_overlap(small_voc: Path, tmp_path: Path, capsys) -> None:
    root = tmp_path / "voc"
    import shutil

    shutil.copytree(small_voc, root)
    shared = (root / "ImageSets/Main/val.txt").read_text().split()[0]
    with (root / "ImageSets/Main/train.txt").open("a") as handle:
        handle.write(f"{shared}\n")
    errors = [str(p) for p in check_dataset(root).errors]
    assert errors == [f"ImageSets/Main/val.txt: 1 id(s) also in train.txt (e.g. {shared}); "
                      "train, val and test must not share images (re-split with gesturekit "
                      "split --force)"]
    assert run_verb("check", [str(root), "--no-plot"]) != 0
    capsys.readouterr()
    line = _refused("train", [str(root), "--out", str(tmp_path / "run"), *TINY_TRAIN],
                    capsys, root)
    assert "1 id(s) are listed in both train.txt and val.txt" in line and shared in line
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_disk_full_snapshot_keeps_earlier_ones_and_moved_run_resumes(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC while epoch 2's snapshot is written: one line, epoch 1 intact, no truncated
    file; the run, copied elsewhere, resumes into the copy and leaves the original alone."""
    import errno
    import shutil

    from sample_voc import build_sample_voc
    from tensorflow import keras

    root = build_sample_voc(tmp_path / "data", videos=3, frames=4)
    run = tmp_path / "run"
    run.mkdir()
    (run / "notes.txt").write_text("the user's own notes")
    real_save = keras.Model.save

    def full_disk(self, filepath, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "epoch_002" in str(filepath):
            Path(filepath).write_bytes(b"\x89HDF\r\n\x1a\n truncated")
            raise OSError(errno.ENOSPC, "No space left on device", str(filepath))
        return real_save(self, filepath, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(keras.Model, "save", full_disk)
        code = run_verb("train", [str(root), "--out", str(run), "--force", *TINY_TRAIN,
                                  "--epochs", "2"])
    out = capsys.readouterr().out
    assert code == 2
    errors = [line for line in out.splitlines() if "error:" in line]
    assert errors == [f"gesturekit train: error: {run / 'snapshots' / 'epoch_002.h5'}: "
                      "cannot write the model (No space left on device)"]
    assert sorted(p.name for p in (run / "snapshots").iterdir()) == ["epoch_001.h5"]
    assert (run / "notes.txt").read_text() == "the user's own notes"

    moved = tmp_path / "moved_run"
    shutil.copytree(run, moved)
    original = tree_digest(run)
    assert run_verb("train", [str(root), "--out", str(moved), "--epochs", "2",
                              "--resume"]) == 0
    assert (moved / "snapshots" / "epoch_002.h5").is_file()
    assert tree_digest(run) == original
    rows = (moved / "metrics.csv").read_text().splitlines()[1:]
    assert [row.split(",")[0] for row in rows] == ["1", "2"]


def test_convert_refuses_a_folder_with_a_model_card(tmp_path: Path, capsys) -> None:
    out = tmp_path / "export"
    out.mkdir()
    (out / "gesturekit.json").write_text('{"model_type": "exported"}')
    snapshot = tmp_path / "epoch_001.h5"
    snapshot.write_bytes(b"not reached")
    line = _refused("convert", [str(snapshot), str(out)], capsys, out, snapshot)
    assert f"{out}: is not empty; pass --force to convert into it" in line


# -- 5. split --group-by that does not group ---------------------------------------------------
def test_split_group_by_must_match_and_capture(tmp_path: Path, capsys) -> None:
    root = tiny_voc(tmp_path / "voc", 12)
    for name in ("train.txt", "val.txt"):
        (root / "ImageSets/Main" / name).unlink()
    before = tree_digest(root)
    line = _refused("split", [str(root), "--val", "0.3", "--group-by", r"^take(\d+)_"],
                    capsys, root)
    assert "matched 0 of the 12 image ids" in line and "frame_" in line
    line = _refused("split", [str(root), "--val", "0.3", "--group-by", r"^frame_\d$"],
                    capsys, root)
    assert "has no capture group" in line
    (root / "Annotations" / "odd_one.xml").write_bytes(
        (root / "Annotations" / "frame_1.xml").read_bytes())
    line = _refused("split", [str(root), "--val", "0.3", "--group-by", r"^frame_(\d)"],
                    capsys, root)
    assert "matched 12 of the 13 image ids" in line and "odd_one" in line
    (root / "Annotations" / "odd_one.xml").unlink()
    assert tree_digest(root) == before


# -- 7, 8: archives and folders from other tools -----------------------------------------------
def _roboflow_zip(tmp_path: Path, extra: dict[str, bytes] | None = None,
                  compression: int = 8) -> Path:
    """A Roboflow-style export (train/ images + XML) zipped, plus ``extra`` members."""
    import zipfile

    voc = tiny_voc(tmp_path / "made", 3)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", compression) as zipped:
        for folder in ("JPEGImages", "Annotations"):
            for path in sorted((voc / folder).iterdir()):
                zipped.write(path, f"train/{path.name}")
        zipped.writestr("README.roboflow.txt", "exported from Roboflow\n")
        for name, data in (extra or {}).items():
            zipped.writestr(name, data)
    return archive


def test_zip_unpacks_only_what_is_imported(tmp_path: Path) -> None:
    from voc_tools.interop.importing import open_source

    archive = _roboflow_zip(tmp_path, {"train/video.bin": bytes(20 * 2 ** 20),
                                       "__MACOSX/train/._frame_1.jpg": b"resource fork"})
    with open_source(archive) as folder:
        unpacked = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                          if p.is_file())
    assert unpacked == sorted([f"train/frame_{i}.{ext}" for i in (1, 2, 3)
                               for ext in ("jpg", "xml")] + ["README.roboflow.txt"])


@pytest.mark.parametrize("case", ["bomb", "cap", "corrupt", "slip"])
def test_hostile_zip_is_one_line_and_writes_nothing(tmp_path: Path, capsys, case: str) -> None:
    import zipfile

    extra = {"bomb": {"train/notes.txt": bytes(16 * 2 ** 20)},
             "cap": {"train/noise.json": os.urandom(3 * 2 ** 20)},
             "slip": {"../../outside.xml": b"<annotation/>"}}.get(case, {})
    archive = _roboflow_zip(tmp_path, extra)
    if case == "corrupt":  # flip bytes inside the first member's deflated data
        with zipfile.ZipFile(archive) as zipped:
            first = zipped.infolist()[0]
        data = bytearray(archive.read_bytes())
        start = first.header_offset + 30 + len(first.filename.encode())
        for offset in range(start + 4, start + 4 + min(40, first.compress_size - 8)):
            data[offset] ^= 0x5A
        archive.write_bytes(bytes(data))
    root = tmp_path / "voc"
    argv = ["import", "roboflow", str(archive), str(root)]
    if case == "cap":
        argv += ["--max-unpacked-mb", "1"]
    line = _refused("voc", argv, capsys, archive)
    assert str(archive) in line
    assert {"bomb": "refused as a zip bomb", "cap": "more than the 1 MB allowed",
            "corrupt": "corrupt or unsupported archive",
            "slip": "would be written outside the export"}[case] in line
    assert not root.exists() and not (tmp_path / "outside.xml").exists()


def test_folder_import_refuses_links_out_of_the_export(tmp_path: Path, capsys) -> None:
    export = tmp_path / "export" / "train"
    voc = tiny_voc(tmp_path / "made", 2)
    export.mkdir(parents=True)
    for path in [*(voc / "JPEGImages").iterdir(), *(voc / "Annotations").iterdir()]:
        (export / path.name).write_bytes(path.read_bytes())
    secret = tmp_path / "secret.jpg"
    secret.write_bytes((voc / "JPEGImages" / "frame_1.jpg").read_bytes())
    (export / "frame_1.jpg").unlink()
    (export / "frame_1.jpg").symlink_to(secret)
    root = tmp_path / "voc"
    for tool in ("roboflow", "cvat"):
        line = _refused("voc", ["import", tool, str(tmp_path / "export"), str(root)], capsys,
                        tmp_path / "export", secret)
        assert "frame_1.jpg: is a symbolic link to" in line and "outside the export" in line
        assert not root.exists()


# -- 8: bytes that are not UTF-8 ---------------------------------------------------------------
@pytest.mark.parametrize("where", ["classes.txt", "ImageSets/Main/val.txt"])
def test_non_utf8_lists_are_one_line(tmp_path: Path, capsys, where: str) -> None:
    root = tiny_voc(tmp_path / "voc", 6)
    with (root / where).open("ab") as handle:
        handle.write(b"caf\xe9\n")
    for verb, argv in (("check", [str(root), "--no-plot"]),
                       ("train", [str(root), "--out", str(tmp_path / "run"), *TINY_TRAIN])):
        before = tree_digest(root)
        code = run_verb(verb, argv)
        out = capsys.readouterr().out
        line = next(l for l in out.splitlines() if "not UTF-8" in l)
        assert code != 0 and where in line and "byte 0xe9 on line" in line, (verb, out)
        if verb != "check":
            assert one_error_line(out) == line
        assert tree_digest(root) == before
    assert not (tmp_path / "run").exists()


def test_non_utf8_csv_and_labelmap_are_one_line(tmp_path: Path, capsys) -> None:
    voc = tiny_voc(tmp_path / "made", 2)
    table = tmp_path / "annotations.csv"
    table.write_bytes(f"{voc}/JPEGImages/frame_1.jpg,1,1,5,5,gr\xe2b\n".encode("latin-1"))
    (tmp_path / "classes.csv").write_text("grab,0\n")
    line = _refused("voc", ["import", "csv", str(table), str(tmp_path / "a")], capsys, table)
    assert "annotations.csv: is not UTF-8 text (byte 0xe2 on line 1)" in line
    (tmp_path / "classes.csv").write_bytes(b"gr\xe2b,0\n")
    table.write_text(f"{voc}/JPEGImages/frame_1.jpg,1,1,5,5,grab\n")
    line = _refused("voc", ["import", "csv", str(table), str(tmp_path / "a")], capsys, table)
    assert "classes.csv: is not UTF-8 text" in line

    export = tmp_path / "cvat"
    (export / "Annotations").mkdir(parents=True)
    (export / "labelmap.txt").write_bytes(b"# label:color_rgb:parts:actions\ngr\xe2b:1,2,3::\n")
    line = _refused("voc", ["import", "cvat", str(export), str(tmp_path / "b")], capsys, export)
    assert "labelmap.txt: is not UTF-8 text" in line


# -- 9: ids with spaces ------------------------------------------------------------------------
def test_ids_with_spaces_are_refused_where_they_enter(tmp_path: Path, capsys) -> None:
    root = tiny_voc(tmp_path / "voc", 6)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "my frame 01.jpg").write_bytes((root / "JPEGImages/frame_1.jpg").read_bytes())
    line = _refused("voc", ["add", str(root), str(incoming)], capsys, root, incoming)
    assert "my frame 01.jpg" in line and "contains whitespace" in line

    # an XML with such a name put there by hand: check says so, split refuses to list it
    (root / "Annotations" / "my frame 01.xml").write_bytes(
        (root / "Annotations" / "frame_1.xml").read_bytes())
    assert any("'my frame 01' contains whitespace" in str(p)
               for p in check_dataset(root).errors)
    line = _refused("split", [str(root), "--val", "0.3", "--force"], capsys, root)
    assert "my frame 01.xml" in line and "contains whitespace" in line
    line = _refused("rename", [str(root / "JPEGImages"), "--prefix", "my frame "], capsys,
                    root)
    assert "bad --prefix" in line


def test_frames_of_a_video_with_spaces_get_one_word_names() -> None:
    from voc_tools.naming import frame_name

    assert frame_name("/videos/my hand\tvideo.mp4", 7) == "my_hand_video_000007.jpg"


# -- 8: testDetector --output without an image extension ---------------------------------------
def test_test_detector_output_needs_an_image_extension(tmp_path: Path, capsys) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("testDetector", REPO / "testDetector.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    voc = tiny_voc(tmp_path / "voc", 1)
    image = voc / "JPEGImages" / "frame_1.jpg"
    before = tree_digest(voc)
    out = tmp_path / "drawn"
    assert module.main(["--model", str(tmp_path / "model.h5"), "--image", str(image),
                        "--output", str(out)]) == 2
    captured = capsys.readouterr()
    assert one_error_line(captured.err) == (f"testDetector: error: {out}: --output needs an "
                                            "image extension (one of .jpg, .jpeg, .png, .bmp)")
    assert not out.exists() and tree_digest(voc) == before


# -- 6: frames of another video with the same name ---------------------------------------------
def _video(path: Path, grey: int, frames: int = 6) -> Path:
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for _ in range(frames):
        writer.write(np.full((48, 64, 3), grey, np.uint8))
    writer.release()
    return path


def test_frames_refuses_another_video_with_the_same_stem(tmp_path: Path, capsys) -> None:
    (tmp_path / "day1").mkdir()
    first = _video(tmp_path / "day1" / "hands.avi", 40)
    out = tmp_path / "frames"
    assert run_verb("frames", [str(first), str(out)]) == 0
    capsys.readouterr()
    (tmp_path / "day2").mkdir()
    second = _video(tmp_path / "day2" / "hands.avi", 200)
    line = _refused("frames", [str(second), str(out)], capsys, out, second)
    assert f"{second}: {out / 'frames_manifest.csv'} already lists hands_000000.jpg" in line
    assert "another video" in line
    # the same video again (even copied elsewhere) is a resume: nothing new, exit 0
    copy = tmp_path / "copy" / "hands.avi"
    copy.parent.mkdir()
    copy.write_bytes(first.read_bytes())
    before = tree_digest(out)
    assert run_verb("frames", [str(copy), str(out)]) == 0
    assert tree_digest(out) == before


def test_frames_reads_a_manifest_written_before_fingerprints(tmp_path: Path, capsys) -> None:
    """A manifest of an older version (no video_fingerprint column): the source path tells
    the same video from another one; appended rows keep the old columns."""
    import csv

    (tmp_path / "day1").mkdir()
    first = _video(tmp_path / "day1" / "hands.avi", 40, frames=6)
    out = tmp_path / "frames"
    assert run_verb("frames", [str(first), str(out), "--every", "2"]) == 0
    manifest = out / "frames_manifest.csv"
    rows = list(csv.reader(manifest.open(encoding="utf-8")))
    assert rows[0][-1] == "video_fingerprint"
    old_rows = [row[:-1] for row in rows[:-1]]  # older columns, and its last frame not yet
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(old_rows)
    (out / rows[-1][0]).unlink()
    assert run_verb("frames", [str(first), str(out), "--every", "2"]) == 0  # resumes
    resumed = list(csv.reader(manifest.open(encoding="utf-8")))
    assert resumed == [row[:-1] for row in rows] and (out / rows[-1][0]).is_file()
    capsys.readouterr()
    (tmp_path / "day2").mkdir()
    second = _video(tmp_path / "day2" / "hands.avi", 200)
    line = _refused("frames", [str(second), str(out)], capsys, out, second)
    assert "another video" in line


# -- 10: smaller -------------------------------------------------------------------------------
@pytest.mark.parametrize("quality", ["0", "101", "-5"])
def test_frames_quality_is_validated(tmp_path: Path, capsys, quality: str) -> None:
    video = _video(tmp_path / "clip.avi", 90)
    line = _refused("frames", [str(video), str(tmp_path / "out"), "--quality", quality],
                    capsys, video)
    assert line.endswith(f"--quality must be between 1 and 100 (got {quality})")
    assert not (tmp_path / "out").exists()


def test_16_bit_images_keep_their_brightness(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from voc_tools.image_io import read_image_bgr

    dim = np.full((4, 4), 257 * 40, np.uint16)  # a dark 16-bit frame: grey 40 of 255
    cv2.imwrite(str(tmp_path / "dim.png"), dim)
    assert read_image_bgr(tmp_path / "dim.png").max() == 40  # not stretched to 255


def test_inverted_box_plots_without_complex_numbers(tmp_path: Path) -> None:
    import warnings

    from hostile import swapped_x

    from voc_tools.check import plot_box_sizes

    root = tiny_voc(tmp_path / "voc", 3)
    swapped_x(root, "frame_2")
    report = check_dataset(root)
    assert any("xmin 7 >= xmax 2" in str(p) for p in report.errors)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's ComplexWarning would fail the test
        assert plot_box_sizes(report, tmp_path / "sizes.png").stat().st_size > 0


def test_real_command_prints_one_line_without_tensorflow_noise(small_voc: Path,
                                                               tmp_path: Path) -> None:
    """`gesturekit train --batch-size 0` in a fresh process: TF is imported, yet stderr
    holds the one error line only (no absl / CUDA / oneDNN start-up lines)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "gesturekit", "train", str(small_voc),
                           "--out", str(tmp_path / "run"), "--batch-size", "0"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "gesturekit train: error: --batch-size must be at least 1 (got 0)"]
    assert not (tmp_path / "run").exists()


def test_evaluate_says_when_it_replaces_an_earlier_report(tmp_path: Path, capsys,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import detector.evaluate as evaluation

    model = tmp_path / "model" / "inference.h5"
    model.parent.mkdir()
    json_path, png_path = evaluation.report_paths(model, "val", None)

    def fake_evaluate(*args, **kwargs):  # type: ignore[no-untyped-def]
        json_path.write_text("{}")
        png_path.write_bytes(b"png")
        return evaluation.EvalResult([], 0.5)

    monkeypatch.setattr(evaluation, "evaluate_model", fake_evaluate)
    argv = [str(model), str(tmp_path / "voc")]
    assert run_verb("evaluate", argv) == 0
    assert f"wrote {json_path}" in capsys.readouterr().out
    assert run_verb("evaluate", argv) == 0
    out = capsys.readouterr().out
    assert f"replaced the earlier {json_path}" in out and f"replaced the earlier {png_path}" in out


def test_hands_python_that_is_not_executable_is_one_line(tmp_path: Path, monkeypatch,
                                                         capsys) -> None:
    from gesturekit.pose.hands import HANDS_PYTHON_ENV

    plain = tmp_path / "python"
    plain.write_text("#!/bin/sh\n")  # exists, but no execute bit
    monkeypatch.setenv(HANDS_PYTHON_ENV, str(plain))
    root = tiny_voc(tmp_path / "voc", 2)
    before = tree_digest(root)
    code = run_verb("prelabel", [str(root), "--hands"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 2 and len(out) == 1
    assert "not an executable Python interpreter" in out[0] and str(plain) in out[0]
    assert tree_digest(root) == before


def _huge_jpeg(path: Path, width: int, height: int) -> Path:
    """A ``width``×``height`` JPEG: an 8×6 colour pattern blown up (fast to write)."""
    import cv2
    import numpy as np

    small = (np.arange(8 * 6 * 3).reshape(6, 8, 3) * 5 % 256).astype(np.uint8)
    cv2.imwrite(str(path), cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST))
    return path


def test_huge_image_decodes_reduced_below_its_full_size(tmp_path: Path) -> None:
    """A 9000×6000 JPEG is decoded at 1/2 (its longer side stays ≥ DECODE_MAX_SIDE): the
    process's peak memory grows by less than the full decoded image (162 MB) would take."""
    image = _huge_jpeg(tmp_path / "pano.jpg", 9000, 6000)
    script = ("import resource, sys; from voc_tools.image_io import read_image_bounded;"
              "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
              "pixels, scale = read_image_bounded(sys.argv[1])[:2];"
              "grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before;"
              "print(pixels.shape[1], pixels.shape[0], scale, grown * 1024)")
    out = subprocess.run([sys.executable, "-c", script, str(image)], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout.split()
    width, height, scale, grown = int(out[0]), int(out[1]), float(out[2]), int(out[3])
    assert (width, height, scale) == (4500, 3000, 0.5)
    assert grown < 9000 * 6000 * 3


def test_huge_image_boxes_come_back_in_original_pixels(tmp_path: Path) -> None:
    from detector.inference import Detections
    from voc_tools.check import inspect_image
    from voc_tools.image_io import decode_reduction, read_image_bounded

    assert [decode_reduction(side, 100) for side in (4096, 8191, 8192, 20000, 80000)] == \
        [1, 1, 2, 4, 8]
    image = _huge_jpeg(tmp_path / "pano.jpg", 16400, 1000)
    pixels, scale, width, height = read_image_bounded(image)
    assert pixels.shape == (250, 4100, 3) and scale == 0.25 and (width, height) == (16400, 1000)
    assert inspect_image(image).width == 16400  # check reads the full size, decodes at 1/8
    import numpy as np

    found = Detections(np.array([[100.0, 10, 4000, 240]], np.float32), np.ones(1, np.float32),
                       np.zeros(1, np.int64), ["grab"])
    assert found.in_original_pixels(scale).records()[0]["box"] == [400.0, 40.0, 16000.0, 960.0]


def test_training_reads_huge_images_reduced_with_matching_boxes(tmp_path: Path) -> None:
    from detector.data import VocGenerator

    root = tiny_voc(tmp_path / "voc", 2, val_every=2)
    _huge_jpeg(root / "JPEGImages" / "frame_1.jpg", 8800, 800)
    xml = root / "Annotations" / "frame_1.xml"
    xml.write_text(xml.read_text().replace("<width>8</width><height>8</height>",
                                           "<width>8800</width><height>800</height>")
                   .replace("<xmax>7</xmax>", "<xmax>8001</xmax>"))
    generator = VocGenerator(root, "train", ["grab"], batch_size=1, shuffle_groups=False)
    assert generator.image_ids == ["frame_1"]
    assert generator.load_image(0).shape == (400, 4400, 3)
    box = generator.load_annotations(0)["bboxes"][0]
    assert box[2] == pytest.approx(8000 / 2) and box[0] == pytest.approx(1 / 2)
