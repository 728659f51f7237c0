"""Risk and return attribution of portfolio weights on the style model saved in the lake.

What ``t26 factors attribute`` runs. The risk side decomposes the weights' (or the active weights')
risk on the latest exposures, the factor covariance and the specific risks (x-sigma-rho,
:func:`trade2026.factors.risk_attribution`); the return side splits the daily returns over a window
into factor and specific parts with each day's exposures known at the previous close
(:func:`trade2026.factors.return_attribution`). The exposures are rebuilt into the model's
regressors by :func:`trade2026.factors.design_cube`, the same builder the style model fits with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from trade2026.core import pivot
from trade2026.errors import InputError
from trade2026.factors._reports import FACTOR_RETURNS, STYLE_HINT, need_table
from trade2026.factors._risk import RiskAttribution, return_attribution, risk_attribution
from trade2026.factors._style import design_cube

MODEL_TABLES = ("style_exposures", "factor_covariance", "specific_risk", FACTOR_RETURNS, "specific_returns")
Weights = str | Mapping[str, float]


def _aligned(p: Any, column: str, symbols: Sequence[str]) -> np.ndarray:
    """Column ``column`` of panel ``p`` with its symbols in the order of ``symbols`` (NaN where absent)."""
    pos = {s: j for j, s in enumerate(p.symbols)}
    idx = np.array([pos.get(s, -1) for s in symbols], dtype=np.int64)
    out = np.full((p.n_bars, len(symbols)), np.nan)
    have = idx >= 0
    out[:, have] = p[column][:, idx[have]]
    return out


def stored_design(exposures: pl.DataFrame, names: Sequence[str], symbols: Sequence[str]) -> tuple[pl.Series, Any]:
    """The style model's regressors rebuilt from saved exposure rows.

    Parameters
    ----------
    exposures : polars DataFrame
        Rows of ``style_exposures``: ``ts, symbol``, one column per style factor and ``sector``.
    names : sequence of str
        The model's factor names (``market``, ``sector:NAME``..., styles).
    symbols : sequence of str
        The assets, in the order wanted.

    Returns
    -------
    dates : polars Series of shape (n_dates,)
    cube : ndarray of shape (n_dates, len(symbols), len(names))
        Exposures per date; a (date, symbol) without a saved row is all zeros (the asset is not in
        the model that day), as is an asset without a sector on the sector dummies.
    """
    styles = [n for n in names if n != "market" and not n.startswith("sector:")]
    frame = exposures.select("ts", "symbol", *styles).with_columns(pl.lit(1.0).alias("_row"))
    p = pivot(frame, [*styles, "_row"], what="the style exposures")
    arrays = {f: _aligned(p, f, symbols) for f in styles}
    sectors = None
    if "sector" in exposures.columns:
        by_symbol = dict(exposures.select("symbol", "sector").unique("symbol").iter_rows())
        sectors = [by_symbol.get(s) for s in symbols]
    cube = design_cube(names, arrays, sectors, (p.n_bars, len(symbols)))
    cube[~np.isfinite(_aligned(p, "_row", symbols))] = np.nan
    return p.dates, np.nan_to_num(cube)


@dataclass(frozen=True)
class AttributionReport:
    """Risk (total, factor, specific, per-factor contributions) and return attribution of weights.

    ``to_dict()`` is ``t26 factors attribute --json`` (without ``run_id``): ``as_of`` (the date of
    the exposures), the :class:`RiskAttribution` fields and ``return_attribution`` (``total``,
    ``specific``, ``factors``, ``days``, ``start``, ``end``; only ``days`` = 0 when the window has
    no factor returns).
    """

    as_of: dt.datetime
    risk: RiskAttribution
    returns: dict[str, Any]

    def metrics(self) -> dict[str, float]:
        r = self.risk
        return {
            "total_risk": r.total_risk,
            "factor_risk": r.factor_risk,
            "specific_risk": r.specific_risk,
            "return_total": self.returns.get("total", float("nan")),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of, **self.risk.to_dict(), "return_attribution": self.returns}


def attribution_report(
    lake: Any,
    weights: Weights,
    *,
    benchmark: Weights | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    periods_per_year: float | None = None,
) -> AttributionReport:
    """Attribute the risk and return of ``weights`` to the saved style model's factors.

    Parameters
    ----------
    lake : Lake
        Holds the saved style model (:func:`style_report` then ``save``).
    weights, benchmark : str or mapping
        Weights in any form :func:`trade2026.portfolio.parse_weights` reads (``"SYM=w,..."``, a
        .json file, ``"latest"``, ``"equal"`` over the model's latest universe, or a mapping).
        With ``benchmark``, the active weights: active risk is the tracking error.
    start, end : datetime, optional
        The return-attribution window (default the year up to the latest exposures).
    periods_per_year : float, optional
        Annualises the risks; default inferred from the exposure dates
        (:func:`trade2026.core.periods_per_year`).
    """
    from trade2026.core import periods_per_year as infer_periods
    from trade2026.portfolio import parse_weights

    for t in MODEL_TABLES:
        need_table(lake, t, STYLE_HINT)
    cov = lake.read("factor_covariance")
    names = list(dict.fromkeys(cov.get_column("factor").to_list()))
    F = cov.get_column("value").to_numpy().reshape(len(names), len(names))
    ex = lake.read("style_exposures")
    last = ex.get_column("ts").max()
    assert isinstance(last, dt.datetime)
    cur = ex.filter(pl.col("ts") == last)
    universe = sorted(cur.get_column("symbol").to_list())
    w = parse_weights(weights, lake=lake, universe=universe, what="weights")
    b = parse_weights(benchmark, lake=lake, universe=universe, what="benchmark") if benchmark is not None else None
    held = sorted(set(w) | set(b or {}))
    missing = [s for s in held if s not in set(universe)]
    if missing:
        msg = f"no exposures on {last:%Y-%m-%d} for {', '.join(missing)}; they are not in the style model's universe"
        raise InputError(msg)
    spec = dict(lake.read("specific_risk").select("symbol", "specific_var").iter_rows())
    _, X = stored_design(cur, names, universe)
    d = np.array([np.nan if spec.get(s) is None else spec[s] for s in universe], dtype=np.float64)
    bv = np.array([b.get(s, 0.0) for s in universe]) if b is not None else None
    ppy = infer_periods(ex.get_column("ts"), override=periods_per_year)
    ra = risk_attribution(
        np.array([w.get(s, 0.0) for s in universe]), X[0], F, d, factor_names=names, benchmark=bv, periods_per_year=ppy
    )
    s_dt = start or (last - dt.timedelta(days=365))
    e_dt = end or last
    fr = (
        lake.read(FACTOR_RETURNS, filters=[("model", "=", "style")])
        .filter((pl.col("ts") >= s_dt) & (pl.col("ts") <= e_dt))
        .pivot(on="factor", index="ts", values="value")
        .sort("ts")
    )
    ret: dict[str, Any] = {"days": 0}
    if fr.height:
        days = fr.get_column("ts")
        ex_dates, cube = stored_design(ex.filter(pl.col("symbol").is_in(held)), names, held)
        # Each return day uses the exposures at the previous exposure date (the previous close).
        pos = {d0: i for i, d0 in enumerate(ex_dates.to_list())}
        lagged = np.zeros((fr.height, len(held), len(names)))
        for ti, day in enumerate(days.to_list()):
            i = pos.get(day)
            if i:
                lagged[ti] = cube[i - 1]
        sr = lake.read("specific_returns", filters=pl.col("symbol").is_in(held)).filter(
            pl.col("ts").is_in(days.implode())
        )
        umat = np.zeros((fr.height, len(held)))
        if sr.height:
            ps = pivot(sr, ["specific_return"], what="the specific returns")
            rows = {d0: i for i, d0 in enumerate(ps.dates.to_list())}
            u = _aligned(ps, "specific_return", held)
            umat = np.array([u[rows[day]] if day in rows else np.full(len(held), np.nan) for day in days.to_list()])
        fmat = fr.select([n if n in fr.columns else pl.lit(None).alias(n) for n in names]).to_numpy().astype(float)
        aw = np.array([w.get(s, 0.0) - (b.get(s, 0.0) if b else 0.0) for s in held])
        ret = return_attribution(aw, lagged, fmat, umat, factor_names=names)
        ret["start"], ret["end"] = days.min(), days.max()
    return AttributionReport(last, ra, ret)


__all__ = ["MODEL_TABLES", "AttributionReport", "attribution_report", "stored_design"]
