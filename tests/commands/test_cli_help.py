"""Every registered command's --help works, and help imports none of the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from commands.main import app

HEAVY = [
    "numpy",
    "polars",
    "duckdb",
    "deltalake",
    "numba",
    "sklearn",
    "statsmodels",
    "riskfolio",
    "mlflow",
    "torch",
    "pandas",
    "pyarrow",
    "ray",
    "cvxpy",
    "scipy",
    "optuna",
]


def walk(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from walk(sub, (*path, name))


ALL = list(walk(typer.main.get_command(app)))


def test_the_foundation_commands_are_registered() -> None:
    paths = {" ".join(p) for p, _ in ALL}
    for expected in (
        "data sample",
        "data build",
        "data ingest",
        "data bars",
        "data ls",
        "data show",
        "data history",
        "data vacuum",
        "data compact",
        "sql",
        "runs ls",
        "runs show",
        "demo",
    ):
        assert expected in paths


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=lambda p: " ".join(p) or "t26")
def test_help_works_and_says_something(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    cmd = dict(ALL)[path]
    text = (cmd.help or "").strip()
    assert len(text) > 20, f"{' '.join(path)} needs a help text"
    if not hasattr(cmd, "commands"):
        assert "--json" in result.output
        assert "Example" in text, f"{' '.join(path)}: give an example in the docstring"


def test_help_imports_no_heavy_library() -> None:
    probe = (
        "import sys, json\n"
        "from commands.main import app\n"
        "from typer.testing import CliRunner\n"
        "import typer\n"
        "def walk(c, p=()):\n"
        "    yield p\n"
        "    for n, s in getattr(c, 'commands', {}).items():\n"
        "        yield from walk(s, (*p, n))\n"
        "r = CliRunner()\n"
        "for p in walk(typer.main.get_command(app)):\n"
        "    assert r.invoke(app, [*p, '--help']).exit_code == 0, p\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_t26_help_in_a_subprocess() -> None:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "commands.main", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert "data" in out.stdout and "sql" in out.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in out.stderr.splitlines() if "|" in line}
    assert not (imported & set(HEAVY)), imported & set(HEAVY)
