"""Reading images with one-line errors instead of silent ``None``, huge ones reduced
while they are decoded."""
from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import cv2
import numpy as np

from .errors import GestureKitError

if TYPE_CHECKING:
    import PIL.Image

DECODE_MAX_SIDE = 4096
"""Images whose longer side exceeds this are decoded at 1/2, 1/4 or 1/8 of their size (a
10000×10000 JPEG then takes about 75 MB instead of 300 MB, and its peak 150 MB instead of
640 MB); every model the kit trains sees far fewer pixels than this."""

_REDUCED_COLOR = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                  8: cv2.IMREAD_REDUCED_COLOR_8}


def decode_reduction(width: int, height: int, max_side: int = DECODE_MAX_SIDE) -> int:
    """The largest of 1, 2, 4 and 8 that keeps the longer side at or above ``max_side``
    (1 for an image that is not longer than ``max_side``)."""
    reduction = 1
    while reduction < 8 and max(width, height) // (reduction * 2) >= max_side:
        reduction *= 2
    return reduction


@contextmanager
def open_pil(path: str | Path) -> Iterator["PIL.Image.Image"]:
    """PIL's lazy ``Image.open`` without its decompression-bomb warning: the kit decodes
    huge images reduced (see ``DECODE_MAX_SIDE``)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            yield image


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) from the image's header, without decoding its pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with open_pil(path) as image:
            return image.size
    except FileNotFoundError:
        raise GestureKitError("image not found", path) from None
    except Image.DecompressionBombError as error:
        raise GestureKitError(f"image too large to read ({error})", path) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise GestureKitError("not a readable image", path) from None


def read_image_bgr(path: str | Path, reduction: int = 1) -> np.ndarray:
    """Read an image as an H×W×3 uint8 BGR array (grayscale and alpha converted), at
    1/``reduction`` of its size (1, 2, 4 or 8; JPEGs are reduced while decoding)."""
    path = Path(path)
    if not path.is_file():
        raise GestureKitError("image not found", path)
    data = np.fromfile(str(path), dtype=np.uint8)
    flags = cv2.IMREAD_UNCHANGED if reduction == 1 else (
        _REDUCED_COLOR[reduction] | cv2.IMREAD_IGNORE_ORIENTATION)
    image = cv2.imdecode(data, flags) if data.size else None
    if image is None:
        raise GestureKitError("not a readable image", path)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.dtype == np.uint16:  # 65535 -> 255: the same scale for every image
        image = (image // 257).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(1, int(image.max())))
    return image


class BoundedImage(NamedTuple):
    """An image decoded at ``scale`` (1, 1/2, 1/4 or 1/8) of its original ``width`` ×
    ``height``."""

    pixels: np.ndarray
    scale: float
    width: int
    height: int


def read_image_bounded(path: str | Path, max_side: int = DECODE_MAX_SIDE) -> BoundedImage:
    """Read an image, reduced while decoding when it is longer than ``max_side`` (the
    scale training uses for the same image, see ``detector.data``)."""
    width, height = image_size(path)
    reduction = decode_reduction(width, height, max_side)
    return BoundedImage(read_image_bgr(path, reduction), 1.0 / reduction, width, height)
