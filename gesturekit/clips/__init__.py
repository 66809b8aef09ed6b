"""Dynamic gestures: clip datasets and the Keras clip classifiers trained on them.

Clip data (beside ``voc_tools``, imports it only): the rawframes format
(:mod:`gesturekit.clips.rawframes`), frame dumps, intervals and snippets. Clip classifiers
(:mod:`gesturekit.clips.classifier`, beside ``detector``): templates, models, batches,
training and evaluation.
"""
from .rawframes import (ClipRecord, RAWFRAMES_DIR, frame_path, read_rawframes_annotation,
                        write_rawframes_annotation)

__all__ = ["ClipRecord", "RAWFRAMES_DIR", "frame_path", "read_rawframes_annotation",
           "write_rawframes_annotation"]
