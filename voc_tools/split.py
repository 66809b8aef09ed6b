"""Grouped, class-stratified train/val/test split of a VOC root.

Only annotated images (those with an XML file) are split. Images are grouped so that
near-duplicate frames never straddle subsets: by source video from ``ROOT/sources.csv``,
else by the first capture group of a ``--group-by`` regex on the image id, else each image
is its own group. Whole groups are assigned greedily, largest first (ties in a seeded
random order), each to the subset where it most reduces the squared deviation of every
class's box and image counts (and the image count overall) from the requested fractions.
Background images (XML without objects) follow their group; groups with no object at all
go to train.
"""
from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .annotation import read_annotation
from .errors import GestureKitError
from .layout import VocLayout
from .naming import id_problem
from .voc_init import read_sources

SUBSETS = ("train", "val", "test")


@dataclass
class SplitResult:
    """The assignment ``image_id -> subset`` and the statistics behind it."""

    assignment: dict[str, str]
    groups: dict[str, str]
    boxes: dict[str, Counter] = field(repr=False)  # image_id -> boxes per class
    fractions: dict[str, float] = field(default_factory=dict)

    def ids(self, subset: str) -> list[str]:
        """Sorted image ids of ``subset`` (``trainval`` = train + val)."""
        wanted = ("train", "val") if subset == "trainval" else (subset,)
        return sorted(i for i, s in self.assignment.items() if s in wanted)

    def subsets(self) -> list[str]:
        return [s for s in SUBSETS if self.fractions.get(s, 0) > 0]

    def counts(self) -> dict[str, dict[str, tuple[int, int]]]:
        """``class -> subset -> (images containing it, boxes)``."""
        table: dict[str, dict[str, list[int]]] = defaultdict(
            lambda: {s: [0, 0] for s in SUBSETS})
        for image_id, subset in self.assignment.items():
            for name, n in self.boxes[image_id].items():
                table[name][subset][0] += 1
                table[name][subset][1] += n
        return {c: {s: (v[0], v[1]) for s, v in row.items()} for c, row in sorted(table.items())}

    def table(self) -> str:
        """Plain-text table: images and boxes per class per subset."""
        subsets = self.subsets()
        width = max([len("all images")] + [len(c) for c in self.counts()])
        head = f"{'class':<{width}}" + "".join(f"  {s + ' img':>10} {s + ' box':>10}"
                                              for s in subsets)
        lines = [head, "-" * len(head)]
        for name, row in self.counts().items():
            lines.append(f"{name:<{width}}" + "".join(
                f"  {row[s][0]:>10} {row[s][1]:>10}" for s in subsets))
        totals = Counter(self.assignment.values())
        lines.append(f"{'all images':<{width}}" + "".join(
            f"  {totals[s]:>10} {'':>10}" for s in subsets))
        return "\n".join(lines)


def _group_pattern(group_by: str) -> re.Pattern[str]:
    try:
        pattern = re.compile(group_by)
    except re.error as err:
        raise GestureKitError(f"--group-by is not a valid regular expression: {err}") from None
    if not pattern.groups:
        raise GestureKitError(f"--group-by {group_by!r} has no capture group; put the part "
                              "of the id that names the video in parentheses, e.g. "
                              r"'^(.*)_\d+$'")
    return pattern


def image_groups(root: Path, ids: list[str], group_by: str | None = None) -> dict[str, str]:
    """``image_id -> group``: source video, else the regex's first capture group, else the
    id itself (no ``group_by``). Every id without a source must match ``group_by``."""
    sources = read_sources(root)
    pattern = _group_pattern(group_by) if group_by else None
    groups, unmatched = {}, []
    for image_id in ids:
        if image_id in sources:
            groups[image_id] = "source:" + sources[image_id]
        elif pattern is None:
            groups[image_id] = "image:" + image_id
        else:
            match = pattern.search(image_id)
            if match is None:
                unmatched.append(image_id)
            else:
                groups[image_id] = "regex:" + (match.group(1) or "")
    if unmatched:
        asked = len(unmatched) + sum(1 for g in groups.values() if g.startswith("regex:"))
        raise GestureKitError(
            f"--group-by {group_by!r} matched {asked - len(unmatched)} of the {asked} image "
            f"ids without a source (e.g. {unmatched[0]} does not match); unmatched frames "
            "could land on both sides of the split", root)
    return groups


def _check_fractions(val: float, test: float) -> dict[str, float]:
    if not 0 < val < 1:
        raise GestureKitError(f"--val must be between 0 and 1 (got {val})")
    if not 0 <= test < 1:
        raise GestureKitError(f"--test must be between 0 and 1 (got {test})")
    if val + test >= 1:
        raise GestureKitError(f"--val + --test must leave something for train "
                              f"(got {val} + {test})")
    return {"train": 1 - val - test, "val": val, "test": test}


def split_dataset(root: str | Path, val: float, test: float = 0.0, seed: int = 0,
                  group_by: str | None = None) -> SplitResult:
    """Assign every annotated image of the VOC root to train, val or test (not written)."""
    layout = VocLayout(Path(root)).require()
    fractions = _check_fractions(val, test)
    ids = layout.annotated_ids()
    if not ids:
        raise GestureKitError("no annotations to split (Annotations/ has no XML)", layout.root)
    for image_id in ids:
        problem = id_problem(image_id)
        if problem:
            raise GestureKitError(problem, layout.annotation_path(image_id))
    boxes = {i: Counter(b.name for b in read_annotation(layout.annotation_path(i)).boxes)
             for i in ids}
    groups = image_groups(layout.root, ids, group_by)
    members: dict[str, list[str]] = defaultdict(list)
    for image_id in ids:
        members[groups[image_id]].append(image_id)
    assignment = _assign(members, boxes, fractions, seed)
    return SplitResult(assignment, groups, boxes, fractions)


def _assign(members: dict[str, list[str]], boxes: dict[str, Counter],
            fractions: dict[str, float], seed: int) -> dict[str, str]:
    wanted = [s for s in SUBSETS if fractions[s] > 0]
    group_boxes = {g: sum((boxes[i] for i in ids), Counter()) for g, ids in members.items()}
    group_images = {g: Counter({n: sum(1 for i in ids if boxes[i][n])
                                for n in group_boxes[g]}) for g, ids in members.items()}
    assignment: dict[str, str] = {}
    labelled = [g for g in members if group_boxes[g]]
    for g in members:
        if not group_boxes[g]:
            for image_id in members[g]:
                assignment[image_id] = "train"  # background only: nothing to evaluate
    if len(labelled) < len(wanted):
        raise GestureKitError(
            f"only {len(labelled)} group(s) with objects, cannot fill {len(wanted)} subsets "
            f"({', '.join(wanted)}); add data, lower the number of subsets, or group "
            "differently (sources.csv / --group-by)")

    class_boxes = sum(group_boxes.values(), Counter())
    class_images = sum(group_images.values(), Counter())
    total_images = sum(len(members[g]) for g in labelled)
    # targets and running totals, one "dimension" per class box count, class image count
    # and the overall image count; each dimension's deviation is normalised by its total
    dims = ([("box", c) for c in class_boxes] + [("img", c) for c in class_images]
            + [("all", "")])
    totals = {d: (class_boxes[d[1]] if d[0] == "box" else class_images[d[1]]
                  if d[0] == "img" else total_images) for d in dims}
    current = {s: Counter() for s in wanted}

    def amount(g: str) -> dict[tuple[str, str], int]:
        out = {("box", c): n for c, n in group_boxes[g].items()}
        out.update({("img", c): n for c, n in group_images[g].items()})
        out[("all", "")] = len(members[g])
        return out

    def cost_increase(subset: str, add: dict[tuple[str, str], int]) -> float:
        increase = 0.0
        for d, n in add.items():
            target = fractions[subset] * totals[d]
            have = current[subset][d]
            increase += ((have + n - target) ** 2 - (have - target) ** 2) / totals[d] ** 2
        return increase

    rng = random.Random(seed)
    order = sorted(labelled)
    rng.shuffle(order)
    rarest = {g: min(class_boxes[c] for c in group_boxes[g]) for g in order}
    order.sort(key=lambda g: (rarest[g], -sum(group_boxes[g].values())))
    for position, g in enumerate(order):
        empty = [s for s in wanted if not current[s]]
        left = len(order) - position
        choices = empty if left <= len(empty) else wanted
        add = amount(g)
        best = min(choices, key=lambda s: (cost_increase(s, add), -fractions[s]))
        current[best].update(add)
        for image_id in members[g]:
            assignment[image_id] = best
    return assignment


def write_split(root: str | Path, result: SplitResult, force: bool = False) -> list[Path]:
    """Write ImageSets/Main/{train,val,trainval[,test]}.txt; refuse to replace without force.

    With ``force``, a ``test.txt`` left from an earlier split is removed when this split
    has no test subset (it would contradict the new lists).
    """
    layout = VocLayout(Path(root))
    names = ["train", "val", "trainval"] + (["test"] if "test" in result.subsets() else [])
    existing = [layout.split_path(n) for n in (*names, "test") if layout.split_path(n).exists()]
    if existing and not force:
        raise GestureKitError("split lists already exist ("
                              + ", ".join(p.name for p in dict.fromkeys(existing))
                              + "); use --force to replace them", layout.imagesets)
    layout.imagesets.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        path = layout.split_path(name)
        path.write_text("".join(f"{i}\n" for i in result.ids(name)), encoding="utf-8")
        written.append(path)
    stale = layout.split_path("test")
    if "test" not in names and stale.exists():
        stale.unlink()
    return written
