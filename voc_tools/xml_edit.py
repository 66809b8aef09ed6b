"""Byte-stable edits of the header fields (<folder>, <filename>, <path>) of a VOC XML file.

labelImg files are edited in place: only the text of the first top-level ``<folder>``,
``<filename>`` and ``<path>`` elements changes, every other byte stays as it was.
"""
from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape

from .annotation import parse_xml
from .errors import GestureKitError

HEADER_FIELDS = ("folder", "filename", "path")


def _pattern(tag: str) -> re.Pattern[bytes]:
    return re.compile(rb"(<" + tag.encode() + rb">)([^<]*)(</" + tag.encode() + rb">)")


def replace_basename(old_path: str, new_name: str) -> str:
    """``old_path`` with its last component replaced (``/`` or ``\\`` separators kept)."""
    cut = max(old_path.rfind("/"), old_path.rfind("\\"))
    return old_path[:cut + 1] + new_name


def set_header_fields(data: bytes, source: str | Path, **values: str) -> bytes:
    """Return ``data`` with the text of the given header elements replaced.

    ``source`` names the file in errors. The document is first parsed safely (no DTD,
    no entities); a field that is absent from the file is inserted after the previous
    header field (or after ``<annotation>``), indented like labelImg does.
    """
    unknown = set(values) - set(HEADER_FIELDS)
    if unknown:
        raise ValueError(f"not a header field: {sorted(unknown)}")
    root = _parse_bytes(data, source)
    for tag in HEADER_FIELDS:
        if tag not in values:
            continue
        text = escape(values[tag]).encode("utf-8")
        pattern = _pattern(tag)
        element = root.find(tag)
        empty = re.compile(rb"<" + tag.encode() + rb"\s*/>")
        if element is not None and pattern.search(data):
            data = pattern.sub(lambda m: m.group(1) + text + m.group(3), data, count=1)
        elif element is not None and empty.search(data):
            tag_bytes = tag.encode()
            data = empty.sub(lambda m: b"<" + tag_bytes + b">" + text + b"</" + tag_bytes + b">",
                             data, count=1)
        elif element is None:
            data = _insert_field(data, tag, text, source)
        else:
            raise GestureKitError(f"cannot edit <{tag}> in place (unusual markup)", source)
    return data


def _parse_bytes(data: bytes, source: str | Path):
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException
    from xml.etree.ElementTree import ParseError

    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as err:
        raise GestureKitError(f"unsafe XML refused ({type(err).__name__})", source) from None
    except ParseError as err:
        raise GestureKitError(f"malformed XML ({err})", source) from None
    if root.tag != "annotation":
        raise GestureKitError(f"root element is <{root.tag}>, expected <annotation>", source)
    return root


def _insert_field(data: bytes, tag: str, text: bytes, source: str | Path) -> bytes:
    order = HEADER_FIELDS[:HEADER_FIELDS.index(tag)]
    anchor = None
    for previous in reversed(order):
        anchor = _pattern(previous).search(data)
        if anchor:
            break
    if anchor is None:
        anchor = re.search(rb"<annotation[^>]*>", data)
    if anchor is None:
        raise GestureKitError("no <annotation> element", source)
    element = b"\n\t<" + tag.encode() + b">" + text + b"</" + tag.encode() + b">"
    return data[:anchor.end()] + element + data[anchor.end():]


def fix_header_file(path: Path, **values: str) -> bytes:
    """Read ``path`` safely and return its bytes with the header fields set (file untouched)."""
    parse_xml(path)  # clear error for malformed / unsafe files, naming the file
    return set_header_fields(path.read_bytes(), path, **values)
