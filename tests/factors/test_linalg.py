"""The batched cross-sectional WLS against statsmodels, and the Newey-West helpers."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from trade2026.factors import batched_wls, long_run_covariance, newey_west_lags


def _panel(seed: int = 0, t: int = 12, n: int = 40, k: int = 4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(t, n, k))
    X[:, :, 0] = 1.0
    b = rng.normal(size=(t, k))
    y = np.einsum("tnk,tk->tn", X, b) + rng.normal(0, 0.5, (t, n))
    w = rng.uniform(0.5, 3.0, (t, n))
    y[rng.random((t, n)) < 0.1] = np.nan
    X[rng.random((t, n)) < 0.05, 2] = np.nan
    return y, X, w


def test_matches_statsmodels_wls_each_day():
    y, X, w = _panel()
    res = batched_wls(y, X, w)
    assert res.fitted_ok.all()
    for t in range(y.shape[0]):
        ok = np.isfinite(y[t]) & np.isfinite(X[t]).all(axis=1)
        ref = sm.WLS(y[t, ok], X[t, ok], weights=w[t, ok]).fit()
        np.testing.assert_allclose(res.coef[t], ref.params, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(res.resid[t, ok], ref.resid, rtol=1e-8, atol=1e-12)
        assert np.isnan(res.resid[t, ~ok]).all()
        assert res.n_obs[t] == ok.sum()
        assert res.r2[t] == pytest.approx(ref.rsquared, rel=1e-9)


def test_constrained_matches_reparametrised_statsmodels():
    # Market + 3 sector dummies with sum_s c_s f_s = 0: substitute f_3 and fit the free ones.
    rng = np.random.default_rng(3)
    t, n = 5, 60
    sec = np.arange(n) % 3
    D = np.eye(3)[sec]
    style = rng.normal(size=(t, n))
    X = np.concatenate([np.ones((t, n, 1)), np.broadcast_to(D, (t, n, 3)), style[:, :, None]], axis=2)
    y = rng.normal(0, 0.02, (t, n)) + 0.01 * D[:, 1]
    w = rng.uniform(1, 4, (t, n))
    cap = rng.uniform(1, 10, (t, n))
    c = np.zeros((t, 5))
    c[:, 1:4] = np.einsum("tn,ns->ts", cap, D)
    res = batched_wls(y, X, w, constraint=c)
    for d in range(t):
        assert c[d] @ res.coef[d] == pytest.approx(0.0, abs=1e-12)
        # Reference: eliminate sector 0 (any choice gives the same constrained optimum).
        Z = np.column_stack(
            [
                np.ones(n),
                D[:, 1] - c[d, 2] / c[d, 1] * D[:, 0],
                D[:, 2] - c[d, 3] / c[d, 1] * D[:, 0],
                style[d],
            ]
        )
        ref = sm.WLS(y[d], Z, weights=w[d]).fit()
        f1, f2 = ref.params[1], ref.params[2]
        f0 = -(c[d, 2] * f1 + c[d, 3] * f2) / c[d, 1]
        np.testing.assert_allclose(res.coef[d], [ref.params[0], f0, f1, f2, ref.params[3]], rtol=1e-8, atol=1e-12)


def test_skips_days_with_few_assets_or_singular_exposures():
    y, X, w = _panel(t=6)
    y[1, 3:] = np.nan  # 3 assets for 4 regressors
    X[2, :, 3] = X[2, :, 2] * 2.0  # collinear columns
    res = batched_wls(y, X, w)
    assert res.skipped_few == 1 and res.skipped_singular == 1
    assert not res.fitted_ok[1] and not res.fitted_ok[2]
    assert np.isnan(res.coef[1]).all() and np.isnan(res.coef[2]).all()
    assert res.fitted_ok[[0, 3, 4, 5]].all()


def test_empty_factor_gets_nan_not_a_skip():
    y, X, w = _panel(t=3)
    X[1, :, 3] = 0.0  # e.g. a sector with no members that day
    res = batched_wls(y, X, w)
    assert res.fitted_ok.all()
    assert np.isnan(res.coef[1, 3]) and np.isfinite(res.coef[1, :3]).all()
    ok = np.isfinite(y[1]) & np.isfinite(X[1]).all(axis=1)
    ref = sm.WLS(y[1, ok], X[1, ok, :3], weights=w[1, ok]).fit()
    np.testing.assert_allclose(res.coef[1, :3], ref.params, rtol=1e-9)


def test_long_run_covariance_matches_statsmodels_hac():
    # statsmodels' S_hac_simple is the Bartlett-weighted sum of autocovariance sums (not divided by n).
    from statsmodels.stats.sandwich_covariance import S_hac_simple

    rng = np.random.default_rng(1)
    z = rng.normal(size=(300, 3))
    z[1:] += 0.5 * z[:-1]
    e = z - z.mean(axis=0)
    for lags in (0, 1, 5):
        np.testing.assert_allclose(long_run_covariance(z, lags), S_hac_simple(e, nlags=lags) / len(e), rtol=1e-10)
    assert newey_west_lags(100) == 4
    assert newey_west_lags(1000) == 6
