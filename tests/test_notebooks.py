"""Execute every notebook under notebooks/: each code cell in order, in one namespace.

Cells run in-process (no Jupyter kernel needed) with T26_HOME pointing at a temporary home;
a notebook's own asserts are its checks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, home: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": "__notebook__"}
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        code = compile(source, f"{path.name}[cell {i}]", "exec")
        exec(code, namespace)


def test_there_is_a_notebook() -> None:
    assert NOTEBOOKS
