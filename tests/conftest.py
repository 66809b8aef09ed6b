"""Shared fixtures: the read-only real datasets beside the checkout."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import detector  # noqa: F401,E402  (the kit's one TensorFlow setup, before any test imports TF)

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GESTUREKIT_SHARED", REPO.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """A path inside ../shared, or skip the test with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} is absent")
    return path


@pytest.fixture
def plums_voc() -> Path:
    return shared_path("data", "plums-voc")


@pytest.fixture
def raccoon_voc() -> Path:
    return shared_path("data", "raccoon-voc")


@pytest.fixture
def hands_video() -> Path:
    return shared_path("videos", "hands.mp4")


@pytest.fixture(scope="session")
def small_detector(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One briefly trained small detector for the whole session, through the real CLI:
    sample (3 videos x 12 frames) -> VOC root -> train (1 epoch, 20 steps) -> convert.
    Returns {"root": VOC root, "model": converted model folder, "base": its work folder}.
    Tests must not change these files (copy what you modify)."""
    from gesturekit import cli
    from sample_voc import build_sample_voc

    base = tmp_path_factory.mktemp("small_detector")
    root = build_sample_voc(base / "data", videos=3, frames=12)
    run = base / "run"
    assert cli.main(["train", str(root), "--out", str(run), "--backbone", "mobilenet128_0.5",
                     "--weights", "none", "--head-width", "32", "--image-min-side", "128",
                     "--image-max-side", "171", "--batch-size", "8", "--epochs", "1",
                     "--steps", "20", "--lr", "1e-3"]) == 0
    snapshot = sorted((run / "snapshots").glob("*.h5"))[-1]
    assert cli.main(["convert", str(snapshot), str(base / "model")]) == 0
    return {"root": root, "model": base / "model", "base": base}
