"""Validate a VOC root: annotations, images, boxes, classes and ImageSets lists.

Every problem is one line naming the file (relative to the root) and the field. Errors
make the dataset unusable for training; warnings are worth a look; info lines are
expected situations (images not annotated yet). Accepted as labelImg writes them:
1-based coordinates (``xmax == width`` is fine), ``<depth>`` 1 or 3 for grayscale JPEGs.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .annotation import VOC_PIXEL_OFFSET, Annotation, read_annotation
from .classes import count_text, read_classes
from .errors import GestureKitError
from .image_io import DECODE_MAX_SIDE, open_pil
from .layout import VocLayout
from .naming import PRELABELS_FILE, id_problem, is_image
from .plots import save_figure
from .prelabels import unreviewed_prelabels
from .rename_journal import TMP_PREFIX, unfinished_journals

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Problem:
    """One finding: ``where`` is a path relative to the root (or the root itself)."""

    severity: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class BoxSize:
    name: str
    width: float
    height: float


@dataclass
class CheckReport:
    """Problems found plus dataset counts."""

    root: Path
    problems: list[Problem] = field(default_factory=list)
    images: int = 0
    annotations: int = 0
    boxes_per_class: Counter = field(default_factory=Counter)
    box_sizes: list[BoxSize] = field(default_factory=list)
    classes_file: bool = False

    def add(self, severity: str, where: str | Path, message: str) -> None:
        self.problems.append(Problem(severity, str(where), message))

    def of(self, severity: str) -> list[Problem]:
        return [p for p in self.problems if p.severity == severity]

    @property
    def errors(self) -> list[Problem]:
        return self.of(ERROR)

    @property
    def warnings(self) -> list[Problem]:
        return self.of(WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        boxes = sum(self.boxes_per_class.values())
        return (f"{self.images} images, {self.annotations} annotations, "
                f"{boxes} boxes ({count_text(self.boxes_per_class)}); "
                f"{len(self.errors)} error(s), {len(self.warnings)} warning(s), "
                f"{len(self.of(INFO))} info")


@dataclass
class ImageInfo:
    width: int
    height: int
    mode: str


def inspect_image(path: Path) -> ImageInfo:
    """Size and mode of an image, fully decoded so truncated or corrupt files are caught."""
    from PIL import Image, UnidentifiedImageError

    try:
        with open_pil(path) as image:
            image.verify()
        with open_pil(path) as image:
            info = ImageInfo(image.width, image.height, image.mode)
            if max(image.size) > DECODE_MAX_SIDE:  # a JPEG decodes at 1/8: same check
                image.draft(image.mode, (image.width // 8, image.height // 8))
            image.load()  # raises "image file is truncated" on a cut-off JPEG
            return info
    except UnidentifiedImageError:
        raise GestureKitError("not a readable image", path) from None
    except Image.DecompressionBombError as err:
        raise GestureKitError(f"image too large to read ({err})", path) from None
    except (OSError, SyntaxError, ValueError) as err:
        raise GestureKitError(f"corrupt or truncated image ({err})", path) from None


def _message(err: GestureKitError) -> str:
    text = str(err)
    prefix = f"{err.path}: " if err.path is not None else ""
    return text[len(prefix):] if prefix and text.startswith(prefix) else text


def check_dataset(root: str | Path, split: str | None = None) -> CheckReport:
    """Check every annotation of the VOC root (or only the ids of ImageSets ``split``)."""
    layout = VocLayout(Path(root)).require()
    report = CheckReport(layout.root)
    rel = lambda p: p.relative_to(layout.root).as_posix()  # noqa: E731
    classes = _read_classes(layout, report)

    annotated = layout.annotated_ids()
    if split is not None:
        listed = layout.read_split(split)
        ids = list(dict.fromkeys(listed))
        if len(ids) != len(listed):
            report.add(WARNING, rel(layout.split_path(split)), "lists some ids twice")
    else:
        ids = annotated
    image_files = sorted(p for p in layout.images.iterdir() if p.is_file() and is_image(p))
    report.images = len(image_files) if split is None else len(ids)
    found_names: Counter = Counter()
    for image_id in ids:
        xml = layout.annotation_path(image_id)
        if not xml.is_file():
            continue  # reported with the ImageSets check below
        report.annotations += 1
        if id_problem(image_id):
            report.add(ERROR, rel(xml), id_problem(image_id))
        try:
            ann = read_annotation(xml)
        except GestureKitError as err:
            report.add(ERROR, rel(xml), _message(err))
            continue
        image = _check_image(layout, image_id, ann, report, rel)
        _check_boxes(rel(xml), ann, image, classes, report)
        found_names.update(b.name for b in ann.boxes)
    if split is None:
        xml_ids = set(annotated)
        for path in image_files:
            if path.stem not in xml_ids:
                report.add(INFO, rel(path), "no annotation (not annotated yet, or a "
                           "background image without XML)")
    _check_imagesets(layout, report, rel, [split] if split else None)
    _check_interrupted_rename(layout, report, rel)
    _check_prelabels(layout, report, set(ids))
    if classes is None and found_names:
        report.add(WARNING, "classes.txt",
                   "missing; classes found: " + " ".join(sorted(found_names))
                   + " (create it with: gesturekit voc init "
                   + f"{layout.root} --classes {' '.join(sorted(found_names))})")
    if report.annotations == 0:
        report.add(WARNING, "Annotations", "no annotations to check")
    return report


def _read_classes(layout: VocLayout, report: CheckReport) -> list[str] | None:
    if not layout.classes_file.is_file():
        return None
    report.classes_file = True
    try:
        return read_classes(layout.classes_file)
    except GestureKitError as err:
        report.add(ERROR, "classes.txt", _message(err))
        return None


def _check_image(layout: VocLayout, image_id: str, ann: Annotation, report: CheckReport,
                 rel) -> ImageInfo | None:
    xml = rel(layout.annotation_path(image_id))
    path = layout.image_path(image_id)
    if not path.is_file():
        report.add(ERROR, xml, f"image {rel(path)} is missing")
        return None
    if Path(ann.filename).stem != image_id:
        report.add(WARNING, xml, f"<filename> {ann.filename} does not match the XML name "
                                 f"({image_id})")
    try:
        info = inspect_image(path)
    except GestureKitError as err:
        report.add(ERROR, rel(path), _message(err))
        return None
    if (ann.width, ann.height) != (info.width, info.height):
        report.add(ERROR, xml, f"<size> {ann.width}x{ann.height} does not match the image "
                               f"({info.width}x{info.height})")
    channels = {"L": (1, 3), "RGB": (3,), "RGBA": (3, 4), "CMYK": (3, 4)}.get(info.mode)
    if channels is not None and ann.depth not in channels:
        report.add(WARNING, xml, f"<depth> {ann.depth} but the image is {info.mode}")
    return info


def _check_boxes(xml: str, ann: Annotation, image: ImageInfo | None,
                 classes: list[str] | None, report: CheckReport) -> None:
    width = image.width if image else ann.width
    height = image.height if image else ann.height
    first_seen: dict[tuple, int] = {}
    for number, box in enumerate(ann.boxes, 1):
        where = f"object {number} ({box.name})"
        corners = (box.xmin, box.ymin, box.xmax, box.ymax)
        same = first_seen.setdefault((box.name, *corners), number)
        if same != number:
            report.add(WARNING, xml, f"{where}: duplicate of object {same} (same class and box)")
        fractional = [f"{tag} {value:g}" for tag, value in zip(("xmin", "ymin", "xmax", "ymax"),
                                                               corners)
                      if not float(value).is_integer()]
        if fractional:
            report.add(WARNING, xml, f"{where}: fractional coordinates ({', '.join(fractional)});"
                                     " labelImg writes whole pixels")
        for tag, value in (("xmin", box.xmin), ("ymin", box.ymin)):
            if value < 0:
                report.add(ERROR, xml, f"{where}: {tag} {value:g} < 0")
            elif value < VOC_PIXEL_OFFSET:
                report.add(WARNING, xml, f"{where}: {tag} {value:g}: VOC pixels start at 1 "
                                         "and keras-retinanet drops a box that starts before")
        if box.xmax > width:
            report.add(ERROR, xml, f"{where}: xmax {box.xmax:g} > image width {width}")
        if box.ymax > height:
            report.add(ERROR, xml, f"{where}: ymax {box.ymax:g} > image height {height}")
        if box.xmin >= box.xmax:
            report.add(ERROR, xml, f"{where}: xmin {box.xmin:g} >= xmax {box.xmax:g}")
        if box.ymin >= box.ymax:
            report.add(ERROR, xml, f"{where}: ymin {box.ymin:g} >= ymax {box.ymax:g}")
        if classes is not None and box.name not in classes:
            report.add(ERROR, xml, f"{where}: class '{box.name}' is not in classes.txt")
        report.boxes_per_class[box.name] += 1
        report.box_sizes.append(BoxSize(box.name, box.width, box.height))


def _check_imagesets(layout: VocLayout, report: CheckReport, rel,
                     splits: list[str] | None) -> None:
    if splits is None:
        if not layout.imagesets.is_dir():
            return
        splits = sorted(p.stem for p in layout.imagesets.glob("*.txt"))
    disjoint = [s for s in ("train", "val", "test") if layout.split_path(s).is_file()]
    for number, first in enumerate(disjoint):
        for second in disjoint[number + 1:]:
            if first in splits or second in splits:
                shared = layout.overlap(first, second)
                if shared:
                    report.add(ERROR, rel(layout.split_path(second)),
                               f"{len(shared)} id(s) also in {first}.txt (e.g. {shared[0]}); "
                               "train, val and test must not share images (re-split with "
                               "gesturekit split --force)")
    for split in splits:
        list_file = rel(layout.split_path(split))
        for image_id in dict.fromkeys(layout.read_split(split)):
            if not layout.annotation_path(image_id).is_file():
                report.add(ERROR, list_file, f"{image_id}: no Annotations/{image_id}.xml")
            if not layout.image_path(image_id).is_file():
                report.add(ERROR, list_file, f"{image_id}: no image in JPEGImages")


def _check_interrupted_rename(layout: VocLayout, report: CheckReport, rel) -> None:
    journals = unfinished_journals(layout.images)
    for journal in journals:
        report.add(ERROR, rel(journal.path), "interrupted rename; roll it back with: "
                   f"gesturekit rename --undo {journal.path}")
    hidden = [p for folder in (layout.images, layout.annotations)
              for p in folder.glob(f"{TMP_PREFIX}*")]
    if hidden and not journals:
        report.add(ERROR, rel(hidden[0]), f"{len(hidden)} file(s) hidden by an interrupted "
                   "rename that has no manifest; give them back their names")


def _check_prelabels(layout: VocLayout, report: CheckReport, ids: set[str]) -> None:
    try:
        waiting = [p for p in unreviewed_prelabels(layout) if p.image_id in ids]
    except GestureKitError as err:
        report.add(WARNING, PRELABELS_FILE, _message(err))
        return
    for record in waiting:
        report.add(WARNING, f"Annotations/{record.image_id}.xml",
                   f"pre-labelled by {record.source}, not reviewed yet (correct it in "
                   "gesturekit label; save, or press Space to mark it verified)")


def plot_box_sizes(report: CheckReport, path: str | Path) -> Path:
    """Scatter of box width x height per class, with histograms; PNG via matplotlib Agg."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, (scatter, hist) = plt.subplots(1, 2, figsize=(11, 4.5))
    for name in sorted({b.name for b in report.box_sizes}):
        sizes = [b for b in report.box_sizes if b.name == name]
        scatter.scatter([b.width for b in sizes], [b.height for b in sizes], s=8,
                        alpha=0.6, label=f"{name} ({len(sizes)})")
    scatter.set(xlabel="box width (px)", ylabel="box height (px)",
                title=f"{report.root.name}: box sizes")
    if report.box_sizes:
        scatter.legend(fontsize="small")
        # an inverted box (already an error) has a negative area: no real square root
        areas = [(b.width * b.height) ** 0.5 for b in report.box_sizes
                 if b.width > 0 and b.height > 0]
        hist.hist(areas, bins=30)
    hist.set(xlabel="sqrt(box area) (px)", ylabel="boxes", title="box scale")
    fig.tight_layout()
    return save_figure(fig, path)
