"""PCA factor model: a direct SVD/eigendecomposition oracle and the sample universe's structure."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from trade2026.core import pivot, simple_returns
from trade2026.errors import ConfigError, DataError
from trade2026.factors import PCAFactorModel, marchenko_pastur_edge


def _returns(universe) -> np.ndarray:
    return universe["ret"]


def test_matches_direct_eigendecomposition(universe):
    r = _returns(universe)
    m = PCAFactorModel(n_factors=3).fit(r)
    corr = np.corrcoef(r, rowvar=False)
    vals, vecs = np.linalg.eigh(corr)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    np.testing.assert_allclose(m.eigenvalues_, vals, rtol=1e-9, atol=1e-12)
    for i in range(3):
        v = vecs[:, i] * np.sign(vecs[:, i].sum())
        np.testing.assert_allclose(m.components_[i], v, atol=1e-9)
    z = (r - r.mean(axis=0)) / r.std(axis=0, ddof=1)
    np.testing.assert_allclose(m.factor_returns_, z @ m.components_.T, atol=1e-9)
    np.testing.assert_allclose(m.explained_variance_ratio_, vals[:3] / vals.sum(), rtol=1e-9)
    # Specific returns are what the factors leave of the demeaned returns, in return units.
    recon = r.mean(axis=0) + m.factor_returns_ @ m.loadings_.T + m.specific_returns_
    np.testing.assert_allclose(recon, r, atol=1e-12)


def test_marchenko_pastur_recovers_market_and_sectors():
    from tests.factors.conftest import synthetic_universe

    # Market + 4 sector factors: the sector dummies add up to the market's direction (betas vary
    # only a little around 1), so the common part has 4 strong directions; the rest is noise.
    u = synthetic_universe(n_assets=60, n_days=1000, seed=2)
    m = PCAFactorModel(method="mp").fit(u["ret"])
    assert m.n_factors_ == 4
    assert m.eigenvalues_[4] < m.mp_edge_ < m.eigenvalues_[3]
    # The noise variance is what the 4 signal eigenvalues leave: about idio / total variance.
    assert 0.3 < m.noise_variance_ < 0.6
    eq_market = u["ret"].mean(axis=1)
    assert np.corrcoef(m.factor_returns_[:, 0], eq_market)[0, 1] > 0.95


def test_first_factor_is_the_market_on_the_sample_universe(sample):
    p = pivot(sample.bars_1d, ["close"])
    r = simple_returns(p["close"])[1:]
    m = PCAFactorModel(method="mp", min_coverage=0.95).fit(r, assets=p.symbols)
    eq = np.nanmean(r, axis=1)
    assert np.corrcoef(m.factor_returns_[:, 0], eq)[0, 1] > 0.95
    # The sample has a market and 6 sectors (dummies summing to the market direction): the
    # edge keeps the market and the strongest sector directions, and not the noise bulk.
    assert 3 <= m.n_factors_ <= 7
    # Symbols listed late or delisted early fall below the coverage and are dropped.
    assert len(m.assets_) < len(p.symbols)


def test_variance_target_and_polars_input(universe):
    r = _returns(universe)
    df = pl.DataFrame(r, schema=universe["names"])
    m = PCAFactorModel(method="variance", variance_target=0.5).fit(df)
    cum = np.cumsum(m.eigenvalues_) / m.eigenvalues_.sum()
    assert m.n_factors_ >= 2
    assert cum[m.n_factors_ - 1] >= 0.5 > cum[m.n_factors_ - 2]
    assert m.assets_ == universe["names"]
    np.testing.assert_allclose(m.transform(r), m.factor_returns_, atol=1e-9)


def test_mp_edge_formula_and_errors():
    # Laloux et al. (1999): Q = T/N; lambda_max = sigma^2 (1 + 1/Q + 2 sqrt(1/Q)).
    assert marchenko_pastur_edge(400, 100) == pytest.approx(1 + 0.25 + 2 * 0.5)
    with pytest.raises(ConfigError):
        PCAFactorModel(method="bogus").fit(np.zeros((5, 3)))
    with pytest.raises(DataError):
        PCAFactorModel().fit(np.ones((10, 3)))


def test_white_noise_has_no_factor_above_the_edges():
    from trade2026.factors import tracy_widom_edge

    rng = np.random.default_rng(0)
    above_mp = above_tw = 0
    for _ in range(20):
        m = PCAFactorModel().fit(rng.normal(size=(300, 30)))
        above_mp += m.eigenvalues_[0] > marchenko_pastur_edge(300, 30)
        above_tw += m.eigenvalues_[0] > m.mp_edge_
        assert m.n_factors_ == 1  # at least one factor is always kept
    assert above_tw == 0 and above_mp <= 3
    # Johnstone's margin: the 95% bound sits above the asymptotic edge.
    assert tracy_widom_edge(300, 30) > marchenko_pastur_edge(300, 30)
