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

import datetime as _dt
import math
from typing import Any

import numpy as np

from trade2026.errors import DataError, InputError

_UTC = _dt.UTC

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


# ---------------------------------------------------------------------------------------------------
# Beyond the matrix pass: calendar periods, drawdown episodes, tail risk, benchmark-relative and
# rolling metrics of one series (the quantstats set). Same conventions: simple returns, NaN skipped.
# ---------------------------------------------------------------------------------------------------

_PERIODS = {"day": "datetime64[D]", "month": "datetime64[M]", "year": "datetime64[Y]"}


def as_datetimes(ts: Any) -> np.ndarray:
    """Timestamps (polars/pandas series, numpy datetime64, list of datetimes) as naive UTC datetime64[us]."""
    if hasattr(ts, "dt") and hasattr(ts, "to_list") and hasattr(ts.dt, "replace_time_zone"):  # polars
        ts = ts.dt.convert_time_zone("UTC").dt.replace_time_zone(None) if ts.dtype.time_zone else ts
    elif getattr(ts, "tz", None) is not None or getattr(getattr(ts, "dt", None), "tz", None) is not None:  # pandas
        ts = ts.tz_convert(None) if hasattr(ts, "tz_convert") else ts.dt.tz_convert(None)
    if hasattr(ts, "to_numpy"):
        ts = ts.to_numpy()
    elif isinstance(ts, list | tuple) and ts and getattr(ts[0], "tzinfo", None) is not None:
        ts = [t.astimezone(_UTC).replace(tzinfo=None) for t in ts]
    try:
        return np.asarray(ts, dtype="datetime64[us]")
    except (TypeError, ValueError) as exc:
        msg = f"ts must be timestamps: {exc}"
        raise DataError(msg) from None


def _aligned(returns: Any, ts: Any) -> tuple[np.ndarray, np.ndarray]:
    r = as_array(returns, ndim=1)
    t = as_datetimes(ts)
    if t.shape != r.shape:
        msg = f"ts has {t.size} timestamps but returns has {r.size} observations; pass one timestamp per return"
        raise DataError(msg)
    if t.size > 1 and np.any(t[1:] < t[:-1]):
        order = np.argsort(t, kind="stable")
        r, t = r[order], t[order]
    return r, t


def period_returns(returns: Any, ts: Any, period: str = "month") -> tuple[np.ndarray, np.ndarray]:
    """Compounded returns per calendar ``period`` (``"day"``, ``"month"`` or ``"year"``, UTC).

    Parameters
    ----------
    returns : array-like of shape (n_obs,)
        Simple per-period returns; NaN entries are skipped (a period of only NaN returns 0).
    ts : array-like of shape (n_obs,)
        The timestamps of ``returns``.

    Returns
    -------
    labels : ndarray of datetime64
        The first instant of each period present, ascending (``datetime64[M]`` for months).
    values : ndarray of float64
        prod(1 + r) - 1 over the period.
    """
    if period not in _PERIODS:
        msg = f"period must be one of {', '.join(_PERIODS)}, got {period!r}"
        raise InputError(msg)
    r, t = _aligned(returns, ts)
    if r.size == 0:
        return np.array([], dtype=_PERIODS[period]), np.array([], dtype=np.float64)
    keys = t.astype(_PERIODS[period])
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    growth = np.multiply.reduceat(1.0 + np.where(np.isfinite(r), r, 0.0), starts)
    return keys[starts], growth - 1.0


def drawdown_table(returns: Any, ts: Any = None, *, top: int = 5) -> list[dict[str, Any]]:
    """The ``top`` deepest drawdown episodes, deepest first.

    An episode is a run of observations below the running peak of compounded equity (the peak
    starts at 1, as in :func:`drawdown`). Each row: ``start`` (first observation under water),
    ``valley`` (the trough), ``end`` (last observation under water), ``recovery`` (first observation
    back at the peak; ``None`` while still under water), ``depth`` (the trough's drawdown, <= 0),
    ``length`` (observations under water) and, with ``ts``, calendar ``days`` from start to end
    inclusive. Without ``ts`` the dates are observation indices. NaN returns count as flat.
    """
    r = as_array(returns, ndim=1)
    t = None
    if ts is not None:
        r, t = _aligned(r, ts)
    dd = drawdown(np.where(np.isfinite(r), r, 0.0))
    under = dd < 0
    edges = np.diff(np.r_[0, under.astype(np.int8), 0])
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # stop = first index back up
    episodes: list[tuple[float, int, int, int]] = []  # (depth, start, valley, last under water)
    for s, e in zip(starts.tolist(), stops.tolist(), strict=True):
        v = s + int(np.argmin(dd[s:e]))
        episodes.append((float(dd[v]), s, v, e - 1))
    episodes.sort(key=lambda x: x[0])

    def when(i: int) -> Any:
        return t[i].astype(object).replace(tzinfo=_UTC) if t is not None else i

    out = []
    for depth, s, v, e in episodes[: max(int(top), 0)]:
        row = {
            "start": when(s),
            "valley": when(v),
            "end": when(e),
            "recovery": when(e + 1) if e + 1 < r.size else None,
            "depth": depth,
            "length": e - s + 1,
        }
        if t is not None:
            row["days"] = int((t[e] - t[s]) // np.timedelta64(1, "D")) + 1
        out.append(row)
    return out


def _per_period_rf(risk_free: float, periods_per_year: float) -> float:
    rf = float(risk_free)
    if not (math.isfinite(rf) and rf > -1):
        msg = f"risk_free is an annual rate (0.04 = 4%) and must be > -1, got {risk_free}"
        raise InputError(msg)
    return (1.0 + rf) ** (1.0 / periods_per_year) - 1.0


def _runs(mask: np.ndarray) -> int:
    best = cur = 0
    for m in mask:
        cur = cur + 1 if m else 0
        best = max(best, cur)
    return best


def _nan_stat(fn: Any, v: np.ndarray) -> float:
    return float(fn(v)) if v.size else math.nan


def risk_metrics(
    returns: Any, periods_per_year: float = 252, *, ts: Any = None, risk_free: float = 0.0
) -> dict[str, float]:
    """Tail-risk, distribution and calendar metrics of one returns series (the quantstats set).

    Parameters
    ----------
    returns : array-like of shape (n_obs,)
        Simple per-period returns (NaN skipped).
    periods_per_year : float
        Periods in a year.
    ts : array-like of shape (n_obs,), optional
        Timestamps; without them the month and year metrics are NaN.
    risk_free : float
        Annual risk-free rate (0.04 = 4%), compounded to a per-period rate rf_p = (1 + rf)^(1/P) - 1.

    Returns
    -------
    dict
        ``sharpe_rf`` and ``sortino_rf`` (on excess returns r - rf_p), ``var_95`` (historical: the 5%
        quantile of r, linear interpolation), ``cvar_95`` (mean of the returns at or below it),
        ``omega`` (sum of gains over rf_p / sum of shortfalls below it), ``tail_ratio``
        (|q95 / q05|), ``gain_to_pain`` (sum r / |sum of losses|), ``payoff_ratio`` (avg win /
        |avg loss|), ``kelly`` (hit - (1 - hit) / payoff), ``expected_return`` (geometric mean per
        period), ``best_day``/``worst_day`` (best and worst single period), ``max_consecutive_wins``/
        ``max_consecutive_losses``, and with ``ts``: ``best_month``, ``worst_month``, ``best_year``,
        ``worst_year``, ``win_months`` (share of positive months), ``avg_up_month``,
        ``avg_down_month``.

    Notes
    -----
    Definitions follow quantstats (Aroussi, quantstats.stats) except where a README note says
    otherwise: VaR here is historical (quantstats' ``value_at_risk`` is the normal approximation).
    """
    ppy = _check_ppy(periods_per_year)
    r_all = as_array(returns, ndim=1)
    r = r_all[np.isfinite(r_all)]
    rf_p = _per_period_rf(risk_free, ppy)
    ex = metrics_columns(r - rf_p, ppy) if r.size else metrics_columns(np.zeros(0), ppy)
    wins, losses = r[r > 0], r[r < 0]
    out: dict[str, float] = {
        "risk_free_rate": float(risk_free),
        "sharpe_rf": float(ex["sharpe"][0]),
        "sortino_rf": float(ex["sortino"][0]),
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        q05 = float(np.quantile(r, 0.05)) if r.size else math.nan
        q95 = float(np.quantile(r, 0.95)) if r.size else math.nan
        gain = float(np.maximum(r - rf_p, 0).sum())
        shortfall = float(np.maximum(rf_p - r, 0).sum())
        payoff = float(wins.mean() / -losses.mean()) if wins.size and losses.size else math.nan
        hit = wins.size / r.size if r.size else math.nan
        out.update(
            var_95=q05,
            cvar_95=float(r[r <= q05].mean()) if r.size else math.nan,
            omega=gain / shortfall if shortfall > 0 else math.nan,
            tail_ratio=abs(q95 / q05) if q05 != 0 and r.size else math.nan,
            gain_to_pain=float(r.sum() / -losses.sum()) if losses.size else math.nan,
            payoff_ratio=payoff,
            kelly=hit - (1 - hit) / payoff if payoff and math.isfinite(payoff) else math.nan,
            expected_return=float(np.prod(1 + r) ** (1 / r.size) - 1) if r.size and np.all(r > -1) else math.nan,
            best_day=_nan_stat(np.max, r),
            worst_day=_nan_stat(np.min, r),
            max_consecutive_wins=_runs(r > 0),
            max_consecutive_losses=_runs(r < 0),
        )
    months = years = np.array([])
    if ts is not None:
        months = period_returns(r_all, ts, "month")[1]
        years = period_returns(r_all, ts, "year")[1]
    out.update(
        best_month=_nan_stat(np.max, months),
        worst_month=_nan_stat(np.min, months),
        best_year=_nan_stat(np.max, years),
        worst_year=_nan_stat(np.min, years),
        win_months=float((months > 0).mean()) if months.size else math.nan,
        avg_up_month=_nan_stat(np.mean, months[months > 0]),
        avg_down_month=_nan_stat(np.mean, months[months < 0]),
    )
    return out


def benchmark_metrics(
    returns: Any, benchmark: Any, periods_per_year: float = 252, *, risk_free: float = 0.0
) -> dict[str, float]:
    """A strategy's returns against a benchmark's over the observations where both are finite.

    Parameters
    ----------
    returns, benchmark : array-like of shape (n_obs,)
        Simple per-period returns of the strategy and the benchmark, aligned.
    periods_per_year : float
        Periods in a year.
    risk_free : float
        Annual risk-free rate for the CAPM alpha (per-period as in :func:`risk_metrics`).

    Returns
    -------
    dict
        ``beta`` = cov(r, b) / var(b); ``alpha`` = (mean(r - rf) - beta mean(b - rf)) * P (annual,
        CAPM Jensen's alpha); ``correlation``; ``r_squared``; ``tracking_error`` = sd(r - b) sqrt(P);
        ``information_ratio`` = mean(r - b) / sd(r - b) sqrt(P) (annualised); ``up_capture`` and
        ``down_capture`` = mean(r) / mean(b) over the periods where b > 0 (b < 0);
        ``excess_return`` = total return of r minus that of b; ``benchmark_total_return``,
        ``benchmark_sharpe``, ``benchmark_max_drawdown``; ``n_obs`` the overlap.
    """
    ppy = _check_ppy(periods_per_year)
    r = as_array(returns, ndim=1)
    b = as_array(benchmark, ndim=1, name="benchmark")
    if r.shape != b.shape:
        msg = f"benchmark has {b.size} observations but returns has {r.size}; align them on the same timestamps"
        raise DataError(msg)
    ok = np.isfinite(r) & np.isfinite(b)
    r, b = r[ok], b[ok]
    rf_p = _per_period_rf(risk_free, ppy)
    nan = math.nan
    out: dict[str, float] = {"n_obs": int(r.size)}
    bm = metrics_columns(b, ppy)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_b = float(np.var(b, ddof=1)) if b.size > 1 else nan
        cov = float(np.cov(r, b, ddof=1)[0, 1]) if b.size > 1 else nan
        beta = cov / var_b if var_b > 0 else nan
        e = r - b
        sd_e = float(np.std(e, ddof=1)) if e.size > 1 else nan
        sd_r = float(np.std(r, ddof=1)) if r.size > 1 else nan
        corr = cov / math.sqrt(var_b) / sd_r if var_b > 0 and sd_r > 0 else nan
        up, down = b > 0, b < 0
        out.update(
            alpha=float((np.mean(r - rf_p) - beta * np.mean(b - rf_p)) * ppy) if r.size else nan,
            beta=beta,
            correlation=corr,
            r_squared=corr * corr,
            tracking_error=sd_e * math.sqrt(ppy),
            information_ratio=float(e.mean()) / sd_e * math.sqrt(ppy) if sd_e > 0 else nan,
            up_capture=float(r[up].mean() / b[up].mean()) if up.any() else nan,
            down_capture=float(r[down].mean() / b[down].mean()) if down.any() else nan,
            excess_return=float(np.prod(1 + r) - np.prod(1 + b)),
            benchmark_total_return=float(bm["total_return"][0]),
            benchmark_sharpe=float(bm["sharpe"][0]),
            benchmark_max_drawdown=float(bm["max_drawdown"][0]),
        )
    return out


def rolling_metrics(
    returns: Any,
    window: int,
    periods_per_year: float = 252,
    *,
    benchmark: Any = None,
    risk_free: float = 0.0,
) -> dict[str, np.ndarray]:
    """Rolling ``ann_vol``, ``sharpe``, ``sortino`` (and ``beta`` with a benchmark) over ``window`` observations.

    Each array has shape (n_obs,), NaN for the first ``window - 1`` entries; the value at t uses
    observations t - window + 1 .. t with the definitions of :func:`metrics_columns` (Sharpe and
    Sortino on r - rf_p). NaN returns count as 0 inside a window.
    """
    ppy = _check_ppy(periods_per_year)
    r = np.nan_to_num(as_array(returns, ndim=1), nan=0.0)
    w = int(window)
    if w < 2:
        msg = f"window must be at least 2 observations, got {window}"
        raise InputError(msg)
    n = r.size
    out = {k: np.full(n, np.nan) for k in ("ann_vol", "sharpe", "sortino")}
    if benchmark is not None:
        out["beta"] = np.full(n, np.nan)
    if n < w:
        return out
    from numpy.lib.stride_tricks import sliding_window_view

    rf_p = _per_period_rf(risk_free, ppy)
    win = sliding_window_view(r, w)
    ex = win - rf_p
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = win.std(axis=1, ddof=1)
        m_ex = ex.mean(axis=1)
        flat = _zero_vol(sd, win.mean(axis=1))
        out["ann_vol"][w - 1 :] = np.where(flat, 0.0, sd) * math.sqrt(ppy)
        out["sharpe"][w - 1 :] = np.where(flat, np.nan, m_ex / ex.std(axis=1, ddof=1)) * math.sqrt(ppy)
        down = np.sqrt((np.minimum(ex, 0.0) ** 2).mean(axis=1))
        out["sortino"][w - 1 :] = np.where(down > 0, m_ex / down, np.nan) * math.sqrt(ppy)
        if benchmark is not None:
            b = np.nan_to_num(as_array(benchmark, ndim=1, name="benchmark"), nan=0.0)
            if b.shape != r.shape:
                msg = f"benchmark has {b.size} observations but returns has {n}; align them first"
                raise DataError(msg)
            bw = sliding_window_view(b, w)
            bc = bw - bw.mean(axis=1, keepdims=True)
            cov = ((win - win.mean(axis=1, keepdims=True)) * bc).sum(axis=1)
            vb = (bc * bc).sum(axis=1)
            out["beta"][w - 1 :] = np.where(vb > 0, cov / vb, np.nan)
    return out
