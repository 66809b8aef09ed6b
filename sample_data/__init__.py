"""Deterministic synthetic hand-gesture data, so every step of the kit runs offline.

``make_sample`` writes videos of procedurally drawn hands (``grab``: a closed fist,
``drop``: an open hand with five spread fingers) with one exact VOC box file per frame;
``render_frame`` draws a single random frame for tests that need no video.
"""
from .hands import DROP, GESTURES, GRAB, HandPose, draw_hand
from .make import CLASSES, SampleSummary, make_sample
from .render import RenderedFrame, mask_box, render_frame
from .sheet import contact_sheet, draw_boxes

__all__ = ["CLASSES", "DROP", "GESTURES", "GRAB", "HandPose", "RenderedFrame",
           "SampleSummary", "contact_sheet", "draw_boxes", "draw_hand", "make_sample",
           "mask_box", "render_frame"]
