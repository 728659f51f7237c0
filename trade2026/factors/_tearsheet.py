"""The parts of an alphalens tear sheet beyond the IC summary: per-quantile daily returns, leg
turnover and the spread net of costs, the monthly IC and the per-sector breakdown.

Every function takes the aligned (n_days, n_assets) arrays :func:`evaluate_factor` builds: factor
values ``F``, quantile labels ``Q`` (1..quantiles, 0 = no label) and forward returns ``r``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl


def quantile_daily_returns(labels: np.ndarray, fwd: np.ndarray, quantiles: int) -> np.ndarray:
    """(n_days, quantiles) equal-weighted mean forward return of each quantile per date, demeaned by
    that date's mean over every labelled name (alphalens ``mean_return_by_quantile(by_date=True,
    demeaned=True)``); NaN where a quantile is empty."""
    use = (labels > 0) & np.isfinite(fwd)
    r0 = np.where(use, fwd, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        day_mean = r0.sum(axis=1) / use.sum(axis=1)
        out = np.full((fwd.shape[0], quantiles), np.nan)
        for q in range(1, quantiles + 1):
            m = use & (labels == q)
            out[:, q - 1] = np.where(m, fwd, 0.0).sum(axis=1) / m.sum(axis=1) - day_mean
    return out


def leg_turnover(labels: np.ndarray, quantile: int, *, lag: int = 1) -> np.ndarray:
    """Per-date traded weight ``sum_i |w_t,i - w_{t-lag},i|`` of an equal-weighted portfolio of the
    names in ``quantile`` (weights ``1/n_t``), rebalanced to equal weights every ``lag`` rows.

    The first ``lag`` dates build the portfolio from cash (turnover 1); a date without names in the
    quantile is NaN, and the date after it rebuilds from cash.
    """
    cur = labels == quantile
    n = cur.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(cur, 1.0 / n[:, None], 0.0)
    prev = np.zeros_like(w)
    prev[lag:] = w[:-lag]
    out = np.abs(w - prev).sum(axis=1)
    out[n == 0] = np.nan
    return out


def net_spread(
    labels: np.ndarray, fwd: np.ndarray, quantiles: int, *, lag: int, cost_bps: float
) -> tuple[np.ndarray, np.ndarray]:
    """(gross, cost) per date of a long top / short bottom quantile portfolio held ``lag`` rows.

    ``gross`` is the top quantile's mean forward return minus the bottom's (1 unit long, 1 unit
    short); ``cost`` is ``cost_bps / 1e4`` times the traded weight of both legs
    (:func:`leg_turnover` at ``lag``), so ``gross - cost`` is the spread net of costs.
    """
    use = np.isfinite(fwd)
    top, bot = use & (labels == quantiles), use & (labels == 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        gross = np.where(top, fwd, 0.0).sum(1) / top.sum(1) - np.where(bot, fwd, 0.0).sum(1) / bot.sum(1)
    traded = leg_turnover(labels, quantiles, lag=lag) + leg_turnover(labels, 1, lag=lag)
    cost = traded * cost_bps / 1e4
    cost[~np.isfinite(gross)] = np.nan
    return gross, cost


def monthly_ic(dates: pl.Series, ic: Mapping[int, np.ndarray]) -> list[dict[str, Any]]:
    """Mean IC per calendar month: rows ``{"month": "YYYY-MM", "ic_<h>d": mean, ...}``, in date order
    (months without any IC are left out)."""
    frame = pl.DataFrame({"month": dates.dt.strftime("%Y-%m")}).with_columns(
        [pl.Series(f"ic_{h}d", v).fill_nan(None) for h, v in ic.items()]
    )
    cols = [f"ic_{h}d" for h in ic]
    agg = frame.group_by("month", maintain_order=True).agg([pl.col(c).mean() for c in cols])
    agg = agg.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in cols]))
    return [{k: (float("nan") if v is None and k != "month" else v) for k, v in r.items()} for r in agg.to_dicts()]


def ic_moments(ic: np.ndarray) -> tuple[float, float]:
    """Skewness and excess kurtosis (the core's :func:`trade2026.core.moments`, Pearson kurtosis
    minus 3; ``scipy.stats.skew``/``kurtosis`` defaults, as alphalens' IC table) of the finite IC."""
    from trade2026.core import moments

    v = ic[np.isfinite(ic)]
    if v.size < 3:
        return float("nan"), float("nan")
    _, _, skew, kurt = moments(v)
    return skew, kurt - 3.0


def sector_breakdown(
    factor: np.ndarray,
    labels: np.ndarray,
    fwd: Mapping[int, np.ndarray],
    symbols: Sequence[str],
    sectors: Mapping[str, str],
    quantiles: int,
    periods: Sequence[int],
) -> list[dict[str, Any]]:
    """Per sector and horizon: the mean Spearman IC within the sector, and the mean (date-demeaned)
    forward return of its names in the top minus the bottom quantile of the whole universe
    (alphalens ``by_group=True``; quantiles are not recomputed within a sector).

    Symbols missing from ``sectors`` are left out; a sector needs 3 names for an IC.
    """
    from trade2026.factors._evaluate import rank_ic

    names = np.array([sectors.get(s) for s in symbols], dtype=object)
    rows = []
    for sector in sorted({s for s in names if s is not None}):
        cols = np.flatnonzero(names == sector)
        for h in periods:
            r = fwd[h]
            use = (labels > 0) & np.isfinite(r)
            with np.errstate(invalid="ignore", divide="ignore"):
                dm = r - (np.where(use, r, 0.0).sum(1) / use.sum(1))[:, None]
            ic = rank_ic(factor[:, cols], r[:, cols])
            v = ic[np.isfinite(ic)]
            top = dm[:, cols][(use & (labels == quantiles))[:, cols]]
            bot = dm[:, cols][(use & (labels == 1))[:, cols]]
            rows.append(
                {
                    "sector": sector,
                    "period": int(h),
                    "n_symbols": int(cols.size),
                    "ic_mean": float(v.mean()) if v.size else float("nan"),
                    "ic_std": float(v.std(ddof=1)) if v.size > 1 else float("nan"),
                    "n_dates": int(v.size),
                    "mean_spread": float(top.mean() - bot.mean()) if top.size and bot.size else float("nan"),
                }
            )
    return rows


def cumulative(r: np.ndarray) -> np.ndarray:
    """Compounded growth of a daily return series minus 1 (missing days count as flat)."""
    return np.cumprod(1.0 + np.where(np.isfinite(r), r, 0.0), axis=0) - 1.0
