"""Keras clip classifiers for dynamic gestures: templates, models, clip data, train, eval.

Layer: beside ``detector`` (imports ``gesturekit.clips`` and ``voc_tools``, never ``convert`` or
``gesturekit.runtime``). A model takes B x T x H x W x 3 (RGB, normalised as its metadata says) and
gives logits; ``convert.clip_export`` wraps it for the runtime's B x C x T x H x W layout.
"""
