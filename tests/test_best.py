"""Choosing the best surviving snapshot from a run's metrics.csv."""
from __future__ import annotations

from pathlib import Path

import pytest

from detector.best import best_snapshot
from gesturekit.cli import main
from voc_tools.errors import GestureKitError

HEADER = "epoch,loss,regression_loss,classification_loss,val_loss,map,snapshot\n"


def make_run(tmp_path: Path, rows: list[str], existing: tuple[int, ...] = (),
             header: str = HEADER) -> Path:
    """A run folder with metrics.csv and snapshot files for the ``existing`` epochs."""
    run = tmp_path / "run"
    (run / "snapshots").mkdir(parents=True)
    (run / "metrics.csv").write_text(header + "".join(r + "\n" for r in rows))
    for epoch in existing:
        (run / "snapshots" / f"epoch_{epoch:03d}.h5").write_bytes(b"h5")
    return run


def row(epoch: int, val_loss: str, map_: str, kept: bool = True) -> str:
    snapshot = f"snapshots/epoch_{epoch:03d}.h5" if kept else ""
    return f"{epoch},1.0,0.6,0.4,{val_loss},{map_},{snapshot}"


def test_highest_map_wins(tmp_path: Path) -> None:
    run = make_run(tmp_path, [row(1, "0.9", "0.40"), row(2, "0.8", "0.70"),
                              row(3, "0.7", "0.65")], existing=(1, 2, 3))
    best = best_snapshot(run)
    assert (best.epoch, best.path) == (2, run / "snapshots" / "epoch_002.h5")
    assert best.metrics["map"] == 0.70 and best.metrics["val_loss"] == 0.8


def test_map_tie_goes_to_lower_val_loss_then_later_epoch(tmp_path: Path) -> None:
    run = make_run(tmp_path, [row(1, "0.5", "0.7"), row(2, "0.4", "0.7"),
                              row(3, "0.4", "0.7"), row(4, "0.9", "0.7")],
                   existing=(1, 2, 3, 4))
    assert best_snapshot(run).epoch == 3


def test_lowest_val_loss(tmp_path: Path) -> None:
    run = make_run(tmp_path, [row(1, "0.9", ""), row(2, "0.3", ""), row(3, "0.5", "")],
                   existing=(1, 2, 3))
    assert best_snapshot(run, by="val_loss").epoch == 2


def test_deleted_snapshots_are_skipped(tmp_path: Path) -> None:
    # epoch 2 is best but its row lost its snapshot; epoch 3's file was removed by hand
    run = make_run(tmp_path, [row(1, "0.9", "0.5"), row(2, "0.8", "0.9", kept=False),
                              row(3, "0.7", "0.8"), row(4, "0.6", "0.6")], existing=(1, 4))
    best = best_snapshot(run)
    assert best.epoch == 4 and best.path.is_file()


def test_epochs_without_map_are_not_candidates(tmp_path: Path) -> None:
    run = make_run(tmp_path, [row(1, "0.1", ""), row(2, "0.9", "0.2"), row(3, "0.2", "")],
                   existing=(1, 2, 3))
    assert best_snapshot(run).epoch == 2


def test_empty_map_column_suggests_val_loss(tmp_path: Path) -> None:
    run = make_run(tmp_path, [row(1, "0.9", ""), row(2, "0.8", "")], existing=(1, 2))
    with pytest.raises(GestureKitError, match=r"metrics\.csv: column 'map' is empty .* "
                                              r"--by val_loss"):
        best_snapshot(run)


def test_empty_val_loss_column_suggests_map(tmp_path: Path) -> None:
    run = make_run(tmp_path, [row(1, "", "0.3")], existing=(1,))
    with pytest.raises(GestureKitError, match="try --by map"):
        best_snapshot(run, by="val_loss")


def test_map_only_on_deleted_snapshots(tmp_path: Path) -> None:
    run = make_run(tmp_path, [row(1, "0.9", "0.5", kept=False), row(2, "0.8", "")],
                   existing=(2,))
    with pytest.raises(GestureKitError, match=r"no surviving snapshot \(epochs 2\) has a 'map'"):
        best_snapshot(run)


def test_no_surviving_snapshot(tmp_path: Path) -> None:
    run = make_run(tmp_path, [row(1, "0.9", "0.5"), row(2, "0.8", "0.6", kept=False)])
    with pytest.raises(GestureKitError, match="no snapshot listed in metrics.csv still exists"):
        best_snapshot(run)


def test_missing_and_empty_metrics(tmp_path: Path) -> None:
    with pytest.raises(GestureKitError, match="run folder not found"):
        best_snapshot(tmp_path / "nope")
    with pytest.raises(GestureKitError, match=r"metrics\.csv: not found"):
        best_snapshot(tmp_path)
    (tmp_path / "metrics.csv").write_text("")
    with pytest.raises(GestureKitError, match="empty metrics file"):
        best_snapshot(tmp_path)
    (tmp_path / "metrics.csv").write_text(HEADER)
    with pytest.raises(GestureKitError, match="no epochs recorded yet"):
        best_snapshot(tmp_path)


def test_bad_values_name_the_line(tmp_path: Path) -> None:
    run = make_run(tmp_path, [row(1, "0.9", "0.5"), row(2, "low", "0.6")], existing=(1, 2))
    with pytest.raises(GestureKitError, match="line 3: val_loss is not a number: 'low'"):
        best_snapshot(run)


def test_missing_column(tmp_path: Path) -> None:
    run = make_run(tmp_path, ["1,1.0,snapshots/epoch_001.h5"], existing=(1,),
                   header="epoch,loss,snapshot\n")
    with pytest.raises(GestureKitError, match=r"metrics\.csv: no 'map' column; try --by val_loss"):
        best_snapshot(run)
    (run / "metrics.csv").write_text("loss,val_loss\n1.0,0.5\n")
    with pytest.raises(GestureKitError, match=r"missing column\(s\): epoch, snapshot"):
        best_snapshot(run)


def test_cli_prints_a_parsable_best_line(tmp_path: Path,
                                         capsys: pytest.CaptureFixture) -> None:
    run = make_run(tmp_path, [row(1, "0.9", "0.4"), row(2, "0.5", "")], existing=(1, 2))
    assert main(["best", str(run), "--by", "val_loss"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"best: {run / 'snapshots' / 'epoch_002.h5'}"
    assert "epoch 2" in lines[0] and "val_loss=0.5000" in lines[0] and "map=-" in lines[0]


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = make_run(tmp_path, [row(1, "0.9", "")], existing=(1,))
    assert main(["best", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("gesturekit best: error: ") and "--by val_loss" in err
