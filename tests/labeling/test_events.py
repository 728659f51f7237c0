"""CUSUM filter and daily volatility (AFML snippets 2.4 and 3.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from trade2026.errors import ConfigError, DataError
from trade2026.labeling import cusum_filter, daily_vol


def _cusum_reference(x: np.ndarray, h: float) -> list[int]:
    # AFML snippet 2.4, written out as a plain loop over the differences
    events, s_pos, s_neg = [], 0.0, 0.0
    for t in range(1, len(x)):
        diff = x[t] - x[t - 1]
        s_pos, s_neg = max(0.0, s_pos + diff), min(0.0, s_neg + diff)
        if s_neg < -h:
            s_neg = 0.0
            events.append(t)
        elif s_pos > h:
            s_pos = 0.0
            events.append(t)
    return events


def test_cusum_matches_reference(close_pd: pd.Series) -> None:
    logp = np.log(close_pd.to_numpy())
    got = cusum_filter(logp, 0.02)
    assert got.tolist() == _cusum_reference(logp, 0.02)
    idx = cusum_filter(np.log(close_pd), 0.02)
    assert isinstance(idx, pd.DatetimeIndex)
    assert list(idx) == list(close_pd.index[got])


def test_cusum_hand_example() -> None:
    x = np.array([0.0, 0.6, 1.2, 1.0, 0.4, -0.3, -0.2])
    # runs: +0.6, +1.2 > 1 -> event at 2; then -0.2, -0.8, -1.5 < -1 -> event at 5
    assert cusum_filter(x, 1.0).tolist() == [2, 5]


def test_cusum_per_time_threshold(close_pl: pl.DataFrame) -> None:
    logp = close_pl.with_columns(pl.col("close").log())
    h = np.full(close_pl.height, 0.02)
    h[:100] = np.nan  # warm-up: no events
    ev = cusum_filter(logp, h)
    assert isinstance(ev, pl.Series) and ev.dtype == pl.Datetime("us", "UTC")
    assert ev.min() > close_pl["ts"][100]
    with pytest.raises(ConfigError, match="positive"):
        cusum_filter(logp, -0.1)
    with pytest.raises(DataError, match="one per bar"):
        cusum_filter(logp, np.ones(7))


def test_daily_vol_daily_bars_span_gaps(close_pd: pd.Series) -> None:
    vol = daily_vol(close_pd, span=20)
    assert isinstance(vol, pd.Series) and vol.index.equals(close_pd.index)
    # lookback 1d: each return is from the last bar at or before t - 1 day (Friday for a Monday)
    prev = close_pd.index.searchsorted(close_pd.index - pd.Timedelta(days=1), side="right") - 1
    ok = prev >= 0
    ret = pd.Series(close_pd.to_numpy()[ok] / close_pd.to_numpy()[prev[ok]] - 1)
    np.testing.assert_allclose(vol.to_numpy()[ok], ret.ewm(span=20).std().to_numpy(), equal_nan=True)
    assert np.isnan(vol.iloc[0])
    # with business days every return is a one-bar return
    bars = daily_vol(close_pd.to_numpy(), span=20, lookback=1)
    np.testing.assert_allclose(bars, vol.to_numpy(), equal_nan=True)


def test_daily_vol_duplicates_and_intraday() -> None:
    idx = pd.date_range("2024-01-01", periods=300, freq="6h", tz="UTC")
    px = pd.Series(100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.005, 300))), index=idx)
    dup = pd.concat([px.iloc[:150], px.iloc[149:150] * 1.001, px.iloc[150:]])  # a repeated stamp
    assert dup.index.has_duplicates
    v = daily_vol(dup, span=10)
    assert len(v) == len(dup)
    assert v.iloc[149] == v.iloc[150]  # duplicates share the value of the last price of the stamp
    clean = daily_vol(pd.concat([px.iloc[:149], px.iloc[149:150] * 1.001, px.iloc[150:]]), span=10)
    np.testing.assert_allclose(v.drop_duplicates().to_numpy(), clean.drop_duplicates().to_numpy(), equal_nan=True)
    with pytest.raises(DataError, match="not sorted"):
        daily_vol(px.iloc[::-1])
    with pytest.raises(ConfigError, match="duration"):
        daily_vol(px.to_numpy(), lookback="1d")
    with pytest.raises(ConfigError, match="not a duration"):
        daily_vol(px, lookback="yesterday")


def test_daily_vol_polars(close_pl: pl.DataFrame, close_pd: pd.Series) -> None:
    out = daily_vol(close_pl, span=30)
    assert out.columns == ["ts", "vol"]
    np.testing.assert_allclose(out["vol"].to_numpy(), daily_vol(close_pd, span=30).to_numpy(), equal_nan=True)
