"""Markov-switching regimes: recovery of the sample universe's true regimes, invariants, failures."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

from trade2026.datasets import generate
from trade2026.errors import DataError, InputError
from trade2026.screener import RegimeFitError, fit_markov, market_index, quadrant_summary, rule_regimes


@pytest.fixture(scope="module")
def sample():
    return generate(symbols=10, years=3, seed=2, intraday_symbols=1, intraday_days=1)


@pytest.fixture(scope="module")
def fitted(sample):
    return fit_markov(market_index(sample.bars_1d))


def test_fit_shapes_and_invariants(fitted) -> None:
    assert fitted.converged
    assert fitted.labels == ["bear", "bull"]
    vols = [r["vol"] for r in fitted.regimes]
    assert vols == sorted(vols, reverse=True)
    trans = np.array(fitted.transition)
    np.testing.assert_allclose(trans.sum(axis=1), 1.0, rtol=1e-9)
    for i, r in enumerate(fitted.regimes):
        # expected duration of a Markov chain state: 1 / (1 - p_ii)
        assert r["expected_duration"] == pytest.approx(1.0 / (1.0 - trans[i, i]), rel=1e-9)
        assert r["ann_vol"] == pytest.approx(r["vol"] * np.sqrt(252), rel=1e-12)
    assert sum(r["share"] for r in fitted.regimes) == pytest.approx(1.0)
    p = fitted.probabilities
    assert p.columns == ["ts", "p_bear", "p_bull", "regime"]
    np.testing.assert_allclose((p["p_bear"] + p["p_bull"]).to_numpy(), 1.0, rtol=1e-9)
    assert fitted.to_dict()["current"]["regime"] in ("bear", "bull")


def test_recovers_the_generators_regimes(sample, fitted) -> None:
    """The sample universe has a known bull/bear chain (bear: lower drift, higher volatility): the
    fitted bear regime is more probable on the generator's bear days than on its bull days."""
    joined = fitted.probabilities.join(sample.regimes, on="ts", suffix="_true")
    on_bear = joined.filter(pl.col("regime_true") == "bear")["p_bear"].mean()
    on_bull = joined.filter(pl.col("regime_true") == "bull")["p_bear"].mean()
    assert on_bear > on_bull


def test_matches_statsmodels_directly(sample, fitted) -> None:
    idx = market_index(sample.bars_1d)
    y = 100 * np.diff(np.log(idx["close"].to_numpy()))
    res = sm.tsa.MarkovRegression(y, k_regimes=2, trend="c", switching_variance=True).fit(
        disp=False, em_iter=20, maxiter=300
    )
    assert fitted.log_likelihood == pytest.approx(res.llf, rel=1e-9)
    assert sorted(r["mean"] * 100 for r in fitted.regimes) == pytest.approx(sorted(res.params[2:4]), rel=1e-9)


def test_autoregression_runs(sample) -> None:
    fit = fit_markov(market_index(sample.bars_1d), model="autoregression", order=1)
    assert fit.order == 1 and fit.n_obs == market_index(sample.bars_1d).height - 2


def test_failures_have_clear_messages(sample, monkeypatch: pytest.MonkeyPatch) -> None:
    idx = market_index(sample.bars_1d)
    with pytest.raises(DataError, match="too little data"):
        fit_markov(idx.head(50))
    with pytest.raises(InputError, match="2 or 3"):
        fit_markov(idx, k_regimes=4)
    with pytest.raises(InputError, match="model must be one of"):
        fit_markov(idx, model="hmm")
    flat = idx.with_columns(pl.lit(10.0).alias("close"))
    with pytest.raises(DataError, match="constant"):
        fit_markov(flat)
    original = sm.tsa.MarkovRegression.fit

    def starved(self, **kw):
        return original(self, **{**kw, "em_iter": 0, "maxiter": 1})

    monkeypatch.setattr(sm.tsa.MarkovRegression, "fit", starved)
    with pytest.raises(RegimeFitError, match="did not converge"):
        fit_markov(idx)


def test_quadrant_summary(sample) -> None:
    summary = quadrant_summary(rule_regimes(market_index(sample.bars_1d)))
    assert [q["quadrant"] for q in summary["quadrants"]] == ["bull_calm", "bull_volatile", "bear_calm", "bear_volatile"]
    assert sum(q["share"] for q in summary["quadrants"]) == pytest.approx(1.0)
    assert summary["current"]["quadrant"] == f"{summary['current']['regime']}_{summary['current']['vol_regime']}"
