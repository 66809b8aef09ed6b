"""Import and export of YOLO datasets (Ultralytics / Roboflow "YOLOv5/v8" exports).

Layouts read (a folder or a .zip of one)::

    data.yaml  train/{images,labels}  valid/{images,labels}  test/{images,labels}
    data.yaml  images/{train,val,...}  labels/{train,val,...}
    data.yaml  images/  labels/                     (no split)

``data.yaml`` gives ``names`` as a list or as an ``{id: name}`` mapping (``classes.txt``
or ``obj.names``, one name per line, also work). A label file holds one line per object,
``class cx cy w h`` normalised to 0..1 (a segmentation polygon ``class x1 y1 x2 y2 ...``
becomes its bounding box); an empty label file is an image without objects (a negative).
Boxes become VOC pixels with each image's real size, read from the image. Folder names
give the splits (``valid`` -> ``val``); Roboflow ``.rf.<hash>`` names are restored as in
:mod:`.roboflow`; ``sources.csv`` gets each image's capture group
(:func:`voc_tools.grouping.capture_group`) so ``gesturekit split`` keeps near-duplicates
together. Export writes the Roboflow layout above with ``x = (xmin - 1) / width`` (the
boxes the kit trains on), so VOC -> YOLO -> VOC gives back the same whole-pixel boxes.
"""
from __future__ import annotations

import filecmp
import os
import shutil
from collections import Counter
from pathlib import Path

from ..annotation import Box, box_from_pixels
from ..check import ImageInfo, inspect_image
from ..errors import GestureKitError
from ..grouping import DEFAULT_FRAME_BLOCK, capture_group
from ..naming import is_image
from .boxes import training_corners
from .exporting import export_items, write_output
from .importing import ImportItem, VocWriter, copy_extra_file, kit_split, open_source
from .report import InteropReport, message_of
from .roboflow import README_FILES, ROBOFLOW_NAME, original_ids

SUBSET_NAMES = ("train", "valid", "val", "test")
NAME_FILES = ("data.yaml", "data.yml", "dataset.yaml", "classes.txt", "obj.names")
#: Normalised coordinates may exceed 0..1 by this much (float noise of the exporting tool).
TOLERANCE = 1e-3
EXPORT_FOLDERS = {"train": "train", "val": "valid", "test": "test"}


def parse_class_map(text: str | None) -> dict[str, str]:
    """``old=new,old2=new2`` (``*=hand`` maps every class) as a dict."""
    if not text:
        return {}
    mapping = {}
    for part in text.split(","):
        old, sep, new = (s.strip() for s in part.partition("="))
        if not sep or not old or not new or any(c.isspace() for c in new):
            raise GestureKitError(f"--class-map: expected old=new[,old=new...] with single-word "
                                  f"names, got '{part.strip()}'")
        mapping[old] = new
    return mapping


def _read_names(folder: Path) -> tuple[list[str], Path]:
    for name in NAME_FILES:
        path = folder / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise GestureKitError(f"cannot read: {err}", path) from None
        if path.suffix in (".yaml", ".yml"):
            return _yaml_names(text, path), path
        return [line.strip() for line in text.splitlines() if line.strip()], path
    raise GestureKitError("not a YOLO export (no data.yaml, classes.txt or obj.names with "
                          "the class names)", folder)


def _yaml_names(text: str, path: Path) -> list[str]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise GestureKitError(f"not valid YAML: {str(err).splitlines()[0]}", path) from None
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, dict):
        try:
            ids = sorted(int(k) for k in names)
        except (TypeError, ValueError):
            raise GestureKitError("'names' mapping keys must be class ids 0, 1, ...",
                                  path) from None
        if ids != list(range(len(ids))):
            raise GestureKitError(f"'names' ids must be 0..{len(ids) - 1} without gaps", path)
        names = [names[k] if k in names else names[str(k)] for k in ids]
    if not isinstance(names, list) or not names:
        raise GestureKitError("no 'names' list or mapping of class names", path)
    return [str(n).strip() for n in names]


def find_subsets(folder: Path) -> list[tuple[Path, Path, str | None]]:
    """``(images folder, labels folder, kit split)`` of each subset of a YOLO export."""
    found = []
    for name in SUBSET_NAMES:
        if (folder / name / "images").is_dir():
            found.append((folder / name / "images", folder / name / "labels", kit_split(name)))
    if not found and (folder / "images").is_dir():
        subs = [p for p in sorted((folder / "images").iterdir())
                if p.is_dir() and kit_split(p.name)]
        if subs:
            found = [(p, folder / "labels" / p.name, kit_split(p.name)) for p in subs]
        else:
            found = [(folder / "images", folder / "labels", None)]
    return found


def _inside(path: Path, top: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(top))


def _parse_line(line: str, count: int) -> tuple[int, list[float]] | str:
    """``(class id, [cx, cy, w, h])`` of one label line, or the problem as text."""
    parts = line.split()
    try:
        class_id = int(parts[0])
        values = [float(v) for v in parts[1:]]
    except ValueError:
        return f"not numbers: '{line.strip()[:60]}'"
    if class_id < 0 or class_id >= count:
        return f"class id {class_id} is outside names (0..{count - 1})"
    if len(values) == 4:
        cx, cy, w, h = values
        if w <= 0 or h <= 0:
            return f"degenerate box (zero width or height: {' '.join(parts[1:])})"
        corners = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
    elif len(values) >= 6 and len(values) % 2 == 0:  # segmentation polygon
        xs, ys = values[0::2], values[1::2]
        corners = [min(xs), min(ys), max(xs), max(ys)]
    else:
        return f"expected 'class cx cy w h' (5 values), got {len(parts)} value(s)"
    if min(corners) < -TOLERANCE or max(corners) > 1 + TOLERANCE:
        return f"box outside 0..1 ({' '.join(parts[1:])})"
    if corners[2] - corners[0] <= 0 or corners[3] - corners[1] <= 0:
        return f"degenerate box (zero width or height: {' '.join(parts[1:])})"
    return class_id, [min(max(c, 0.0), 1.0) for c in corners]


def _read_labels(label: Path, image: Path, names: list[str], where: str,
                 report: InteropReport) -> tuple[list[Box], ImageInfo] | None:
    try:
        lines = [line for line in label.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    except (OSError, UnicodeDecodeError) as err:
        report.skip(where, f"cannot read the label file ({err.__class__.__name__}); "
                           "not imported")
        return None
    try:
        info = inspect_image(image)
    except GestureKitError as err:
        report.skip(where, f"image {image.name}: {message_of(err)}; not imported")
        return None
    boxes = []
    for number, line in enumerate(lines, 1):
        parsed = _parse_line(line, len(names))
        if isinstance(parsed, str):
            report.skip(where, f"line {number}: {parsed}; image not imported")
            return None
        class_id, (x1, y1, x2, y2) = parsed
        boxes.append(box_from_pixels(names[class_id], x1 * info.width, y1 * info.height,
                                     x2 * info.width, y2 * info.height, info.width,
                                     info.height))
    return boxes, info


def _read_subset(folder: Path, images_dir: Path, labels_dir: Path, split: str | None,
                 names: list[str], report: InteropReport) -> list[ImportItem]:
    images = {}
    for path in sorted(images_dir.iterdir()):
        if not (path.is_file() and is_image(path)):
            continue
        if not _inside(path, folder):
            report.skip(path.relative_to(folder).as_posix(),
                        "a link out of the export; not imported")
            continue
        images[path.stem] = path
    labels = sorted(labels_dir.glob("*.txt")) if labels_dir.is_dir() else []
    items, labelled = [], set()
    for label in labels:
        where = label.relative_to(folder).as_posix()
        if not _inside(label, folder):
            report.skip(where, "a link out of the export; not imported")
            continue
        image = images.get(label.stem)
        if image is None:
            report.skip(where, "no image with this name in "
                               f"{images_dir.relative_to(folder).as_posix() or '.'}; not imported")
            continue
        labelled.add(label.stem)
        read = _read_labels(label, image, names, where, report)
        if read is not None:
            boxes, info = read
            items.append(ImportItem(label.stem, image, boxes, where, split=split, info=info))
    for stem, image in images.items():
        if stem not in labelled:
            report.skip(image.relative_to(folder).as_posix(),
                        "no label file (an empty .txt marks an image without objects); "
                        "not imported")
    return items


def import_yolo(src: str | Path, root: str | Path, class_map: dict[str, str] | None = None,
                frame_block: int = DEFAULT_FRAME_BLOCK, progress: bool = True) -> InteropReport:
    """Import a YOLO export (folder or .zip) into the VOC root ``root``.

    ``class_map`` renames or merges classes (``{"*": "hand"}`` maps them all);
    ``frame_block`` is the grouping rule's block of consecutive frame numbers.
    """
    from tqdm import tqdm

    report = InteropReport()
    class_map = class_map or {}
    with open_source(src) as folder:
        names, names_file = _read_names(folder)
        unknown = [old for old in class_map if old != "*" and old not in names]
        if unknown:
            raise GestureKitError(f"--class-map names {', '.join(unknown)}, not in the export's "
                                  f"classes ({', '.join(names)})", names_file)
        mapped = [class_map.get(n, class_map.get("*", n)) for n in names]
        subsets = find_subsets(folder)
        if not subsets:
            raise GestureKitError("not a YOLO export (no images/ folder, nor train/, valid/ "
                                  "or test/ with images/ and labels/)", src)
        items: list[ImportItem] = []
        for images_dir, labels_dir, split in subsets:
            items += _read_subset(folder, images_dir, labels_dir, split, mapped, report)
        ids = original_ids([item.image_id for item in items])
        for item in items:
            item.image_id = ids[item.image_id]
        classes = list(dict.fromkeys(mapped))
        writer = VocWriter(root, classes, report)
        for item in tqdm(items, desc="importing", unit="image", disable=not progress,
                         leave=False):
            if writer.add(item):
                writer.set_source(item.image_id, capture_group(_original(item.image),
                                                               frame_block))
        writer.finish()
        for name in README_FILES:
            if (folder / name).is_file():
                copy_extra_file(folder / name, writer.layout.root, report)
    merged = Counter(mapped)
    for new, count in merged.items():
        if count > 1:
            olds = [o for o, n in zip(names, mapped) if n == new]
            report.hints.append(f"classes {', '.join(olds)} merged into '{new}'")
    return report


def _original(image: Path) -> str:
    match = ROBOFLOW_NAME.match(image.stem)
    return match["name"] if match else image.stem


def _format(value: float) -> str:
    return f"{value:.8f}".rstrip("0").rstrip(".") or "0"


def export_yolo(root: str | Path, out: str | Path, split: str | None = None,
                force: bool = False, progress: bool = True) -> InteropReport:
    """Write the VOC root as a YOLO dataset in ``out`` (train/, valid/, test/ + data.yaml).

    With ``split`` only that list is written (to its folder); otherwise each ImageSets list
    (train, val, test) goes to its folder, and an annotated image in none of them to
    ``train/`` when the root has no lists at all (else it is reported and left out).
    """
    import yaml

    from ..layout import VocLayout

    report = InteropReport()
    layout = VocLayout(Path(root)).require()
    out = Path(out)
    classes, items = export_items(root, split, report, progress)
    folder_of = _export_folders(layout, split, [i.image_id for i in items], report)
    class_id = {name: index for index, name in enumerate(classes)}
    used = set()
    for item in items:
        subset = folder_of.get(item.image_id)
        if subset is None:
            continue
        ann = item.annotation
        lines = []
        for box in ann.boxes:
            x1, y1, x2, y2 = training_corners(box)
            x1, y1 = max(x1, 0.0), max(y1, 0.0)
            values = ((x1 + x2) / 2 / ann.width, (y1 + y2) / 2 / ann.height,
                      (x2 - x1) / ann.width, (y2 - y1) / ann.height)
            lines.append(" ".join([str(class_id[box.name])] + [_format(v) for v in values]))
        write_output(out / subset / "labels" / f"{item.image_id}.txt",
                     "".join(f"{line}\n" for line in lines), force, report)
        _copy_image(item.image, out / subset / "images" / item.image.name, force, report)
        used.add(subset)
        report.images += 1
        report.empty += not lines
        report.boxes += len(lines)
    report.classes = classes
    data = {name: f"{name}/images" for name in ("train", "valid", "test") if name in used}
    if "valid" in data:
        data["val"] = data.pop("valid")
    data.update({"nc": len(classes), "names": classes})
    write_output(out / "data.yaml", yaml.safe_dump(data, sort_keys=False), force, report)
    return report


def _export_folders(layout, split: str | None, ids: list[str],
                    report: InteropReport) -> dict[str, str]:
    if split:
        folder = EXPORT_FOLDERS.get(split, split)
        return {i: folder for i in ids}
    folder_of: dict[str, str] = {}
    lists = {s: layout.read_split(s) for s in EXPORT_FOLDERS if layout.split_path(s).is_file()}
    for name, members in lists.items():
        for image_id in members:
            folder_of.setdefault(image_id, EXPORT_FOLDERS[name])
    for image_id in ids:
        if image_id in folder_of:
            continue
        if lists:
            report.skip(f"Annotations/{image_id}.xml", "in no ImageSets list (train, val, test); "
                                                       "not exported")
        else:
            folder_of[image_id] = "train"
    return folder_of


def _copy_image(source: Path, dest: Path, force: bool, report: InteropReport) -> None:
    if dest.exists():
        if filecmp.cmp(source, dest, shallow=False):
            return
        if not force:
            raise GestureKitError("exists with different content; refusing to overwrite "
                                  "(use --force)", dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.gk-tmp")
    shutil.copy2(source, tmp)
    os.replace(tmp, dest)
    report.written.append(dest)
