"""Pick the best surviving snapshot of a training run from its ``metrics.csv``.

``gesturekit train`` writes ``RUN_DIR/metrics.csv``: one row per epoch with the columns
``epoch,loss,regression_loss,classification_loss,val_loss,map,snapshot`` where
``snapshot`` is the epoch's .h5 relative to RUN_DIR (empty once deleted) and ``map``
may be empty for epochs that were not evaluated.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from voc_tools.errors import GestureKitError

METRICS_FILE = "metrics.csv"
CRITERIA = ("map", "val_loss")
_OTHER = {"map": "val_loss", "val_loss": "map"}


@dataclass
class BestSnapshot:
    """The chosen snapshot, its epoch (1-based) and that epoch's metrics (None = empty)."""

    path: Path
    epoch: int
    metrics: dict[str, float | None]


def _number(raw: str | None, column: str, line: int, path: Path) -> float | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise GestureKitError(f"line {line}: {column} is not a number: {raw!r}", path) from None
    return None if math.isnan(value) else value


def read_metrics(run_dir: str | Path) -> list[tuple[int, dict[str, float | None], str]]:
    """Rows of ``metrics.csv`` as (epoch, numeric metrics, snapshot path text)."""
    if not Path(run_dir).is_dir():
        raise GestureKitError("run folder not found", run_dir)
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        raise GestureKitError("not found; is this a 'gesturekit train' run folder?", path)
    try:
        return _parse(path)
    except (csv.Error, UnicodeDecodeError) as err:
        raise GestureKitError(f"not a readable CSV file ({err})", path) from None


def _parse(path: Path) -> list[tuple[int, dict[str, float | None], str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in ("epoch", "snapshot") if c not in header]
        if not header:
            raise GestureKitError("empty metrics file (no epoch finished yet?)", path)
        if missing:
            raise GestureKitError(f"missing column(s): {', '.join(missing)}", path)
        rows = []
        for line, row in enumerate(reader, start=2):
            epoch = _number(row["epoch"], "epoch", line, path)
            if epoch is None or not epoch.is_integer():
                raise GestureKitError(f"line {line}: bad epoch {row['epoch']!r}", path)
            metrics = {column: _number(row[column], column, line, path)
                       for column in header if column not in ("epoch", "snapshot")}
            rows.append((int(epoch), metrics, (row["snapshot"] or "").strip()))
    if not rows:
        raise GestureKitError("no epochs recorded yet", path)
    return rows


def _rank(by: str, metrics: dict[str, float | None], epoch: int) -> tuple:
    """Sort key, larger is better: the criterion, then the other one, then later epoch."""
    val_loss = metrics.get("val_loss")
    map_ = metrics.get("map")
    neg_loss = -val_loss if val_loss is not None else -math.inf
    map_key = map_ if map_ is not None else -math.inf
    if by == "map":
        return (map_key, neg_loss, epoch)
    return (neg_loss, map_key, epoch)


def best_snapshot(run_dir: str | Path, by: str = "map") -> BestSnapshot:
    """The surviving snapshot with the highest mAP (ties: lower val_loss, then later epoch)
    or, with ``by='val_loss'``, the lowest validation loss (ties: higher mAP, later epoch)."""
    if by not in CRITERIA:
        raise GestureKitError(f"unknown criterion '{by}'; use one of {', '.join(CRITERIA)}")
    run_dir = Path(run_dir)
    rows = read_metrics(run_dir)
    metrics_path = run_dir / METRICS_FILE
    if by not in rows[0][1]:
        raise GestureKitError(f"no '{by}' column; try --by {_OTHER[by]}", metrics_path)
    if all(metrics.get(by) is None for _, metrics, _ in rows):
        raise GestureKitError(f"column '{by}' is empty in every row; "
                              f"try --by {_OTHER[by]}", metrics_path)
    surviving = [(epoch, metrics, run_dir / snapshot) for epoch, metrics, snapshot in rows
                 if snapshot and (run_dir / snapshot).is_file()]
    if not surviving:
        raise GestureKitError("no snapshot listed in metrics.csv still exists", metrics_path)
    candidates = [row for row in surviving if row[1].get(by) is not None]
    if not candidates:
        epochs = ", ".join(str(epoch) for epoch, _, _ in surviving)
        raise GestureKitError(f"no surviving snapshot (epochs {epochs}) has a '{by}' value; "
                              f"try --by {_OTHER[by]}", metrics_path)
    epoch, metrics, path = max(candidates, key=lambda row: _rank(by, row[1], row[0]))
    return BestSnapshot(path, epoch, metrics)
