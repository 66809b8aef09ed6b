"""voc import/export: keras-retinanet CSV and COCO round trips, CVAT and Roboflow imports,
bad inputs reported instead of crashing, and a tiny training run on an imported root."""
from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hostile import copy_voc, run_verb, tree_digest

from sample_voc import build_sample_voc
from voc_tools.annotation import Annotation, read_annotation, write_annotation
from voc_tools.check import check_dataset
from voc_tools.classes import write_classes
from voc_tools.interop import (export_coco, export_csv, import_csv, import_cvat,
                               import_roboflow)
from voc_tools.layout import VocLayout
from voc_tools.voc_init import init_voc

EMPTY_IDS = ("empty_000000", "empty_000001", "empty_000002")
RACCOON_IDS = [f"raccoon-{n}" for n in (1, 10, 11, 150, 152, 161, 17, 105, 146, 200)]


def boxes_of(root: Path) -> dict[str, tuple]:
    """``image id -> (width, height, sorted boxes)`` of every XML of a VOC root."""
    layout = VocLayout(root)
    result = {}
    for image_id in layout.annotated_ids():
        ann = read_annotation(layout.annotation_path(image_id))
        result[image_id] = (ann.width, ann.height, sorted(
            (b.name, b.xmin, b.ymin, b.xmax, b.ymax) for b in ann.boxes))
    return result


def lists_of(root: Path) -> dict[str, list[str]]:
    layout = VocLayout(root)
    return {p.stem: sorted(layout.read_split(p.stem)) for p in layout.imagesets.glob("*.txt")}


@pytest.fixture(scope="module")
def sample_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic sample (grab/drop, train/val lists) plus three images without objects."""
    root = build_sample_voc(tmp_path_factory.mktemp("sample"), videos=3, frames=4)
    layout = VocLayout(root)
    frames = sorted(layout.images.glob("*.jpg"))
    for image_id, frame in zip(EMPTY_IDS, frames):
        shutil.copy(frame, layout.images / f"{image_id}.jpg")
        write_annotation(Annotation(f"{image_id}.jpg", 320, 240), layout.annotation_path(image_id))
    for split in ("train", "trainval"):
        with layout.split_path(split).open("a") as handle:
            handle.writelines(f"{i}\n" for i in EMPTY_IDS)
    assert check_dataset(root).ok
    return root


@pytest.fixture
def raccoon_subset(raccoon_voc: Path, tmp_path: Path) -> Path:
    """Ten raccoon images (three grayscale JPEGs among them), classes.txt, one split."""
    root = copy_voc(raccoon_voc, tmp_path / "raccoon", RACCOON_IDS)
    write_classes(["raccoon"], root / "classes.txt")
    (root / "ImageSets/Main/train.txt").write_text("".join(f"{i}\n" for i in RACCOON_IDS))
    return root


def assert_same_dataset(source: Path, imported: Path) -> None:
    assert boxes_of(imported) == boxes_of(source)
    assert (imported / "classes.txt").read_text() == (source / "classes.txt").read_text()
    for image_id in boxes_of(source):
        assert VocLayout(imported).image_path(image_id).read_bytes() == \
            VocLayout(source).image_path(image_id).read_bytes()
    assert check_dataset(imported).ok


# --- keras-retinanet CSV -------------------------------------------------------------------

def test_csv_round_trip_keeps_boxes_sizes_classes_splits_and_empty_images(
        sample_root: Path, tmp_path: Path) -> None:
    out, root = tmp_path / "csv", tmp_path / "voc"
    for split in ("train", "val"):
        report = export_csv(sample_root, out / f"{split}.csv", split, progress=False)
        assert not report.skipped and not report.fixed
    rows = (out / "train.csv").read_text().splitlines()
    assert "../sample/voc" not in rows[0] and rows[0].startswith("../")  # relative to out/
    assert sum(1 for r in rows if r.endswith(",,,,,")) == len(EMPTY_IDS)
    assert (out / "classes.csv").read_text() == "grab,0\ndrop,1\n"
    for split in ("train", "val"):
        report = import_csv(out / f"{split}.csv", root, split=split, progress=False)
        assert not report.skipped and not report.fixed
    assert_same_dataset(sample_root, root)
    assert lists_of(root) == lists_of(sample_root)
    for image_id in EMPTY_IDS:
        assert read_annotation(root / "Annotations" / f"{image_id}.xml").boxes == []
    # importing again changes nothing: every file is identical
    before = tree_digest(root)
    again = import_csv(out / "train.csv", root, split="train", progress=False)
    assert again.unchanged == again.images > 0 and tree_digest(root) == before


def test_csv_pixels_are_what_the_kit_trains_on_read_by_keras_retinanet(
        sample_root: Path, raccoon_subset: Path, tmp_path: Path) -> None:
    from detector import compat  # noqa: F401  (legacy Keras before TensorFlow)
    from detector.ground_truth import read_ground_truth
    from keras_retinanet.preprocessing.csv_generator import CSVGenerator

    for root in (sample_root, raccoon_subset):
        out = tmp_path / root.name / "all.csv"
        export_csv(root, out, progress=False)
        generator = CSVGenerator(str(out), str(out.parent / "classes.csv"), batch_size=1,
                                 shuffle_groups=False)
        layout = VocLayout(root)
        classes = (root / "classes.txt").read_text().split()
        assert generator.size() == len(layout.annotated_ids())
        for index in range(generator.size()):
            image_id = Path(generator.image_names[index]).stem
            truth = read_ground_truth(layout, image_id, classes)
            loaded = generator.load_annotations(index)
            assert np.array_equal(loaded["bboxes"], truth.boxes), image_id
            assert np.array_equal(loaded["labels"], truth.labels), image_id
            assert generator.image_aspect_ratio(index) == truth.width / truth.height


def test_csv_and_coco_round_trips_on_real_datasets(
        raccoon_subset: Path, plums_voc: Path, tmp_path: Path) -> None:
    plums = copy_voc(plums_voc, tmp_path / "plums")
    write_classes(["redPlum", "greenPlum"], plums / "classes.txt")
    for source in (raccoon_subset, plums):
        out = tmp_path / f"{source.name}-csv" / "annotations.csv"
        export_csv(source, out, progress=False)
        imported = tmp_path / f"{source.name}-imported"
        report = import_csv(out, imported, progress=False)
        assert not report.skipped and not report.fixed
        assert_same_dataset(source, imported)
        assert coco_as_voc(export_coco_json(source, tmp_path)) == boxes_of(source)
    grayscale = read_annotation(tmp_path / "raccoon-imported/Annotations/raccoon-150.xml")
    assert grayscale.depth == 1


# --- COCO ----------------------------------------------------------------------------------

def export_coco_json(root: Path, tmp_path: Path, split: str | None = None) -> dict:
    out = tmp_path / f"{root.name}-{split}.json"
    report = export_coco(root, out, split, progress=False)
    assert not report.skipped
    return json.loads(out.read_text())


def coco_as_voc(document: dict) -> dict[str, tuple]:
    """COCO back to ``boxes_of`` form: xmin = x + 1, xmax = x + w + 1 (the kit's offset)."""
    names = {c["id"]: c["name"] for c in document["categories"]}
    images = {i["id"]: i for i in document["images"]}
    result = {Path(i["file_name"]).stem: (i["width"], i["height"], []) for i in images.values()}
    for ann in document["annotations"]:
        x, y, w, h = ann["bbox"]
        result[Path(images[ann["image_id"]]["file_name"]).stem][2].append(
            (names[ann["category_id"]], x + 1, y + 1, x + w + 1, y + h + 1))
    return {k: (w, h, sorted(b)) for k, (w, h, b) in result.items()}


def test_coco_export_structure_and_round_trip(sample_root: Path, tmp_path: Path) -> None:
    document = export_coco_json(sample_root, tmp_path)
    assert document["categories"] == [{"id": 1, "name": "grab", "supercategory": ""},
                                      {"id": 2, "name": "drop", "supercategory": ""}]
    assert [i["id"] for i in document["images"]] == list(range(1, len(document["images"]) + 1))
    for ann in document["annotations"]:
        x, y, w, h = ann["bbox"]
        assert ann["area"] == w * h and ann["iscrowd"] == 0 and x >= 0 and y >= 0
    for image in document["images"]:
        assert (sample_root / "JPEGImages" / image["file_name"]).is_file()
    assert coco_as_voc(document) == boxes_of(sample_root)
    assert all(not coco_as_voc(document)[i][2] for i in EMPTY_IDS)
    val = export_coco_json(sample_root, tmp_path, "val")
    assert sorted(Path(i["file_name"]).stem for i in val["images"]) == \
        sorted(VocLayout(sample_root).read_split("val"))


# --- CVAT ----------------------------------------------------------------------------------

CVAT_OBJECT = """  <object>
    <name>{name}</name>
    <truncated>0</truncated>
    <occluded>0</occluded>
    <difficult>0</difficult>
    <bndbox>
      <xmin>{xmin}</xmin>
      <ymin>{ymin}</ymin>
      <xmax>{xmax}</xmax>
      <ymax>{ymax}</ymax>
    </bndbox>
    <attributes>
      <attribute>
        <name>hand</name>
        <value>left</value>
      </attribute>
    </attributes>
  </object>
"""


def cvat_xml(image_id: str, ann: Annotation, shift: float = 0.0) -> str:
    """An XML as Datumaro writes it for CVAT: fractional corners, empty <depth>."""
    objects = "".join(CVAT_OBJECT.format(
        name=b.name, xmin=float(b.xmin) + shift, ymin=float(b.ymin) - shift,
        xmax=float(b.xmax) + shift, ymax=float(b.ymax)) for b in ann.boxes)
    return (f"<annotation>\n  <folder>{image_id.split('_')[0]}</folder>\n"
            f"  <filename>{image_id}.jpg</filename>\n  <source>\n"
            "    <database>Unknown</database>\n    <annotation>Unknown</annotation>\n"
            "    <image>Unknown</image>\n  </source>\n  <size>\n"
            f"    <width>{ann.width}</width>\n    <height>{ann.height}</height>\n"
            f"    <depth></depth>\n  </size>\n  <segmented>0</segmented>\n{objects}</annotation>\n")


def make_cvat_export(root: Path, out: Path, with_images: bool = True) -> Path:
    """A CVAT 'PASCAL VOC 1.1' export of ``root``: one 'default' subset, per-class lists,
    labelmap.txt with background; corners shifted by a fraction of a pixel."""
    layout = VocLayout(root)
    classes = (root / "classes.txt").read_text().split()
    ids = layout.annotated_ids()
    for folder in ("Annotations", "ImageSets/Main", "ImageSets/Segmentation",
                   "SegmentationClass", "SegmentationObject"):
        (out / folder).mkdir(parents=True)
    names_of = {}
    for image_id in ids:
        ann = read_annotation(layout.annotation_path(image_id))
        names_of[image_id] = {b.name for b in ann.boxes}
        (out / "Annotations" / f"{image_id}.xml").write_text(cvat_xml(image_id, ann, 0.3))
        if with_images:
            (out / "JPEGImages").mkdir(exist_ok=True)
            shutil.copy(layout.image_path(image_id), out / "JPEGImages" / f"{image_id}.jpg")
    (out / "ImageSets/Main/default.txt").write_text("".join(f"{i}\n" for i in ids))
    for name in classes:
        (out / f"ImageSets/Main/{name}_default.txt").write_text("".join(
            f"{i} {' 1' if name in names_of[i] else '-1'}\n" for i in ids if names_of[i]))
    (out / "labelmap.txt").write_text(
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\n"
        + "".join(f"{name}:{40 * n},128,{255 - 40 * n}::\n" for n, name in enumerate(classes, 1)))
    return out


def test_cvat_export_imports_with_the_same_boxes(sample_root: Path, tmp_path: Path) -> None:
    export = make_cvat_export(sample_root, tmp_path / "cvat")
    root = tmp_path / "voc"
    report = import_cvat(export, root, progress=False)
    assert report.images == len(boxes_of(sample_root)) and not report.skipped
    assert report.empty == len(EMPTY_IDS) and report.classes == ["grab", "drop"]
    assert not report.fixed  # CVAT's sub-pixel corners: one note, not a line per file
    assert f"{3 * report.boxes} fractional coordinate(s) rounded to whole pixels (CVAT " \
           "writes sub-pixel corners, labelImg whole ones)" in report.hints
    assert any("default" in hint for hint in report.hints)  # no train/val meaning
    assert_same_dataset(sample_root, root)
    assert lists_of(root) == {}  # 'default' is no split: the user runs gesturekit split
    # the .zip CVAT hands out imports the same way (all files identical now)
    archive = tmp_path / "task.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in export.rglob("*"):
            zipped.write(path, path.relative_to(export))
    again = import_cvat(archive, root, progress=False)
    assert again.unchanged == again.images == report.images


def test_cvat_export_without_images_names_each_missing_one(
        sample_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    export = make_cvat_export(sample_root, tmp_path / "cvat", with_images=False)
    root = tmp_path / "voc"
    assert run_verb("voc", ["import", "cvat", str(export), str(root)]) == 1
    out = capsys.readouterr().out
    ids = VocLayout(sample_root).annotated_ids()
    for image_id in ids:
        assert f"skipped: Annotations/{image_id}.xml: image {image_id}.jpg is not in the " \
               "export" in out
    assert f"{len(ids)} of {len(ids)} image(s) are not in the export" in out
    assert "--images DIR" in out and not list((root / "Annotations").iterdir())
    assert run_verb("voc", ["import", "cvat", str(export), str(root), "--images",
                            str(sample_root / "JPEGImages")]) == 0
    assert boxes_of(root) == boxes_of(sample_root)


# --- Roboflow ------------------------------------------------------------------------------

def roboflow_xml(name: str, ann: Annotation) -> str:
    objects = "".join(
        f"\t<object>\n\t\t<name>{b.name}</name>\n\t\t<pose>Unspecified</pose>\n"
        "\t\t<truncated>0</truncated>\n\t\t<difficult>0</difficult>\n\t\t<occluded>0</occluded>\n"
        f"\t\t<bndbox>\n\t\t\t<xmin>{b.xmin:g}</xmin>\n\t\t\t<xmax>{b.xmax:g}</xmax>\n"
        f"\t\t\t<ymin>{b.ymin:g}</ymin>\n\t\t\t<ymax>{b.ymax:g}</ymax>\n\t\t</bndbox>\n"
        "\t</object>\n" for b in ann.boxes)
    return (f"<annotation>\n\t<folder></folder>\n\t<filename>{name}</filename>\n"
            f"\t<path>{name}</path>\n\t<source>\n\t\t<database>roboflow.com</database>\n"
            f"\t</source>\n\t<size>\n\t\t<width>{ann.width}</width>\n"
            f"\t\t<height>{ann.height}</height>\n\t\t<depth>3</depth>\n\t</size>\n"
            f"\t<segmented>0</segmented>\n{objects}</annotation>\n")


def roboflow_name(image_id: str, salt: str = "") -> str:
    return f"{image_id}_jpg.rf.{hashlib.md5((image_id + salt).encode()).hexdigest()}"


def make_roboflow_export(root: Path, out: Path, augmented: str | None = None) -> Path:
    """A Roboflow 'Pascal VOC' export of ``root``: train/ and valid/ from its lists (one
    val image moved to test/), renamed files, README.roboflow.txt; ``augmented`` gets a
    second copy under another hash in train/."""
    layout = VocLayout(root)
    val = layout.read_split("val")
    folders = {"train": layout.read_split("train"), "valid": val[1:], "test": val[:1]}
    for folder, ids in folders.items():
        (out / folder).mkdir(parents=True)
        copies = [(i, "") for i in ids] + ([(augmented, "aug")] if augmented in ids else [])
        for image_id, salt in copies:
            name = roboflow_name(image_id, salt)
            shutil.copy(layout.image_path(image_id), out / folder / f"{name}.jpg")
            ann = read_annotation(layout.annotation_path(image_id))
            (out / folder / f"{name}.xml").write_text(roboflow_xml(f"{name}.jpg", ann))
    (out / "README.roboflow.txt").write_text("Exported via roboflow.com\nLicense: CC BY 4.0\n")
    return out


def test_roboflow_export_imports_with_original_names_and_splits(
        sample_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    layout = VocLayout(sample_root)
    augmented = layout.read_split("train")[0]
    export = make_roboflow_export(sample_root, tmp_path / "rf", augmented)
    root = tmp_path / "voc"
    assert run_verb("voc", ["import", "roboflow", str(export), str(root)]) == 0
    out = capsys.readouterr().out
    assert check_dataset(root).ok
    val = layout.read_split("val")
    copies = [f"{augmented}_rf{roboflow_name(augmented, s).split('.rf.')[1][:8]}"
              for s in ("", "aug")]
    train = sorted(set(layout.read_split("train")) - {augmented}) + copies
    assert f"ImageSets/Main: test 1, train {len(train)}, val {len(val) - 1}\n" in out
    assert "skipped" not in out and "note: 2 image(s) share an original name" in out
    assert f"note: {len(train) + len(val) - 2} Roboflow file name(s)" in out
    assert lists_of(root) == {"train": sorted(train), "val": sorted(val[1:]),
                              "test": val[:1], "trainval": sorted(train + val[1:])}
    imported, source = boxes_of(root), boxes_of(sample_root)
    assert imported[copies[0]] == imported[copies[1]] == source.pop(augmented)
    assert {k: v for k, v in imported.items() if k not in copies} == source
    assert (root / "classes.txt").read_text() == "drop\ngrab\n"  # sorted names found
    assert (root / "README.roboflow.txt").is_file()
    ordered = tmp_path / "ordered"
    init_voc(ordered, ["grab"])  # an existing classes.txt keeps its order and ids
    import_roboflow(export, ordered, progress=False)
    assert (ordered / "classes.txt").read_text() == "grab\ndrop\n"


# --- bad inputs ----------------------------------------------------------------------------

def test_bad_roboflow_and_cvat_files_are_reported_one_line_each(
        sample_root: Path, tmp_path: Path) -> None:
    export = make_roboflow_export(sample_root, tmp_path / "rf")
    train = [p for p in sorted((export / "train").glob("*.xml")) if "<object>" in p.read_text()]
    mismatch, duplicate, broken, negative = train[:4]
    mismatch.write_text(mismatch.read_text().replace("_jpg.rf.", "_png.rf.", 1))
    text = duplicate.read_text()
    first = text[text.index("\t<object>"):text.index("</object>") + len("</object>\n")]
    duplicate.write_text(text.replace(first, first + first, 1))
    malformed = broken.read_bytes()[:150]
    broken.write_bytes(malformed)
    negative.write_text(negative.read_text().replace("<xmin>", "<xmin>-", 1))
    root = tmp_path / "voc"
    report = import_roboflow(export, root, progress=False)
    lines = {p: [s for s in report.skipped + report.fixed if s.startswith(f"train/{p.name}")]
             for p in (mismatch, duplicate, broken, negative)}
    assert all(len(found) == 1 for found in lines.values()), lines
    assert "does not match the image beside it" in lines[mismatch][0]
    assert "object 2 (" in lines[duplicate][0] and "duplicates object 1" in lines[duplicate][0]
    assert "malformed XML" in lines[broken][0]
    assert "negative coordinate (xmin -" in lines[negative][0]
    assert len(report.skipped) == 3 and len(report.fixed) == 1
    assert report.images == len(boxes_of(sample_root)) - 3
    assert check_dataset(root).ok

    cvat = make_cvat_export(sample_root, tmp_path / "cvat")
    for path in [cvat / "labelmap.txt", *(cvat / "Annotations").glob("*.xml")]:
        path.write_text(path.read_text().replace("drop:", "flat hand:")
                        .replace("<name>drop</name>", "<name>flat hand</name>"))
    xml = next(p for p in sorted((cvat / "Annotations").glob("*.xml"))
               if "<object>" in p.read_text())
    xml.write_text(xml.read_text().replace("<name>grab</name>", "<name>fist</name>")
                   .replace("<name>drop</name>", "<name>fist</name>"))
    report = import_cvat(cvat, tmp_path / "voc-cvat", progress=False)
    assert report.skipped and all(line.startswith(f"Annotations/{xml.name}: object ")
                                  and "class 'fist' is not in the class list (grab, flat_hand)"
                                  in line for line in report.skipped)
    assert "classes: 'flat hand' imported as 'flat_hand' (class names are single words)" \
        in report.fixed
    assert (tmp_path / "voc-cvat/classes.txt").read_text() == "grab\nflat_hand\n"
    assert check_dataset(tmp_path / "voc-cvat").ok


def test_bad_csv_rows_are_reported_and_the_rest_imported(
        sample_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv" / "all.csv"
    export_csv(sample_root, out, progress=False)
    rows = out.read_text().splitlines()
    boxed = [i for i, r in enumerate(rows) if not r.endswith(",,,,,")]
    path_of = [r.split(",")[0] for r in rows]
    parts = rows[boxed[0]].split(",")
    rows[boxed[0]] = ",".join([parts[0], f"{parts[1]}.4", *parts[2:]])  # float: rounded
    parts = rows[boxed[1]].split(",")
    rows[boxed[1]] = ",".join([parts[0], "-3", *parts[2:]])  # negative: image skipped
    rows[boxed[2]] = rows[boxed[2]].rsplit(",", 1)[0] + ",wave"  # unknown class: skipped
    rows.insert(boxed[3], "only,three,cells")  # malformed row
    out.write_text("\n".join(rows) + "\n")
    root = tmp_path / "voc"
    report = import_csv(out, root, progress=False)
    assert len(report.fixed) == 1 and report.fixed[0].startswith(
        f"all.csv ({path_of[boxed[0]]}): 1 fractional coordinate(s) rounded")
    assert report.skipped[0] == f"all.csv:{boxed[1] + 1}: negative coordinate (x1); " \
                                f"image {path_of[boxed[1]]} not imported"
    assert report.skipped[1] == f"all.csv:{boxed[3] + 1}: expected path,x1,y1,x2,y2," \
                                "class_name or path,,,,,; row not imported (nor its image)"
    assert any(f"line {boxed[2] + 1} (wave): class 'wave' is not in the class list" in line
               for line in report.skipped)
    skipped_ids = {Path(path_of[boxed[i]]).stem for i in (1, 2)} | {"only"}
    assert set(boxes_of(root)) == set(boxes_of(sample_root)) - skipped_ids
    assert check_dataset(root).ok


def test_import_never_overwrites_a_different_file(sample_root: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "csv" / "all.csv"
    assert run_verb("voc", ["export", "csv", str(sample_root), str(out)]) == 0
    root = tmp_path / "voc"
    victim = VocLayout(sample_root).annotated_ids()[0]
    (root / "JPEGImages").mkdir(parents=True)
    (root / "JPEGImages" / f"{victim}.jpg").write_bytes(b"the user's own picture")
    assert run_verb("voc", ["import", "csv", str(out), str(root)]) == 1
    assert f"{victim}.jpg exists with different content; not imported (nothing overwritten)" \
        in capsys.readouterr().out
    assert (root / "JPEGImages" / f"{victim}.jpg").read_bytes() == b"the user's own picture"
    assert not (root / "Annotations" / f"{victim}.xml").exists()
    # exports refuse to replace a different file unless --force
    out.write_text("something else\n")
    assert run_verb("voc", ["export", "csv", str(sample_root), str(out)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().out
    assert run_verb("voc", ["export", "csv", str(sample_root), str(out), "--force"]) == 0


# --- training on an imported root ----------------------------------------------------------

@pytest.mark.slow
def test_train_on_an_imported_roboflow_root(sample_root: Path, tmp_path: Path) -> None:
    from gesturekit.cli import main

    root = tmp_path / "voc"
    assert main(["voc", "import", "roboflow",
                 str(make_roboflow_export(sample_root, tmp_path / "rf")), str(root)]) == 0
    run = tmp_path / "run"
    assert main(["train", str(root), "--out", str(run), "--backbone", "mobilenet128_0.5",
                 "--weights", "none", "--head-width", "32", "--image-min-side", "128",
                 "--image-max-side", "171", "--batch-size", "2", "--epochs", "1",
                 "--steps", "3"]) == 0
    assert (run / "snapshots" / "epoch_001.h5").stat().st_size > 0
