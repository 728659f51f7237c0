"""Backtest-live parity: the paper venue replay fills as run_backtest does on the same bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026.backtest import make_config, run_backtest, strategy_positions
from trade2026.errors import ConfigError
from trade2026.live import replay_paper

SPEC = "sma_cross:fast=20,slow=50"


@pytest.fixture(scope="module")
def bars(small_sample: Any) -> pl.DataFrame:
    b = small_sample.bars_1d
    return b.filter(pl.col("symbol").is_in(sorted(b["symbol"].unique())[:3]))


def _parity(bars: pl.DataFrame, tmp: Path, spec: str = SPEC, **settings: Any) -> None:
    bt = run_backtest(bars, strategy_positions(spec, bars), **settings)
    res, engine, venue = replay_paper(bars, spec, run_dir=tmp / "run1", config=make_config(**settings))
    eq = np.array([e for _, e in res.equity])
    np.testing.assert_allclose(eq, bt.equity["equity"].to_numpy(), rtol=1e-12)
    fills = pl.DataFrame(res.fills)
    assert fills.height == bt.fills.height > 0
    assert fills["symbol"].to_list() == bt.fills["symbol"].to_list()
    np.testing.assert_allclose(fills["qty"].to_numpy(), bt.fills["qty"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(fills["price"].to_numpy(), bt.fills["price"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(fills["fee"].to_numpy(), bt.fills["cost"].to_numpy(), rtol=1e-12, atol=1e-12)
    final = bt.fills.group_by("symbol").agg(pl.col("qty").sum())
    for sym, q in final.iter_rows():
        assert engine.portfolio.qty(sym) == pytest.approx(q, rel=1e-12, abs=1e-9)
    assert venue.cash == engine.portfolio.cash


def test_one_symbol_matches_the_default_backtest(bars: pl.DataFrame, tmp_path: Path) -> None:
    one = bars.filter(pl.col("symbol") == bars["symbol"][0])
    _parity(one, tmp_path)


@pytest.mark.parametrize(
    "settings",
    [
        {"commission_bps": 5.0, "slippage_bps": 2.0, "slippage_range": 0.1, "commission_fixed": 1.0},
        {"sizing": "notional", "commission_per_share": 0.01, "fill": "close"},
    ],
)
def test_portfolio_mode_with_costs_matches(bars: pl.DataFrame, tmp_path: Path, settings: dict[str, Any]) -> None:
    _parity(bars, tmp_path, mode="portfolio", **settings)


def test_signal_strategy_matches(bars: pl.DataFrame, tmp_path: Path) -> None:
    sig = bars.with_columns(pred=(pl.col("close").pct_change().over("symbol").fill_null(0.0) > 0).cast(pl.Float64))
    _parity(sig, tmp_path, spec="signal:pred", mode="portfolio", commission_bps=3.0)


def test_stops_are_refused_not_ignored(bars: pl.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="stop_loss"):
        replay_paper(bars, SPEC, run_dir=tmp_path / "r", config=make_config(stop_loss=0.05))
