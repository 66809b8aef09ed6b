"""gesturekit check: real datasets pass as-is; every hostile copy is caught, one line each."""
from __future__ import annotations

from pathlib import Path

import pytest
from hostile import (box_outside, copy_voc, edit_xml, entity_bomb, external_entity,
                     malformed_xml, remove_image, run_verb, size_mismatch, swapped_x,
                     truncate_jpeg, unknown_class)

from voc_tools.check import ERROR, INFO, WARNING, check_dataset
from voc_tools.classes import write_classes

PLUMS = ["Batch1_0001", "Batch1_0002", "Batch1_0003", "Batch1_0004"]


def messages(report, severity: str = ERROR) -> list[str]:
    return [str(p) for p in report.of(severity)]


@pytest.mark.parametrize("dataset", ["plums_voc", "raccoon_voc"])
def test_real_datasets_have_no_errors(dataset: str, request, tmp_path: Path, capsys) -> None:
    root = request.getfixturevalue(dataset)
    report = check_dataset(root)
    assert report.errors == []
    # no classes.txt in either: one warning that lists the classes found
    assert len(report.warnings) == 1 and "classes.txt: missing" in str(report.warnings[0])
    plot = tmp_path / "sizes.png"
    assert run_verb("check", [str(root), "--plot", str(plot)]) == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "0 error(s)" in capsys.readouterr().out


def test_counts_and_grayscale_depth(raccoon_voc: Path, plums_voc: Path) -> None:
    raccoon = check_dataset(raccoon_voc)
    assert (raccoon.images, raccoon.annotations) == (200, 200)
    assert raccoon.boxes_per_class == {"raccoon": 217}  # incl. 3 grayscale, depth 1
    plums = check_dataset(plums_voc)
    assert plums.boxes_per_class == {"redPlum": 132, "greenPlum": 2}
    assert len(plums.box_sizes) == 134
    assert "redPlum" in str(plums.warnings[0]) and "--classes" in str(plums.warnings[0])


def test_hostile_annotations_are_each_reported(plums_voc: Path, tmp_path: Path) -> None:
    root = copy_voc(plums_voc, tmp_path / "plums", ids=PLUMS)
    write_classes(["redPlum", "greenPlum"], root)
    box_outside(root, "Batch1_0001", 700)
    swapped_x(root, "Batch1_0002")
    unknown_class(root, "Batch1_0003", "yellowPlum")
    size_mismatch(root, "Batch1_0004", 800)
    report = check_dataset(root)
    errors = messages(report)
    assert "Annotations/Batch1_0001.xml: object 1 (redPlum): xmax 700 > image width 640" \
        in errors
    assert "Annotations/Batch1_0002.xml: object 1 (redPlum): xmin 23 >= xmax 1" in errors
    assert ("Annotations/Batch1_0003.xml: object 1 (yellowPlum): class 'yellowPlum' is not "
            "in classes.txt") in errors
    assert ("Annotations/Batch1_0004.xml: <size> 800x480 does not match the image "
            "(640x480)") in errors
    assert len(errors) == 4
    assert report.warnings == []  # classes.txt exists now


@pytest.mark.parametrize("damage,expected", [
    (malformed_xml, "Annotations/Batch1_0002.xml: malformed XML"),
    (entity_bomb, "Annotations/Batch1_0002.xml: unsafe XML refused"),
    (remove_image, "Annotations/Batch1_0002.xml: image JPEGImages/Batch1_0002.jpg is missing"),
    (truncate_jpeg, "JPEGImages/Batch1_0002.jpg: corrupt or truncated image"),
])
def test_broken_files_fail_with_one_line(damage, expected: str, plums_voc: Path,
                                         tmp_path: Path, capsys) -> None:
    root = copy_voc(plums_voc, tmp_path / "plums", ids=PLUMS)
    damage(root, "Batch1_0002")
    errors = messages(check_dataset(root))
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    assert run_verb("check", [str(root), "--no-plot"]) == 1
    out = capsys.readouterr().out
    assert f"error: {expected}" in out


def test_external_entity_is_refused_not_read(plums_voc: Path, tmp_path: Path) -> None:
    root = copy_voc(plums_voc, tmp_path / "plums", ids=PLUMS)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    external_entity(root, "Batch1_0001", secret)
    report = check_dataset(root)
    assert messages(report) == ["Annotations/Batch1_0001.xml: unsafe XML refused "
                                "(DTDForbidden)"]
    assert "TOP-SECRET" not in " ".join(str(p) for p in report.problems)


def test_imagesets_filename_and_unannotated_images(plums_voc: Path, tmp_path: Path) -> None:
    root = copy_voc(plums_voc, tmp_path / "plums", ids=PLUMS)
    (root / "ImageSets/Main/train.txt").write_text("Batch1_0001\nBatch1_0099\n")
    (root / "Annotations/Batch1_0004.xml").unlink()  # image stays: not annotated yet
    xml = root / "Annotations/Batch1_0003.xml"
    xml.write_text(xml.read_text().replace("Batch1_0003.jpg</filename>", "old.jpg</filename>"))
    report = check_dataset(root)
    assert messages(report) == [
        "ImageSets/Main/train.txt: Batch1_0099: no Annotations/Batch1_0099.xml",
        "ImageSets/Main/train.txt: Batch1_0099: no image in JPEGImages"]
    assert messages(report, INFO) == [
        "JPEGImages/Batch1_0004.jpg: no annotation (not annotated yet, or a background "
        "image without XML)"]
    assert any("<filename> old.jpg does not match" in w for w in messages(report, WARNING))
    only_train = check_dataset(root, split="train")
    assert only_train.annotations == 1 and len(only_train.errors) == 2


def test_duplicate_object_and_fractional_or_negative_coordinates(plums_voc: Path,
                                                                  tmp_path: Path) -> None:
    root = copy_voc(plums_voc, tmp_path / "plums", ids=PLUMS)
    write_classes(["redPlum", "greenPlum"], root)
    xml = root / "Annotations/Batch1_0001.xml"
    text = xml.read_text()
    first = text[text.index("<object>"):text.index("</object>") + len("</object>")]
    xml.write_text(text.replace(first, first + "\n" + first, 1))  # the same box twice
    edit_xml(root, "Batch1_0002", r"<xmin>(\d+)</xmin>", r"<xmin>\1.5</xmin>")
    edit_xml(root, "Batch1_0003", r"<ymin>\d+</ymin>", "<ymin>-4</ymin>")
    edit_xml(root, "Batch1_0004", r"<xmin>\d+</xmin>", "<xmin>0</xmin>")
    report = check_dataset(root)
    warnings = messages(report, WARNING)
    assert any(w.startswith("Annotations/Batch1_0001.xml: object 2 (redPlum): duplicate of "
                            "object 1") for w in warnings), warnings
    assert any(w.startswith("Annotations/Batch1_0002.xml: object 1 (redPlum): fractional "
                            "coordinates (xmin ") for w in warnings), warnings
    assert messages(report) == ["Annotations/Batch1_0003.xml: object 1 (redPlum): ymin -4 < 0"]
    assert any(w.startswith("Annotations/Batch1_0004.xml: object 1 (redPlum): xmin 0: VOC "
                            "pixels start at 1") for w in warnings), warnings
