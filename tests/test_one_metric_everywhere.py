"""One returns series, one set of numbers: every public entry point that reports returns metrics
(core.returns_metrics, the backtest's re-export, sweep metrics, `sim mc` observed metrics and a
portfolio backtest) gives identical values, edge cases included (issue 11)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

import trade2026.backtest as bt
from trade2026.core import returns_metrics
from trade2026.portfolio import backtest as portfolio_backtest
from trade2026.sim import monte_carlo

KEYS = ("total_return", "cagr", "ann_vol", "sharpe", "sortino", "calmar", "max_drawdown", "n_obs")
RNG = np.random.default_rng(11)
SERIES = {
    "random": RNG.normal(0.0004, 0.012, 300),
    "constant": np.full(40, 0.001),
    "all-zero": np.zeros(40),
    "one-bar": np.array([0.02]),
    "nan-gaps": np.where(RNG.random(120) < 0.2, np.nan, RNG.normal(0.0, 0.01, 120)),
}


def _same(a: object, b: object) -> bool:
    a, b = float(a), float(b)  # type: ignore[arg-type]
    return (math.isnan(a) and math.isnan(b)) or a == b


def _sweep_metrics(r: np.ndarray) -> dict[str, float]:
    n = r.size
    ts = pl.Series("ts", [dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=i) for i in range(n)])
    sweep = bt.SweepResult(
        strategy="sma_cross",
        params=[{"fast": 1, "slow": 2}, {"fast": 1, "slow": 3}],
        ts=ts,
        returns=np.column_stack([r, np.zeros(n)]),
        turnover=np.zeros(2),
        exposure=np.zeros(2),
        fills=np.zeros(2, dtype=np.int64),
        config=bt.make_config(periods_per_year=252),
    )
    return {k: float(v[0]) for k, v in sweep.metrics().items()}


@pytest.mark.parametrize("name", sorted(SERIES))
def test_every_entry_point_reports_the_same_numbers(name: str) -> None:
    r = SERIES[name]
    want = returns_metrics(r, 252)
    got = {
        "backtest.returns_metrics": bt.returns_metrics(r, 252),
        "sweep metrics": _sweep_metrics(r),
    }
    finite = r[np.isfinite(r)]
    if finite.size >= 10:  # the bootstrap needs ten returns; its observed metrics are the series'
        got["sim mc observed"] = monte_carlo(returns=r, n_paths=10, seed=0).observed
    for where, m in got.items():
        for k in KEYS:
            assert _same(m[k], want[k]), (where, k, m[k], want[k])


@pytest.mark.parametrize("name", ["random", "constant", "all-zero"])
def test_a_portfolio_of_one_asset_reports_the_assets_metrics(name: str) -> None:
    """Equal weights over two copies of one asset with no costs: the portfolio's returns are the
    asset's, and its metrics must be returns_metrics of them (the lookback window is not traded)."""
    r = SERIES[name]
    lookback = 5
    warm = np.full(lookback, 0.001)
    prices = 100.0 * np.cumprod(1.0 + np.concatenate([[0.0], warm, r]))
    idx = pd.date_range("2020-01-01", periods=prices.size, freq="D", tz="UTC")
    res = portfolio_backtest(
        pd.DataFrame({"A": prices, "B": prices}, index=idx), "ew", rebalance=1, lookback=lookback, cost_bps=0.0
    )
    traded = res.returns["ew"].to_numpy()
    np.testing.assert_allclose(traded[-r.size :], r, rtol=0, atol=1e-15)
    want = returns_metrics(traded, 252)
    m = res.metrics[0]
    for k in KEYS:
        assert _same(m[k], want[k]), (k, m[k], want[k])
