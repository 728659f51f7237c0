"""Human tables: readable at 100 columns, percentages for returns, plain numbers, weights by size."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from commands import _cli


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    buf = io.StringIO()
    console = Console(file=buf, width=100, color_system=None)
    monkeypatch.setattr(_cli, "_stdout_console", lambda: console)
    return buf


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (15_000_000.0, "15,000,000"),
        (123_456.789, "123,456.79"),
        (0.1234567, "0.1235"),
        (3.2e-6, "0.0000032"),
        (-0.00004567, "-0.0000457"),
        (2.0, "2"),
        (0.0, "0"),
        (3e20, "3e+20"),
    ],
)
def test_numbers_without_scientific_notation(value: float, text: str) -> None:
    assert _cli._fmt(value) == text


def test_narrow_terminal_folds_headers_instead_of_cutting_them(screen: io.StringIO) -> None:
    cols = ["max_drawdown", "max_drawdown_duration", "sharpe_per_period", "sharpe", "sortino", "calmar"]
    row: dict[str, Any] = {c: 0.123456 for c in cols} | {f"metric_{i}": 1.5 for i in range(8)}
    _cli.render_rows("wide", [row])
    out = screen.getvalue()
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 100
    lines = out.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("┏"))
    bottom = next(i for i, line in enumerate(lines) if line.startswith("┡"))
    parts = [line.strip("┃").split("┃") for line in lines[top + 1 : bottom]]
    headers = ["".join(p[j].strip() for p in parts) for j in range(len(parts[0]))]
    assert headers == list(row)  # every header whole (folded over lines), so no two look the same


def test_returns_are_percentages_and_ratios_are_not(screen: io.StringIO) -> None:
    _cli.render_rows("", [{"method": "hrp", "total_return": 0.1234, "sharpe": 1.5, "max_drawdown": -0.2}])
    _cli.render_rows("", [{"metric": "cagr", "p5": -0.05, "p95": 0.25}, {"metric": "sharpe", "p5": -0.5}])
    out = screen.getvalue()
    for text in ("12.34%", "-20.00%", "-5.00%", "25.00%", "-0.5"):
        assert text in out
    assert "1.5%" not in out and "1.50%" not in out and "-50.00%" not in out


def test_weights_largest_first_zeros_folded(screen: io.StringIO) -> None:
    assert _cli._fmt({"AAA": 0.1, "BBB": 0.0, "CCC": -0.5, "DDD": 0.0}) == "CCC=-0.5, AAA=0.1, 2 at 0"
    assert _cli._fmt({"fast": 20, "slow": 50}) == "fast=20, slow=50"  # parameters keep their order
    rows = [{"symbol": s, "weight": w} for s, w in [("A", 0.1), ("B", 0.0), ("C", 0.6), ("D", 0.3)]]
    _cli.render_rows("weights", rows)
    out = screen.getvalue()
    assert out.index("C") < out.index(" D ") < out.index(" A ") and "(1 more at 0)" in out and " B " not in out
