"""Training, evaluating and converting keras-retinanet detectors with your own classes.

The kit's one TensorFlow setup lives here, so it runs once on import of any part of the
kit that can reach TensorFlow (``detector``, ``convert`` and ``gesturekit`` all import this
package first): ``TF_USE_LEGACY_KERAS=1`` (keras-retinanet needs tf-keras, the Keras 2
API) and quiet native logs. :mod:`detector.compat` adds the import shims for
keras-retinanet's dependencies.
"""
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
