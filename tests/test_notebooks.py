"""The teaching notebooks run, at small size, from a clean kernel (stored without outputs)."""

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_eight_notebooks_stored_without_outputs():
    assert len(NOTEBOOKS) == 8
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert cell.get("outputs") == [] and cell.get("execution_count") is None, path


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("COOPERON_NOTEBOOK_SMALL", "1")
    # the kernel's inline backend: figures become outputs (the documentation shows them)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    # the executed copy feeds the documentation (docs/conf.py), so `make docs` need not run it
    out = ROOT / "out" / "notebooks"
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out / path.name)
    if "plt.show()" in path.read_text() or ".plot(" in path.read_text():
        assert '"image/png"' in (out / path.name).read_text(), "the figures are not in the outputs"
