"""trade2026.core metrics: golden values, 1-D == 2-D, NaN gaps, edge cases, an independent oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from trade2026.core import MATRIX_METRICS, drawdown, metrics_columns, moments, returns_metrics, sharpe_ratio
from trade2026.errors import DataError, InputError


def _reference(r: np.ndarray, ppy: float) -> dict[str, float]:
    """Plain-Python definitions (the module docstring's), independent of the numba kernel."""
    r = [float(x) for x in r if math.isfinite(x)]
    n = len(r)
    out: dict[str, float] = {"n_obs": n}
    if n == 0:
        return {
            **out,
            "total_return": 0.0,
            "cagr": 0.0,
            "max_drawdown": 0.0,
            "max_drawdown_duration": 0,
            "sharpe": math.nan,
        }
    growth = math.prod(1 + x for x in r)
    mu = sum(r) / n
    var = sum((x - mu) ** 2 for x in r) / (n - 1) if n > 1 else math.nan
    sd = math.sqrt(var) if n > 1 else math.nan
    eq, peak, mdd, run, longest = 1.0, 1.0, 0.0, 0, 0
    for x in r:
        eq *= 1 + x
        peak = max(peak, eq)
        dd = eq / peak - 1
        mdd = min(mdd, dd)
        run = run + 1 if dd < 0 else 0
        longest = max(longest, run)
    down = math.sqrt(sum(min(x, 0.0) ** 2 for x in r) / n)
    cagr = growth ** (ppy / n) - 1 if growth > 0 else -1.0
    flat = not (sd > 1e-12 * abs(mu)) if n > 1 else True
    return {
        **out,
        "total_return": growth - 1,
        "cagr": cagr,
        "ann_return": mu * ppy,
        "sharpe": math.nan if flat else mu / sd * math.sqrt(ppy),
        "sortino": mu / down * math.sqrt(ppy) if down > 0 else math.nan,
        "max_drawdown": mdd,
        "max_drawdown_duration": longest,
        "calmar": cagr / -mdd if mdd < 0 else math.nan,
    }


def _same(a: float, b: float, rel: float = 1e-9) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def test_hand_checked_values() -> None:
    # +10%, -5%, +2%: growth 1.1 * 0.95 * 1.02 = 1.0659; drawdown after the -5% is 0.95 - 1 = -5%.
    m = returns_metrics([0.10, -0.05, 0.02], periods_per_year=3)
    assert m["total_return"] == pytest.approx(0.0659)
    assert m["cagr"] == pytest.approx(0.0659)  # exactly one year of periods
    assert m["max_drawdown"] == pytest.approx(-0.05)
    assert m["max_drawdown_duration"] == 2
    mu, sd = np.mean([0.10, -0.05, 0.02]), np.std([0.10, -0.05, 0.02], ddof=1)
    assert m["sharpe"] == pytest.approx(mu / sd * math.sqrt(3))
    assert m["sortino"] == pytest.approx(mu / math.sqrt(0.05**2 / 3) * math.sqrt(3))


def test_moments_match_scipy_definitions() -> None:
    from scipy import stats

    r = np.random.default_rng(1).standard_t(5, 500) * 0.01
    mu, sd, skew, kurt = moments(r)
    assert mu == pytest.approx(r.mean())
    assert sd == pytest.approx(r.std(ddof=1))
    assert skew == pytest.approx(stats.skew(r))
    assert kurt == pytest.approx(stats.kurtosis(r, fisher=False))  # Pearson: normal = 3


@pytest.mark.parametrize(
    "series",
    [
        pytest.param([], id="empty"),
        pytest.param([0.01], id="one-bar"),
        pytest.param([0.0] * 50, id="all-zero"),
        pytest.param([0.001] * 50, id="constant"),
        pytest.param([0.01, np.nan, -0.02, np.nan, 0.03, 0.0], id="nan-gaps"),
        pytest.param([-0.5, -0.5, -0.5], id="losses-only"),
        pytest.param([0.01, 0.02, 0.03], id="gains-only"),
        pytest.param([-1.0, 0.5], id="wiped-out"),
    ],
)
def test_edge_cases_match_the_reference(series: list[float]) -> None:
    r = np.array(series, dtype=float)
    got = returns_metrics(r, periods_per_year=252)
    want = _reference(r, 252)
    for k, v in want.items():
        assert _same(float(got[k]), float(v)), (k, got[k], v)


def test_documented_edge_cases() -> None:
    flat = returns_metrics([0.0] * 20)
    assert math.isnan(flat["sharpe"]) and flat["ann_vol"] == 0.0 and flat["skew"] == 0.0 and flat["kurtosis"] == 3.0
    const = returns_metrics([0.002] * 20)
    assert math.isnan(const["sharpe"]) and math.isnan(sharpe_ratio([0.002] * 20))
    assert math.isnan(const["sortino"]) and math.isnan(const["calmar"])  # no loss, no drawdown
    one = returns_metrics([0.01])
    assert one["n_obs"] == 1 and math.isnan(one["ann_vol"]) and math.isnan(one["sharpe"])
    empty = returns_metrics([])
    assert empty["n_obs"] == 0 and empty["total_return"] == 0.0 and empty["max_drawdown"] == 0.0


def test_nan_gaps_measure_like_the_series_without_them() -> None:
    rng = np.random.default_rng(3)
    r = rng.normal(0.0005, 0.01, 300)
    gappy = r.copy()
    gappy[rng.choice(300, 40, replace=False)] = np.nan
    assert returns_metrics(gappy) == returns_metrics(gappy[np.isfinite(gappy)])


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64, st.tuples(st.integers(0, 40), st.integers(1, 5)), elements=st.floats(-0.5, 0.5) | st.just(np.nan)
    )
)
def test_matrix_columns_equal_the_one_dimensional_metrics(m: np.ndarray) -> None:
    cols = metrics_columns(m, 252)
    assert set(cols) == set(MATRIX_METRICS)
    for j in range(m.shape[1]):
        one = returns_metrics(m[:, j], 252)
        for k in ("total_return", "cagr", "ann_vol", "sharpe", "sortino", "calmar", "max_drawdown", "skew"):
            assert _same(float(cols[k][j]), float(one[k]), rel=0), k
        ref = _reference(m[:, j], 252)
        for k in ("total_return", "max_drawdown", "max_drawdown_duration", "sharpe"):
            assert _same(float(cols[k][j]), float(ref[k]), rel=1e-9), k


def test_drawdown_series() -> None:
    dd = drawdown([0.1, -0.1, 0.05, 0.2])
    eq = np.cumprod([1.1, 0.9, 1.05, 1.2])
    np.testing.assert_allclose(dd, eq / np.maximum.accumulate(eq) - 1)


def test_bad_input() -> None:
    with pytest.raises(DataError, match="one-dimensional"):
        returns_metrics(np.zeros((3, 2)))
    with pytest.raises(InputError, match="periods_per_year"):
        returns_metrics([0.1], periods_per_year=0)
    with pytest.raises(DataError, match="numeric"):
        returns_metrics(["a", "b"])


def test_normal_distribution_helpers_match_scipy() -> None:
    from scipy.special import ndtr, ndtri

    from trade2026.core import norm_cdf, norm_ppf

    for p in (1e-15, 1e-9, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 1 - 1e-9):
        assert norm_ppf(p) == pytest.approx(float(ndtri(p)), rel=1e-12)
    assert norm_ppf(0.0) == -math.inf and norm_ppf(1.0) == math.inf and math.isnan(norm_ppf(1.5))
    x = np.linspace(-8, 8, 33)
    np.testing.assert_allclose(norm_cdf(x), ndtr(x), rtol=1e-13)
    assert norm_cdf(1.96) == pytest.approx(float(ndtr(1.96)), rel=1e-14)
