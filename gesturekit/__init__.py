"""GestureKit: from a few minutes of webcam video to a custom hand-gesture detector."""
import detector  # noqa: F401  (the kit's one TensorFlow setup, before any TensorFlow import)

__version__ = "0.1.0"
