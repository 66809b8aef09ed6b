"""A clip-training run's record: ``metrics.csv`` (one row per epoch), ``curves.png``, and
which snapshot is the best (highest val top-1, then lowest val loss, then latest)."""
from __future__ import annotations

import math
from pathlib import Path

from detector.run_log import METRICS_FILE, read_metrics
from voc_tools.csv_rows import write_csv_dicts
from voc_tools.errors import GestureKitError

COLUMNS = ("epoch", "loss", "top1", "val_loss", "val_top1", "lr", "seconds", "snapshot")
CURVES_FILE = "curves.png"
SNAPSHOTS_DIR = "snapshots"

__all__ = ["COLUMNS", "METRICS_FILE", "read_metrics", "write_rows", "plot_run",
           "best_row", "best_snapshot", "last_snapshot"]


def write_rows(work_dir: Path, rows: list[dict]) -> Path:
    """Rewrite ``metrics.csv`` (through a temporary file)."""
    path = work_dir / METRICS_FILE
    return write_csv_dicts(path, COLUMNS, rows)


def _series(rows: list[dict], key: str) -> tuple[list[int], list[float]]:
    kept = [r for r in rows if r.get(key) not in ("", None)]
    return [int(r["epoch"]) for r in kept], [float(r[key]) for r in kept]


def plot_run(work_dir: Path, rows: list[dict]) -> Path:
    """Loss and top-1 (train, val) against epoch, as ``curves.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, (metric, label) in zip(axes, (("loss", "loss (cross-entropy)"),
                                            ("top1", "top-1 accuracy"))):
        for prefix, who in (("", "train"), ("val_", "val")):
            epochs, values = _series(rows, prefix + metric)
            if epochs:
                axis.plot(epochs, values, marker="o", label=who)
        axis.set_xlabel("epoch")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        axis.legend()
    axes[1].set_ylim(0, 1.02)
    fig.tight_layout()
    path = work_dir / CURVES_FILE
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def rank(row: dict) -> tuple:
    """Higher is better: val top-1, then lower val loss, then the later epoch."""
    top1 = float(row["val_top1"]) if row.get("val_top1") else -1.0
    loss = float(row["val_loss"]) if row.get("val_loss") else math.inf
    return top1, -loss, int(row["epoch"])


def best_row(rows: list[dict]) -> dict | None:
    alive = [r for r in rows if r.get("snapshot")]
    return max(alive, key=rank) if alive else None


def _snapshot_of(work_dir: Path, row: dict | None, what: str) -> Path:
    if row is None:
        raise GestureKitError(f"no {what} snapshot in {METRICS_FILE}; train first with "
                              "'gesturekit clip-train WORK_DIR --data DATA_DIR'", work_dir)
    path = work_dir / row["snapshot"]
    if not path.is_file():
        raise GestureKitError(f"the {what} snapshot listed in {METRICS_FILE} is missing", path)
    return path


def best_snapshot(work_dir: str | Path) -> Path:
    """The run's best snapshot by val top-1."""
    work_dir = Path(work_dir)
    return _snapshot_of(work_dir, best_row(read_metrics(work_dir)), "best")


def last_snapshot(work_dir: str | Path) -> Path:
    """The snapshot of the run's latest epoch."""
    work_dir = Path(work_dir)
    alive = [r for r in read_metrics(work_dir) if r.get("snapshot")]
    latest = max(alive, key=lambda r: int(r["epoch"])) if alive else None
    return _snapshot_of(work_dir, latest, "last")
