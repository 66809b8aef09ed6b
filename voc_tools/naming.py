"""File-naming conventions shared by the dataset steps."""
from __future__ import annotations

from pathlib import Path

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
FRAMES_MANIFEST = "frames_manifest.csv"
SOURCES_FILE = "sources.csv"
PRELABELS_FILE = "prelabels.csv"  # XML written by gesturekit prelabel, not reviewed yet


def frame_name(video: str | Path, index: int, ext: str = ".jpg") -> str:
    """Name of frame ``index`` of ``video``: ``<video stem>_<index:06d>.jpg``."""
    return f"{Path(video).stem}_{index:06d}{ext}"


def is_image(path: str | Path) -> bool:
    """True when the file name has an image extension the kit reads."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS
