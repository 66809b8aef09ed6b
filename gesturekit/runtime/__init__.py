"""The CPU runtime: one OpenVINO Core serving GestureKit's exported detector beside clip
classifiers and third-party models, each described by a model card.

Modules: :mod:`gesturekit.runtime.cards` (card schema, validation against the model's input),
:mod:`gesturekit.runtime.imaging` (image -> input tensor), :mod:`gesturekit.runtime.detector` and
:mod:`gesturekit.runtime.clip` (adapters per kind), :mod:`gesturekit.runtime.engines` (OpenVINO/onnxruntime
loading), :mod:`gesturekit.runtime.server` (``ModelServer``: sync and async serving),
:mod:`gesturekit.runtime.backends` (``load_detector`` for .h5/.onnx/.xml),
:mod:`gesturekit.runtime.benchmark` (``gesturekit bench``: backends side by side, served models).
Data flows voc_tools -> detector -> convert -> runtime.
"""
from .backends import BACKENDS, load_detector
from .cards import RuntimeCard, read_card_file
from .clip import Clip, ClipPrediction, ClipSampler, center_square, crop, sample_indices
from .server import ModelServer, ServedModel

__all__ = ["BACKENDS", "Clip", "ClipPrediction", "ClipSampler", "ModelServer", "RuntimeCard",
           "ServedModel", "center_square", "crop", "load_detector", "read_card_file",
           "sample_indices"]
