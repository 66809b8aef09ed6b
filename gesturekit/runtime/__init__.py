"""The CPU runtime: one OpenVINO Core serving GestureKit's exported detector beside clip
classifiers, pose classifiers and third-party models, each described by its model card.

Models run through the kit's one engine, :mod:`detector.engine` (card, adapter per kind,
Keras / onnxruntime / OpenVINO backends); the runtime adds what serving needs:
:mod:`gesturekit.runtime.server` (``ModelServer``: one Core, sync and async serving),
:mod:`gesturekit.runtime.clip` (clip sampling and the clip-classifier adapter; the
pose-classifier one is :mod:`gesturekit.pose.adapter`), :mod:`gesturekit.runtime.cards` (cards shipped for third-party
models), :mod:`gesturekit.runtime.backends` (``load_detector`` for .h5/.onnx/.xml),
:mod:`gesturekit.runtime.benchmark` (``gesturekit bench``: backends side by side, served
models), the tracker, the demo and the pose route.
Data flows voc_tools -> detector -> convert -> runtime.
"""
from detector.card import ModelCard, read_card_file

from .backends import BACKENDS, load_detector
from .clip import Clip, ClipPrediction, ClipSampler, center_square, crop, sample_indices
from .server import ModelServer, ServedModel

__all__ = ["BACKENDS", "Clip", "ClipPrediction", "ClipSampler", "ModelCard", "ModelServer",
           "ServedModel", "center_square", "crop", "load_detector", "read_card_file",
           "sample_indices"]
