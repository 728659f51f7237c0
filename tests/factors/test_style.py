"""Style model: exposures, the daily regressions, and recovery of the true factors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

from trade2026.errors import ConfigError, DataError
from trade2026.factors import StyleFactorModel, standardize_exposures

SHORT = dict(beta_window=60, momentum_window=60, momentum_skip=5, reversal_window=5, vol_window=20, liquidity_window=10)


@pytest.fixture(scope="module")
def fitted(universe):
    return StyleFactorModel(**SHORT).fit(universe["bars"], universe["meta"])


def test_recovers_market_and_sector_moves(universe, fitted):
    fr = fitted.factor_returns_
    idx = np.searchsorted(universe["dates"].to_numpy(), fr["ts"].to_numpy())
    # Sector returns are constrained to a zero cap-weighted sum, so the intercept is the market
    # move plus the sectors' cap-weighted mean move, and the sectors are relative to that mean.
    cap = universe["shares"] * universe["close"][0]
    cap_w = np.bincount(universe["sector"], weights=cap)
    true_s = universe["sector_f"][idx]
    sector_mean = true_s @ (cap_w / cap_w.sum())
    cap_beta = np.sum(cap * universe["beta"]) / cap.sum()
    true_mkt = universe["market"][idx] * cap_beta + sector_mean
    assert np.corrcoef(fr["market"].to_numpy(), true_mkt)[0, 1] > 0.95
    rel = true_s - sector_mean[:, None]
    for s in range(4):
        est = fr[f"sector:sec{s}"].to_numpy()
        assert np.corrcoef(est, rel[:, s])[0, 1] > 0.9
    assert fitted.summary_["skipped_days_few_symbols"] == 0
    assert fitted.summary_["skipped_days_singular"] == 0
    assert fitted.summary_["mean_r2"] > 0.25  # idiosyncratic noise is about half the variance


def test_one_day_matches_statsmodels_wls(universe, fitted):
    ex = fitted.exposures_
    styles = [f for f in fitted.factor_names_ if f != "market" and not f.startswith("sector:")]
    day_ix = 100
    fr = fitted.factor_returns_
    ts = fr["ts"][day_ix]
    prev = ex.filter(pl.col("ts") == ex.filter(pl.col("ts") < ts)["ts"].max())
    rets = (
        universe["bars"]
        .sort("symbol", "ts")
        .with_columns((pl.col("close") / pl.col("close").shift(1).over("symbol") - 1).alias("r"))
        .filter(pl.col("ts") == ts)
    )
    d = prev.join(rets.select("symbol", "r"), on="symbol").drop_nulls().sort("symbol")
    sectors = sorted(d["sector"].unique())
    D = np.column_stack([(d["sector"] == s).to_numpy().astype(float) for s in sectors])
    cap = d["market_cap"].to_numpy()
    c = D.T @ cap
    # Substitute the constrained sector (the largest by cap) and fit the rest with statsmodels.
    ref_s = int(np.argmax(c))
    others = [i for i in range(len(sectors)) if i != ref_s]
    Z = np.column_stack(
        [np.ones(d.height)]
        + [D[:, i] - c[i] / c[ref_s] * D[:, ref_s] for i in others]
        + [d[s].to_numpy() for s in styles]
    )
    res = sm.WLS(d["r"].to_numpy(), Z, weights=np.sqrt(cap)).fit()
    f = dict(zip(["market"] + [f"sector:{sectors[i]}" for i in others] + styles, res.params, strict=True))
    f[f"sector:{sectors[ref_s]}"] = -sum(c[i] * f[f"sector:{sectors[i]}"] for i in others) / c[ref_s]
    row = fr.row(day_ix, named=True)
    for name, value in f.items():
        assert row[name] == pytest.approx(value, rel=1e-7, abs=1e-12), name


def test_exposures_are_standardised(fitted):
    ex = fitted.exposures_
    day = ex.filter(pl.col("ts") == ex["ts"].max())
    cap = day["market_cap"].to_numpy()
    for f in ("beta", "momentum", "volatility", "size"):
        x = day[f].to_numpy()
        assert abs(np.sum(cap * x) / cap.sum()) < 0.05
        assert np.abs(x).max() <= 3.0 + 1e-12
        assert 0.8 < x.std(ddof=1) < 1.2


def test_beta_exposure_tracks_true_beta(universe, fitted):
    ex = fitted.exposures_
    day = ex.filter(pl.col("ts") == ex["ts"].max()).sort("symbol")
    true = dict(zip(universe["names"], universe["beta"], strict=True))
    rho = np.corrcoef(day["beta"].to_numpy(), [true[s] for s in day["symbol"]])[0, 1]
    assert rho > 0.6


def test_sample_universe_runs_and_reports_counts(sample):
    m = StyleFactorModel().fit(sample.bars_1d, sample.symbols)
    s = m.summary_
    assert s["days"] > 400 and s["warmup_days"] >= 252
    assert s["skipped_days_few_symbols"] + s["skipped_days_singular"] == 0
    assert set(m.factor_names_) >= {"market", "beta", "momentum", "size"}
    assert m.factor_cov_.shape == (len(m.factor_names_),) * 2
    assert np.all(np.linalg.eigvalsh(m.factor_cov_) >= -1e-15)
    assert m.specific_var_["specific_var"].null_count() == 0
    # The intercept is the market: it tracks the cap-weighted market return (caps at the prior close).
    mk = (
        sample.bars_1d.sort("symbol", "ts")
        .join(sample.symbols.select("symbol", "shares_out"), on="symbol")
        .with_columns(
            (pl.col("close") / pl.col("close").shift(1).over("symbol") - 1).alias("r"),
            (pl.col("close").shift(1).over("symbol") * pl.col("shares_out")).alias("cap"),
        )
        .drop_nulls()
        .group_by("ts")
        .agg(((pl.col("r") * pl.col("cap")).sum() / pl.col("cap").sum()).alias("r"))
        .join(m.factor_returns_.select("ts", "market"), on="ts")
    )
    assert np.corrcoef(mk["r"].to_numpy(), mk["market"].to_numpy())[0, 1] > 0.95


def test_few_symbol_days_are_skipped_and_counted():
    from tests.factors.conftest import synthetic_universe

    u = synthetic_universe(n_assets=12, n_days=200, n_sectors=2, seed=5)
    bars = u["bars"]
    # Keep only 3 symbols on 10 late days: those regressions cannot be estimated.
    late = u["dates"][150:160]
    bars = bars.filter(~(pl.col("ts").is_in(late.implode()) & (pl.col("symbol") > "S002")))
    m = StyleFactorModel(factors=["beta", "volatility"], beta_window=40, vol_window=20).fit(bars, u["meta"])
    assert m.summary_["skipped_days_few_symbols"] >= 10
    assert not m.factor_returns_["ts"].is_in(late.implode()).any()


def test_without_metadata_and_bad_input(universe):
    m = StyleFactorModel(**SHORT, factors=["beta", "momentum", "size"]).fit(universe["bars"])
    assert m.factor_names_ == ["market", "beta", "momentum"]  # no shares: no size, no sectors
    with pytest.raises(ConfigError):
        StyleFactorModel(factors=["bogus"]).fit(universe["bars"])
    with pytest.raises(DataError):
        StyleFactorModel().fit(universe["bars"].head(200), universe["meta"])  # shorter than look-backs
    with pytest.raises(DataError):
        StyleFactorModel().fit(universe["bars"].drop("volume"))


def test_standardize_clips_and_centres():
    rng = np.random.default_rng(0)
    raw = rng.standard_t(2, size=(3, 200))
    z = standardize_exposures(raw, None, cap_weighted=False)
    assert np.abs(z).max() <= 3.0 + 1e-12
    np.testing.assert_allclose(np.nanmean(z, axis=1), 0.0, atol=0.05)


def test_one_extreme_value_does_not_make_exposures_collinear():
    # With a plain z-score clip, one huge outlier inflates the scale, everyone else collapses
    # near the mean and unrelated descriptors become the same "outlier indicator" (seen on the
    # 500-symbol sample as singular regressions). The MAD-based clip keeps them apart.
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(1, 300)), rng.normal(size=(1, 300))
    a[0, 7] = b[0, 7] = 1e4
    za, zb = standardize_exposures(a, None, cap_weighted=False), standardize_exposures(b, None, cap_weighted=False)
    assert abs(np.corrcoef(za[0], zb[0])[0, 1]) < 0.2
    assert 2.5 < za[0, 7] <= 3.0  # clipped at 3 robust sd, then standardised
