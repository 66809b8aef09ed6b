"""train → best → convert → testDetector through the real commands, on tiny inputs."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from detector.card import load_card
from gesturekit.cli import main

from sample_voc import build_sample_voc

REPO = Path(__file__).resolve().parents[1]
TINY = ["--weights", "none", "--image-min-side", "96", "--image-max-side", "128",
        "--batch-size", "1", "--steps", "2"]


@pytest.fixture(scope="module")
def tiny_voc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_voc(tmp_path_factory.mktemp("tiny"), videos=3, frames=4)


def _test_detector(*argv: str) -> tuple[int, str, str]:
    result = subprocess.run([sys.executable, str(REPO / "testDetector.py"), *argv],
                            capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.slow
def test_resnet50_trains_converts_and_detects(tiny_voc: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    run = tmp_path / "run"
    # keras-retinanet's own model (the paper's 256-wide heads and pyramid, no augmentation)
    assert main(["train", str(tiny_voc), "--out", str(run), "--backbone", "resnet50",
                 "--head-width", "256", "--fpn-width", "256", "--no-random-transform",
                 "--epochs", "1", *TINY]) == 0
    rows = (run / "metrics.csv").read_text().splitlines()
    header, row = rows[0].split(","), dict(zip(rows[0].split(","), rows[1].split(",")))
    assert header[:2] == ["epoch", "loss"] and row["epoch"] == "1"
    assert row["val_loss"] and row["map"] and row["snapshot"] == "snapshots/epoch_001.h5"
    assert (run / "curves.png").stat().st_size > 0
    assert list((run / "logs").rglob("events.out.tfevents.*"))
    meta = load_card(run)
    assert meta.classes == ["grab", "drop"] and meta.backbone == "resnet50"

    capsys.readouterr()
    assert main(["best", str(run)]) == 0
    best = capsys.readouterr().out.strip().splitlines()[-1]
    assert best == f"best: {run / 'snapshots' / 'epoch_001.h5'}"

    model_dir = tmp_path / "model"
    assert main(["convert", str(run / "snapshots" / "epoch_001.h5"), str(model_dir)]) == 0
    assert (model_dir / "saved_model" / "saved_model.pb").is_file()
    converted = load_card(model_dir)
    assert converted.stage == "inference" and converted.image_min_side == 96
    # converting again would overwrite: refused without --force
    assert main(["convert", str(run / "snapshots" / "epoch_001.h5"), str(model_dir)]) == 2

    image = sorted((tiny_voc / "JPEGImages").glob("*.jpg"))[0]
    out_image = tmp_path / "drawn.jpg"
    code, out, err = _test_detector("--model", str(model_dir / "inference.h5"), "--image",
                                    str(image), "--output", str(out_image),
                                    "--threshold", "0")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert records and all(r["class"] in ("grab", "drop") and len(r["box"]) == 4
                           for r in records)
    assert out_image.stat().st_size > 0

    code, _, err = _test_detector("--model", str(run / "snapshots" / "epoch_001.h5"),
                                  "--image", str(image), "--output", str(out_image))
    assert code == 2 and "convert it first" in err and "Traceback" not in err


def test_train_refuses_an_existing_run(tiny_voc: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "train_config.json").write_text("{}")
    assert main(["train", str(tiny_voc), "--out", str(run), *TINY]) == 2
    assert "already holds a training run" in capsys.readouterr().err


def test_train_unknown_backbone_is_one_line(tiny_voc: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture) -> None:
    assert main(["train", str(tiny_voc), "--out", str(tmp_path / "r"), "--backbone",
                 "alexnet", *TINY]) == 2
    err = capsys.readouterr().err
    assert "alexnet" in err and len(err.strip().splitlines()) == 1


def test_imagenet_weights_offline_say_what_to_do() -> None:
    from detector.model import imagenet_weights
    from voc_tools.errors import GestureKitError

    try:
        path = imagenet_weights("mobilenet128_0.25")
    except GestureKitError as err:
        message = str(err)
        assert "--weights none" in message and "\n" not in message
    else:  # online: the real download path worked
        assert Path(path).is_file()


@pytest.mark.slow
def test_ctrl_c_leaves_a_resumable_snapshot(tiny_voc: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    command = [sys.executable, "-m", "gesturekit", "train", str(tiny_voc), "--out", str(run),
               "--backbone", "mobilenet128_0.25", "--head-width", "32", "--fpn-width", "32",
               "--epochs", "50",
               *TINY]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    deadline = time.time() + 240
    while time.time() < deadline and not (run / "resume.json").exists():
        time.sleep(0.5)
    assert (run / "resume.json").exists(), "no epoch finished in time"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    state = json.loads((run / "resume.json").read_text())
    assert state["snapshot"] == "snapshots/interrupted.h5" and state["epoch"] >= 1
    assert (run / "snapshots" / "interrupted.h5").is_file()
    assert "--resume" in err

    done = state["epoch"]
    resumed = subprocess.run([*command[:command.index("--epochs")], "--epochs",
                              str(done + 1), *TINY, "--resume"],
                             capture_output=True, text=True, env=env, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    epochs = [line.split(",")[0] for line in
              (run / "metrics.csv").read_text().splitlines()[1:]]
    assert epochs[-1] == str(done + 1) and len(epochs) == len(set(epochs))
