"""gesturekit rename: plan, XML/list edits, collisions, swaps and exact undo."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile import copy_voc, run_verb, tree_digest

from voc_tools.annotation import read_annotation
from voc_tools.errors import GestureKitError
from voc_tools.rename import apply_rename, natural_key, plan_rename, undo_rename


def test_rename_voc_and_undo_is_byte_identical(plums_voc: Path, tmp_path: Path) -> None:
    root = copy_voc(plums_voc, tmp_path / "plums")
    before = tree_digest(root)
    assert run_verb("rename", [str(root / "JPEGImages"), "--prefix", "Plum_",
                               "--digits", "3"]) == 0
    images = sorted(p.name for p in (root / "JPEGImages").glob("*.jpg"))
    assert images == [f"Plum_{i:03d}.jpg" for i in range(1, 16)]
    assert sorted(p.name for p in (root / "Annotations").iterdir()) == [
        f"Plum_{i:03d}.xml" for i in range(1, 16)]
    ann = read_annotation(root / "Annotations" / "Plum_001.xml")
    assert ann.filename == "Plum_001.jpg"
    assert ann.path == "/home/jasper/RetinanetTutorial/PlumsVOC/JPEGImages/Plum_001.jpg"
    # only <filename> and <path> changed: the rest of the labelImg file is byte-stable
    old = (plums_voc / "Annotations" / "Batch1_0001.xml").read_text().splitlines()
    new = (root / "Annotations" / "Plum_001.xml").read_text().splitlines()
    assert [i for i, (a, b) in enumerate(zip(old, new)) if a != b] == [2, 3]
    assert len(old) == len(new)
    # the ImageSets lists follow the new ids
    assert (root / "ImageSets/Main/val.txt").read_text().split()[0].startswith("Plum_")
    manifests = list((root / "JPEGImages").glob("rename-manifest-*.json"))
    assert len(manifests) == 1
    record = json.loads(manifests[0].read_text())
    assert {m["old"] for m in record["moves"]} >= {"Batch1_0001.jpg",
                                                  "../Annotations/Batch1_0001.xml"}
    assert all(len(m["sha256"]) == 64 for m in record["moves"])

    assert run_verb("rename", ["--undo", str(manifests[0])]) == 0
    assert tree_digest(root) == before


def test_dry_run_changes_nothing(plums_voc: Path, tmp_path: Path, capsys) -> None:
    root = copy_voc(plums_voc, tmp_path / "plums")
    before = tree_digest(root)
    assert run_verb("rename", [str(root / "JPEGImages"), "--prefix", "X", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Batch1_0001.jpg -> X0001.jpg" in out and "dry run" in out
    assert tree_digest(root) == before


def test_refuses_collision_before_touching_anything(tmp_path: Path, plums_voc: Path) -> None:
    root = copy_voc(plums_voc, tmp_path / "plums", ids=["Batch1_0001", "Batch1_0002"])
    # an orphan XML (its image was deleted) sits where Batch1_0002.xml would go
    orphan = root / "Annotations" / "P0002.xml"
    orphan.write_text("<annotation>kept by the user</annotation>")
    before = tree_digest(root)
    with pytest.raises(GestureKitError, match="P0002.xml: exists and is not being renamed"):
        plan_rename(root / "JPEGImages", "P")
    assert run_verb("rename", [str(root / "JPEGImages"), "--prefix", "P"]) == 2
    assert tree_digest(root) == before
    # a folder (not an image, so not renamed) holding a target image name
    orphan.unlink()
    (root / "JPEGImages" / "P0001.jpg").mkdir()
    with pytest.raises(GestureKitError, match="P0001.jpg: exists and is not being renamed"):
        plan_rename(root / "JPEGImages", "P")
    assert (root / "JPEGImages" / "Batch1_0001.jpg").is_file()


def test_swap_and_cycle_via_temporary_names(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    # natural order: x2 < x10 < x11; x2 -> x10, x10 -> x11, x11 -> x12: a shifting chain
    contents = {"x2.jpg": b"two", "x10.jpg": b"ten", "x11.jpg": b"eleven"}
    for name, data in contents.items():
        (folder / name).write_bytes(data)
        (folder / name.replace(".jpg", ".xml")).write_text(
            f"<annotation><filename>{name}</filename><path>C:\\data\\{name}</path>"
            "<size><width>1</width><height>1</height></size></annotation>")
    before = tree_digest(folder)
    manifest = apply_rename(plan_rename(folder, "x", start=10, digits=2))
    assert (folder / "x10.jpg").read_bytes() == b"two"
    assert (folder / "x11.jpg").read_bytes() == b"ten"
    assert (folder / "x12.jpg").read_bytes() == b"eleven"
    xml = (folder / "x10.xml").read_text()
    assert "<filename>x10.jpg</filename><path>C:\\data\\x10.jpg</path>" in xml
    assert not list(folder.glob(".gk-*"))
    undo_rename(manifest)
    assert tree_digest(folder) == before


def test_frames_manifest_follows_and_undo_refuses_changed_files(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in (0, 5):
        (folder / f"hands_{i:06d}.jpg").write_bytes(bytes([i]) * 10)
    (folder / "frames_manifest.csv").write_text(
        "frame_file,source_video,frame_index,timestamp_s\n"
        "hands_000000.jpg,hands.mp4,0,0.0\nhands_000005.jpg,hands.mp4,5,0.2\n")
    manifest = apply_rename(plan_rename(folder, "Batch1_"))
    assert (folder / "frames_manifest.csv").read_text().splitlines()[1:] == [
        "Batch1_0001.jpg,hands.mp4,0,0.0", "Batch1_0002.jpg,hands.mp4,5,0.2"]
    (folder / "Batch1_0002.jpg").write_bytes(b"edited after the rename")
    with pytest.raises(GestureKitError, match="changed since the rename"):
        undo_rename(manifest)
    assert (folder / "Batch1_0001.jpg").exists()  # nothing was undone half-way


def test_natural_sort_and_bad_arguments(tmp_path: Path) -> None:
    assert sorted(["img10.jpg", "img2.jpg", "img1.jpg"], key=natural_key) == [
        "img1.jpg", "img2.jpg", "img10.jpg"]
    with pytest.raises(GestureKitError, match="no images"):
        plan_rename(tmp_path, "A")
    for i in range(12):
        (tmp_path / f"{i}.jpg").write_bytes(b"x")
    with pytest.raises(GestureKitError, match="digits"):
        plan_rename(tmp_path, "A", digits=1)
    with pytest.raises(GestureKitError, match="prefix"):
        plan_rename(tmp_path, "../A")
    (tmp_path / "bogus.json").write_text("{}")
    assert run_verb("rename", ["--undo", str(tmp_path / "bogus.json")]) == 2
