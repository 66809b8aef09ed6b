"""Shared fixtures: the read-only real datasets beside the checkout."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

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
