"""Redraw a training run's loss and val-mAP curves inside a notebook after every epoch."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from . import compat  # noqa: F401
from tensorflow import keras  # noqa: E402

from .run_log import CURVES_FILE, plot_curves, read_metrics  # noqa: E402


def notebook_display() -> Callable[[Path], None] | None:
    """A function that shows a PNG in place in the running IPython kernel's output (one
    picture, updated each call); ``None`` outside an IPython kernel."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return None
    handle: list[Any] = []

    def show(png: Path) -> None:
        image = Image(filename=str(png))
        if handle:
            handle[0].update(image)
        else:
            handle.append(display(image, display_id=True))
    return show


class LiveCurves(keras.callbacks.Callback):
    """After each epoch, redraw ``RUN/curves.png`` from ``RUN/metrics.csv`` and show it with
    ``show`` (default: in place in a notebook; nothing outside IPython). Pass it in
    ``detector.train.train(config, callbacks=[LiveCurves(config.out)])``."""

    def __init__(self, run_dir: str | Path, show: Callable[[Path], None] | None = None) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.show = show if show is not None else notebook_display()
        self.shown = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        rows = read_metrics(self.run_dir)
        if self.show is None or not rows:
            return
        self.show(plot_curves(self.run_dir, rows))
        self.shown += 1


__all__ = ["CURVES_FILE", "LiveCurves", "notebook_display"]
