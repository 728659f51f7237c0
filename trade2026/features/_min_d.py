"""The smallest d whose FFD series passes the ADF test (AFML 5.6), and one series' report.

The search differentiates the series for every d of a grid, runs the augmented Dickey-Fuller test
on each result (statsmodels) and keeps the first d that rejects a unit root (AFML fig. 5.5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trade2026.errors import ConfigError, DataError
from trade2026.features._convolve import ffd_array
from trade2026.features._fracdiff import SEARCH_THRESH, as_matrix, check_d, fracdiff, fracdiff_weights, valid_span


@dataclass(frozen=True)
class MinDResult:
    """The smallest d whose FFD series passes the ADF test, and the search table (AFML fig. 5.5).

    ``table`` has one row per d tried: ``d``, ``width`` (weights), ``n_obs`` (points tested),
    ``adf_stat``, ``pvalue``, ``crit_5pct`` (ADF 5% critical value), ``corr`` (correlation of the
    FFD series with the original: how much memory survives) and ``stationary``.
    """

    d: float
    pvalue_threshold: float
    table: Any  # polars or pandas DataFrame

    def to_dict(self) -> dict[str, Any]:
        rows = self.table.to_dicts() if hasattr(self.table, "to_dicts") else self.table.to_dict("records")
        return {"d": self.d, "pvalue_threshold": self.pvalue_threshold, "table": rows}

    def to_frame(self) -> Any:
        return self.table


def _adf_row(
    col: np.ndarray, d: float, *, thresh: float, window: int | None, maxlag: int | None, regression: str
) -> dict[str, Any]:
    from statsmodels.tsa.stattools import adfuller

    w = fracdiff_weights(d, thresh=thresh, window=window)
    row: dict[str, Any] = {
        "d": round(d, 10),
        "width": len(w),
        "n_obs": 0,
        "adf_stat": math.nan,
        "pvalue": math.nan,
        "crit_5pct": math.nan,
        "corr": math.nan,
        "stationary": False,
    }
    if len(col) - len(w) + 1 < 20:
        return row
    y = ffd_array(col, w)[len(w) - 1 :]
    base = col[len(w) - 1 :]
    autolag = None if maxlag is not None else "AIC"
    res = adfuller(y, maxlag=maxlag, regression=regression, autolag=autolag, result_object=True)
    stat, p, nobs, crit = res.statistic, res.pvalue, res.nobs, res.critical_values
    corr = float(np.corrcoef(y, base)[0, 1]) if np.std(y) > 0 and np.std(base) > 0 else math.nan
    row.update(n_obs=int(nobs), adf_stat=float(stat), pvalue=float(p), crit_5pct=float(crit["5%"]), corr=corr)
    return row


def single_column(x: Any) -> tuple[np.ndarray, str]:
    mat = as_matrix(x)
    if mat.values.shape[1] != 1:
        msg = (
            f"min_d needs one series, got {mat.values.shape[1]} numeric columns "
            f"({', '.join(mat.names[:5])}); pass one column, or use FracDiff(d=None) for a d per column"
        )
        raise DataError(msg)
    first, last = valid_span(mat.values[:, 0], mat.names[0])
    return mat.values[first:last, 0], mat.names[0]


def search_d(
    col: np.ndarray,
    name: str,
    *,
    d_range: tuple[float, float],
    step: float,
    thresh: float,
    window: int | None,
    pvalue: float,
    maxlag: int | None,
    regression: str,
) -> tuple[float, list[dict[str, Any]]]:
    lo, hi = float(d_range[0]), float(d_range[1])
    check_d(lo)
    check_d(hi)
    if lo > hi:
        msg = f"d_range must be (low, high) with low <= high, got ({lo:g}, {hi:g})"
        raise ConfigError(msg)
    if not 0.0 < step <= 1.0:
        msg = f"step must be in (0, 1], got {step:g}; 0.01 is the usual precision"
        raise ConfigError(msg)
    if not 0.0 < pvalue < 1.0:
        msg = f"pvalue must be in (0, 1), got {pvalue:g}; 0.05 is the usual level"
        raise ConfigError(msg)
    grid = np.round(np.arange(lo, hi + step / 2, step), 10)
    rows = []
    best = math.nan
    for d in grid:
        row = _adf_row(col, float(d), thresh=thresh, window=window, maxlag=maxlag, regression=regression)
        row["stationary"] = bool(row["pvalue"] <= pvalue)
        rows.append(row)
        if row["stationary"] and math.isnan(best):
            best = float(d)
    if math.isnan(best):
        tried = [r for r in rows if not math.isnan(r["pvalue"])]
        if not tried:
            msg = (
                f"series {name!r} ({len(col)} observations) is too short for every FFD window in "
                f"d_range ({lo:g}..{hi:g}) at thresh={thresh:g}; use a larger thresh (e.g. 1e-3) or a longer history"
            )
        else:
            pmin = min(r["pvalue"] for r in tried)
            msg = (
                f"no d in [{lo:g}, {hi:g}] makes series {name!r} pass the ADF test at p <= {pvalue:g} "
                f"(smallest p-value {pmin:.3g}); widen d_range (up to 2), raise the p-value "
                "threshold, or check the series for a trend or a structural break"
            )
        raise DataError(msg)
    return best, rows


def min_d(
    x: Any,
    *,
    d_range: tuple[float, float] = (0.0, 1.0),
    step: float = 0.01,
    thresh: float = SEARCH_THRESH,
    window: int | None = None,
    pvalue: float = 0.05,
    maxlag: int | None = 1,
    regression: str = "c",
) -> MinDResult:
    """The smallest d whose FFD series passes the augmented Dickey-Fuller test (AFML 5.6).

    Parameters
    ----------
    x : one series (pandas/polars Series, a one-column frame, or a 1-D array), e.g. log prices.
    d_range : (low, high)
        The d values searched, within [0, 2]; the grid is ``low, low + step, ..., high``.
    step : float, default 0.01
        Precision of d.
    thresh, window
        The FFD window (see :func:`fracdiff`); the default 1e-4 keeps windows short enough for a
        few years of daily bars.
    pvalue : float, default 0.05
        A d passes when the ADF p-value is at most this.
    maxlag, regression
        Passed to ``statsmodels.tsa.stattools.adfuller`` (AFML uses maxlag=1, constant only);
        ``maxlag=None`` picks the lag by AIC.

    Returns
    -------
    MinDResult
        ``d`` and the table of every d tried (polars, or pandas for pandas input).
    """
    col, name = single_column(x)
    best, rows = search_d(
        col,
        name,
        d_range=d_range,
        step=step,
        thresh=thresh,
        window=window,
        pvalue=pvalue,
        maxlag=maxlag,
        regression=regression,
    )
    import polars as pl

    table: Any = pl.DataFrame(rows)
    if type(x).__module__.split(".")[0] == "pandas":
        table = table.to_pandas()
    return MinDResult(d=best, pvalue_threshold=pvalue, table=table)


# -- one series' report --------------------------------------------------------------------------
@dataclass(frozen=True)
class FracDiffReport:
    """One series' fractional difference: the d used, its ADF row, the d search (auto only) and
    the FFD series aligned with the input (NaN during warm-up)."""

    d: float
    row: dict[str, Any]
    search: list[dict[str, Any]] | None
    series: np.ndarray = field(repr=False)


def fracdiff_report(
    x: Any, d: float | None = None, *, thresh: float = SEARCH_THRESH, pvalue: float = 0.05
) -> FracDiffReport:
    """Difference ``x`` (e.g. log closes) by ``d``, or by the smallest d passing ADF when None.

    ``row`` has ``d``, ``width``, ``n_obs``, ``adf_stat``, ``pvalue``, ``crit_5pct``, ``corr`` and
    ``stationary`` (p-value at most ``pvalue``), as in :func:`min_d`'s table (AFML fig. 5.5).
    Raises DataError when the series is shorter than the FFD window of the chosen d.
    """
    col, _ = single_column(x)
    search = None
    if d is None:
        res = min_d(col, thresh=thresh, pvalue=pvalue)
        chosen = res.d
        search = res.table.to_dicts() if hasattr(res.table, "to_dicts") else res.table.to_dict("records")
        row = next(r for r in search if r["d"] == chosen)
    else:
        chosen = check_d(d)
        row = _adf_row(col, chosen, thresh=thresh, window=None, maxlag=1, regression="c")
        row["stationary"] = bool(row["pvalue"] <= pvalue)
    # Always run the FFD itself: it is what refuses a series shorter than the weight window.
    series = np.asarray(fracdiff(x, chosen, thresh=thresh), dtype=np.float64).ravel()
    return FracDiffReport(chosen, row, search, series)
