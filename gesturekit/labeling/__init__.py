"""Annotating a VOC root by hand: labelImg launched on ROOT, fixed to run on Python 3.10+."""
