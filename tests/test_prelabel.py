"""gesturekit prelabel: unverified XML for unlabeled images, from a trained detector or from
MediaPipe hands; existing annotations untouched; check lists the pre-labels not reviewed."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import cv2
import pytest

from gesturekit.cli import main
from voc_tools.annotation import read_annotation, write_annotation
from voc_tools.check import check_dataset
from voc_tools.errors import GestureKitError
from voc_tools.layout import VocLayout

NOT_REVIEWED = "not reviewed yet"


def _unreviewed(root: Path) -> set[str]:
    return {p.where for p in check_dataset(root).warnings if NOT_REVIEWED in p.message}


def _hands_python_or_skip() -> None:
    from gesturekit.pose.hands import hands_python

    try:
        hands_python()
    except GestureKitError as err:
        pytest.skip(f"MediaPipe environment absent ({err})")


@pytest.fixture
def hands_root(tmp_path: Path, hands_video: Path) -> Path:
    """A VOC root of real frames of hands.mp4 (every 100th), none annotated, plus a
    corrupt JPEG and an image whose (malformed) XML the user already has."""
    frames = tmp_path / "frames"
    assert main(["frames", str(hands_video), str(frames), "--every", "100"]) == 0
    root = tmp_path / "voc"
    assert main(["voc", "init", str(root), "--classes", "wave", "point"]) == 0
    assert main(["voc", "add", str(root), str(frames)]) == 0
    layout = VocLayout(root)
    (layout.images / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    shutil.copy(layout.images / "hands_000200.jpg", layout.images / "mine.jpg")
    layout.annotation_path("mine").write_text("<annotation><filename>mine.jpg</filename>")
    return root


@pytest.mark.slow
def test_hands_prelabel_writes_unverified_boxes_and_leaves_user_files(hands_root: Path,
                                                                      capsys) -> None:
    _hands_python_or_skip()
    layout = VocLayout(hands_root)
    mine = layout.annotation_path("mine").read_bytes()

    assert main(["prelabel", str(hands_root), "--hands", "--class", "wave"]) == 0
    out = capsys.readouterr().out
    frames = len(list(layout.images.glob("hands_*.jpg")))
    assert frames >= 10
    assert f"{frames + 1} unlabeled image(s)" in out and "1 unreadable" in out
    assert "broken.jpg" in out  # the corrupt JPEG is named, not a crash
    assert layout.annotation_path("mine").read_bytes() == mine
    assert not layout.annotation_path("broken").exists()

    with layout.root.joinpath("prelabels.csv").open() as handle:
        records = list(csv.DictReader(handle))
    written = {r["image_id"] for r in records}
    # frames 100..300 show two people waving: MediaPipe finds their hands
    assert {"hands_000100", "hands_000200", "hands_000300"} <= written
    assert f"wrote {len(written)} XML with {sum(int(r['boxes']) for r in records)} box(es)" in out
    for image_id in written:
        ann = read_annotation(layout.annotation_path(image_id))
        assert ann.verified is False and (ann.width, ann.height) == (1280, 720)
        assert ann.boxes and all(b.name == "wave" for b in ann.boxes)
        assert all(1 <= b.xmin < b.xmax <= 1280 and 1 <= b.ymin < b.ymax <= 720
                   for b in ann.boxes)
        # a hand in a 1280x720 frame: neither a speck nor the whole frame
        assert all(40 <= b.width and b.width * b.height < 0.5 * 1280 * 720
                   for b in ann.boxes) or image_id == "hands_000000"
    assert len(read_annotation(layout.annotation_path("hands_000200")).boxes) == 2

    # check: no errors from the pre-labels, each one listed as not reviewed yet
    report = check_dataset(hands_root)
    assert [p for p in report.errors if "mine.xml" not in p.where
            and "broken" not in p.where] == []
    assert _unreviewed(hands_root) == {f"Annotations/{i}.xml" for i in written}

    # the user corrects one in labelImg (saved without the attribute) and verifies another
    edited = read_annotation(layout.annotation_path("hands_000100"))
    edited.verified, edited.boxes[0].xmin = None, edited.boxes[0].xmin + 3
    write_annotation(edited, layout.annotation_path("hands_000100"), overwrite=True)
    verified = read_annotation(layout.annotation_path("hands_000300"))
    verified.verified = True
    write_annotation(verified, layout.annotation_path("hands_000300"), overwrite=True)
    assert _unreviewed(hands_root) == {f"Annotations/{i}.xml" for i in written
                                       - {"hands_000100", "hands_000300"}}

    # a second run finds only the images still without XML, and writes nothing new
    before = {p.name: p.read_bytes() for p in layout.annotations.glob("*.xml")}
    assert main(["prelabel", str(hands_root), "--hands", "--class", "wave"]) == 0
    assert "wrote 0 XML" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in layout.annotations.glob("*.xml")} == before


@pytest.mark.slow
def test_hands_placeholder_class_must_be_renamed(hands_root: Path, capsys) -> None:
    _hands_python_or_skip()
    assert main(["prelabel", str(hands_root), "--hands"]) == 0
    assert "rename it to the gesture" in capsys.readouterr().out
    errors = [p.message for p in check_dataset(hands_root).errors]
    assert any("class 'hand' is not in classes.txt" in m for m in errors)


def test_unknown_class_and_missing_root_are_one_line_errors(tmp_path: Path, capsys) -> None:
    root = tmp_path / "voc"
    assert main(["voc", "init", str(root), "--classes", "wave"]) == 0
    capsys.readouterr()
    assert main(["prelabel", str(root), "--hands", "--class", "fist"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "class 'fist' is not in classes.txt" in err[0]
    assert main(["prelabel", str(tmp_path / "absent"), "--model", "m.h5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a VOC root" in err[0]


def test_missing_mediapipe_environment_names_the_setup_script(tmp_path: Path, monkeypatch,
                                                              capsys) -> None:
    root = tmp_path / "voc"
    assert main(["voc", "init", str(root), "--classes", "wave"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("GESTUREKIT_HANDS_PYTHON", str(tmp_path / "no-such-python"))
    assert main(["prelabel", str(root), "--hands", "--class", "wave"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scripts/setup_hands.sh" in err[0]


@pytest.mark.slow
def test_model_prelabel_fills_unlabeled_frames_only(small_detector: dict, tmp_path: Path,
                                                    capsys) -> None:
    root = tmp_path / "voc"
    shutil.copytree(small_detector["root"], root)
    layout = VocLayout(root)
    removed = layout.read_split("val")
    for image_id in removed:
        layout.annotation_path(image_id).unlink()
    kept = {p.name: p.read_bytes() for p in layout.annotations.glob("*.xml")}
    model = small_detector["model"] / "inference.h5"

    assert main(["prelabel", str(root), "--model", str(model), "--threshold", "0.05"]) == 0
    out = capsys.readouterr().out
    assert f"{len(removed)} unlabeled image(s)" in out
    written = sorted(p.stem for p in layout.annotations.glob("*.xml")
                     if p.name not in kept)
    assert written and set(written) <= set(removed)
    assert f"wrote {len(written)} XML" in out
    for name, data in kept.items():
        assert (layout.annotations / name).read_bytes() == data
    height, width = cv2.imread(str(layout.image_path(written[0]))).shape[:2]
    ann = read_annotation(layout.annotation_path(written[0]))
    assert ann.verified is False and (ann.width, ann.height) == (width, height)
    assert all(b.name in ("grab", "drop") for b in ann.boxes)
    assert check_dataset(root).ok
    assert _unreviewed(root) == {f"Annotations/{i}.xml" for i in written}


def test_model_classes_must_be_in_classes_txt(small_detector: dict, tmp_path: Path,
                                              capsys) -> None:
    root = tmp_path / "voc"
    assert main(["voc", "init", str(root), "--classes", "wave"]) == 0
    capsys.readouterr()
    assert main(["prelabel", str(root), "--model",
                 str(small_detector["model"] / "inference.h5")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "grab" in err[0] and "not in the dataset's classes.txt" in err[0]
