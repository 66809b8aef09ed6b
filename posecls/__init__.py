"""The pose classifier: a small Keras MLP from hand-landmark features to gesture classes.

Layer: beside ``detector`` (imports ``pose``, ``voc_tools`` and ``detector.evaluate``, never
``convert`` or ``runtime``). ``load_pose_classifier`` loads a trained Keras model; the
exported IR/ONNX are loaded by :func:`runtime.pose_detector.load_pose_classifier`, which
gives the same interface (``.classes``, ``.predict(features) -> probabilities``).
"""
from .model import PoseClassifier, load_pose_classifier

__all__ = ["PoseClassifier", "load_pose_classifier"]
