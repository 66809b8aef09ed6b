"""Deterministic synthetic hand-gesture data, so every step of the kit runs offline.

``make_sample`` writes videos of procedurally drawn hands (``grab``: a closed fist,
``drop``: an open hand with five spread fingers) with one exact VOC box file per frame;
``render_frame`` draws a single random frame for tests that need no video.
``make_dynamic_sample`` writes short videos of the open hand swiping left or right or idling
(``swipe_left``, ``swipe_right``, ``no_gesture``) with their labelled intervals, for clip
classifiers.
"""
from .hands import DROP, GESTURES, GRAB, HandPose, draw_hand
from .dynamic import DynamicSummary, make_dynamic_sample
from .make import CLASSES, SampleSummary, make_sample
from .render import RenderedFrame, mask_box, render_frame
from .sheet import contact_sheet, draw_boxes
from .swipes import DYNAMIC_CLASSES, NO_GESTURE, SWIPE_LEFT, SWIPE_RIGHT

__all__ = ["CLASSES", "DROP", "DYNAMIC_CLASSES", "DynamicSummary", "GESTURES", "GRAB",
           "HandPose", "NO_GESTURE", "RenderedFrame", "SWIPE_LEFT", "SWIPE_RIGHT",
           "SampleSummary", "contact_sheet", "draw_boxes", "draw_hand", "make_dynamic_sample",
           "make_sample", "mask_box", "render_frame"]
