"""Fama-MacBeth against linearmodels, premium recovery, and time-series regressions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from trade2026.errors import DataError
from trade2026.factors import fama_macbeth, time_series_regression


def _panel(seed: int = 0, n_periods: int = 120, n_entities: int = 50, premium: float = 0.004, ar: float = 0.0):
    """Returns = premium * characteristic + noise; the premium itself is persistent if ``ar`` > 0."""
    rng = np.random.default_rng(seed)
    rows = []
    shock = 0.0
    for t in range(n_periods):
        shock = ar * shock + rng.normal(0, 0.003)
        x1 = rng.normal(size=n_entities)
        x2 = rng.normal(size=n_entities)
        y = 0.001 + (premium + shock) * x1 + 0.0 * x2 + rng.normal(0, 0.02, n_entities)
        for i in range(n_entities):
            rows.append((t, f"E{i:02d}", y[i], x1[i], x2[i]))
    return pl.DataFrame(rows, schema=["t", "id", "ret", "x1", "x2"], orient="row")


@pytest.mark.parametrize("lags", [0, 3, 8])
def test_matches_linearmodels_fama_macbeth(lags):
    linearmodels = pytest.importorskip("linearmodels")
    df = _panel(ar=0.6)
    # Drop a few observations so periods differ in size.
    df = df.filter(pl.Series(np.random.default_rng(1).random(df.height) > 0.05))
    ours = fama_macbeth(df, "ret", ["x1", "x2"], time="t", entity="id", lags=lags)
    pdf = df.to_pandas().set_index(["id", "t"])
    exog = pdf[["x1", "x2"]].assign(const=1.0)[["const", "x1", "x2"]]
    ref = linearmodels.FamaMacBeth(pdf["ret"], exog).fit(cov_type="kernel", kernel="bartlett", bandwidth=lags)
    for name in ("const", "x1", "x2"):
        assert ours.params[name] == pytest.approx(ref.params[name], rel=1e-10)
        assert ours.std_errors[name] == pytest.approx(ref.std_errors[name], rel=1e-8)
        assert ours.tstats[name] == pytest.approx(ref.tstats[name], rel=1e-8)
        assert ours.pvalues[name] == pytest.approx(ref.pvalues[name], rel=1e-6, abs=1e-12)
    assert ours.n_periods == 120 and ours.lags == lags


def test_recovers_known_premium_with_newey_west_tstats():
    df = _panel(n_periods=250, premium=0.004, ar=0.5, seed=3)
    res = fama_macbeth(df, "ret", ["x1", "x2"], time="t", entity="id")
    assert res.params["x1"] == pytest.approx(0.004, abs=3 * res.std_errors["x1"])
    assert res.tstats["x1"] > 4
    assert abs(res.tstats["x2"]) < 3
    # With a persistent premium the Newey-West standard error exceeds the plain one.
    plain = fama_macbeth(df, "ret", ["x1", "x2"], time="t", entity="id", lags=0)
    assert res.std_errors["x1"] > plain.std_errors["x1"]
    assert res.coefs.height == 250 and res.lags == 4  # floor(4 (250/100)^(2/9))


def test_skips_thin_periods_and_accepts_pandas():
    df = _panel(n_periods=30, n_entities=20).to_pandas()
    df = df[~((df["t"] == 4) & (df["id"] > "E01"))]  # 2 entities for 3 parameters
    df.loc[df["t"] == 7, "x2"] = 1.0  # constant regressor: collinear with the intercept
    res = fama_macbeth(df, "ret", ["x1", "x2"], time="t", entity="id")
    assert res.skipped_few == 1 and res.skipped_singular == 1 and res.n_periods == 28
    with pytest.raises(DataError):
        fama_macbeth(df, "ret", ["nope"], time="t", entity="id")


def test_time_series_regression_recovers_betas():
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    n = 600
    f = rng.normal(0, 0.01, (n, 2))
    y = 0.0002 + 1.2 * f[:, 0] - 0.5 * f[:, 1] + rng.normal(0, 0.005, n)
    ts = pd.date_range("2020-01-01", periods=n, freq="D")
    res = time_series_regression(
        pd.DataFrame({"ts": ts, "r": y}), pl.DataFrame({"ts": ts, "mkt": f[:, 0], "hml": f[:, 1]}), lags=5
    )
    assert res.params["mkt"] == pytest.approx(1.2, abs=0.05)
    assert res.params["hml"] == pytest.approx(-0.5, abs=0.05)
    ref = sm.OLS(y, sm.add_constant(f)).fit(cov_type="HAC", cov_kwds={"maxlags": 5})
    np.testing.assert_allclose(list(res.tstats.values()), ref.tvalues, rtol=1e-10)
    assert res.n_obs == n and 0.8 < res.r2 < 1
