"""Dataset tools: frames from video, safe renames, VOC layout, splits, validation.

The lowest layer of GestureKit: it imports nothing from detector, convert or runtime.
"""
from .annotation import Annotation, Box, read_annotation, write_annotation
from .classes import read_classes, write_classes
from .errors import GestureKitError
from .layout import VocLayout

__all__ = ["Annotation", "Box", "GestureKitError", "VocLayout", "read_annotation",
           "read_classes", "write_annotation", "write_classes"]
