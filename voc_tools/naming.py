"""File-naming conventions shared by the dataset steps."""
from __future__ import annotations

import re
from pathlib import Path

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
FRAMES_MANIFEST = "frames_manifest.csv"
SOURCES_FILE = "sources.csv"
PRELABELS_FILE = "prelabels.csv"  # XML written by gesturekit prelabel, not reviewed yet


def frame_name(video: str | Path, index: int, ext: str = ".jpg") -> str:
    """Name of frame ``index`` of ``video``: ``<video stem>_<index:06d>.jpg`` (whitespace in
    the stem becomes ``_``: an image id is one word, see :func:`id_problem`)."""
    stem = re.sub(r"\s+", "_", Path(video).stem)
    return f"{stem}_{index:06d}{ext}"


def id_problem(image_id: str) -> str | None:
    """Why ``image_id`` cannot be a VOC image id (None when it can): ImageSets lists hold
    one id per line and readers stop at the first space."""
    if not image_id or any(c.isspace() for c in image_id):
        return (f"the id {image_id!r} contains whitespace, which ImageSets lists cannot "
                "hold; rename the images first (gesturekit rename DIR --prefix NAME_)")
    return None


def is_image(path: str | Path) -> bool:
    """True when the file name has an image extension the kit reads."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS
