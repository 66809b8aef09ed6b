"""Clip datasets for video classifiers: the rawframes format, frame dumps and snippets.

The lowest layer beside ``voc_tools`` (imports ``voc_tools`` only).
"""
from .rawframes import (ClipRecord, RAWFRAMES_DIR, frame_path, read_rawframes_annotation,
                        write_rawframes_annotation)

__all__ = ["ClipRecord", "RAWFRAMES_DIR", "frame_path", "read_rawframes_annotation",
           "write_rawframes_annotation"]
