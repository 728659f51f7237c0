"""Estimators: closed forms, properties, and agreement with riskfolio-lib's own implementations."""

from __future__ import annotations

import numpy as np
import pytest

from tests.portfolio.conftest import make_returns
from trade2026.errors import ConfigError, DataError
from trade2026.portfolio import covariance, denoise_cov, expected_returns
from trade2026.portfolio._estimators import mean_james_stein


def test_hist_mean_and_sample_cov_match_numpy(returns):
    x = returns.to_numpy()
    np.testing.assert_allclose(expected_returns(returns, method="hist"), x.mean(axis=0))
    np.testing.assert_allclose(covariance(returns, method="sample"), np.cov(x, rowvar=False))


def test_ewma_with_a_huge_halflife_is_the_sample_estimate(returns):
    x = returns.to_numpy()
    np.testing.assert_allclose(expected_returns(x, method="ewma", halflife=1e9), x.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(covariance(x, method="ewma", halflife=1e9), np.cov(x, rowvar=False), rtol=1e-6)


def test_ewma_weights_recent_rows_more():
    x = np.zeros((100, 2))
    x[-10:] = 1.0
    assert expected_returns(x, method="ewma", halflife=5)[0] > 0.7


def test_james_stein_shrinks_between_sample_mean_and_grand_mean(returns):
    x = returns.to_numpy()
    mu, js = x.mean(axis=0), mean_james_stein(x)
    grand = mu.mean()
    # each shrunk mean lies on the segment [mu_i, grand mean]
    assert np.all((js - mu) * (grand - mu) >= -1e-15)
    assert np.all(np.abs(js - grand) <= np.abs(mu - grand) + 1e-15)


def test_james_stein_agrees_with_riskfolio_when_the_intensity_is_inside_0_1():
    import pandas as pd
    import riskfolio as rp

    # means spread wide enough for an intensity strictly between 0 and 1
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.normal(np.linspace(-0.004, 0.004, 10), 0.01, (60, 10)))
    a_mu = mean_james_stein(x.to_numpy())
    ref = rp.ParamsEstimation.mean_vector(x, method="JS", target="b1").to_numpy().ravel()
    mu = x.to_numpy().mean(axis=0)
    shrink = 1 - (a_mu - mu.mean())[0] / (mu - mu.mean())[0]
    assert 0 < shrink < 1
    np.testing.assert_allclose(a_mu, ref, rtol=1e-8)


@pytest.mark.parametrize("name", ["ledoit_wolf", "oas"])
def test_shrinkage_estimators_are_symmetric_positive_definite(returns, name):
    c = covariance(returns, method=name)
    np.testing.assert_allclose(c, c.T)
    assert np.linalg.eigvalsh(c).min() > 0


def test_denoised_agrees_with_riskfolio_and_keeps_variances():
    import riskfolio as rp

    x = make_returns(n_obs=400, n_assets=20, seed=1)
    ours = covariance(x, method="denoised")
    sample = np.cov(x.to_numpy(), rowvar=False)
    ref = rp.AuxFunctions.denoiseCov(sample, x.shape[0] / x.shape[1], bWidth=0.01, kind="fixed")
    np.testing.assert_allclose(ours, np.asarray(ref), rtol=1e-3, atol=1e-10)
    np.testing.assert_allclose(np.diag(ours), np.diag(sample), rtol=1e-10)


def test_denoising_keeps_the_signal_eigenvalue_and_flattens_the_rest():
    x = make_returns(n_obs=400, n_assets=20, seed=1).to_numpy()
    s = np.cov(x, rowvar=False)
    d = denoise_cov(s, x.shape[0] / x.shape[1])
    std = np.sqrt(np.diag(d))
    ev = np.sort(np.linalg.eigvalsh(d / np.outer(std, std)))[::-1]
    # MLAM sec. 2.5: noise eigenvalues replaced by a constant (up to the rescaling to unit diagonal)
    raw = np.sort(np.linalg.eigvalsh(np.corrcoef(x, rowvar=False)))[::-1]
    assert ev[0] == pytest.approx(raw[0], rel=0.1)
    assert np.ptp(ev[2:]) < 0.5 * np.ptp(raw[2:])


def test_detoned_removes_the_market_component():
    x = make_returns(n_obs=400, n_assets=12, seed=2, market=0.02)
    d = covariance(x, method="detoned")
    std = np.sqrt(np.diag(d))
    corr = d / np.outer(std, std)
    plain = np.corrcoef(x.to_numpy(), rowvar=False)
    # the market mode dominates the raw correlation; after detoning the average correlation is ~0
    assert plain[np.triu_indices(12, 1)].mean() > 0.5
    assert abs(corr[np.triu_indices(12, 1)].mean()) < 0.15
    np.testing.assert_allclose(np.diag(d), np.diag(np.cov(x.to_numpy(), rowvar=False)), rtol=1e-4)


def test_unknown_estimators_and_bad_input_are_named():
    with pytest.raises(ConfigError, match="ledoit_wolf"):
        covariance(np.zeros((5, 2)), method="nope")
    with pytest.raises(ConfigError, match="james_stein"):
        expected_returns(np.zeros((5, 2)), method="nope")
    with pytest.raises(DataError, match="NaN"):
        covariance(np.array([[0.1, np.nan], [0.2, 0.1], [0.0, 0.1]]))
