"""Helpers that make broken copies of real data for the dataset-verb tests.

Every function works on a copy in a temporary folder (``copy_voc`` makes one) and never
touches /work/shared. ``run_verb`` drives one CLI verb module the way ``gesturekit`` does.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import re
import shutil
import stat
from pathlib import Path

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<annotation><folder>JPEGImages</folder><filename>&lol9;</filename>
<size><width>640</width><height>480</height><depth>3</depth></size></annotation>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE annotation [<!ENTITY secret SYSTEM "file://{target}">]>
<annotation><folder>JPEGImages</folder><filename>&secret;</filename>
<size><width>640</width><height>480</height><depth>3</depth></size></annotation>
"""


def copy_voc(source: Path, dest: Path, ids: list[str] | None = None) -> Path:
    """Writable copy of a VOC root (only ``ids`` when given; ImageSets copied whole)."""
    if ids is None:
        shutil.copytree(source, dest)
    else:
        for folder in ("JPEGImages", "Annotations"):
            (dest / folder).mkdir(parents=True)
        for image_id in ids:
            for image in (source / "JPEGImages").glob(f"{image_id}.*"):
                shutil.copy2(image, dest / "JPEGImages" / image.name)
            shutil.copy2(source / "Annotations" / f"{image_id}.xml",
                         dest / "Annotations" / f"{image_id}.xml")
        (dest / "ImageSets" / "Main").mkdir(parents=True)
    for path in [dest, *dest.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return dest


def tree_digest(root: Path) -> dict[str, str]:
    """``relative path -> sha256`` of every file under ``root``."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _xml(root: Path, image_id: str) -> Path:
    return root / "Annotations" / f"{image_id}.xml"


def edit_xml(root: Path, image_id: str, pattern: str, replacement: str, count: int = 1) -> None:
    """Regex-replace text in the XML of ``image_id`` (first ``count`` matches)."""
    path = _xml(root, image_id)
    text, done = re.subn(pattern, replacement, path.read_text(encoding="utf-8"), count=count)
    assert done, f"{pattern!r} not found in {path}"
    path.write_text(text, encoding="utf-8")


def malformed_xml(root: Path, image_id: str) -> None:
    """Cut the XML in the middle of an element."""
    path = _xml(root, image_id)
    path.write_bytes(path.read_bytes()[:200])


def entity_bomb(root: Path, image_id: str) -> None:
    _xml(root, image_id).write_text(BILLION_LAUGHS, encoding="utf-8")


def external_entity(root: Path, image_id: str, target: Path) -> None:
    _xml(root, image_id).write_text(EXTERNAL_ENTITY.format(target=target), encoding="utf-8")


def box_outside(root: Path, image_id: str, xmax: int) -> None:
    """First object's xmax set beyond the image."""
    edit_xml(root, image_id, r"<xmax>\d+</xmax>", f"<xmax>{xmax}</xmax>")


def swapped_x(root: Path, image_id: str) -> None:
    """First object with xmin > xmax."""
    edit_xml(root, image_id, r"<xmin>(\d+)</xmin>(\s*<ymin>\d+</ymin>\s*)<xmax>(\d+)</xmax>",
             r"<xmin>\3</xmin>\2<xmax>\1</xmax>")


def unknown_class(root: Path, image_id: str, name: str) -> None:
    edit_xml(root, image_id, r"<name>[^<]*</name>", f"<name>{name}</name>")


def size_mismatch(root: Path, image_id: str, width: int) -> None:
    edit_xml(root, image_id, r"<width>\d+</width>", f"<width>{width}</width>")


def remove_image(root: Path, image_id: str) -> None:
    for image in (root / "JPEGImages").glob(f"{image_id}.*"):
        image.unlink()


def truncate_jpeg(root: Path, image_id: str) -> Path:
    path = root / "JPEGImages" / f"{image_id}.jpg"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def garbage_video(path: Path) -> Path:
    """A file named like a video that holds random-looking bytes."""
    path.write_bytes(hashlib.sha256(b"gesturekit").digest() * 4000)
    return path


def empty_video(path: Path) -> Path:
    """A zero-byte video file."""
    path.write_bytes(b"")
    return path


def frameless_video(path: Path) -> Path:
    """A real container written by cv2.VideoWriter with no frame in it."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    writer.release()
    return path


def run_verb(verb: str, argv: list[str]) -> int:
    """Run ``gesturekit <verb> argv`` through the verb module, with the CLI's error handling."""
    from voc_tools.errors import GestureKitError

    module = importlib.import_module(f"gesturekit.cli.{verb}")
    parser = argparse.ArgumentParser(prog=f"gesturekit {verb}")
    module.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return int(module.run(args) or 0)
    except GestureKitError as err:
        print(f"gesturekit {verb}: error: {err}")
        return 2


def tiny_voc(root: Path, count: int, val_every: int = 4) -> Path:
    """A valid VOC root of ``count`` distinct 8x8 JPEGs with one box each, classes.txt and
    train/val lists (ids ``frame_<n>``, not yet in the order a rename would give)."""
    import io

    from PIL import Image

    for folder in ("JPEGImages", "Annotations", "ImageSets/Main"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("grab\n", encoding="utf-8")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 0)).save(buffer, "JPEG")
    jpeg = buffer.getvalue()
    train, val = [], []
    for number in range(count):
        image_id = f"frame_{count - number}"
        # a distinct file per image: a JPEG comment segment after SOI holding the id
        comment = image_id.encode()
        (root / "JPEGImages" / f"{image_id}.jpg").write_bytes(
            jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:])
        (root / "Annotations" / f"{image_id}.xml").write_text(
            f"<annotation>\n\t<folder>JPEGImages</folder>\n\t<filename>{image_id}.jpg"
            f"</filename>\n\t<path>/data/JPEGImages/{image_id}.jpg</path>\n\t<size><width>8"
            "</width><height>8</height><depth>3</depth></size>\n\t<object><name>grab</name>"
            "<bndbox><xmin>2</xmin><ymin>2</ymin><xmax>7</xmax><ymax>7</ymax></bndbox>"
            "</object>\n</annotation>\n", encoding="utf-8")
        (val if number % val_every == 0 else train).append(image_id)
    (root / "ImageSets/Main/train.txt").write_text("".join(f"{i}\n" for i in train))
    (root / "ImageSets/Main/val.txt").write_text("".join(f"{i}\n" for i in val))
    return root


def one_error_line(output: str) -> str:
    """The single non-empty line of ``output``; fails when there are more or none."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]
