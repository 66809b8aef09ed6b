"""Where things live in a Pascal VOC dataset root."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .classes import CLASSES_FILE
from .errors import GestureKitError
from .naming import IMAGE_EXTENSIONS
from .text_io import read_text

SPLITS = ("train", "val", "trainval", "test")


@dataclass(frozen=True)
class VocLayout:
    """Paths of a VOC root: JPEGImages, Annotations, ImageSets/Main, classes.txt."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def images(self) -> Path:
        return self.root / "JPEGImages"

    @property
    def annotations(self) -> Path:
        return self.root / "Annotations"

    @property
    def imagesets(self) -> Path:
        return self.root / "ImageSets" / "Main"

    @property
    def classes_file(self) -> Path:
        return self.root / CLASSES_FILE

    def annotation_path(self, image_id: str) -> Path:
        return self.annotations / f"{image_id}.xml"

    def split_path(self, split: str) -> Path:
        return self.imagesets / f"{split}.txt"

    def image_path(self, image_id: str) -> Path:
        """The image file of ``image_id`` (any known extension); JPEG path if none exists."""
        for ext in IMAGE_EXTENSIONS + tuple(e.upper() for e in IMAGE_EXTENSIONS):
            candidate = self.images / f"{image_id}{ext}"
            if candidate.exists():
                return candidate
        return self.images / f"{image_id}.jpg"

    def require(self) -> "VocLayout":
        """Raise a clear error unless this looks like a VOC root."""
        for folder in (self.images, self.annotations):
            if not folder.is_dir():
                raise GestureKitError("not a VOC root (missing folder "
                                      f"{folder.relative_to(self.root)}); "
                                      "run 'gesturekit voc init'", self.root)
        return self

    def read_split(self, split: str) -> list[str]:
        """Image ids listed in ``ImageSets/Main/<split>.txt``."""
        path = self.split_path(split)
        if not path.is_file():
            raise GestureKitError(f"no '{split}' list; run 'gesturekit split'", path)
        ids = []
        for line in read_text(path).splitlines():
            parts = line.split()
            if parts:
                ids.append(parts[0])
        return ids

    def overlap(self, first: str, second: str) -> list[str]:
        """Ids listed in both ImageSets lists ``first`` and ``second`` (sorted)."""
        return sorted(set(self.read_split(first)) & set(self.read_split(second)))

    def refuse_overlap(self, train: str, val: str) -> None:
        """Raise when an id is in both lists: it would inflate the val score."""
        shared = self.overlap(train, val)
        if shared:
            raise GestureKitError(
                f"{len(shared)} id(s) are listed in both {train}.txt and {val}.txt (e.g. "
                f"{shared[0]}); validating on training images inflates val mAP. Re-split "
                "with: gesturekit split ROOT --force", self.imagesets)

    def annotated_ids(self) -> list[str]:
        """Ids of all XML files in Annotations, sorted."""
        return sorted(p.stem for p in self.annotations.glob("*.xml"))
