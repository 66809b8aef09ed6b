"""What the kit installs and sets up: the design card's top level only, TensorFlow set up in
one place, and a runtime that serves models without TensorFlow (the core install)."""
from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import shared_path

REPO = Path(__file__).resolve().parents[1]
TOP_LEVEL = {"convert", "detector", "gesturekit", "sample_data", "voc_tools"}


@pytest.mark.slow  # builds the wheel (~15 s)
def test_only_the_design_cards_packages_are_installed(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(tmp_path), str(REPO)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("gesturekit-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        assert set(archive.read(top_level).decode().split()) == TOP_LEVEL
    roots = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert roots == TOP_LEVEL  # no testDetector module, no other package
    assert "gesturekit/runtime/cards/person-detection-asl-0001.yaml" in names
    assert "detector/weights/hands.h5" in names


def test_tensorflow_is_set_up_in_one_place() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True,
                             text=True).stdout.split()
    setting = re.compile(r"""(environ\[|setdefault\(|setenv\(|export |["'])\s*["']?"""
                         r"""TF_USE_LEGACY_KERAS["']?\s*(\]\s*=|,|=|:)""")
    places = [name for name in tracked if name.endswith((".py", ".sh", ".ipynb"))
              and name != "tests/test_layout.py"
              and setting.search((REPO / name).read_text(encoding="utf-8"))]
    assert places == ["detector/__init__.py"]
    import gesturekit  # noqa: F401  (importing the kit sets it up)
    import os

    assert os.environ["TF_USE_LEGACY_KERAS"] == "1"


BLOCK_STACK = """
import sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"tensorflow", "tf_keras", "keras", "keras_retinanet",
                                  "tf2onnx", "onnx", "nncf", "libs"}:
            raise ImportError(f"{name} is not installed in a runtime-only environment")
sys.meta_path.insert(0, Blocked())
"""


def test_the_runtime_serves_without_the_training_stack(tmp_path: Path) -> None:
    """The core install (no extras) runs the OpenVINO runtime and the CLI: TensorFlow,
    keras-retinanet and the export tools are blocked from importing, and a real IR still
    detects, served and through load_detector alike."""
    model = shared_path("models", "person-detection-asl-0001", "FP32",
                        "person-detection-asl-0001.xml")
    video = shared_path("videos", "hands.mp4")
    script = BLOCK_STACK + f"""
from gesturekit.runtime import ModelServer, load_detector
from voc_tools.frames import read_video_frames
frame = next(iter(read_video_frames({str(video)!r}, 1)))
served = ModelServer().add("person", {str(model)!r})
found = served.detect(frame, score_threshold=0.0)
same = load_detector({str(model)!r}).detect(frame, score_threshold=0.0)
assert len(found) == len(same) > 0, (len(found), len(same))
print("served", len(found), "detections without", sorted(
    m for m in ("tensorflow", "keras_retinanet", "tf2onnx") if m in sys.modules) or "any")
from gesturekit.cli import build_parser
build_parser()  # every verb's options, as 'gesturekit --help' shows them
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "without any" in done.stdout
