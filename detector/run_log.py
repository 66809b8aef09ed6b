"""A training run's per-epoch record: ``metrics.csv`` and its curves picture."""
from __future__ import annotations

import csv
from pathlib import Path

from voc_tools.csv_rows import write_csv_dicts

COLUMNS = ("epoch", "loss", "regression_loss", "classification_loss", "val_loss", "map",
           "snapshot")
METRICS_FILE = "metrics.csv"
CURVES_FILE = "curves.png"


def read_metrics(run_dir: str | Path) -> list[dict]:
    """Rows of ``metrics.csv`` (strings as written; empty cells are '')."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_metrics(run_dir: str | Path, rows: list[dict]) -> Path:
    """Rewrite ``metrics.csv`` atomically."""
    path = Path(run_dir) / METRICS_FILE
    return write_csv_dicts(path, COLUMNS, rows)


def _floats(rows: list[dict], key: str) -> tuple[list[int], list[float]]:
    pairs = [(int(r["epoch"]), float(r[key])) for r in rows if r.get(key) not in ("", None)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def plot_curves(run_dir: str | Path, rows: list[dict]) -> Path:
    """Loss (train, val) and val mAP against epoch, saved as ``curves.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_map) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in (("loss", "train loss"), ("val_loss", "val loss")):
        epochs, values = _floats(rows, key)
        if epochs:
            ax_loss.plot(epochs, values, marker="o", label=label)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss (focal + smooth L1)")
    ax_loss.legend()
    ax_loss.grid(alpha=0.3)
    epochs, values = _floats(rows, "map")
    ax_map.plot(epochs, values, marker="o", color="tab:green")
    ax_map.set_ylim(0, 1)
    ax_map.set_xlabel("epoch")
    ax_map.set_ylabel("val mAP@0.5")
    ax_map.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(run_dir) / CURVES_FILE
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
