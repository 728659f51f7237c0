"""Strategy parsing, grids, positions and their causality."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from trade2026.backtest import STRATEGIES, parse_grid, parse_strategy, strategy_positions
from trade2026.errors import ConfigError, DataError


def test_parse_strategy():
    assert parse_strategy("sma_cross:fast=20,slow=50") == ("sma_cross", {"fast": 20, "slow": 50, "short": 0})
    assert parse_strategy("signal:meta_pred")[1]["column"] == "meta_pred"
    assert parse_strategy("zscore")[0] == "mean_reversion"
    for bad, match in [
        ("nope", "unknown strategy"),
        ("sma_cross:speed=3", "unknown parameter"),
        ("sma_cross:fast=x", "must be an integer"),
        ("sma_cross:fast=50,slow=20", "smaller than slow"),
        ("sma_cross:fast", "key=value"),
    ]:
        with pytest.raises(ConfigError, match=match):
            parse_strategy(bad)


def test_parse_grid():
    assert len(parse_grid("sma_cross", "fast=2:100,slow=2:100")) == 4851
    g = parse_grid("sma_cross", "fast=5:50:5,slow=20:200:10")
    assert all(p["fast"] < p["slow"] for p in g)
    assert parse_grid("sma_cross", "fast=10,slow=30") == [{"fast": 10, "slow": 30, "short": 0}]
    assert [p["entry"] for p in parse_grid("mean_reversion", "entry=1.0:2.0:0.5")] == [1.0, 1.5, 2.0]
    assert len(parse_grid("tsmom", "lookback=20|60|120")) == 3
    with pytest.raises(ConfigError, match="no valid combination"):
        parse_grid("sma_cross", "fast=50,slow=10")
    with pytest.raises(ConfigError, match="bad range"):
        parse_grid("sma_cross", "fast=10:5")


def test_sma_cross_by_hand(bars):
    one = bars.filter(pl.col("symbol") == bars["symbol"][0]).sort("ts")
    pos = strategy_positions("sma_cross", one, fast=3, slow=7)
    c = one["close"].to_numpy()
    f = np.convolve(c, np.ones(3) / 3, "valid")[4:]
    s = np.convolve(c, np.ones(7) / 7, "valid")
    expect = np.r_[np.zeros(6), (f > s).astype(float)]
    np.testing.assert_array_equal(pos["position"].to_numpy(), expect)
    assert pos.columns == ["symbol", "ts", "position"]


@pytest.mark.parametrize(
    "spec",
    [
        "sma_cross:fast=5,slow=20",
        "ema_cross:fast=5,slow=20",
        "tsmom:lookback=30",
        "xsmom:lookback=30,rebalance=5",
        "mean_reversion:window=10",
        "breakout:window=10,exit_window=5",
    ],
)
def test_positions_are_causal(bars, spec):
    """Truncating the data after bar t changes no position at or before t."""
    full = strategy_positions(spec, bars)
    cut = bars["ts"].unique().sort()[400]
    part = strategy_positions(spec, bars.filter(pl.col("ts") <= cut))
    joined = part.join(full, on=["symbol", "ts"], suffix="_full")
    assert joined.height == part.height
    np.testing.assert_array_equal(joined["position"].to_numpy(), joined["position_full"].to_numpy())


def test_every_strategy_runs_and_pandas_round_trips(bars):
    pdf = bars.to_pandas()
    for name in STRATEGIES:
        if name == "signal":
            continue
        out = strategy_positions(name, pdf)
        assert len(out) == bars.height
        assert np.isfinite(out["position"].to_numpy()).all()


def test_signal_column_and_missing_column(bars):
    b = bars.with_columns(pred=pl.col("close").pct_change().over("symbol").fill_null(0.0))
    pos = strategy_positions("signal:pred", b, threshold=0.01)
    assert set(pos["position"].unique().to_list()) <= {-1.0, 0.0, 1.0}
    with pytest.raises(DataError, match="not in the bars"):
        strategy_positions("signal:nope", bars)


def test_empty_bars_is_a_clear_error(bars):
    with pytest.raises(DataError, match="empty"):
        strategy_positions("sma_cross", bars.head(0))


def _seeded_ewm(s, span: int):
    """pandas' recursive EWM (adjust=False) started from the mean of the first ``span`` values."""
    seed = s.iloc[:span].mean()
    s = s.iloc[span - 1 :].copy()
    s.iloc[0] = seed
    return s.ewm(span=span, adjust=False).mean()


@pytest.mark.parametrize("name", ["sma_cross", "ema_cross"])
def test_batched_crosses_equal_pandas_moving_averages(bars, name):
    """Every set of a mixed grid (short=0|1) in one batch equals the crossover of pandas' rolling mean
    / ewm (adjust=False, seeded with the first window's mean) of the closes, forward-filled."""
    from trade2026.backtest._strategies import batch_positions
    from trade2026.core import bars_panel

    panel = bars_panel(bars)
    grid = parse_grid(name, "fast=3|5,slow=8|13,short=0|1")
    got = batch_positions(name, panel, grid)
    close = bars.to_pandas().pivot(index="ts", columns="symbol", values="close").sort_index()
    assert list(close.columns) == panel.symbols

    def average(w: int) -> np.ndarray:
        if name == "sma_cross":
            return close.ffill().rolling(w).mean().to_numpy()
        cols = [_seeded_ewm(close[c].dropna(), w).reindex(close.index).ffill() for c in close.columns]
        return np.column_stack([c.to_numpy() for c in cols])

    dead = ~np.isfinite(close.to_numpy())
    for i, p in enumerate(grid):
        f, s = average(p["fast"]), average(p["slow"])
        with np.errstate(invalid="ignore"):
            expect = (f > s).astype(float) - p["short"] * (f < s).astype(float)
        expect[dead] = 0.0
        np.testing.assert_array_equal(got[:, :, i], expect, err_msg=str(p))
