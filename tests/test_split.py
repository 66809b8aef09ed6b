"""gesturekit split: coverage, groups kept whole, stratification, determinism, refusals."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from hostile import copy_voc, run_verb

from voc_tools.annotation import Annotation, Box, write_annotation
from voc_tools.errors import GestureKitError
from voc_tools.split import split_dataset, write_split
from voc_tools.voc_init import init_voc

CLASSES = ("grab", "drop", "point")


def synthetic_voc(root: Path, videos: int = 40, seed: int = 7) -> Path:
    """Frames of ``videos`` source videos (3-8 frames each), classes of uneven frequency;
    sources.csv maps each frame to its video. Some frames are background (no box)."""
    rng = random.Random(seed)
    init_voc(root, list(CLASSES))
    rows = ["image_id,source"]
    for v in range(videos):
        for f in range(rng.randint(3, 8)):
            image_id = f"take{v:02d}_{f:06d}"
            names = [] if rng.random() < 0.1 else rng.choices(CLASSES, (6, 3, 1),
                                                              k=rng.randint(1, 3))
            boxes = [Box(n, 10, 10, 50, 50) for n in names]
            write_annotation(Annotation(f"{image_id}.jpg", 640, 480, boxes=boxes),
                             root / "Annotations" / f"{image_id}.xml")
            rows.append(f"{image_id},videos/take{v:02d}.mp4")
    (root / "sources.csv").write_text("\n".join(rows) + "\n")
    return root


def test_plums_split_lists(plums_voc: Path, tmp_path: Path, capsys) -> None:
    root = copy_voc(plums_voc, tmp_path / "plums")
    assert run_verb("split", [str(root), "--val", "0.3", "--seed", "0"]) == 2  # lists exist
    assert run_verb("split", [str(root), "--val", "0.3", "--seed", "0", "--force"]) == 0
    out = capsys.readouterr().out
    assert "redPlum" in out and "val img" in out
    lists = {n: (root / f"ImageSets/Main/{n}.txt").read_text().split()
             for n in ("train", "val", "trainval")}
    assert not set(lists["train"]) & set(lists["val"])
    assert sorted(lists["trainval"]) == sorted(lists["train"] + lists["val"])
    assert sorted(lists["trainval"]) == sorted(p.stem for p in (root / "Annotations").iterdir())
    assert 4 <= len(lists["val"]) <= 5


@pytest.mark.parametrize("val,test", [(0.2, 0.0), (0.3, 0.1), (0.4, 0.2), (0.15, 0.15)])
def test_groups_never_straddle_subsets_and_classes_are_stratified(
        tmp_path: Path, val: float, test: float) -> None:
    root = synthetic_voc(tmp_path / "voc")
    fractions = {"train": 1 - val - test, "val": val, "test": test}
    for seed in range(5):
        result = split_dataset(root, val, test, seed)
        assert set(result.assignment) == {p.stem for p in (root / "Annotations").iterdir()}
        subsets_of_group: dict[str, set[str]] = {}
        for image_id, subset in result.assignment.items():
            subsets_of_group.setdefault(result.groups[image_id], set()).add(subset)
        assert all(len(s) == 1 for s in subsets_of_group.values())
        assert len(subsets_of_group) == 40
        assert set(result.assignment.values()) == {s for s, f in fractions.items() if f > 0}
        for name, row in result.counts().items():
            total = sum(boxes for _, boxes in row.values())
            for subset, fraction in fractions.items():
                share = row[subset][1] / total
                assert abs(share - fraction) < 0.08, (seed, name, subset, share)
        assert split_dataset(root, val, test, seed).assignment == result.assignment


def test_raccoon_split_is_close_to_requested_fractions(raccoon_voc: Path,
                                                        tmp_path: Path) -> None:
    root = copy_voc(raccoon_voc, tmp_path / "raccoon")
    result = split_dataset(root, 0.2, 0.1, seed=3)
    assert [len(result.ids(s)) for s in ("train", "val", "test")] == pytest.approx(
        [140, 40, 20], abs=2)
    assert result.ids("trainval") == sorted(result.ids("train") + result.ids("val"))
    write_split(root, result, force=True)
    assert (root / "ImageSets/Main/test.txt").read_text().split() == result.ids("test")
    # a new split without test removes the stale test list (only with --force)
    write_split(root, split_dataset(root, 0.2), force=True)
    assert not (root / "ImageSets/Main/test.txt").exists()
    assert split_dataset(root, 0.2, seed=1).assignment != split_dataset(root, 0.2).assignment


def test_group_by_regex_and_background_groups(tmp_path: Path) -> None:
    root = synthetic_voc(tmp_path / "voc", videos=6)
    (root / "sources.csv").unlink()
    for i in range(3):
        write_annotation(Annotation(f"empty_{i:06d}.jpg", 640, 480),
                         root / "Annotations" / f"empty_{i:06d}.xml")
    result = split_dataset(root, 0.3, group_by=r"^(.*)_\d+$", seed=2)
    assert len(set(result.groups.values())) == 7
    for image_id, subset in result.assignment.items():
        same_take = [s for i, s in result.assignment.items() if i[:6] == image_id[:6]]
        assert set(same_take) == {subset}
    assert {result.assignment[f"empty_{i:06d}"] for i in range(3)} == {"train"}
    ungrouped = split_dataset(root, 0.3, seed=2)
    assert len(set(ungrouped.groups.values())) == len(ungrouped.assignment)


def test_refusals(tmp_path: Path) -> None:
    root = synthetic_voc(tmp_path / "voc", videos=1)
    with pytest.raises(GestureKitError, match="only 1 group"):
        split_dataset(root, 0.3)
    with pytest.raises(GestureKitError, match="--val"):
        split_dataset(root, 1.2)
    with pytest.raises(GestureKitError, match="leave something for train"):
        split_dataset(root, 0.5, 0.5)
    with pytest.raises(GestureKitError, match="--group-by"):
        split_dataset(root, 0.3, group_by="(")
    init_voc(tmp_path / "empty")
    assert run_verb("split", [str(tmp_path / "empty"), "--val", "0.2"]) == 2
