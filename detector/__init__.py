"""Training, evaluating and converting keras-retinanet detectors with your own classes.

Importing this package sets TF_USE_LEGACY_KERAS=1; import it before TensorFlow.
"""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
