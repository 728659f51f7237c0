"""The factor workflows over the lake: what ``t26 factors pca|style|fmb|evaluate|regress`` run.

Each ``*_report`` function reads its inputs from the lake (bars through
:meth:`trade2026.lake.Lake.read_bars`, so ``universe=`` takes ``"sector:NAME"``, ``"AAA,BBB"`` or a
list), fits, and returns a report whose ``to_dict()`` is the command's ``--json``. Reports whose
results are data write them back in ``save(lake, run_id=...)``: factor returns go to
``factor_returns`` in long form (model, ts, factor, value, run_id), replacing the rows of the same
model only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from trade2026.core import metrics_columns, pivot, simple_returns
from trade2026.core import periods_per_year as infer_periods
from trade2026.errors import ConfigError, DataError, InputError, NotFoundError
from trade2026.factors._evaluate import FactorEvaluation, evaluate_factor
from trade2026.factors._linalg import newey_west_lags
from trade2026.factors._pca import PCAFactorModel
from trade2026.factors._regression import (
    FamaMacBethResult,
    TimeSeriesRegression,
    check_lags,
    fama_macbeth,
    time_series_regression,
)
from trade2026.factors._style import STYLE_FACTORS, StyleFactorModel, StyleResult
from trade2026.factors._tearsheet_report import write_tearsheet

FACTOR_RETURNS = "factor_returns"
PERIODS_PER_YEAR = 252
STYLE_HINT = "fit and save the style model first (style_report(lake).save(lake), or `t26 factors style`)"
Universe = str | Sequence[str] | None


def need_table(lake: Any, table: str, hint: str) -> None:
    """Raise NotFoundError naming ``table`` and how to make it when the lake lacks it."""
    if not lake.exists(table):
        msg = f"the lake has no table {table!r}; {hint}"
        raise NotFoundError(msg)


def long_factor_returns(wide: pl.DataFrame, model: str, run_id: str | None = None) -> pl.DataFrame:
    """Wide factor returns (``ts`` + one column per factor) as ``factor_returns`` rows
    (model, ts, factor, value, run_id), nulls dropped."""
    return (
        wide.unpivot(index="ts", variable_name="factor", value_name="value")
        .drop_nulls("value")
        .with_columns(pl.lit(model).alias("model"), pl.lit(run_id, dtype=pl.String).alias("run_id"))
        .select("model", "ts", "factor", "value", "run_id")
    )


def replace_rows(lake: Any, table: str, frame: pl.DataFrame, where: str) -> int:
    """Overwrite the rows of ``table`` matching the SQL predicate ``where`` with ``frame``
    (creating the table if needed); returns the table version written."""
    return int(lake.write(table, frame, mode="overwrite", replace_where=where if lake.exists(table) else None).version)


def write_factor_returns(lake: Any, wide: pl.DataFrame, model: str, run_id: str | None = None) -> int:
    """Replace model ``model``'s rows of ``factor_returns`` with ``wide`` (see :func:`long_factor_returns`)."""
    return replace_rows(lake, FACTOR_RETURNS, long_factor_returns(wide, model, run_id), f"model = '{model}'")


def factor_stats(wide: pl.DataFrame, names: Sequence[str], periods_per_year: float = PERIODS_PER_YEAR) -> list[dict]:
    """Annualised mean, volatility and t-statistic of each factor's daily returns.

    ``ann_return`` = mean * P and ``ann_vol`` = sd * sqrt(P) (:func:`trade2026.core.metrics_columns`),
    ``tstat`` = mean / (sd / sqrt(n)) (NaN for zero volatility), ``days`` = n (missing days skipped).
    """
    if not names:
        return []
    r = np.column_stack([wide.get_column(n).cast(pl.Float64).fill_null(np.nan).to_numpy() for n in names])
    m = metrics_columns(r, periods_per_year)
    tstat = m["sharpe_per_period"] * np.sqrt(m["n_obs"])
    return [
        {
            "factor": n,
            "ann_return": float(m["ann_return"][i]) if m["n_obs"][i] else float("nan"),
            "ann_vol": float(m["ann_vol"][i]),
            "tstat": float(tstat[i]),
            "days": int(m["n_obs"][i]),
        }
        for i, n in enumerate(names)
    ]


def _with_run(frame: pl.DataFrame, run_id: str | None) -> pl.DataFrame:
    return frame.with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id"))


def _between(frame: pl.DataFrame, start: dt.datetime | None, end: dt.datetime | None) -> pl.DataFrame:
    if start is not None:
        frame = frame.filter(pl.col("ts") >= start)
    if end is not None:
        frame = frame.filter(pl.col("ts") <= end)
    return frame


# -- pca -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PCAReport:
    """Statistical factors of daily returns (see :class:`PCAFactorModel`).

    ``to_dict()`` is ``t26 factors pca --json``; :meth:`save` writes ``factor_returns``
    (model=pca) and ``pca_loadings``.
    """

    model: PCAFactorModel
    dates: pl.Series
    symbols: list[str]
    run_id: str | None = None
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [f"pc{i + 1}" for i in range(self.model.n_factors_)]

    @property
    def excluded(self) -> list[str]:
        """Symbols left out for low coverage."""
        return sorted(set(self.symbols) - set(self.model.assets_))

    def factor_returns(self) -> pl.DataFrame:
        """Wide daily factor returns: ``ts``, ``pc1``, ..."""
        fr = self.model.factor_returns_
        return pl.DataFrame({"ts": self.dates}).with_columns([pl.Series(n, fr[:, i]) for i, n in enumerate(self.names)])

    def loadings(self) -> pl.DataFrame:
        """``symbol, factor, loading, component`` for every kept symbol and factor."""
        m, k = self.model, self.model.n_factors_
        return pl.DataFrame({
            "symbol": np.repeat(m.assets_, k),
            "factor": self.names * len(m.assets_),
            "loading": m.loadings_.reshape(-1),
            "component": m.components_.T.reshape(-1),
        })  # fmt: skip

    def explained(self) -> list[dict[str, Any]]:
        m, evr = self.model, self.model.explained_variance_ratio_
        return [
            {"factor": n, "eigenvalue": float(m.eigenvalues_[i]), "explained_variance_ratio": float(evr[i]),
             "cumulative": float(evr[: i + 1].sum())}
            for i, n in enumerate(self.names)
        ]  # fmt: skip

    def top_loadings(self, top: int = 5) -> list[dict[str, str]]:
        """Per factor, the ``top`` largest components by absolute value, as text."""
        m = self.model
        rows = []
        for i, n in enumerate(self.names):
            order = np.argsort(-np.abs(m.components_[i]))[:top]
            rows.append({"factor": n, "top": ", ".join(f"{m.assets_[j]} {m.components_[i, j]:+.2f}" for j in order)})
        return rows

    def metrics(self) -> dict[str, float]:
        m = self.model
        return {
            "n_factors": m.n_factors_,
            "explained_variance": float(m.explained_variance_ratio_.sum()),
            "mp_edge": m.mp_edge_,
            "noise_variance": m.noise_variance_,
            "n_assets": len(m.assets_),
            "n_obs": int(self.dates.len()),
        }

    def save(self, lake: Any, *, run_id: str | None = None) -> PCAReport:
        loadings = lake.write("pca_loadings", _with_run(self.loadings(), run_id), mode="overwrite")
        tables = {
            FACTOR_RETURNS: write_factor_returns(lake, self.factor_returns(), "pca", run_id),
            "pca_loadings": int(loadings.version),
        }
        return replace(self, run_id=run_id, tables=tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "model": "pca",
            **self.metrics(),
            "explained": self.explained(),
            "excluded": self.excluded,
            "eigenvalues": self.model.eigenvalues_.tolist(),
            "tables": self.tables,
        }


def pca_report(
    lake: Any,
    *,
    table: str = "bars_1d",
    universe: Universe = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    n_factors: int | None = None,
    method: str = "mp",
    variance_target: float = 0.5,
    standardize: bool = True,
    min_coverage: float = 0.9,
) -> PCAReport:
    """PCA of the daily simple returns of the lake's closes (settings as in :class:`PCAFactorModel`)."""
    bars = lake.read_bars(table, universe=universe, start=start, end=end)
    p = pivot(bars, ["close"])
    r = simple_returns(p["close"])[1:]
    model = PCAFactorModel(
        n_factors=n_factors, method=method, variance_target=variance_target, standardize=standardize,
        min_coverage=min_coverage,
    ).fit(r, assets=p.symbols)  # fmt: skip
    return PCAReport(model, p.dates.slice(1), p.symbols)


# -- style ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StyleReport:
    """A fitted Barra-like style model (see :class:`StyleFactorModel`).

    ``to_dict()`` is ``t26 factors style --json``; :meth:`save` writes ``factor_returns``
    (model=style), ``style_exposures``, ``specific_returns``, ``factor_covariance`` and
    ``specific_risk``, which :func:`attribution_report`, :func:`fmb_report` and
    :func:`evaluation_report` read.
    """

    result: StyleResult
    meta: str | None
    run_id: str | None = None
    tables: dict[str, int] = field(default_factory=dict)
    periods_per_year: float = PERIODS_PER_YEAR

    def factor_stats(self) -> list[dict[str, Any]]:
        return factor_stats(self.result.factor_returns, self.result.factor_names, self.periods_per_year)

    def metrics(self) -> dict[str, float]:
        return {k: v for k, v in self.result.summary.items() if isinstance(v, int | float)}

    def save(self, lake: Any, *, run_id: str | None = None) -> StyleReport:
        res = self.result
        names = res.factor_names
        cov = pl.DataFrame({
            "factor": np.repeat(names, len(names)), "other": names * len(names), "value": res.factor_cov.reshape(-1),
        }).with_columns(pl.lit(res.summary["end"]).alias("as_of"))  # fmt: skip
        ppy = self.periods_per_year
        spec = res.specific_var.with_columns((pl.col("specific_var") * ppy).sqrt().alias("specific_vol"))
        tables = {FACTOR_RETURNS: write_factor_returns(lake, res.factor_returns, "style", run_id)}
        for table, frame in (
            ("style_exposures", res.exposures),
            ("specific_returns", res.specific_returns),
            ("factor_covariance", cov),
            ("specific_risk", spec),
        ):
            tables[table] = int(lake.write(table, _with_run(frame, run_id), mode="overwrite").version)
        return replace(self, run_id=run_id, tables=tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "model": "style",
            **self.result.summary,
            "factor_names": self.result.factor_names,
            "factor_stats": self.factor_stats(),
            "tables": self.tables,
        }


def style_report(
    lake: Any,
    *,
    table: str = "bars_1d",
    meta: str = "symbols",
    universe: Universe = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    factors: Sequence[str] = STYLE_FACTORS,
    sectors: bool = True,
    cap_weighted: bool = True,
    cov_half_life: float = 90.0,
    nw_lags: int = 2,
    specific_half_life: float = 42.0,
    winsor: float = 3.0,
    periods_per_year: float | None = None,
) -> StyleReport:
    """Fit the style model on the lake's daily bars and the ``meta`` table (symbol, sector,
    shares_out; skipped when absent: no sectors and no size factor). Settings as in
    :class:`StyleFactorModel`; ``periods_per_year`` annualises the factor statistics and specific
    volatilities (default: inferred from the bars by :func:`trade2026.core.periods_per_year`)."""
    bars = lake.read_bars(table, universe=universe, start=start, end=end)
    md = lake.read(meta) if lake.exists(meta) else None
    model = StyleFactorModel(
        factors=list(factors), sectors=sectors, cap_weighted=cap_weighted, cov_half_life=cov_half_life,
        nw_lags=nw_lags, specific_half_life=specific_half_life, winsor=winsor,
    ).fit(bars, md)  # fmt: skip
    ppy = infer_periods(bars["ts"], override=periods_per_year)
    return StyleReport(model.result_, meta if md is not None else None, periods_per_year=ppy)


# -- fama-macbeth ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FamaMacBethReport:
    """Fama-MacBeth regressions of forward returns on characteristics from the lake.

    ``to_dict()`` is ``t26 factors fmb --json``; :meth:`save` writes the per-period coefficients
    to ``factor_returns`` (model=fmb).
    """

    result: FamaMacBethResult
    horizon: int
    run_id: str | None = None
    tables: dict[str, int] = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        r = self.result
        return {"n_periods": r.n_periods, "mean_r2": r.mean_r2, **{f"tstat_{k}": v for k, v in r.tstats.items()}}

    def save(self, lake: Any, *, run_id: str | None = None) -> FamaMacBethReport:
        version = write_factor_returns(lake, self.result.coefs, "fmb", run_id)
        return replace(self, run_id=run_id, tables={FACTOR_RETURNS: version})

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "horizon": self.horizon, **self.result.to_dict(), "tables": self.tables}


def fmb_report(
    lake: Any,
    *,
    characteristics: Sequence[str] | None = None,
    exposures: str = "style_exposures",
    table: str = "bars_1d",
    horizon: int = 1,
    lags: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> FamaMacBethReport:
    """Fama-MacBeth (1973) regressions of ``horizon``-day forward returns on characteristics.

    Parameters
    ----------
    characteristics : sequence of str, optional
        Columns of the ``exposures`` table (default every numeric one but ``market_cap``).
    exposures : str
        A lake table (ts, symbol, characteristics...); the style model writes ``style_exposures``.
    horizon : int
        Forward-return horizon in trading days: the close ``horizon`` bars later over today's.
    lags : int, optional
        Newey-West lags (default ``max(floor(4 (T/100)^(2/9)), horizon - 1)``).
    start, end : datetime, optional
        The regression dates (the forward returns may reach past ``end``).
    """
    if horizon < 1:
        msg = f"horizon must be >= 1, got {horizon}"
        raise InputError(msg)
    check_lags(lags)
    need_table(lake, exposures, f"{STYLE_HINT}, or point exposures at a table of characteristics")
    ex = lake.read(exposures)
    numeric = [c for c, t in ex.schema.items() if t.is_numeric() and c != "market_cap"]
    cols = list(characteristics or numeric)
    unknown = [c for c in cols if c not in ex.columns]
    if unknown:
        msg = f"{exposures!r} has no column(s) {unknown}; numeric columns: {numeric}"
        raise InputError(msg)
    bars = lake.read_bars(table, start=start)
    fwd = (
        bars.sort("symbol", "ts")
        .with_columns((pl.col("close").shift(-horizon).over("symbol") / pl.col("close") - 1).alias("fwd_return"))
        .select("ts", "symbol", "fwd_return")
    )
    panel = _between(ex.select("ts", "symbol", *cols).join(fwd, on=["ts", "symbol"], how="inner"), start, end)
    panel = panel.drop_nulls()
    n_dates = panel.get_column("ts").n_unique()
    use_lags = lags if lags is not None else max(newey_west_lags(max(n_dates, 1)), horizon - 1)
    return FamaMacBethReport(fama_macbeth(panel, "fwd_return", cols, lags=use_lags), horizon)


# -- evaluate ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvaluationReport:
    """An alphalens-style evaluation of a factor column of a lake table.

    ``to_dict()`` is ``t26 factors evaluate --json``; :meth:`save` writes the daily IC to
    ``factor_ic`` (replacing the rows of the same factor and source). ``plot`` is the tear sheet's
    main file and ``figures`` the PNG files written beside it.
    """

    evaluation: FactorEvaluation
    source: str
    plot: str | None = None
    run_id: str | None = None
    tables: dict[str, int] = field(default_factory=dict)
    figures: tuple[str, ...] = ()

    def metrics(self) -> dict[str, float]:
        ev = self.evaluation
        out: dict[str, float] = {"rank_autocorrelation": ev.rank_autocorrelation}
        for r in ev.ic_summary:
            out[f"ic_mean_{r['period']}d"] = r["ic_mean"]
            out[f"ic_ir_{r['period']}d"] = r["ic_ir"]
        for r in ev.spread:
            out[f"spread_{r['period']}d"] = r["mean_spread"]
        return out

    def save(self, lake: Any, *, run_id: str | None = None) -> EvaluationReport:
        ev = self.evaluation
        ic_long = (
            ev.ic.unpivot(index="ts", variable_name="period", value_name="ic")
            .drop_nulls("ic")
            .with_columns(
                pl.col("period").str.extract(r"ic_(\d+)d").cast(pl.Int64),
                pl.lit(ev.factor).alias("factor"), pl.lit(self.source).alias("source"),
                pl.lit(run_id, dtype=pl.String).alias("run_id"),
            )
            .select("factor", "source", "ts", "period", "ic", "run_id")
        )  # fmt: skip
        version = replace_rows(lake, "factor_ic", ic_long, f"factor = '{ev.factor}' AND source = '{self.source}'")
        return replace(self, run_id=run_id, tables={"factor_ic": version})

    def to_dict(self) -> dict[str, Any]:
        out = {"run_id": self.run_id, **self.evaluation.to_dict(), "tables": self.tables}
        if self.plot is not None:
            out["plot"] = self.plot
            out["figures"] = list(self.figures)
        return out


def evaluation_report(
    lake: Any,
    factor: str,
    *,
    source: str = "style_exposures",
    table: str = "bars_1d",
    periods: Sequence[int] = (1, 5, 21),
    quantiles: int = 5,
    commission_bps: float = 5.0,
    meta: str = "symbols",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    plot: str | Path | None = None,
) -> EvaluationReport:
    """Evaluate column ``factor`` of the lake table ``source`` (ts, symbol, factor) against the
    forward returns of ``table``'s closes (see :func:`evaluate_factor`).

    ``meta``: a table with ``symbol`` and ``sector`` columns for the per-sector breakdown (skipped
    when the lake has no such table); ``commission_bps``: cost per unit of weight traded for the
    spread net of costs; ``plot``: a tear sheet (.png or .html) to write."""
    need_table(lake, source, f"{STYLE_HINT}, or name a table of factor values as source")
    fdf = lake.read(source)
    if factor not in fdf.columns:
        numeric = [c for c, t in fdf.schema.items() if t.is_numeric()]
        msg = f"{source!r} has no column {factor!r}; numeric columns: {numeric}"
        raise InputError(msg)
    fdf = _between(fdf.select("ts", "symbol", factor), start, end)
    prices = lake.read_bars(table, start=start).select("ts", "symbol", "close")
    sectors = None
    if lake.exists(meta):
        md = lake.read(meta)
        if {"symbol", "sector"} <= set(md.columns):
            sectors = dict(md.select("symbol", "sector").drop_nulls().iter_rows())
    ev = evaluate_factor(
        fdf, prices, factor_column=factor, periods=list(periods), quantiles=quantiles,
        commission_bps=commission_bps, sectors=sectors,
    )  # fmt: skip
    if plot is None:
        return EvaluationReport(ev, source)
    files = write_tearsheet(ev, plot, source=source)
    return EvaluationReport(ev, source, plot=str(files[0]), figures=tuple(str(f) for f in files[1:]))


# -- regress -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegressionReport:
    """A time-series regression of one symbol's daily returns on factor returns.

    ``to_dict()`` is ``t26 factors regress --json`` (without ``run_id``).
    """

    symbol: str
    result: TimeSeriesRegression

    def metrics(self) -> dict[str, float]:
        r = self.result
        return {"r2": r.r2, "n_obs": r.n_obs, "alpha_tstat": r.tstats.get("alpha", float("nan"))}

    def to_dict(self) -> dict[str, Any]:
        return {"symbol": self.symbol, **self.result.to_dict()}


def regression_report(
    lake: Any,
    symbol: str,
    *,
    model: str = "style",
    factors_table: str | None = None,
    factors: Sequence[str] | None = None,
    table: str = "bars_1d",
    lags: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> RegressionReport:
    """Regress ``symbol``'s daily simple returns on factor returns with Newey-West errors.

    Parameters
    ----------
    model : str
        The factor series: a model in ``factor_returns`` (style, pca, fmb).
    factors_table : str, optional
        Instead of ``model``: a lake table of external factor series (ts + one numeric column per
        factor); a naive ``ts`` is read as UTC.
    factors : sequence of str, optional
        The factors to use (default all).
    lags : int, optional
        Newey-West lags (default ``floor(4 (T/100)^(2/9))``).
    """
    bars = lake.read_bars(table, symbols=[symbol], start=start, end=end).sort("ts")
    r = bars.select("ts", (pl.col("close") / pl.col("close").shift(1) - 1).alias(symbol)).drop_nulls()
    if factors_table:
        need_table(lake, factors_table, "write the factor series into the lake first")
        f = lake.read(factors_table)
        if "ts" not in f.columns:
            msg = f"{factors_table!r} needs a ts column and one numeric column per factor"
            raise DataError(msg)
        f = f.select("ts", *[c for c, t in f.schema.items() if c != "ts" and t.is_numeric()])
    else:
        need_table(lake, FACTOR_RETURNS, f"{STYLE_HINT}, or pass factors_table")
        f = lake.read(FACTOR_RETURNS, filters=[("model", "=", model)])
        if f.height == 0:
            msg = f"factor_returns has no rows for model {model!r}; fit and save that model first"
            raise NotFoundError(msg)
        f = f.pivot(on="factor", index="ts", values="value").sort("ts")
    chosen = list(factors or [])
    if chosen:
        unknown = [c for c in chosen if c not in f.columns]
        if unknown:
            msg = f"unknown factor(s) {unknown}; available: {[c for c in f.columns if c != 'ts']}"
            raise ConfigError(msg)
        f = f.select("ts", *chosen)
    # External series may be dated at midnight without a time zone; align on the bars' ts type.
    f = f.with_columns(pl.col("ts").cast(r.schema["ts"]))
    return RegressionReport(symbol, time_series_regression(r, f, target=symbol, lags=lags))


__all__ = [
    "EvaluationReport",
    "FamaMacBethReport",
    "PCAReport",
    "RegressionReport",
    "StyleReport",
    "evaluation_report",
    "factor_stats",
    "fmb_report",
    "long_factor_returns",
    "need_table",
    "pca_report",
    "regression_report",
    "replace_rows",
    "style_report",
    "write_factor_returns",
]
