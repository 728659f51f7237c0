"""Execute every notebook under notebooks/: each code cell in order, in one namespace.

Cells run in-process (no Jupyter kernel needed) with T26_HOME pointing at a temporary home and
matplotlib drawing off-screen; a notebook's own asserts are its checks. Each notebook has one cell
tagged ``parameters`` (papermill's convention) so it also runs on other symbols and sizes.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
WORKED = [p for p in NOTEBOOKS if not p.name.startswith("01_")]


def _code(path: Path) -> list[tuple[int, dict]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, home: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace: dict[str, object] = {"__name__": "__notebook__"}
    try:
        for i, cell in _code(path):
            source = "".join(cell["source"])
            code = compile(source, f"{path.name}[cell {i}]", "exec")
            exec(code, namespace)
    finally:
        plt.close("all")


@pytest.mark.parametrize("path", WORKED, ids=lambda p: p.name)
def test_worked_notebooks_have_a_parameter_cell_plots_and_no_shell(path: Path) -> None:
    cells = _code(path)
    params = [c for _, c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1, "one cell tagged 'parameters'"
    tree = ast.parse("".join(params[0]["source"]))
    assert all(isinstance(n, ast.Assign) for n in tree.body), "the parameter cell only assigns values"
    source = "\n".join("".join(c["source"]) for _, c in cells)
    assert "plt.subplots" in source, "a worked notebook plots"
    for shell in ("subprocess", "os.system", "!t26", "CliRunner"):
        assert shell not in source, f"notebooks call the library, not the CLI ({shell})"


def test_there_are_the_worked_notebooks() -> None:
    assert len(WORKED) >= 5
