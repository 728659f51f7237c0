"""The quantstats metric set of trade2026.core against quantstats itself on the same returns.

quantstats (Aroussi) is the peer oracle; only definitions that agree are compared here. Where ours
differ on purpose (historical VaR, an annualised information ratio, drawdown end dates) the test
checks the stated relation instead; the README's backtest section lists the differences.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trade2026.core import (
    benchmark_metrics,
    drawdown_table,
    max_drawdown,
    period_returns,
    risk_metrics,
    rolling_metrics,
)

qs = pytest.importorskip("quantstats")
pytestmark = pytest.mark.filterwarnings("ignore")  # quantstats' own pandas deprecation warnings


@pytest.fixture(scope="module")
def data() -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(20260101)
    idx = pd.bdate_range("2019-01-01", periods=900)
    b = rng.standard_t(5, 900) * 0.009 + 3e-4
    r = 0.6 * b + rng.standard_t(4, 900) * 0.008 + 2e-4
    return pd.Series(r, index=idx, name="r"), pd.Series(b, index=idx, name="b")


@pytest.mark.parametrize("rf", [0.0, 0.04])
def test_ratios_with_a_risk_free_rate(data, rf: float) -> None:
    r, _ = data
    ours = risk_metrics(r.to_numpy(), 252, ts=r.index, risk_free=rf)
    assert ours["sharpe_rf"] == pytest.approx(qs.stats.sharpe(r, rf=rf, periods=252), rel=1e-10)
    assert ours["sortino_rf"] == pytest.approx(qs.stats.sortino(r, rf=rf, periods=252), rel=1e-10)


def test_distribution_and_tail_metrics(data) -> None:
    r, _ = data
    ours = risk_metrics(r.to_numpy(), 252, ts=r.index)
    assert ours["omega"] == pytest.approx(qs.stats.omega(r), rel=1e-10)
    assert ours["tail_ratio"] == pytest.approx(qs.stats.tail_ratio(r), rel=1e-10)
    assert ours["cvar_95"] == pytest.approx(qs.stats.conditional_value_at_risk(r, method="historical"), rel=1e-10)
    assert ours["gain_to_pain"] == pytest.approx(qs.stats.gain_to_pain_ratio(r), rel=1e-10)
    assert ours["payoff_ratio"] == pytest.approx(qs.stats.payoff_ratio(r), rel=1e-10)
    assert ours["kelly"] == pytest.approx(qs.stats.kelly_criterion(r), rel=1e-10)
    assert ours["expected_return"] == pytest.approx(qs.stats.expected_return(r), rel=1e-10)
    assert ours["max_consecutive_wins"] == qs.stats.consecutive_wins(r)
    assert ours["max_consecutive_losses"] == qs.stats.consecutive_losses(r)
    # VaR differs on purpose: ours is the historical 5% quantile, quantstats' the normal approximation.
    assert ours["var_95"] == pytest.approx(np.quantile(r, 0.05))
    normal = r.mean() + r.std(ddof=1) * -1.6448536269514722
    assert qs.stats.value_at_risk(r) == pytest.approx(normal, rel=1e-6)


def test_calendar_metrics(data) -> None:
    r, _ = data
    ours = risk_metrics(r.to_numpy(), 252, ts=r.index)
    assert ours["best_day"] == pytest.approx(qs.stats.best(r))
    assert ours["worst_day"] == pytest.approx(qs.stats.worst(r))
    # "ME"/"YE": calendar months and years (quantstats' "month" pools each month-of-year across years)
    assert ours["best_month"] == pytest.approx(qs.stats.best(r, aggregate="ME"), rel=1e-10)
    assert ours["worst_month"] == pytest.approx(qs.stats.worst(r, aggregate="ME"), rel=1e-10)
    assert ours["best_year"] == pytest.approx(qs.stats.best(r, aggregate="YE"), rel=1e-10)
    labels, years = period_returns(r.to_numpy(), r.index, "year")
    peer = (1 + r).groupby(r.index.year).prod() - 1
    np.testing.assert_allclose(years, peer.to_numpy(), rtol=1e-12)
    assert [int(str(x)) for x in labels] == peer.index.tolist()


def test_benchmark_metrics(data) -> None:
    r, b = data
    ours = benchmark_metrics(r.to_numpy(), b.to_numpy(), 252)
    g = qs.stats.greeks(r, b, periods=252)
    assert ours["beta"] == pytest.approx(g["beta"], rel=1e-10)
    assert ours["alpha"] == pytest.approx(g["alpha"], rel=1e-10)
    assert ours["r_squared"] == pytest.approx(qs.stats.r_squared(r, b), rel=1e-10)
    # ours is annualised (x sqrt(P)); quantstats' information_ratio is per period.
    assert ours["information_ratio"] == pytest.approx(qs.stats.information_ratio(r, b) * math.sqrt(252), rel=1e-10)
    # An independent loop for the captures: mean strategy return over mean benchmark return, by sign of b.
    up = [(x, y) for x, y in zip(r, b, strict=True) if y > 0]
    assert ours["up_capture"] == pytest.approx(np.mean([x for x, _ in up]) / np.mean([y for _, y in up]))
    assert ours["tracking_error"] == pytest.approx(np.std(r - b, ddof=1) * math.sqrt(252))


def test_rolling_metrics(data) -> None:
    r, b = data
    roll = rolling_metrics(r.to_numpy(), 126, 252, benchmark=b.to_numpy())
    peer_vol = qs.stats.rolling_volatility(r, rolling_period=126, periods_per_year=252)
    np.testing.assert_allclose(roll["ann_vol"][125:], peer_vol.to_numpy()[125:], rtol=1e-9)
    assert np.isnan(roll["ann_vol"][:125]).all()
    peer_sortino = qs.stats.rolling_sortino(r, rolling_period=126, periods_per_year=252)
    np.testing.assert_allclose(roll["sortino"][125:], peer_sortino.to_numpy()[125:], rtol=1e-9)
    # beta over the last window equals the full-sample beta of that window
    tail = benchmark_metrics(r.to_numpy()[-126:], b.to_numpy()[-126:])
    assert roll["beta"][-1] == pytest.approx(tail["beta"], rel=1e-10)


def test_top_drawdowns_match_quantstats(data) -> None:
    r, _ = data
    ours = drawdown_table(r.to_numpy(), r.index, top=5)
    peer = qs.stats.drawdown_details(qs.stats.to_drawdown_series(r)).sort_values("max drawdown").head(5)
    assert len(ours) == 5
    for row, (_, p) in zip(ours, peer.iterrows(), strict=True):
        assert row["depth"] * 100 == pytest.approx(p["max drawdown"], rel=1e-9)
        assert row["start"].date().isoformat() == p["start"]
        assert row["valley"].date().isoformat() == p["valley"]
        assert row["end"].date().isoformat() == p["end"]  # last observation under water
    depths = [row["depth"] for row in ours]
    assert depths == sorted(depths)


returns_lists = st.lists(st.floats(-0.2, 0.2, allow_nan=False), min_size=1, max_size=300)


@given(returns_lists)
def test_drawdown_episodes_are_ordered_and_disjoint(r: list[float]) -> None:
    arr = np.asarray(r)
    rows = drawdown_table(arr, top=100)
    if rows:
        assert rows[0]["depth"] == pytest.approx(max_drawdown(arr))
    spans = sorted((x["start"], x["end"]) for x in rows)
    for (_, e0), (s1, _) in itertools.pairwise(spans):
        assert e0 < s1
    for x in rows:
        assert x["start"] <= x["valley"] <= x["end"] and x["length"] == x["end"] - x["start"] + 1
        assert x["recovery"] is None or x["recovery"] == x["end"] + 1


@given(returns_lists)
def test_period_returns_compound_to_the_total(r: list[float]) -> None:
    arr = np.asarray(r)
    ts = np.datetime64("2020-01-01") + np.arange(arr.size) * np.timedelta64(5, "D")
    for period in ("day", "month", "year"):
        _, v = period_returns(arr, ts, period)
        assert np.prod(1 + v) == pytest.approx(np.prod(1 + arr), rel=1e-9)
