"""The seed-story notebook runs from top to bottom, and its answers show as tables and a picture."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook extra (nbformat) is not installed")
nbclient = pytest.importorskip("nbclient", reason="the notebook extra (nbclient) is not installed")
pytest.importorskip("ipykernel", reason="the notebook extra (ipykernel) is not installed")
pytest.importorskip("pandas", reason="the notebook extra (pandas) is not installed")
pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "seed_story.ipynb"


def test_seed_story_notebook_runs(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), "kept without outputs"
    client = nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if any cell fails
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    html = [output["data"]["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    assert any("1500 patents (3 listed, 1497 undisclosed)" in page for page in html)
    assert any("Chain of title of EP1000001" in page for page in html)
    assert any("licences held: 2" in page for page in html)
    assert any("image/png" in output.get("data", {}) for output in outputs), "the timeline is drawn inline"
