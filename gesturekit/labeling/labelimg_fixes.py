"""Run-time fixes that let labelImg 1.8.6 (its last release) run on Python 3.10+.

Python 3.10 stopped converting floats to ``int`` implicitly, and PyQt5 follows it: a float
passed where Qt wants an ``int`` raises ``TypeError`` (inside a Qt event handler PyQt then
aborts the whole application), and a float emitted through a signal declared ``int`` arrives
as a garbage number. labelImg computes positions and scroll/zoom steps in floats, so it aborts
as soon as a box is drawn or the mouse wheel turns.

The installed files stay untouched. :func:`install` swaps three classes, in the namespace of
``labelImg.labelImg`` where its main window looks them up, for subclasses that fix exactly the
calls listed on each class below. Apply it before the main window is created.
"""
from __future__ import annotations

from PyQt5.QtCore import QLineF, QPointF, QRectF, Qt, pyqtSignal
from PyQt5.QtGui import QPainter
from PyQt5.QtWidgets import QScrollArea, QScrollBar

import labelImg.labelImg as labelimg_app
from libs.canvas import Canvas
from libs.zoomWidget import ZoomWidget


def _has_float(values: tuple) -> bool:
    return any(isinstance(value, float) for value in values)


class FloatPainter(QPainter):
    """Takes float coordinates where labelImg passes them to QPainter's int-only overloads.

    Fixes (TypeError, app aborts): ``Canvas.paintEvent`` ``drawRect(x, y, w, h)`` of the box
    being drawn and ``drawLine(x1, y1, x2, y2)`` of the cross-hair in create mode, and
    ``Shape.paint`` ``drawText(x, y, label)`` when "Display Labels" is on. The floats go to the
    QRectF / QLineF / QPointF overloads, so nothing is rounded.
    """

    def drawRect(self, *args):  # noqa: N802 (Qt's name)
        if len(args) == 4 and _has_float(args):
            args = (QRectF(*args),)
        super().drawRect(*args)

    def drawLine(self, *args):  # noqa: N802
        if len(args) == 4 and _has_float(args):
            args = (QLineF(*args),)
        super().drawLine(*args)

    def drawText(self, *args):  # noqa: N802
        if len(args) == 3 and _has_float(args[:2]):
            args = (QPointF(args[0], args[1]), args[2])
        super().drawText(*args)


class FixedCanvas(Canvas):
    """labelImg's canvas painting with :class:`FloatPainter`, panning with float deltas.

    ``scrollRequest`` is redeclared ``(float, int)``: panning (left-drag on the image in edit
    mode) emits float deltas, which the original ``(int, int)`` signal delivers as garbage
    (the view jumps to an edge). The wheel's int deltas pass through unchanged.
    """

    scrollRequest = pyqtSignal(float, int)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._painter = FloatPainter()


class RoundingZoomWidget(ZoomWidget):
    """Zoom spin box that rounds the value it is given.

    Fixes (TypeError, app aborts): Ctrl+wheel -> ``MainWindow.zoom_request`` ->
    ``add_zoom(10 * delta / 120)`` -> ``set_zoom`` -> ``zoom_widget.setValue(float)``.
    """

    def setValue(self, value: float) -> None:  # noqa: N802
        super().setValue(round(value))


class RoundingScrollBar(QScrollBar):
    """Scroll bar that rounds the value it is given.

    Fixes (TypeError, app aborts): ``MainWindow.scroll_request`` (mouse wheel, panning)
    ``bar.setValue(value + step * delta / 120)`` and ``MainWindow.zoom_request`` (Ctrl+wheel)
    ``h_bar.setValue`` / ``v_bar.setValue`` of a float.
    """

    def setValue(self, value: float) -> None:  # noqa: N802
        super().setValue(round(value))


class RoundingScrollArea(QScrollArea):
    """labelImg's scroll area around the canvas, with :class:`RoundingScrollBar` bars
    (the main window takes its ``scroll_bars`` from here)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setVerticalScrollBar(RoundingScrollBar(Qt.Vertical))
        self.setHorizontalScrollBar(RoundingScrollBar(Qt.Horizontal))


def install() -> None:
    """Make labelImg's main window build the fixed classes (idempotent)."""
    labelimg_app.Canvas = FixedCanvas
    labelimg_app.ZoomWidget = RoundingZoomWidget
    labelimg_app.QScrollArea = RoundingScrollArea


def installed() -> bool:
    """True when :func:`install` is in effect."""
    return labelimg_app.Canvas is FixedCanvas
