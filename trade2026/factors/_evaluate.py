"""Alphalens-style evaluation of a cross-sectional factor.

Definitions follow alphalens' tear sheets (Quantopian, ``alphalens.performance``):

- forward return over ``h`` periods at date t: ``price[t+h] / price[t] - 1`` on the price dates;
- information coefficient (IC) per date: Spearman rank correlation of the factor with the forward
  return across assets; summary: mean, std (ddof=1), risk-adjusted IC ``mean/std``, one-sample
  t-statistic and p-value;
- quantiles: each date's factor values cut at their quantiles (``pandas.qcut`` bins, right
  closed), 1 = lowest; quantile mean returns are demeaned by each date's cross-sectional mean
  and pooled over all (date, asset) observations, with standard error ``std/sqrt(count)``;
- long-short spread: per date, mean (demeaned) return of the top minus the bottom quantile;
- factor rank autocorrelation at lag ``p``: per date, Pearson correlation across assets of the
  factor's cross-sectional ranks at t and t-p;
- quantile turnover at lag ``p``: share of the names in a quantile at t that were not in it at t-p;
- cumulative returns per quantile: the quantile's equal-weighted, date-demeaned 1-day forward
  return compounded (a portfolio rebalanced daily);
- monthly IC: the mean of the daily IC over each calendar month; per-sector breakdown: IC within
  each sector and its names' top-minus-bottom return (``by_group=True``).

Beyond alphalens, the top-minus-bottom spread is also given net of costs: ``commission_bps`` per
unit of weight traded by both legs when they are rebalanced every ``h`` days.

One difference: alphalens drops a (date, asset) row when the forward return of *any* horizon is
missing; here each horizon uses every row where its own forward return exists, so the short
horizons keep the last days of the sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from trade2026.core import pivot, require_columns, to_polars
from trade2026.errors import ConfigError, DataError
from trade2026.factors import _tearsheet as ts_


def forward_returns(prices: np.ndarray, periods: Sequence[int]) -> dict[int, np.ndarray]:
    """``{h: price[t+h]/price[t] - 1}`` over a (n_days, n_assets) price panel (NaN past the end)."""
    out = {}
    for h in periods:
        fr = np.full_like(prices, np.nan)
        if h < prices.shape[0]:
            with np.errstate(divide="ignore", invalid="ignore"):
                fr[:-h] = prices[h:] / prices[:-h] - 1.0
        out[int(h)] = fr
    return out


def _rank_rows(x: np.ndarray) -> np.ndarray:
    """Average ranks (1..n) of each row's finite values; NaN elsewhere."""
    from scipy.stats import rankdata

    r = rankdata(np.where(np.isfinite(x), x, np.inf), axis=1, method="average").astype(np.float64)
    r[~np.isfinite(x)] = np.nan
    return r


def _row_corr(a: np.ndarray, b: np.ndarray, min_obs: int = 3) -> np.ndarray:
    """Pearson correlation per row over the columns where both are finite."""
    ok = np.isfinite(a) & np.isfinite(b)
    n = ok.sum(axis=1)
    a0 = np.where(ok, a, 0.0)
    b0 = np.where(ok, b, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ma = a0.sum(axis=1) / n
        mb = b0.sum(axis=1) / n
        da = np.where(ok, a - ma[:, None], 0.0)
        db = np.where(ok, b - mb[:, None], 0.0)
        c = (da * db).sum(axis=1) / np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))
    c[n < min_obs] = np.nan
    return c


def rank_ic(factor: np.ndarray, fwd: np.ndarray, min_obs: int = 3) -> np.ndarray:
    """Spearman IC per date: ranks are taken over the assets where both values exist."""
    ok = np.isfinite(factor) & np.isfinite(fwd)
    return _row_corr(_rank_rows(np.where(ok, factor, np.nan)), _rank_rows(np.where(ok, fwd, np.nan)), min_obs)


def quantize(factor: np.ndarray, quantiles: int) -> np.ndarray:
    """Per-date quantile labels 1..quantiles (0 = missing), bins as ``pandas.qcut``'s."""
    q = np.zeros(factor.shape, dtype=np.int64)
    probs = np.linspace(0.0, 1.0, quantiles + 1)
    for t in range(factor.shape[0]):
        ok = np.isfinite(factor[t])
        if ok.sum() < quantiles:
            continue
        x = factor[t, ok]
        edges = np.quantile(x, probs)
        q[t, ok] = np.searchsorted(edges[1:-1], x, side="left") + 1
    return q


@dataclass(frozen=True)
class FactorEvaluation:
    """Tables of an alphalens-style evaluation (polars frames of daily series, row lists of summaries).

    Series (one row per price date): ``ic`` (ts, ic_<h>d), ``spread_series`` (ts, spread_<h>d,
    spread_net_<h>d: the h-day top-minus-bottom return, gross and net of costs), ``quantile_daily``
    (ts, q1..qN: each quantile's demeaned 1-day forward return), ``turnover_series`` (ts, q1, qN:
    share of new names at the shortest horizon's lag).
    """

    factor: str
    periods: list[int]
    quantiles: int
    ic: pl.DataFrame  # ts, ic_1d, ic_5d, ...
    ic_summary: list[dict[str, Any]]
    quantile_returns: list[dict[str, Any]]
    spread: list[dict[str, Any]]
    rank_autocorrelation: float
    turnover: list[dict[str, Any]]
    ic_decay: list[dict[str, Any]]
    n_dates: int
    n_assets: int
    spread_series: pl.DataFrame = field(repr=False)
    quantile_daily: pl.DataFrame = field(repr=False, default_factory=pl.DataFrame)
    turnover_series: pl.DataFrame = field(repr=False, default_factory=pl.DataFrame)
    quantile_cumulative: list[dict[str, Any]] = field(default_factory=list)
    ic_monthly: list[dict[str, Any]] = field(default_factory=list)
    sectors: list[dict[str, Any]] = field(default_factory=list)
    commission_bps: float = 0.0
    start: Any = None
    end: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "factor": self.factor,
            "periods": self.periods,
            "quantiles": self.quantiles,
            "commission_bps": self.commission_bps,
            "start": self.start,
            "end": self.end,
            "n_dates": self.n_dates,
            "n_assets": self.n_assets,
            "ic_summary": self.ic_summary,
            "ic_monthly": self.ic_monthly,
            "quantile_returns": self.quantile_returns,
            "quantile_cumulative": self.quantile_cumulative,
            "spread": self.spread,
            "rank_autocorrelation": self.rank_autocorrelation,
            "turnover": self.turnover,
            "ic_decay": self.ic_decay,
            "sectors": self.sectors,
        }


def evaluate_factor(
    factor: Any,
    prices: Any,
    *,
    factor_column: str | None = None,
    price_column: str = "close",
    periods: Sequence[int] = (1, 5, 21),
    quantiles: int = 5,
    decay: Sequence[int] = (1, 2, 3, 5, 10, 15, 21),
    commission_bps: float = 5.0,
    sectors: Mapping[str, str] | None = None,
    time: str = "ts",
    entity: str = "symbol",
) -> FactorEvaluation:
    """Evaluate a factor against forward returns computed from prices.

    Parameters
    ----------
    factor : long frame (time, entity, value column) of factor values known at each date's close
    prices : long frame (time, entity, ``price_column``) with the price dates (e.g. daily bars)
    periods : forward-return horizons (in price rows, i.e. trading days)
    quantiles : number of quantile buckets per date
    decay : horizons for the IC decay curve
    commission_bps : cost per unit of weight traded, in basis points, for the spread net of costs
    sectors : symbol -> sector, for the per-sector breakdown (none without it)
    """
    from scipy import stats

    periods = sorted({int(p) for p in periods})
    decay = sorted({int(p) for p in decay} | set(periods))
    if not periods or periods[0] < 1:
        msg = f"periods must be positive integers, got {periods}"
        raise ConfigError(msg)
    if quantiles < 2:
        msg = f"quantiles must be >= 2, got {quantiles}"
        raise ConfigError(msg)
    if not np.isfinite(commission_bps) or commission_bps < 0:
        msg = f"commission_bps must be a finite number >= 0, got {commission_bps}"
        raise ConfigError(msg)
    fdf, _ = to_polars(factor)
    pdf, _ = to_polars(prices)
    col = factor_column or next((c for c in fdf.columns if c not in (time, entity)), None)
    if col is None:
        msg = "the factor frame needs a value column besides the time and symbol columns"
        raise DataError(msg)
    require_columns(fdf, [time, entity, col], "the factor frame")
    require_columns(pdf, [time, entity, price_column], "the price frame")
    pp = pivot(pdf.select(time, entity, price_column), [price_column], index=time, entity=entity)
    # Align the factor on the price grid; factor dates absent from the prices are dropped.
    grid = pl.DataFrame({time: pp.dates}).join(pl.DataFrame({entity: pp.symbols}), how="cross")
    fvals = grid.join(
        fdf.select(time, pl.col(entity).cast(pl.String), pl.col(col).cast(pl.Float64)),
        on=[time, entity],
        how="left",
    )
    F = fvals.get_column(col).fill_null(np.nan).to_numpy().reshape(len(pp.dates), len(pp.symbols))
    if not np.isfinite(F).any():
        msg = f"no value of {col!r} matches a (date, symbol) of the prices"
        raise DataError(msg)
    P = pp[price_column]
    fwd = forward_returns(P, sorted({1, *decay}))
    dates = pp.dates
    ic_cols = {}
    summary = []
    for h in periods:
        ic = rank_ic(F, fwd[h])
        ic_cols[f"ic_{h}d"] = ic
        v = ic[np.isfinite(ic)]
        n = v.size
        mean = float(v.mean()) if n else float("nan")
        sd = float(v.std(ddof=1)) if n > 1 else float("nan")
        tt = stats.ttest_1samp(v, 0.0) if n > 1 and sd > 0 else None
        skew, exkurt = ts_.ic_moments(ic)
        summary.append(
            {
                "period": h,
                "ic_mean": mean,
                "ic_std": sd,
                "ic_ir": mean / sd if n > 1 and sd > 0 else float("nan"),
                "ic_tstat": float(tt.statistic) if tt else float("nan"),
                "ic_pvalue": float(tt.pvalue) if tt else float("nan"),
                "ic_positive": float((v > 0).mean()) if n else float("nan"),
                "ic_skew": skew,
                "ic_excess_kurtosis": exkurt,
                "n_dates": n,
            }
        )
    ic_frame = _frame(time, dates, ic_cols)
    decay_rows = []
    for h in decay:
        ic = rank_ic(F, fwd[h])
        decay_rows.append({"period": h, "ic_mean": float(np.nanmean(ic)) if np.isfinite(ic).any() else float("nan")})

    Q = quantize(F, quantiles)
    qrows, srows = [], []
    spread_cols: dict[str, np.ndarray] = {}
    for h in periods:
        r = fwd[h]
        use = (Q > 0) & np.isfinite(r)
        cnt = use.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            dmean = np.where(use, r, 0.0).sum(axis=1) / cnt
        dm = r - dmean[:, None]
        for q in range(1, quantiles + 1):
            m = use & (q == Q)
            vals = dm[m]
            n = vals.size
            qrows.append(
                {
                    "period": h,
                    "quantile": q,
                    "mean_return": float(vals.mean()) if n else float("nan"),
                    "std_error": float(vals.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
                    "count": int(n),
                }
            )
        s, cost = ts_.net_spread(Q, r, quantiles, lag=h, cost_bps=commission_bps)
        spread_cols[f"spread_{h}d"] = s
        spread_cols[f"spread_net_{h}d"] = s - cost
        ok = np.isfinite(s)
        v, c = s[ok], cost[ok]
        n = v.size
        sd = float(v.std(ddof=1)) if n > 1 else float("nan")
        srows.append(
            {
                "period": h,
                "mean_spread": float(v.mean()) if n else float("nan"),
                "std_error": float(sd / np.sqrt(n)) if n > 1 else float("nan"),
                "tstat": float(v.mean() / (sd / np.sqrt(n))) if n > 1 and sd > 0 else float("nan"),
                "mean_cost": float(c.mean()) if n else float("nan"),
                "mean_spread_net": float((v - c).mean()) if n else float("nan"),
                "n_dates": int(n),
            }
        )
    if 1 not in periods:  # the cumulative spread of the tear sheet compounds 1-day returns
        s, cost = ts_.net_spread(Q, fwd[1], quantiles, lag=1, cost_bps=commission_bps)
        spread_cols |= {"spread_1d": s, "spread_net_1d": s - cost}
    spread_frame = _frame(time, dates, spread_cols)

    ranks = _rank_rows(F)
    ac = factor_rank_autocorrelation(ranks, lag=1)
    trows = []
    to_cols: dict[str, np.ndarray] = {}
    for h in periods:
        for q in range(1, quantiles + 1):
            to = quantile_turnover(Q, q, lag=h)
            if h == periods[0] and q in (1, quantiles):
                to_cols[f"q{q}"] = to
            trows.append(
                {
                    "period": h,
                    "quantile": q,
                    "turnover": float(np.nanmean(to)) if np.isfinite(to).any() else float("nan"),
                }
            )
    qd = ts_.quantile_daily_returns(Q, fwd[1], quantiles)
    qcum = ts_.cumulative(qd)[-1] if len(dates) else np.full(quantiles, np.nan)
    sector_rows = ts_.sector_breakdown(F, Q, fwd, pp.symbols, sectors, quantiles, periods) if sectors else []
    has = np.isfinite(F).any(axis=1)
    return FactorEvaluation(
        factor=col,
        periods=periods,
        quantiles=quantiles,
        ic=ic_frame,
        ic_summary=summary,
        quantile_returns=qrows,
        spread=srows,
        rank_autocorrelation=float(np.nanmean(ac)) if np.isfinite(ac).any() else float("nan"),
        turnover=trows,
        ic_decay=decay_rows,
        n_dates=int(has.sum()),
        n_assets=len(pp.symbols),
        spread_series=spread_frame,
        quantile_daily=_frame(time, dates, {f"q{q + 1}": qd[:, q] for q in range(quantiles)}),
        turnover_series=_frame(time, dates, to_cols),
        quantile_cumulative=[{"quantile": q + 1, "total_return": float(qcum[q])} for q in range(quantiles)],
        ic_monthly=ts_.monthly_ic(dates, {h: ic_cols[f"ic_{h}d"] for h in periods}),
        sectors=sector_rows,
        commission_bps=float(commission_bps),
        start=dates[int(np.argmax(has))] if has.any() else None,
        end=dates[len(has) - 1 - int(np.argmax(has[::-1]))] if has.any() else None,
    )


def _frame(time: str, dates: pl.Series, cols: Mapping[str, np.ndarray]) -> pl.DataFrame:
    return pl.DataFrame({time: dates}).with_columns([pl.Series(k, v).fill_nan(None) for k, v in cols.items()])


def factor_rank_autocorrelation(ranks: np.ndarray, *, lag: int = 1) -> np.ndarray:
    """Per-date correlation of cross-sectional ranks (n_days, n_assets) with those ``lag`` rows earlier."""
    prev = np.full_like(ranks, np.nan)
    prev[lag:] = ranks[:-lag]
    return _row_corr(ranks, prev, min_obs=3)


def quantile_turnover(labels: np.ndarray, quantile: int, *, lag: int = 1) -> np.ndarray:
    """Per-date share of the names in ``quantile`` that were not in it ``lag`` rows earlier."""
    cur = labels == quantile
    prev = np.zeros_like(cur)
    prev[lag:] = cur[:-lag]
    n = cur.sum(axis=1)
    new = (cur & ~prev).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = new / n
    out = out.astype(np.float64)
    out[:lag] = np.nan
    out[n == 0] = np.nan
    # A date right after one without any labels has no previous set to compare with.
    had_prev = np.zeros(labels.shape[0], dtype=bool)
    had_prev[lag:] = (labels[:-lag] > 0).any(axis=1)
    out[~had_prev] = np.nan
    return out


def plot_evaluation(ev: FactorEvaluation, path: str | Path, *, source: str | None = None) -> Path:
    """Write the tear sheet (see :func:`write_tearsheet`) and return its main file: the HTML page,
    or for a ``.png`` path the cumulative-returns-by-quantile chart (the other figures beside it as
    ``<stem>_<key>.png``)."""
    from trade2026.factors._tearsheet_report import write_tearsheet

    return write_tearsheet(ev, path, source=source)[0]
