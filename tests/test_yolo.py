"""voc import/export yolo: the Ultralytics and Roboflow layouts, lossless VOC -> YOLO -> VOC,
one line per bad input, class maps, the capture-group rule, and both real shared sets."""
from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import shared_path
from hostile import run_verb, tree_digest
from test_interop import EMPTY_IDS, boxes_of, lists_of, sample_root  # noqa: F401 (fixture)

from voc_tools.check import check_dataset
from voc_tools.errors import GestureKitError
from voc_tools.grouping import capture_group
from voc_tools.interop import export_yolo, import_yolo, parse_class_map
from voc_tools.layout import VocLayout
from voc_tools.split import image_groups, split_dataset
from voc_tools.voc_init import read_sources


def write_yolo(out: Path, labels: dict[str, str], names: str = "names: [grab, drop]\n",
               image: Path | None = None) -> Path:
    """A YOLO export: ``labels`` maps ``subset/labels/x.txt`` to its text; with ``image``,
    ``subset/images/x.jpg`` is a copy of it."""
    out.mkdir(parents=True)
    (out / "data.yaml").write_text(names)
    for rel, text in labels.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if image is not None:
            (path.parent.parent / "images").mkdir(exist_ok=True)
            shutil.copy(image, path.parent.parent / "images" / f"{path.stem}.jpg")
    return out


def a_frame(sample_root: Path) -> Path:
    return sorted(VocLayout(sample_root).images.glob("*.jpg"))[0]  # 320x240


# --- round trips ---------------------------------------------------------------------------

def test_voc_to_yolo_to_voc_is_lossless(sample_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "yolo"
    assert run_verb("voc", ["export", "yolo", str(sample_root), str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["data.yaml", "train", "valid"]
    assert (out / "train" / "labels" / f"{EMPTY_IDS[0]}.txt").read_text() == ""
    back = tmp_path / "voc"
    assert run_verb("voc", ["import", "yolo", str(out), str(back)]) == 0
    assert boxes_of(back) == boxes_of(sample_root)
    assert lists_of(back) == lists_of(sample_root)
    assert (back / "classes.txt").read_text() == (sample_root / "classes.txt").read_text()
    assert check_dataset(back).ok
    before = tree_digest(out)
    assert run_verb("voc", ["export", "yolo", str(sample_root), str(out)]) == 0  # identical
    assert tree_digest(out) == before


def test_raccoon_round_trip_with_grayscale_and_mixed_sizes(raccoon_voc: Path,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "yolo"
    report = export_yolo(raccoon_voc, out, progress=False)
    assert report.images == 200 and not report.skipped
    back = tmp_path / "voc"
    report = import_yolo(out, back, progress=False)
    assert report.images == 200 and report.boxes == 217 and not report.skipped
    assert boxes_of(back) == boxes_of(raccoon_voc)
    assert lists_of(back)["test"] == lists_of(raccoon_voc)["test"]


def test_export_refuses_to_overwrite_a_different_file(sample_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "yolo"
    export_yolo(sample_root, out, progress=False)
    label = next((out / "train" / "labels").glob("*_*.txt"))
    label.write_text("0 0.5 0.5 0.2 0.2\n")
    with pytest.raises(GestureKitError, match="refusing to overwrite"):
        export_yolo(sample_root, out, progress=False)
    assert label.read_text() == "0 0.5 0.5 0.2 0.2\n"
    export_yolo(sample_root, out, force=True, progress=False)
    assert label.read_text() != "0 0.5 0.5 0.2 0.2\n"


# --- layouts -------------------------------------------------------------------------------

def test_images_labels_with_split_subfolders_and_names_mapping(sample_root: Path,
                                                               tmp_path: Path) -> None:
    image = a_frame(sample_root)
    src = write_yolo(tmp_path / "ul", {"labels/train/f1.txt": "1 0.5 0.5 0.25 0.5\n",
                                       "labels/val/f2.txt": "0 0.25 0.25 0.5 0.5\n"},
                     names="names:\n  0: grab\n  1: drop\n", image=None)
    for rel in ("images/train/f1.jpg", "images/val/f2.jpg"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(image, src / rel)
    root = tmp_path / "voc"
    report = import_yolo(src, root, progress=False)
    assert not report.skipped and report.splits == {"train": 1, "val": 1}
    # 320x240: cx 0.5 w 0.25 -> x 120..200 (0-based) -> VOC 121..201; y 60..180 -> 61..181
    assert boxes_of(root)["f1"] == (320, 240, [("drop", 121, 61, 201, 181)])
    assert boxes_of(root)["f2"] == (320, 240, [("grab", 1, 1, 161, 121)])


def test_flat_layout_zip_and_polygon_labels(sample_root: Path, tmp_path: Path) -> None:
    image = a_frame(sample_root)
    src = tmp_path / "flat"
    (src / "images").mkdir(parents=True)
    (src / "labels").mkdir()
    (src / "classes.txt").write_text("grab\ndrop\n")
    shutil.copy(image, src / "images" / "p.jpg")
    (src / "labels" / "p.txt").write_text("0 0.25 0.25 0.75 0.25 0.75 0.75 0.25 0.75\n")
    archive = tmp_path / "flat.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in src.rglob("*"):
            zf.write(path, Path("export") / path.relative_to(src))
    root = tmp_path / "voc"
    report = import_yolo(archive, root, progress=False)
    assert not report.skipped and not report.splits
    assert boxes_of(root)["p"] == (320, 240, [("grab", 81, 61, 241, 181)])


def test_roboflow_names_restored_and_never_colliding(sample_root: Path, tmp_path: Path) -> None:
    files = {"train/labels/frame_12_jpg.rf.aaaaaaaaaa11.txt": "0 0.5 0.5 0.2 0.2\n",
             "train/labels/frame_12_jpg.rf.bbbbbbbbbb22.txt": "1 0.5 0.5 0.2 0.2\n",
             "valid/labels/frame_40_jpg.rf.cccccccccc33.txt": "1 0.5 0.5 0.2 0.2\n"}
    src = write_yolo(tmp_path / "rf", files, image=a_frame(sample_root))
    root = tmp_path / "voc"
    import_yolo(src, root, progress=False)
    assert sorted(boxes_of(root)) == ["frame_12_rfaaaaaaaa", "frame_12_rfbbbbbbbb", "frame_40"]
    assert lists_of(root)["val"] == ["frame_40"]
    assert read_sources(root) == {"frame_12_rfaaaaaaaa": "frame#0",
                                  "frame_12_rfbbbbbbbb": "frame#0", "frame_40": "frame#1"}


# --- bad input -----------------------------------------------------------------------------

def test_bad_label_files_are_one_line_each_and_the_rest_imports(sample_root: Path,
                                                                 tmp_path: Path) -> None:
    files = {"train/labels/good.txt": "0 0.5 0.5 0.2 0.2\n",
             "train/labels/empty.txt": "",
             "train/labels/orphan.txt": "0 0.5 0.5 0.2 0.2\n",
             "train/labels/badclass.txt": "7 0.5 0.5 0.2 0.2\n",
             "train/labels/outside.txt": "0 1.2 0.5 0.2 0.2\n",
             "train/labels/degenerate.txt": "1 0.5 0.5 0 0.2\n",
             "train/labels/words.txt": "grab 0.5 0.5 0.2 0.2\n",
             "train/labels/short.txt": "0 0.5 0.5\n"}
    src = write_yolo(tmp_path / "bad", files, image=a_frame(sample_root))
    (src / "train" / "labels" / "latin1.txt").write_bytes(b"0 0.5 0.5 0.2 0.2 \xe9\n")
    shutil.copy(a_frame(sample_root), src / "train" / "images" / "latin1.jpg")
    shutil.copy(a_frame(sample_root), src / "train" / "images" / "unlabelled.jpg")
    (src / "train" / "images" / "orphan.jpg").unlink()
    root = tmp_path / "voc"
    before = tree_digest(src)
    report = import_yolo(src, root, progress=False)
    assert sorted(boxes_of(root)) == ["empty", "good"]
    assert boxes_of(root)["empty"] == (320, 240, [])  # an empty label file = a negative
    lines = {line.split(":")[0]: line for line in report.skipped}
    expected = {"orphan": "no image with this name", "badclass": "class id 7 is outside names",
                "outside": "outside 0..1", "degenerate": "degenerate box",
                "words": "not numbers", "short": "expected 'class cx cy w h'",
                "latin1": "cannot read the label file"}
    for stem, text in expected.items():
        assert text in lines[f"train/labels/{stem}.txt"], lines
    assert any(line.startswith("train/images/unlabelled.jpg: no label file")
               for line in report.skipped)
    assert len(report.skipped) == len(expected) + 1
    assert all("\n" not in line for line in report.skipped)
    assert tree_digest(src) == before
    assert check_dataset(root).ok
    assert run_verb("voc", ["import", "yolo", str(src), str(tmp_path / "voc2")]) == 1


def test_not_a_yolo_export_and_bad_data_yaml_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(GestureKitError, match="no data.yaml"):
        import_yolo(tmp_path / "empty", tmp_path / "voc", progress=False)
    (tmp_path / "empty" / "data.yaml").write_text("names: [a, b\n")
    with pytest.raises(GestureKitError, match="not valid YAML"):
        import_yolo(tmp_path / "empty", tmp_path / "voc", progress=False)
    (tmp_path / "empty" / "data.yaml").write_text("names: {0: a, 2: b}\n")
    with pytest.raises(GestureKitError, match="without gaps"):
        import_yolo(tmp_path / "empty", tmp_path / "voc", progress=False)
    assert run_verb("voc", ["import", "yolo", str(tmp_path / "nowhere"), str(tmp_path / "v")]) == 2


def test_a_symlink_out_of_the_export_is_not_followed(sample_root: Path, tmp_path: Path) -> None:
    src = write_yolo(tmp_path / "ln", {"train/labels/in.txt": "0 0.5 0.5 0.2 0.2\n"},
                     image=a_frame(sample_root))
    secret = tmp_path / "outside.txt"
    secret.write_text("0 0.5 0.5 0.2 0.2\n")
    os.symlink(secret, src / "train" / "labels" / "leak.txt")
    shutil.copy(a_frame(sample_root), src / "train" / "images" / "leak.jpg")
    report = import_yolo(src, tmp_path / "voc", progress=False)
    assert sorted(boxes_of(tmp_path / "voc")) == ["in"]
    assert any("leak.txt: a link out of the export" in line for line in report.skipped)


# --- class map -----------------------------------------------------------------------------

def test_class_map_renames_and_merges(sample_root: Path, tmp_path: Path) -> None:
    files = {"train/labels/a.txt": "0 0.5 0.5 0.2 0.2\n1 0.2 0.2 0.1 0.1\n"}
    src = write_yolo(tmp_path / "cm", files, image=a_frame(sample_root))
    root = tmp_path / "hand"
    report = import_yolo(src, root, parse_class_map("*=hand"), progress=False)
    assert (root / "classes.txt").read_text() == "hand\n"
    assert [b[0] for b in boxes_of(root)["a"][2]] == ["hand", "hand"]
    assert any("merged into 'hand'" in hint for hint in report.hints)
    import_yolo(src, tmp_path / "renamed", parse_class_map("grab=fist"), progress=False)
    assert (tmp_path / "renamed" / "classes.txt").read_text() == "fist\ndrop\n"
    with pytest.raises(GestureKitError, match="not in the export's classes"):
        import_yolo(src, tmp_path / "x", parse_class_map("nope=hand"), progress=False)
    with pytest.raises(GestureKitError, match="--class-map"):
        parse_class_map("grab")


# --- capture groups ------------------------------------------------------------------------

@pytest.mark.parametrize("name, group", [
    ("IMG-20230312-WA0065", "IMG-20230312"),
    ("Screenshot-2023-03-14-213428", "Screenshot-20230314"),
    ("VID_20240101_120000_017", "VID-20240101"), ("20230312213428", "20230312"),
    ("a_100", "a#4"), ("a_124", "a#4"), ("a_125", "a#5"), ("when_11", "when#0"),
    ("frame000031", "frame#1"), ("7", "#0"), ("raccoon", "raccoon"),
])
def test_capture_group_rule(name: str, group: str) -> None:
    assert capture_group(name) == group


def test_frame_block_option_and_split_keeps_groups_whole(sample_root: Path,
                                                         tmp_path: Path) -> None:
    files = {f"train/labels/a_{n}_jpg.rf.{n:012d}.txt": f"{n % 2} 0.5 0.5 0.2 0.2\n"
             for n in range(40)}
    src = write_yolo(tmp_path / "blocks", files, image=a_frame(sample_root))
    root = tmp_path / "voc"
    assert run_verb("voc", ["import", "yolo", str(src), str(root), "--frame-block", "10"]) == 0
    sources = read_sources(root)
    assert sources["a_9"] == "a#0" and sources["a_10"] == "a#1" and len(set(sources.values())) == 4
    result = split_dataset(root, val=0.25, seed=0)
    groups = image_groups(root, list(result.assignment))
    sides: dict[str, set] = {}
    for image_id, subset in result.assignment.items():
        sides.setdefault(groups[image_id], set()).add(subset)
    assert all(len(s) == 1 for s in sides.values()) and len(sides) == 4


# --- the real shared sets ------------------------------------------------------------------

def _label_counts(export: Path) -> tuple[int, int]:
    labels = list(export.glob("*/labels/*.txt"))
    boxes = sum(1 for path in labels for line in path.read_text().splitlines() if line.strip())
    return len(labels), boxes


@pytest.mark.parametrize("name, classes, skipped", [
    ("fingers-roboflow-yolo", 5, 0),
    # one rf100 label (a_150) holds only a 0.14 x 0.35 px box: reported, image left out
    ("rf100-hand-gestures-yolo", 14, 1),
])
def test_shared_yolo_sets_import_and_check(name: str, classes: int, skipped: int,
                                           tmp_path: Path) -> None:
    export = shared_path("data", name)
    root = tmp_path / name
    report = import_yolo(export, root, progress=False)
    images, boxes = _label_counts(export)
    assert len(report.skipped) == skipped
    assert report.images == images - skipped and report.boxes == boxes - skipped
    assert len(report.classes) == classes
    check = check_dataset(root)
    assert check.ok and not check.errors
    assert len(set(read_sources(root).values())) >= 4
    assert (root / "README.dataset.txt").is_file()  # the licence travels with the data
