"""Fama-MacBeth cross-sectional regressions and time-series factor regressions.

Fama and MacBeth (1973): regress the cross-section of returns on characteristics every period,
average the per-period coefficients, and judge them by the time-series variation of those
coefficients, here with a Newey-West (Bartlett) long-run variance so overlapping or persistent
periods do not overstate the t-statistics. With ``lags=0`` it is the classic standard error.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from trade2026.core import pivot, require_columns, to_polars
from trade2026.errors import ConfigError, DataError
from trade2026.factors._linalg import batched_wls, long_run_covariance, newey_west_lags


@dataclass(frozen=True)
class FamaMacBethResult:
    """Mean coefficients over the periods and their Newey-West statistics.

    ``params``, ``std_errors``, ``tstats``, ``pvalues``: name -> value; ``coefs``: per-period
    coefficients (a polars frame with the time column); ``n_periods`` used; ``lags`` of the
    Newey-West kernel; ``skipped_few`` / ``skipped_singular`` periods left out; ``mean_r2``.
    """

    params: dict[str, float]
    std_errors: dict[str, float]
    tstats: dict[str, float]
    pvalues: dict[str, float]
    coefs: pl.DataFrame
    n_periods: int
    lags: int
    skipped_few: int
    skipped_singular: int
    mean_r2: float

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "variable": k,
                "coef": self.params[k],
                "std_error": self.std_errors[k],
                "tstat": self.tstats[k],
                "pvalue": self.pvalues[k],
            }
            for k in self.params
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "coefficients": self.rows(),
            "n_periods": self.n_periods,
            "lags": self.lags,
            "skipped_periods_few_obs": self.skipped_few,
            "skipped_periods_singular": self.skipped_singular,
            "mean_r2": self.mean_r2,
        }


def fama_macbeth(
    data: Any,
    y: str,
    x: list[str],
    *,
    time: str = "ts",
    entity: str = "symbol",
    constant: bool = True,
    lags: int | None = None,
    min_obs: int | None = None,
) -> FamaMacBethResult:
    """Fama-MacBeth regression of ``y`` on ``x`` over a long panel (pandas or polars).

    Parameters
    ----------
    data : frame with columns ``time``, ``entity``, ``y`` and ``x``; rows with a missing value
        are left out of their period.
    lags : Newey-West lags for the coefficients' long-run variance; None uses
        ``floor(4 (T/100)^(2/9))``, 0 the plain standard error ``std(coef, ddof=1) / sqrt(T)``.
    min_obs : fewest entities a period needs (default: regressors + 1).

    The variance of the mean is ``S / (T - 1)`` with ``S`` the Bartlett-weighted long-run
    covariance of the T coefficient vectors (the convention of linearmodels' FamaMacBeth
    kernel covariance with ``debiased=True``); p-values use a t distribution with T - 1 df.
    """
    from scipy import stats

    check_lags(lags)
    df, _ = to_polars(data)
    require_columns(df, [time, entity, y, *x], "the panel")
    if not x:
        msg = "give at least one regressor"
        raise DataError(msg)
    p = pivot(df, [y, *x], index=time, entity=entity)
    Y = p[y]
    cols = ([np.ones_like(Y)] if constant else []) + [p[c] for c in x]
    names = (["const"] if constant else []) + list(x)
    X = np.stack(cols, axis=2)
    fit = batched_wls(Y, X, None, min_obs=min_obs, has_constant=constant)
    ok = fit.fitted_ok
    coefs = fit.coef[ok]
    T = coefs.shape[0]
    if T < 2:
        msg = (
            f"only {T} period(s) could be estimated ({fit.skipped_few} had too few entities, "
            f"{fit.skipped_singular} singular regressors); Fama-MacBeth needs at least 2"
        )
        raise DataError(msg)
    L = newey_west_lags(T) if lags is None else int(lags)
    L = max(0, min(L, T - 1))
    mean = coefs.mean(axis=0)
    S = long_run_covariance(coefs, L)
    cov = S / (T - 1)  # S averages over T periods; the mean's variance divides by T - 1
    se = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / se
    pv = 2 * stats.t.sf(np.abs(t), df=T - 1)
    frame = pl.DataFrame({time: p.dates.filter(pl.Series(ok))}).with_columns(
        [pl.Series(n, coefs[:, i]) for i, n in enumerate(names)]
    )
    return FamaMacBethResult(
        params=dict(zip(names, mean.tolist(), strict=True)),
        std_errors=dict(zip(names, se.tolist(), strict=True)),
        tstats=dict(zip(names, t.tolist(), strict=True)),
        pvalues=dict(zip(names, pv.tolist(), strict=True)),
        coefs=frame,
        n_periods=T,
        lags=L,
        skipped_few=fit.skipped_few,
        skipped_singular=fit.skipped_singular,
        mean_r2=float(np.nanmean(fit.r2[ok])),
    )


@dataclass(frozen=True)
class TimeSeriesRegression:
    """OLS of one return series on factor returns with Newey-West (HAC) standard errors."""

    params: dict[str, float]
    std_errors: dict[str, float]
    tstats: dict[str, float]
    pvalues: dict[str, float]
    r2: float
    n_obs: int
    lags: int

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "variable": k,
                "coef": self.params[k],
                "std_error": self.std_errors[k],
                "tstat": self.tstats[k],
                "pvalue": self.pvalues[k],
            }
            for k in self.params
        ]

    def to_dict(self) -> dict[str, Any]:
        return {"coefficients": self.rows(), "r2": self.r2, "n_obs": self.n_obs, "lags": self.lags}


def check_lags(lags: int | None) -> None:
    """Newey-West lags are None (automatic) or a whole number >= 0; a ConfigError naming ``lags`` otherwise."""
    if lags is not None and (isinstance(lags, bool) or not isinstance(lags, numbers.Integral) or lags < 0):
        msg = f"lags (Newey-West) must be a whole number >= 0, or None for floor(4 (T/100)^(2/9)); got {lags!r}"
        raise ConfigError(msg, option="lags")


def time_series_regression(
    returns: Any,
    factors: Any,
    *,
    time: str = "ts",
    target: str | None = None,
    lags: int | None = None,
    constant: bool = True,
) -> TimeSeriesRegression:
    """Regress a return series on factor return series (statsmodels OLS, HAC covariance).

    ``returns``: frame with ``time`` and one value column (or ``target``); ``factors``: frame
    with ``time`` and one column per factor. They are inner-joined on ``time``; rows with a
    missing value are dropped. ``lags`` defaults to ``floor(4 (T/100)^(2/9))``. The intercept is
    called ``alpha`` (per period).
    """
    import statsmodels.api as sm

    check_lags(lags)
    r, _ = to_polars(returns)
    f, _ = to_polars(factors)
    require_columns(r, [time], "the return series")
    require_columns(f, [time], "the factor returns")
    ycol = target or next((c for c in r.columns if c != time), None)
    if ycol is None or ycol not in r.columns:
        msg = f"the return series needs a value column besides {time!r}"
        raise DataError(msg)
    fcols = [c for c in f.columns if c != time]
    if not fcols:
        msg = "the factor frame has no factor columns"
        raise DataError(msg)
    joined = r.select(time, pl.col(ycol).alias("__y")).join(f, on=time, how="inner").drop_nulls().drop_nans()
    n = joined.height
    if n < len(fcols) + 3:
        msg = f"only {n} dates with the return and every factor; need at least {len(fcols) + 3}"
        raise DataError(msg)
    yv = joined.get_column("__y").to_numpy()
    Xv = joined.select(fcols).to_numpy().astype(np.float64)
    if constant:
        Xv = np.column_stack([np.ones(n), Xv])
    names = (["alpha"] if constant else []) + fcols
    L = newey_west_lags(n) if lags is None else int(lags)
    res = sm.OLS(yv, Xv).fit(cov_type="HAC", cov_kwds={"maxlags": L})
    return TimeSeriesRegression(
        params=dict(zip(names, np.asarray(res.params).tolist(), strict=True)),
        std_errors=dict(zip(names, np.asarray(res.bse).tolist(), strict=True)),
        tstats=dict(zip(names, np.asarray(res.tvalues).tolist(), strict=True)),
        pvalues=dict(zip(names, np.asarray(res.pvalues).tolist(), strict=True)),
        r2=float(res.rsquared),
        n_obs=n,
        lags=L,
    )
