"""The tutorial notebooks: committed without outputs, and all six run top to bottom, in
order, in one work folder with the quick settings (GESTUREKIT_QUICK=1), on the kit's own
interpreter."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CELL_TIMEOUT_S = 600
PICTURES = {"image/png", "image/jpeg", "text/markdown"}  # 05's speed table is Markdown


def test_the_six_steps_are_there_in_order() -> None:
    assert [p.name[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_", "04_", "05_", "06_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path: Path) -> None:
    """Outputs are stripped in git: no outputs, no execution counts."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and notebook.cells[0].cell_type == "markdown"
    dirty = [i for i, cell in enumerate(code) if cell.outputs or cell.execution_count]
    assert not dirty, f"{path.name}: code cells {dirty} hold outputs; clear them before committing"
    assert "YOUR DATA / FULL SETTINGS" in code[0].source


def _kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernel spec that runs this interpreter (not whatever 'python3' means elsewhere)."""
    from ipykernel.kernelspec import install

    name = "gesturekit-test"
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter" / "share" / "jupyter"))
    install(kernel_name=name, prefix=str(tmp_path / "jupyter"))
    return name


@pytest.mark.slow
def test_notebooks_run_in_order_on_the_quick_settings(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    work = tmp_path / "work"
    monkeypatch.setenv("GESTUREKIT_WORK", str(work))
    monkeypatch.setenv("GESTUREKIT_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    kernel = _kernel(tmp_path, monkeypatch)
    seconds = {}
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        started = time.perf_counter()
        NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name=kernel,
                       resources={"metadata": {"path": str(REPO)}}).execute()
        seconds[path.name] = round(time.perf_counter() - started)
        nbformat.write(notebook, tmp_path / path.name)  # executed copy, to look at on failure
        shown = [o for cell in notebook.cells if cell.cell_type == "code"
                 for o in cell.outputs if set(o.get("data", {})) & PICTURES]
        assert shown, f"{path.name} showed no picture or table"
    print("notebook seconds:", seconds, file=sys.stderr)
    assert (work / "voc" / "ImageSets" / "Main" / "val.txt").is_file()
    assert len(list((work / "run" / "snapshots").glob("epoch_*.h5"))) >= 1
    assert (work / "model" / "eval_val.json").is_file()
    for name in ("model.onnx", "model.xml", "model_int8.xml"):
        assert (work / "export" / name).is_file(), name
    assert (work / "bench.md").is_file() and (work / "detections.jpg").is_file()
    assert len(list((work / "demo").glob("*.jsonl"))) == 3
    if _hands_installed():  # 02 pre-labelled the scratch copy, never the dataset itself
        assert list((work / "prelabel_try" / "Annotations").glob("*.xml"))
        assert not (work / "voc" / "prelabels.csv").exists()


def _hands_installed() -> bool:
    from gesturekit.pose.hands import hands_python
    from voc_tools.errors import GestureKitError

    try:
        hands_python()
    except GestureKitError:
        return False
    return True
