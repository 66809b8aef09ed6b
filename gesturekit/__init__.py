"""GestureKit: from a few minutes of webcam video to a custom hand-gesture detector."""
__version__ = "0.1.0"
