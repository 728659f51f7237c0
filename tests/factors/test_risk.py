"""Risk attribution: contributions add up, x-sigma-rho, active risk; return attribution."""

from __future__ import annotations

import numpy as np
import pytest

from trade2026.errors import DataError
from trade2026.factors import factor_covariance, return_attribution, risk_attribution, specific_variance


def _model(seed: int = 0, n: int = 30, k: int = 4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    A = rng.normal(size=(k, k)) * 0.01
    F = A @ A.T + np.eye(k) * 1e-5
    d = rng.uniform(1e-4, 4e-4, n)
    w = rng.dirichlet(np.ones(n))
    return w, X, F, d


def test_contributions_sum_to_total_risk():
    w, X, F, d = _model()
    ra = risk_attribution(w, X, F, d, factor_names=["a", "b", "c", "d"], periods_per_year=1)
    total = np.sqrt(w @ (X @ F @ X.T + np.diag(d)) @ w)
    assert ra.total_risk == pytest.approx(total, rel=1e-12)
    assert sum(ra.contributions.values()) + ra.specific_contribution == pytest.approx(ra.total_risk, rel=1e-12)
    assert ra.factor_risk**2 + ra.specific_risk**2 == pytest.approx(ra.total_risk**2, rel=1e-12)
    # x-sigma-rho: contribution = exposure * factor vol * correlation(factor, portfolio).
    for r in ra.rows():
        assert r["contribution"] == pytest.approx(r["exposure"] * r["factor_vol"] * r["correlation"], rel=1e-10)
    annual = risk_attribution(w, X, F, d, periods_per_year=252)
    assert annual.total_risk == pytest.approx(ra.total_risk * np.sqrt(252), rel=1e-12)


def test_active_risk_against_benchmark():
    w, X, F, d = _model(1)
    same = risk_attribution(w, X, F, d, benchmark=w)
    assert same.total_risk == 0.0 and same.active
    b = np.full_like(w, 1 / w.size)
    te = risk_attribution(w, X, F, d, benchmark=b, periods_per_year=1)
    a = w - b
    assert te.total_risk == pytest.approx(np.sqrt(a @ (X @ F @ X.T + np.diag(d)) @ a), rel=1e-12)


def test_bad_shapes_and_missing_values():
    w, X, F, d = _model()
    with pytest.raises(DataError):
        risk_attribution(w[:-1], X, F, d)
    d2 = d.copy()
    d2[0] = np.nan
    with pytest.raises(DataError, match="specific"):
        risk_attribution(w, X, F, d2)


def test_factor_covariance_equal_weights_no_lags_is_sample_covariance():
    rng = np.random.default_rng(2)
    f = rng.normal(size=(500, 3))
    np.testing.assert_allclose(factor_covariance(f, half_life=None, nw_lags=0), np.cov(f.T, ddof=0), rtol=1e-10)
    # Positively autocorrelated factors: the Newey-West adjustment raises the variance.
    g = np.cumsum(rng.normal(size=(500, 1)), axis=0) * 0.01
    g = np.diff(g, axis=0) + 0.5 * np.vstack([[0.0], np.diff(g, axis=0)[:-1]])
    assert factor_covariance(g, half_life=None, nw_lags=3)[0, 0] > factor_covariance(g, half_life=None, nw_lags=0)[0, 0]


def test_specific_variance_ewma_and_fill():
    e = np.tile(np.array([[0.01], [0.03]]), (50, 3))
    e[:, 2] = np.nan
    e[-5:, 2] = 0.02  # too few observations: gets the median of the others
    v = specific_variance(e, half_life=10, min_obs=20)
    assert 1e-4 < v[0] < 9e-4 and v[0] == v[1]
    assert v[2] == pytest.approx(np.median(v[:2]))


def test_return_attribution_adds_up():
    rng = np.random.default_rng(4)
    t, n, k = 20, 10, 3
    X = rng.normal(size=(t, n, k))
    f = rng.normal(0, 0.01, (t, k))
    u = rng.normal(0, 0.01, (t, n))
    r = np.einsum("tnk,tk->tn", X, f) + u
    w = rng.dirichlet(np.ones(n))
    out = return_attribution(w, X, f, u, factor_names=["a", "b", "c"])
    assert out["total"] == pytest.approx((r @ w).sum(), rel=1e-12)
    assert sum(out["factors"].values()) + out["specific"] == pytest.approx(out["total"], rel=1e-12)
