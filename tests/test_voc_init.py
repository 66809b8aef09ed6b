"""gesturekit voc init / add: layout creation, idempotent adds, classes and sources."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hostile import copy_voc, entity_bomb, run_verb, tree_digest

from voc_tools.annotation import read_annotation
from voc_tools.errors import GestureKitError
from voc_tools.voc_init import add_to_voc, init_voc, read_sources


def test_init_creates_missing_parts_and_never_deletes(tmp_path: Path) -> None:
    root = tmp_path / "voc"
    assert run_verb("voc", ["init", str(root), "--classes", "grab", "drop"]) == 0
    for part in ("JPEGImages", "Annotations", "ImageSets/Main"):
        assert (root / part).is_dir()
    assert (root / "classes.txt").read_text() == "grab\ndrop\n"
    (root / "JPEGImages" / "keep.jpg").write_bytes(b"user data")
    again = init_voc(root, ["drop", "point"])
    assert again.created == [] and again.classes_added == ["point"]
    assert (root / "classes.txt").read_text() == "grab\ndrop\npoint\n"
    assert (root / "JPEGImages" / "keep.jpg").read_bytes() == b"user data"
    names = tmp_path / "names.txt"
    names.write_text("wave\n")
    assert run_verb("voc", ["init", str(tmp_path / "v2"), "--classes-file", str(names)]) == 0
    assert (tmp_path / "v2" / "classes.txt").read_text() == "wave\n"
    init_voc(tmp_path / "v3")
    assert (tmp_path / "v3" / "classes.txt").read_text() == ""


def test_add_plums_fixes_headers_appends_classes_and_is_idempotent(
        plums_voc: Path, tmp_path: Path) -> None:
    root = tmp_path / "voc"
    init_voc(root, ["redPlum"])
    result = add_to_voc(root, [plums_voc / "JPEGImages"], progress=False)
    assert len(result.images_added) == len(result.annotations_added) == 15
    assert result.classes_added == ["greenPlum"]
    assert (root / "classes.txt").read_text() == "redPlum\ngreenPlum\n"
    ann = read_annotation(root / "Annotations" / "Batch1_0003.xml")
    assert (ann.folder, ann.filename) == ("JPEGImages", "Batch1_0003.jpg")
    assert ann.path == str((root / "JPEGImages" / "Batch1_0003.jpg").resolve())
    assert (root / "JPEGImages" / "Batch1_0003.jpg").read_bytes() == (
        plums_voc / "JPEGImages" / "Batch1_0003.jpg").read_bytes()
    before = tree_digest(root)
    again = add_to_voc(root, [plums_voc / "JPEGImages"], progress=False)
    assert again.images_added == [] and len(again.unchanged) == 30
    assert tree_digest(root) == before


def test_add_refuses_to_overwrite_a_different_file(
        plums_voc: Path, raccoon_voc: Path, tmp_path: Path) -> None:
    root = tmp_path / "voc"
    init_voc(root)
    add_to_voc(root, [plums_voc / "JPEGImages" / "Batch1_0001.jpg"], progress=False)
    impostor = tmp_path / "in" / "Batch1_0001.jpg"
    impostor.parent.mkdir()
    shutil.copy(raccoon_voc / "JPEGImages" / "raccoon-1.jpg", impostor)
    before = tree_digest(root)
    assert run_verb("voc", ["add", str(root), str(impostor)]) == 2
    assert tree_digest(root) == before


def test_add_frames_records_sources_and_moves(tmp_path: Path, raccoon_voc: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for name in ("hands_000000.jpg", "hands_000005.jpg"):
        shutil.copy(raccoon_voc / "JPEGImages" / "raccoon-1.jpg", frames / name)
    (frames / "frames_manifest.csv").write_text(
        "frame_file,source_video,frame_index,timestamp_s\n"
        "hands_000000.jpg,videos/hands.mp4,0,0.0\nhands_000005.jpg,videos/hands.mp4,5,0.2\n")
    xml_dir = tmp_path / "labels"
    xml_dir.mkdir()
    shutil.copy(raccoon_voc / "Annotations" / "raccoon-1.xml", xml_dir / "hands_000005.xml")
    root = tmp_path / "voc"
    init_voc(root)
    assert run_verb("voc", ["add", str(root), str(frames), "--annotations", str(xml_dir),
                            "--move"]) == 0
    assert read_sources(root) == {"hands_000000": "videos/hands.mp4",
                                  "hands_000005": "videos/hands.mp4"}
    assert not (frames / "hands_000000.jpg").exists()
    assert not (xml_dir / "hands_000005.xml").exists()
    assert read_annotation(root / "Annotations" / "hands_000005.xml").filename == \
        "hands_000005.jpg"
    assert (root / "classes.txt").read_text() == "raccoon\n"


def test_add_rejects_unsafe_xml_and_non_images(plums_voc: Path, tmp_path: Path) -> None:
    source = copy_voc(plums_voc, tmp_path / "src")
    entity_bomb(source, "Batch1_0002")
    root = tmp_path / "voc"
    init_voc(root)
    with pytest.raises(GestureKitError, match="Batch1_0002.xml: unsafe XML"):
        add_to_voc(root, [source / "JPEGImages"], progress=False)
    assert list((root / "JPEGImages").iterdir()) == []  # checked before copying anything
    with pytest.raises(GestureKitError, match="not an image"):
        add_to_voc(root, [source / "SOURCE.md"], progress=False)
    with pytest.raises(GestureKitError, match="not a VOC root"):
        add_to_voc(tmp_path / "nothing", [source / "JPEGImages"], progress=False)
