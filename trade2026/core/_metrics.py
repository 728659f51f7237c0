"""Returns metrics: one definition over 1-D series and 2-D (n_obs, n_trials) matrices.

Every metric the toolkit reports about a returns series (backtests, sweeps, walk-forward windows,
Monte Carlo paths, portfolio backtests, factor portfolios) comes from :func:`metrics_columns`, so
one series gives one answer wherever it is measured.

Definitions (simple per-period returns r; NaN entries are missing observations and skipped, so a
series with gaps measures like the series without them; ``n`` counts the finite entries):

- ``total_return`` = prod(1 + r) - 1; ``cagr`` = prod(1 + r) ** (P / n) - 1 (-1 once wealth is gone)
- ``ann_return`` = mean(r) * P; ``ann_vol`` = sd(r, ddof=1) * sqrt(P)
- ``sharpe`` = mean / sd * sqrt(P); ``sharpe_per_period`` = mean / sd
- ``sortino`` = mean / sqrt(mean(min(r, 0)^2)) * sqrt(P)
- ``calmar`` = cagr / -max_drawdown
- ``max_drawdown`` = min(equity / running peak - 1) with the peak starting at 1 (<= 0);
  ``max_drawdown_duration``: the longest run of observations spent below a previous peak
- ``skew`` and ``kurtosis`` (Pearson: a normal distribution has 3), population moments

Edge cases, the same everywhere: no observations gives total return, CAGR and drawdown 0 and every
ratio NaN; one observation gives NaN volatility and ratios; zero volatility (a constant or all-zero
series) gives NaN Sharpe (undefined, not 0 or infinite), skew 0 and kurtosis 3; no losing period
gives NaN Sortino; no drawdown gives NaN Calmar. P is ``periods_per_year``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trade2026.errors import DataError, InputError

# The per-trial metrics of a matrix, in the order :func:`metrics_columns` returns them.
MATRIX_METRICS = (
    "total_return",
    "cagr",
    "ann_return",
    "ann_vol",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_duration",
    "skew",
    "kurtosis",
    "sharpe_per_period",
    "n_obs",
    "min_equity",
)


def as_array(values: Any, *, ndim: int | None = None, name: str = "returns") -> np.ndarray:
    """A float64 numpy array of a numpy, pandas or polars input (a frame's columns become columns)."""
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{name} must be numeric: {exc}"
        raise DataError(msg) from None
    if ndim is not None and arr.ndim != ndim:
        shape = "one-dimensional" if ndim == 1 else "a 2-D (n_obs, n_trials) matrix"
        msg = f"{name} must be {shape}, got shape {arr.shape}"
        raise DataError(msg)
    return arr


def _check_ppy(periods_per_year: float) -> float:
    ppy = float(periods_per_year)
    if not (math.isfinite(ppy) and ppy > 0):
        msg = f"periods_per_year must be a positive number, got {periods_per_year}"
        raise InputError(msg)
    return ppy


def _zero_vol(sd: np.ndarray, mean: np.ndarray) -> np.ndarray:
    # Rounding leaves a constant series a standard deviation of ~1e-19, not 0.
    return ~(sd > 1e-12 * np.abs(mean))


def metrics_columns(returns: Any, periods_per_year: float = 252) -> dict[str, np.ndarray]:
    """Metrics of every column of a (n_obs, n_trials) matrix of simple returns.

    Parameters
    ----------
    returns : array-like of shape (n_obs, n_trials) or (n_obs,)
        Simple per-period returns, one column per trial (parameter set, path, asset); NaN entries
        are missing. A 1-D input is one trial.
    periods_per_year : float
        Periods in a year, to annualise (252 for daily bars).

    Returns
    -------
    dict of str to ndarray of shape (n_trials,)
        The keys of :data:`MATRIX_METRICS`, with the definitions and edge cases in this module's
        docstring. ``min_equity`` is the lowest compounded equity (starting at 1, so at most 1).
    """
    from trade2026.core._kernels import (
        M_DOWN,
        M_GROWTH,
        M_KURT,
        M_MDD,
        M_MDD_DUR,
        M_MEAN,
        M_MIN_EQ,
        M_N,
        M_SD,
        M_SKEW,
        metrics_matrix,
    )

    ppy = _check_ppy(periods_per_year)
    r = as_array(returns)
    if r.ndim == 1:
        r = r[:, None]
    if r.ndim != 2:
        msg = f"returns must be 1-D or a 2-D (n_obs, n_trials) matrix, got shape {r.shape}"
        raise DataError(msg)
    s = metrics_matrix(np.ascontiguousarray(r))
    n = s[M_N]
    growth = s[M_GROWTH]
    mean = s[M_MEAN]
    sd = s[M_SD]
    mdd = s[M_MDD]
    down = s[M_DOWN]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        years = n / ppy
        cagr = np.where(growth > 0, growth ** (1.0 / np.where(n > 0, years, 1.0)) - 1.0, -1.0)
        cagr = np.where(n > 0, cagr, 0.0)
        flat = _zero_vol(sd, mean)
        sr = np.where(flat | ~np.isfinite(sd), np.nan, mean / sd)
        sortino = np.where(down > 0, mean / down, np.nan) * math.sqrt(ppy)
        calmar = np.where(mdd < 0, cagr / -mdd, np.nan)
    return {
        "total_return": growth - 1.0,
        "cagr": cagr,
        "ann_return": np.where(n > 0, mean * ppy, 0.0),
        "ann_vol": np.where(n > 1, np.where(flat, 0.0, sd) * math.sqrt(ppy), np.nan),
        "sharpe": sr * math.sqrt(ppy),
        "sortino": sortino,
        "calmar": calmar,
        "max_drawdown": mdd,
        "max_drawdown_duration": s[M_MDD_DUR],
        "skew": s[M_SKEW],
        "kurtosis": s[M_KURT],
        "sharpe_per_period": sr,
        "n_obs": n,
        "min_equity": s[M_MIN_EQ],
    }


def moments(returns: Any) -> tuple[float, float, float, float]:
    """Mean, standard deviation (ddof=1), skewness and Pearson kurtosis of a 1-D returns series."""
    from trade2026.core._kernels import M_KURT, M_MEAN, M_SD, M_SKEW, metrics_matrix

    s = metrics_matrix(np.ascontiguousarray(as_array(returns, ndim=1)[:, None]))
    return float(s[M_MEAN, 0]), float(s[M_SD, 0]), float(s[M_SKEW, 0]), float(s[M_KURT, 0])


def sharpe_ratio(returns: Any, periods_per_year: float | None = None) -> float:
    """Sharpe ratio of simple returns (mean / sd, ddof=1); annualised when ``periods_per_year`` is given.

    NaN when the volatility is zero or there are fewer than two observations (see the module notes).
    """
    sr = float(metrics_columns(as_array(returns, ndim=1))["sharpe_per_period"][0])
    return sr * math.sqrt(_check_ppy(periods_per_year)) if periods_per_year else sr


def drawdown(returns: Any) -> np.ndarray:
    """Drawdown series (<= 0) of the compounded equity of a 1-D series of simple returns (NaN skipped)."""
    r = as_array(returns, ndim=1)
    r = r[np.isfinite(r)]
    equity = np.cumprod(1.0 + r)
    peak = np.maximum.accumulate(np.maximum(equity, 1.0))
    return equity / peak - 1.0


def max_drawdown(returns: Any) -> float:
    """The deepest drawdown (<= 0, a fraction) of a 1-D series of simple returns."""
    return float(metrics_columns(as_array(returns, ndim=1))["max_drawdown"][0])


def _win_loss(sample: np.ndarray) -> dict[str, float]:
    if sample.size == 0:
        return {"hit_rate": math.nan, "profit_factor": math.nan, "avg_win": math.nan, "avg_loss": math.nan}
    wins = sample[sample > 0]
    losses = sample[sample < 0]
    gross_loss = -float(losses.sum())
    return {
        "hit_rate": wins.size / sample.size,
        "profit_factor": float(wins.sum()) / gross_loss if gross_loss > 0 else math.inf if wins.size else math.nan,
        "avg_win": float(wins.mean()) if wins.size else math.nan,
        "avg_loss": float(losses.mean()) if losses.size else math.nan,
    }


# returns_metrics' leading keys, in order: the matrix metrics up to the drawdown duration.
_SCALAR_KEYS = MATRIX_METRICS[: MATRIX_METRICS.index("max_drawdown_duration") + 1]


def returns_metrics(
    returns: Any,
    periods_per_year: float = 252,
    *,
    trade_pnls: Any = None,
    turnover: float | None = None,
    exposure: float | None = None,
) -> dict[str, float]:
    """Performance metrics of a simple-returns series, with stable snake_case names.

    Parameters
    ----------
    returns : array-like of shape (n_obs,)
        Simple per-period returns (NaN entries are missing and skipped).
    periods_per_year : float
        Periods in a year (252 for daily bars) used to annualise.
    trade_pnls : array-like, optional
        Per-trade returns or P&L; gives ``hit_rate``, ``profit_factor``, ``avg_win``, ``avg_loss`` and
        ``trade_count`` per trade. Without it, those describe the non-zero periods.
    turnover, exposure : float, optional
        Average one-way turnover per period and average gross exposure, passed through.

    Returns
    -------
    dict
        ``n_obs``, ``total_return``, ``cagr``, ``ann_return``, ``ann_vol``, ``sharpe`` (annualised),
        ``sortino``, ``calmar``, ``max_drawdown`` (negative fraction), ``max_drawdown_duration``
        (periods), ``hit_rate``, ``profit_factor``, ``avg_win``, ``avg_loss``, ``skew``, ``kurtosis``
        (Pearson), ``sharpe_per_period`` and, when given, ``turnover``, ``exposure``, ``trade_count``.
        These are :func:`metrics_columns` of the series as one column, edge cases included.
    """
    r = as_array(returns, ndim=1)
    m = metrics_columns(r, periods_per_year)
    out: dict[str, float] = {"n_obs": int(m["n_obs"][0])}
    for k in _SCALAR_KEYS:
        out[k] = float(m[k][0])
    out["max_drawdown_duration"] = int(out["max_drawdown_duration"])
    out.update(skew=float(m["skew"][0]), kurtosis=float(m["kurtosis"][0]))
    out["sharpe_per_period"] = float(m["sharpe_per_period"][0])
    finite = r[np.isfinite(r)]
    pnls = finite[finite != 0]
    if trade_pnls is not None:
        pnls = as_array(trade_pnls, ndim=1, name="trade_pnls")
        pnls = pnls[np.isfinite(pnls)]
    out.update(_win_loss(pnls if finite.size else finite))
    if trade_pnls is not None:
        out["trade_count"] = int(pnls.size)
    if turnover is not None:
        out["turnover"] = float(turnover)
    if exposure is not None:
        out["exposure"] = float(exposure)
    return out
