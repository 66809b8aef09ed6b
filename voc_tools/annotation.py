"""Pascal VOC annotation files: safe reading and labelImg-compatible writing."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from .errors import GestureKitError

# VOC coordinates are 1-based pixels (labelImg writes xmin=1 for the first column);
# keras-retinanet subtracts 1 when it reads them, and so does every step of the kit.
VOC_PIXEL_OFFSET = 1.0


@dataclass
class Box:
    """One labelled object; coordinates in pixels as written in the XML."""

    name: str
    xmin: float
    ymin: float
    xmax: float
    ymax: float
    difficult: bool = False
    truncated: bool = False
    pose: str = "Unspecified"

    @property
    def width(self) -> float:
        return self.xmax - self.xmin

    @property
    def height(self) -> float:
        return self.ymax - self.ymin


def box_from_pixels(name: str, x1: float, y1: float, x2: float, y2: float, width: int,
                    height: int) -> Box:
    """A VOC box (integer, 1-based, inside the image) from 0-based pixel corners such as
    a detector or a landmark extent gives."""
    def voc(value: float, limit: int) -> int:
        return int(min(max(round(value + VOC_PIXEL_OFFSET), 1), limit))

    return Box(name, voc(x1, width), voc(y1, height), voc(x2, width), voc(y2, height))


@dataclass
class Annotation:
    """The content of one VOC XML file."""

    filename: str
    width: int
    height: int
    depth: int = 3
    boxes: list[Box] = field(default_factory=list)
    folder: str = "JPEGImages"
    path: str = ""
    verified: bool | None = None


def _text(node: ET.Element, tag: str, path: Path, required: bool = True) -> str | None:
    child = node.find(tag)
    if child is None or child.text is None or not child.text.strip():
        if required:
            raise GestureKitError(f"missing <{tag}>", path)
        return None
    return child.text.strip()


def _number(node: ET.Element, tag: str, path: Path) -> float:
    raw = _text(node, tag, path)
    try:
        return float(raw)  # type: ignore[arg-type]
    except ValueError:
        raise GestureKitError(f"<{tag}> is not a number: {raw!r}", path) from None


def parse_xml(path: str | Path) -> ET.Element:
    """Parse an XML file with entity expansion, DTDs and network access refused."""
    path = Path(path)
    try:
        return SafeET.parse(str(path), forbid_dtd=True).getroot()
    except DefusedXmlException as err:
        raise GestureKitError(f"unsafe XML refused ({type(err).__name__})", path) from None
    except ET.ParseError as err:
        raise GestureKitError(f"malformed XML ({err})", path) from None
    except OSError as err:
        raise GestureKitError(f"cannot read ({err.strerror})", path) from None


def read_annotation(path: str | Path) -> Annotation:
    """Read a VOC XML file; raise :class:`GestureKitError` naming the file and field."""
    path = Path(path)
    root = parse_xml(path)
    if root.tag != "annotation":
        raise GestureKitError(f"root element is <{root.tag}>, expected <annotation>", path)
    size = root.find("size")
    if size is None:
        raise GestureKitError("missing <size>", path)
    depth = _text(size, "depth", path, required=False)
    ann = Annotation(
        filename=_text(root, "filename", path) or "",
        width=int(_number(size, "width", path)),
        height=int(_number(size, "height", path)),
        depth=int(float(depth)) if depth else 3,
        folder=_text(root, "folder", path, required=False) or "",
        path=_text(root, "path", path, required=False) or "",
        verified={"yes": True, "no": False}.get(root.get("verified", "")),
    )
    for index, obj in enumerate(root.findall("object")):
        name = _text(obj, "name", path)
        bnd = obj.find("bndbox")
        if bnd is None:
            raise GestureKitError(f"object {index} ({name}) has no <bndbox>", path)
        ann.boxes.append(Box(
            name=name or "",
            xmin=_number(bnd, "xmin", path), ymin=_number(bnd, "ymin", path),
            xmax=_number(bnd, "xmax", path), ymax=_number(bnd, "ymax", path),
            difficult=(_text(obj, "difficult", path, required=False) or "0") == "1",
            truncated=(_text(obj, "truncated", path, required=False) or "0") == "1",
            pose=_text(obj, "pose", path, required=False) or "Unspecified",
        ))
    return ann


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def annotation_to_xml(ann: Annotation) -> ET.Element:
    """Build the labelImg-style element tree of an annotation."""
    root = ET.Element("annotation")
    if ann.verified is not None:
        root.set("verified", "yes" if ann.verified else "no")
    for tag, value in (("folder", ann.folder), ("filename", ann.filename), ("path", ann.path)):
        ET.SubElement(root, tag).text = value
    ET.SubElement(ET.SubElement(root, "source"), "database").text = "Unknown"
    size = ET.SubElement(root, "size")
    for tag, value in (("width", ann.width), ("height", ann.height), ("depth", ann.depth)):
        ET.SubElement(size, tag).text = str(value)
    ET.SubElement(root, "segmented").text = "0"
    for box in ann.boxes:
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = box.name
        ET.SubElement(obj, "pose").text = box.pose
        ET.SubElement(obj, "truncated").text = "1" if box.truncated else "0"
        ET.SubElement(obj, "difficult").text = "1" if box.difficult else "0"
        bnd = ET.SubElement(obj, "bndbox")
        for tag in ("xmin", "ymin", "xmax", "ymax"):
            ET.SubElement(bnd, tag).text = _fmt(getattr(box, tag))
    ET.indent(root, space="\t")
    return root


def write_annotation(ann: Annotation, path: str | Path, overwrite: bool = False) -> Path:
    """Write ``ann`` as VOC XML; refuse to replace an existing file unless ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise GestureKitError("exists; refusing to overwrite", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    ET.ElementTree(annotation_to_xml(ann)).write(tmp, encoding="utf-8", xml_declaration=False)
    tmp.replace(path)
    return path
