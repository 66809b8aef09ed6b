"""The capture group of an image, derived from its file name, for leak-free splits.

Near-duplicate frames (one video, one burst, one capture day) must stay on one side of a
train/val split. Exports from labelling tools lose the source video, so the importers
write ``sources.csv`` with a group derived from each image's original name (a Roboflow
``<name>_<ext>.rf.<hash>`` suffix already removed), by the first rule that applies:

1. a date in the name (``YYYYMMDD`` or ``YYYY-MM-DD``, year 19xx/20xx): the text before
   it plus the date, so ``IMG-20230312-WA0065`` -> ``IMG-20230312`` (one capture day)
   and ``Screenshot-2023-03-14-213428`` -> ``Screenshot-20230314``;
2. a trailing frame number: the text before it plus the block of ``frame_block``
   consecutive numbers it falls in, so with blocks of 25 ``a_100`` and ``a_124`` ->
   ``a#4``, ``a_125`` -> ``a#5``, ``when_11`` -> ``when#0``;
3. otherwise the name itself (an image is its own group).
"""
from __future__ import annotations

import re

#: Frames per block of consecutive frame numbers (rule 2).
DEFAULT_FRAME_BLOCK = 25

# a date not inside a longer number, or directly followed by a time (20230312213428)
_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_]?(0[1-9]|1[0-2])[-_]?(0[1-9]|[12]\d|3[01])"
                   r"(?=[-_T]?\d{4,6}(?!\d)|(?!\d))")
_FRAME_NUMBER = re.compile(r"^(?P<prefix>.*?)[-_. ]?(?P<number>\d+)$")


def capture_group(name: str, frame_block: int = DEFAULT_FRAME_BLOCK) -> str:
    """The group of the image named ``name`` (original name, no extension)."""
    if frame_block < 1:
        raise ValueError("frame_block must be >= 1")
    date = _DATE.search(name)
    if date:
        prefix = name[:date.start()].rstrip("-_. ")
        return f"{prefix}-{''.join(date.groups())}" if prefix else "".join(date.groups())
    frame = _FRAME_NUMBER.match(name)
    if frame:
        return f"{frame['prefix']}#{int(frame['number']) // frame_block}"
    return name
