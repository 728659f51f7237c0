"""Triple-barrier labels (AFML 3.4-3.6) against a plain reference loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trade2026.errors import ConfigError, DataError
from trade2026.labeling import cusum_filter, daily_vol, triple_barrier


def price_path(n: int, seed: int, vol: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0.0, vol, n)))


def _reference(close, starts, pt, sl, horizon, target, side):
    """One event at a time, bar by bar: the definition of the method."""
    rows = []
    n = len(close)
    for s, trg, sd in zip(starts, target, side, strict=True):
        if s >= n - 1:
            continue
        end = min(s + horizon, n - 1) if horizon else n - 1
        up = pt * trg if pt > 0 else np.inf
        lo = -sl * trg if sl > 0 else -np.inf
        t1, kind = end, ("vertical" if horizon and s + horizon <= n - 1 else "end")
        for j in range(s + 1, end + 1):
            r = (close[j] / close[s] - 1.0) * sd
            if r >= up:
                t1, kind = j, "pt"
                break
            if r <= lo:
                t1, kind = j, "sl"
                break
        rows.append((s, t1, kind, (close[t1] / close[s] - 1.0) * sd))
    return rows


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    pt=st.sampled_from([0.0, 0.5, 1.0, 2.0]),
    sl=st.sampled_from([0.0, 0.5, 1.0, 3.0]),
    horizon=st.sampled_from([0, 1, 5, 70, 300]),
    sided=st.booleans(),
)
def test_kernel_matches_reference_loop(seed: int, pt: float, sl: float, horizon: int, sided: bool) -> None:
    rng = np.random.default_rng(seed)
    close = price_path(400, seed=seed, vol=0.02)
    starts = np.sort(rng.choice(400, size=60, replace=False))
    target = rng.uniform(0.005, 0.08, size=60)
    side = rng.choice([-1, 1], size=60) if sided else np.ones(60)
    if pt == 0 and sl == 0 and horizon == 0:
        with pytest.raises(ConfigError, match="no barrier"):
            triple_barrier(close, starts, pt=pt, sl=sl, target=target)
        return
    got = triple_barrier(
        close, starts, pt=pt, sl=sl, vertical=horizon or None, target=target, side=side if sided else None
    )
    ref = _reference(close, starts, pt, sl, horizon, target, side)
    assert got["t0"].to_list() == [r[0] for r in ref]
    assert got["t1"].to_list() == [r[1] for r in ref]
    assert got["barrier"].to_list() == [r[2] for r in ref]
    np.testing.assert_allclose(got["ret"].to_numpy(), [r[3] for r in ref], rtol=0, atol=1e-14)
    labels = got["label"].to_numpy()
    if sided:
        assert set(labels) <= {0, 1}
        np.testing.assert_array_equal(labels, (got["ret"].to_numpy() > 0).astype(int))
    else:
        assert (labels[got["barrier"].to_numpy() == "pt"] == 1).all()
        assert (labels[got["barrier"].to_numpy() == "sl"] == -1).all()


def test_stop_is_never_made_symmetric() -> None:
    # a straight fall of 1% a bar: with sl=0 the stop is off, so only the vertical barrier ends it
    close = 100 * 0.99 ** np.arange(50)
    out = triple_barrier(close, np.array([0]), pt=1.0, sl=0.0, vertical=10, target=0.02)
    assert out["barrier"].to_list() == ["vertical"] and out["t1"].to_list() == [10]
    assert out["label"].to_list() == [-1]
    # pt=1, sl=3 and no side: the stop sits at -6%, not at the -2% a symmetric stop would give
    out = triple_barrier(close, np.array([0]), pt=1.0, sl=3.0, vertical=20, target=0.02)
    assert out["barrier"].to_list() == ["sl"] and out["t1"].to_list() == [7]  # 0.99^7 = 0.932 < 0.94
    # a short side turns the fall into profit
    out = triple_barrier(close, np.array([0]), pt=1.0, sl=0.0, target=0.02, side=-1)
    assert out["barrier"].to_list() == ["pt"] and out["t1"].to_list() == [3] and out["label"].to_list() == [1]


def test_time_vertical_barrier_and_kinds(close_pd: pd.Series, close_pl: pl.DataFrame) -> None:
    ev = cusum_filter(np.log(close_pd), 0.03)
    out = triple_barrier(close_pd, ev, pt=2, sl=2, vertical="7d")
    assert isinstance(out, pd.DataFrame) and out.index.name == "t0"
    assert list(out.columns) == ["t1", "barrier", "ret", "target", "label"]
    vert = out[out["barrier"] == "vertical"]
    # vertical: the first bar at or after t0 + 7 days
    for t0, t1 in zip(vert.index, vert["t1"], strict=True):
        pos = close_pd.index.searchsorted(t0 + pd.Timedelta(days=7))
        assert t1 == close_pd.index[pos]
    assert (out["t1"] - out.index <= pd.Timedelta(days=7)).all()
    # default target is daily_vol(close), read at t0; the warm-up (NaN vol) events are dropped
    vol = daily_vol(close_pd)
    np.testing.assert_allclose(out["target"].to_numpy(), vol.loc[out.index].to_numpy())
    pout = triple_barrier(
        close_pl,
        pl.Series("ts", ev.tz_convert(None).to_numpy()).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        pt=2,
        sl=2,
        vertical="7d",
    )
    assert isinstance(pout, pl.DataFrame) and pout.columns == ["t0", "t1", "barrier", "ret", "target", "label"]
    assert pout["t1"].dtype == pl.Datetime("us", "UTC")
    np.testing.assert_allclose(pout["ret"].to_numpy(), out["ret"].to_numpy())
    assert pout["barrier"].to_list() == out["barrier"].tolist()


def test_min_ret_side_zero_and_series_side(close_pd: pd.Series) -> None:
    ev = close_pd.index[10::20]
    side = pd.Series(np.where(np.arange(len(close_pd)) % 40 < 20, 1, -1), index=close_pd.index)
    side.iloc[30] = 0
    out = triple_barrier(close_pd, ev, vertical=5, target=0.01, side=side, min_ret=0.0)
    assert close_pd.index[30] not in out.index  # side 0: no bet, no label
    assert (out["side"] == side.loc[out.index]).all()
    assert triple_barrier(close_pd, ev, vertical=5, target=0.01, min_ret=0.02).empty
    out0 = triple_barrier(close_pd, ev, pt=5, sl=5, vertical=3, target=0.01, vertical_label="zero")
    assert (out0.loc[out0["barrier"] == "vertical", "label"] == 0).all()


def test_bad_input(close_pd: pd.Series) -> None:
    with pytest.raises(ConfigError, match="sl must be"):
        triple_barrier(close_pd, close_pd.index[:3], sl=-1)
    with pytest.raises(DataError, match="before the first bar"):
        triple_barrier(close_pd, pd.DatetimeIndex(["2000-01-01"], tz="UTC"), target=0.01)
    with pytest.raises(DataError, match="side must be"):
        triple_barrier(close_pd, close_pd.index[:3], target=0.01, side=np.array([1, 2, 1]))
    with pytest.raises(DataError, match="one value per event"):
        triple_barrier(close_pd, close_pd.index[:3], target=np.ones(5))
    with pytest.raises(DataError, match="DatetimeIndex"):
        triple_barrier(close_pd.reset_index(drop=True), [1, 2])
    dup = pd.concat([close_pd.iloc[:5], close_pd.iloc[4:]])
    with pytest.raises(DataError, match="duplicate timestamp"):
        triple_barrier(dup, close_pd.index[:3], target=0.01)
    with pytest.raises(ConfigError, match="not a duration"):
        triple_barrier(close_pd, close_pd.index[:3], target=0.01, vertical="soon")
