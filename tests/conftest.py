"""Shared fixtures: small factories for homes, lakes and sample data (no network, all in tmp_path)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# CI runs property tests derandomized (the same examples every run, so a red build is
# reproducible and never flaky); locally they explore new examples each run.
settings.register_profile("ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("POLARS_ALLOW_FORKING_THREAD", "1")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh Trade2026 home; T26_HOME points at it so CLI and library agree."""
    h = tmp_path / "home"
    monkeypatch.setenv("T26_HOME", str(h))
    monkeypatch.delenv("T26_MLFLOW_URI", raising=False)
    monkeypatch.delenv("T26_LAKE", raising=False)
    monkeypatch.chdir(tmp_path)
    return h


@pytest.fixture
def lake(home: Path) -> Any:
    from trade2026.lake import Lake

    return Lake(home)


@pytest.fixture(scope="session")
def small_sample() -> Any:
    """A small deterministic universe: 8 symbols, 3 years, ticks for 1 symbol over 2 days."""
    from trade2026.datasets import generate

    return generate(symbols=8, years=3, seed=0, intraday_symbols=1, intraday_days=2, ticks_per_day=2000)


@pytest.fixture
def sample_lake(lake: Any, small_sample: Any) -> Any:
    from trade2026.datasets import write_sample

    write_sample(lake, small_sample)
    return lake


@pytest.fixture
def cli(home: Path) -> Callable[..., Any]:
    """Invoke ``t26`` in-process: ``cli("data", "ls", "--json")`` -> click Result."""
    from typer.testing import CliRunner

    from commands.main import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke
