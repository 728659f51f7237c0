"""``t26 factors``: statistical and style factor models, Fama-MacBeth, risk attribution, evaluation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command, parse_date, split_list
from trade2026.errors import InputError, NotFoundError

app = typer.Typer(
    help="Factor models over the lake: PCA and style models, Fama-MacBeth, risk attribution, factor evaluation.",
    no_args_is_help=True,
)

TableOpt = Annotated[str, typer.Option("--table", help="Daily bars table (symbol, ts, close, volume).")]
SymbolsOpt = Annotated[
    str | None, typer.Option("--symbols", help="Comma-separated symbols (default: every symbol in the table).")
]
StartOpt = Annotated[str | None, typer.Option("--start", help="First date (YYYY-MM-DD).")]
EndOpt = Annotated[str | None, typer.Option("--end", help="Last date (YYYY-MM-DD).")]
MetaOpt = Annotated[
    str, typer.Option("--meta", help="Symbol metadata table (symbol, sector, shares_out); skipped if absent.")
]


# -- shared helpers ------------------------------------------------------------------------------
def _need(ctx: Ctx, table: str, hint: str) -> None:
    if not ctx.lake.exists(table):
        msg = f"the lake has no table {table!r}; {hint}"
        raise NotFoundError(msg)


def _bars(ctx: Ctx, table: str, symbols: str | None, start: str | None, end: str | None) -> Any:
    return ctx.lake.read_bars(
        table,
        symbols=split_list(symbols),
        start=parse_date(start, "--start"),
        end=parse_date(end, "--end", end_of_day=True),
    )


def _meta(ctx: Ctx, table: str) -> Any:
    return ctx.lake.read(table) if ctx.lake.exists(table) else None


def _run_line(run: Any) -> list[str]:
    return [f"MLflow run {run.run_id}"] if run.run_id else []


def _factor_stats(fr: Any, names: list[str]) -> list[dict[str, Any]]:
    import numpy as np

    rows = []
    for n in names:
        v = fr.get_column(n).drop_nulls().to_numpy()
        sd = float(v.std(ddof=1)) if v.size > 1 else float("nan")
        rows.append({
            "factor": n,
            "ann_return": float(v.mean() * 252) if v.size else float("nan"),
            "ann_vol": sd * float(np.sqrt(252)),
            "tstat": float(v.mean() / (sd / np.sqrt(v.size))) if v.size > 1 and sd > 0 else float("nan"),
            "days": int(v.size),
        })  # fmt: skip
    return rows


def _long_returns(fr: Any, model: str, run_id: str | None) -> Any:
    import polars as pl

    return (
        fr.unpivot(index="ts", variable_name="factor", value_name="value")
        .drop_nulls("value")
        .with_columns(pl.lit(model).alias("model"), pl.lit(run_id, dtype=pl.String).alias("run_id"))
        .select("model", "ts", "factor", "value", "run_id")
    )


def _replace_model(ctx: Ctx, table: str, frame: Any, model: str) -> int:
    mode = "overwrite"
    where = f"model = '{model}'" if ctx.lake.exists(table) else None
    return int(ctx.lake.write(table, frame, mode=mode, replace_where=where).version)


# -- pca -----------------------------------------------------------------------------------------
@command(app, "pca", tracked=True)
def pca(
    ctx: Ctx,
    table: TableOpt = "bars_1d",
    symbols: SymbolsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    n_factors: Annotated[
        int | None, typer.Option(help="Fixed number of factors (default: chosen by --method).")
    ] = None,
    method: Annotated[str, typer.Option(help="mp (Marchenko-Pastur edge) or variance (--variance-target).")] = "mp",
    variance_target: Annotated[float, typer.Option(help="Cumulative explained variance for --method variance.")] = 0.5,
    covariance: Annotated[
        bool, typer.Option("--covariance", help="PCA of the covariance, not the correlation.")
    ] = False,
    min_coverage: Annotated[float, typer.Option(help="Drop symbols observed on fewer than this share of days.")] = 0.9,
    top: Annotated[int, typer.Option(help="Loadings shown per factor (human output).")] = 5,
) -> Out:
    """Statistical factors: PCA of daily returns; writes factor_returns (model=pca) and pca_loadings.

    Example: t26 factors pca --method mp --start 2018-01-01
    """
    import numpy as np
    import polars as pl

    from trade2026.factors import PCAFactorModel
    from trade2026.core import pivot, simple_returns

    bars = _bars(ctx, table, symbols, start, end)
    p = pivot(bars, ["close"])
    r = simple_returns(p["close"])[1:]
    dates = p.dates.slice(1)
    model = PCAFactorModel(
        n_factors=n_factors, method=method, variance_target=variance_target,
        standardize=not covariance, min_coverage=min_coverage,
    ).fit(r, assets=p.symbols)  # fmt: skip
    k = model.n_factors_
    names = [f"pc{i + 1}" for i in range(k)]
    evr = model.explained_variance_ratio_
    expl = [
        {"factor": n, "eigenvalue": float(model.eigenvalues_[i]), "explained_variance_ratio": float(evr[i]),
         "cumulative": float(evr[: i + 1].sum())}
        for i, n in enumerate(names)
    ]  # fmt: skip
    excluded = sorted(set(p.symbols) - set(model.assets_))
    params = {"table": table, "method": method, "n_factors": n_factors, "variance_target": variance_target,
              "standardize": not covariance, "min_coverage": min_coverage, "start": start, "end": end}  # fmt: skip
    with ctx.tracking_run("factors-pca", params=params) as run:
        fr = pl.DataFrame({"ts": dates}).with_columns(
            [pl.Series(n, model.factor_returns_[:, i]) for i, n in enumerate(names)]
        )
        loadings = pl.DataFrame({
            "symbol": np.repeat(model.assets_, k),
            "factor": names * len(model.assets_),
            "loading": model.loadings_.reshape(-1),
            "component": model.components_.T.reshape(-1),
        }).with_columns(pl.lit(run.run_id, dtype=pl.String).alias("run_id"))  # fmt: skip
        v_fr = _replace_model(ctx, "factor_returns", _long_returns(fr, "pca", run.run_id), "pca")
        v_ld = ctx.lake.write("pca_loadings", loadings, mode="overwrite").version
        metrics = {"n_factors": k, "explained_variance": float(evr.sum()), "mp_edge": model.mp_edge_,
                   "noise_variance": model.noise_variance_, "n_assets": len(model.assets_),
                   "n_obs": r.shape[0]}  # fmt: skip
        run.log_metrics(metrics)
        data = {"run_id": run.run_id, "model": "pca", **metrics, "explained": expl, "excluded": excluded,
                "eigenvalues": model.eigenvalues_.tolist(),
                "tables": {"factor_returns": v_fr, "pca_loadings": v_ld}}  # fmt: skip
        run.log_dict(data, "pca.json")
    load_rows = []
    for i, n in enumerate(names):
        order = np.argsort(-np.abs(model.components_[i]))[:top]
        load_rows.append(
            {"factor": n, "top": ", ".join(f"{model.assets_[j]} {model.components_[i, j]:+.2f}" for j in order)}
        )
    lines = [
        *_run_line(run),
        f"{k} factors explain {evr.sum():.1%} of the variance; MP edge {model.mp_edge_:.3f} "
        f"(noise variance {model.noise_variance_:.3f}); {len(model.assets_)} symbols x {r.shape[0]} days",
        "[dim]written: factor_returns (model=pca), pca_loadings[/dim]",
    ]
    if excluded:
        lines.append(f"[dim]left out (coverage < {min_coverage:.0%}): {', '.join(excluded)}[/dim]")
    return Out(data, tables=[("explained variance", expl), ("largest loadings", load_rows)], lines=lines)


# -- style ---------------------------------------------------------------------------------------
@command(app, "style", tracked=True)
def style(
    ctx: Ctx,
    table: TableOpt = "bars_1d",
    meta: MetaOpt = "symbols",
    symbols: SymbolsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    factors: Annotated[
        str,
        typer.Option(
            help="Style factors: beta,momentum,reversal,volatility,residual_volatility,liquidity,size,amihud."
        ),
    ] = "beta,momentum,reversal,volatility,residual_volatility,liquidity,size",
    no_sectors: Annotated[bool, typer.Option("--no-sectors", help="Leave out the sector dummies.")] = False,
    equal_weighted: Annotated[
        bool, typer.Option("--equal-weighted", help="Equal-weighted standardisation and regressions (default: cap).")
    ] = False,
    cov_half_life: Annotated[float, typer.Option(help="EWMA half-life (days) of the factor covariance.")] = 90.0,
    nw_lags: Annotated[int, typer.Option(help="Newey-West lags of the factor covariance.")] = 2,
    specific_half_life: Annotated[float, typer.Option(help="EWMA half-life (days) of specific variances.")] = 42.0,
    winsor: Annotated[float, typer.Option(help="Winsorise exposures at this many standard deviations.")] = 3.0,
) -> Out:
    """Barra-like style model: daily cross-sectional WLS of returns on market, sectors and styles.

    Writes factor_returns (model=style), style_exposures, specific_returns, factor_covariance and
    specific_risk. Example: t26 factors style --factors beta,momentum,size,volatility
    """
    import numpy as np
    import polars as pl

    from trade2026.factors import StyleFactorModel

    bars = _bars(ctx, table, symbols, start, end)
    md = _meta(ctx, meta)
    facs = split_list(factors)
    if md is None:
        ctx.log(f"no {meta!r} table: no sectors and no size factor")
    ctx.log(f"fitting the style model on {bars.get_column('symbol').n_unique()} symbols")
    model = StyleFactorModel(
        factors=facs, sectors=not no_sectors, cap_weighted=not equal_weighted, cov_half_life=cov_half_life,
        nw_lags=nw_lags, specific_half_life=specific_half_life, winsor=winsor,
    ).fit(bars, md)  # fmt: skip
    res = model.result_
    names = res.factor_names
    stats = _factor_stats(res.factor_returns, names)
    params = {"table": table, "meta": meta, "factors": ",".join(facs), "sectors": not no_sectors,
              "cap_weighted": not equal_weighted, "cov_half_life": cov_half_life, "nw_lags": nw_lags,
              "specific_half_life": specific_half_life, "winsor": winsor, "start": start, "end": end}  # fmt: skip
    summary = res.summary
    with ctx.tracking_run("factors-style", params=params) as run:
        rid = pl.lit(run.run_id, dtype=pl.String).alias("run_id")
        versions = {
            "factor_returns": _replace_model(
                ctx, "factor_returns", _long_returns(res.factor_returns, "style", run.run_id), "style"
            ),
            "style_exposures": ctx.lake.write(
                "style_exposures", res.exposures.with_columns(rid), mode="overwrite"
            ).version,
            "specific_returns": ctx.lake.write(
                "specific_returns", res.specific_returns.with_columns(rid), mode="overwrite"
            ).version,
        }
        cov = res.factor_cov
        cov_rows = pl.DataFrame({
            "factor": np.repeat(names, len(names)), "other": names * len(names), "value": cov.reshape(-1),
        }).with_columns(pl.lit(summary["end"]).alias("as_of"), rid)  # fmt: skip
        versions["factor_covariance"] = ctx.lake.write("factor_covariance", cov_rows, mode="overwrite").version
        spec = res.specific_var.with_columns((pl.col("specific_var") * 252).sqrt().alias("specific_vol"), rid)
        versions["specific_risk"] = ctx.lake.write("specific_risk", spec, mode="overwrite").version
        metrics = {k: v for k, v in summary.items() if isinstance(v, int | float)}
        run.log_metrics(metrics)
        data = {"run_id": run.run_id, "model": "style", **summary, "factor_names": names, "factor_stats": stats,
                "tables": versions}  # fmt: skip
        run.log_dict(data, "style.json")
    lines = [
        *_run_line(run),
        f"{summary['days']} regression days ({summary['start']:%Y-%m-%d} to {summary['end']:%Y-%m-%d}), "
        f"mean R^2 {summary['mean_r2']:.3f}, {summary['mean_symbols_per_day']:.0f} symbols a day; skipped: "
        f"{summary['skipped_days_few_symbols']} with too few symbols, {summary['skipped_days_singular']} singular",
        "[dim]written: factor_returns (model=style), style_exposures, specific_returns, factor_covariance, "
        "specific_risk[/dim]",
    ]
    return Out(data, tables=[("factor returns (annualised)", stats)], lines=lines)


# -- fmb -----------------------------------------------------------------------------------------
@command(app, "fmb", tracked=True)
def fmb(
    ctx: Ctx,
    characteristics: Annotated[
        str | None, typer.Option(help="Comma-separated columns of --exposures (default: every numeric style column).")
    ] = None,
    exposures: Annotated[str, typer.Option(help="Table of characteristics (ts, symbol, ...).")] = "style_exposures",
    table: TableOpt = "bars_1d",
    horizon: Annotated[int, typer.Option(help="Forward-return horizon in trading days.")] = 1,
    lags: Annotated[
        int | None, typer.Option(help="Newey-West lags (default: max(floor(4 (T/100)^(2/9)), horizon - 1)).")
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
) -> Out:
    """Fama-MacBeth: per-date regressions of forward returns on characteristics, Newey-West t-stats.

    Example: t26 factors fmb --characteristics beta,momentum,size --horizon 5
    """
    import polars as pl

    from trade2026.factors import fama_macbeth, newey_west_lags

    if horizon < 1:
        msg = f"--horizon must be >= 1, got {horizon}"
        raise InputError(msg)
    _need(ctx, exposures, "run `t26 factors style` first or point --exposures at a table of characteristics")
    ex = ctx.lake.read(exposures)
    numeric = [c for c, t in ex.schema.items() if t.is_numeric() and c not in ("market_cap",)]
    cols = split_list(characteristics) or numeric
    unknown = [c for c in cols if c not in ex.columns]
    if unknown:
        msg = f"{exposures!r} has no column(s) {unknown}; numeric columns: {numeric}"
        raise InputError(msg)
    bars = _bars(ctx, table, None, start, None)
    fwd = (
        bars.sort("symbol", "ts")
        .with_columns((pl.col("close").shift(-horizon).over("symbol") / pl.col("close") - 1).alias("fwd_return"))
        .select("ts", "symbol", "fwd_return")
    )
    panel = ex.select("ts", "symbol", *cols).join(fwd, on=["ts", "symbol"], how="inner")
    s, e = parse_date(start, "--start"), parse_date(end, "--end")
    if s is not None:
        panel = panel.filter(pl.col("ts") >= s)
    if e is not None:
        panel = panel.filter(pl.col("ts") <= e)
    panel = panel.drop_nulls()
    n_dates = panel.get_column("ts").n_unique()
    use_lags = lags if lags is not None else max(newey_west_lags(max(n_dates, 1)), horizon - 1)
    res = fama_macbeth(panel, "fwd_return", cols, lags=use_lags)
    params = {"exposures": exposures, "characteristics": ",".join(cols), "horizon": horizon, "lags": res.lags,
              "start": start, "end": end}  # fmt: skip
    with ctx.tracking_run("factors-fmb", params=params) as run:
        run.log_metrics({"n_periods": res.n_periods, "mean_r2": res.mean_r2,
                         **{f"tstat_{k}": v for k, v in res.tstats.items()}})  # fmt: skip
        long = _long_returns(res.coefs, "fmb", run.run_id)
        version = _replace_model(ctx, "factor_returns", long, "fmb")
        data = {"run_id": run.run_id, "horizon": horizon, **res.to_dict(), "tables": {"factor_returns": version}}
        run.log_dict(data, "fmb.json")
    lines = [
        *_run_line(run),
        f"{res.n_periods} periods, Newey-West lags {res.lags}, mean R^2 {res.mean_r2:.3f}; skipped "
        f"{res.skipped_few} with too few symbols, {res.skipped_singular} singular",
        "[dim]per-period coefficients written to factor_returns (model=fmb)[/dim]",
    ]
    return Out(data, tables=[(f"Fama-MacBeth, {horizon}-day forward returns", res.rows())], lines=lines)


# -- attribute -----------------------------------------------------------------------------------
def _weights(ctx: Ctx, spec: str, opt: str, universe: list[str]) -> dict[str, float]:
    """'SYM=w,...', a .json file ({sym: w} or {"weights": {...}}), 'latest' portfolio, or 'equal'."""
    import polars as pl

    if spec == "equal":
        return {s: 1.0 / len(universe) for s in universe}
    if spec == "latest":
        _need(ctx, "portfolio_weights", f"{opt} latest needs `t26 portfolio optimize` first")
        df = ctx.lake.read("portfolio_weights")
        last = df.sort("created_at").tail(1).get_column("portfolio_id")[0]
        rows = df.filter(pl.col("portfolio_id") == last)
        return {s: float(w) for s, w in rows.select("symbol", "weight").iter_rows()}
    path = Path(spec)
    if path.suffix.lower() == ".json":
        if not path.exists():
            msg = f"{opt} file {path} does not exist"
            raise InputError(msg)
        data = json.loads(path.read_text())
        data = data.get("weights", data) if isinstance(data, dict) else data
        if not isinstance(data, dict):
            msg = f"{opt} file {path} must hold an object symbol -> weight (or {{'weights': {{...}}}})"
            raise InputError(msg)
        return {str(k): float(v) for k, v in data.items()}
    out: dict[str, float] = {}
    for part in split_list(spec):
        sym, sep, val = part.partition("=")
        try:
            out[sym.strip()] = float(val)
        except ValueError:
            sep = ""
        if not sep:
            msg = f"bad {opt} item {part!r}; use SYM=WEIGHT,... , a .json file, 'latest' or 'equal'"
            raise InputError(msg) from None
    if not out:
        msg = f"{opt} is empty"
        raise InputError(msg)
    return out


@command(app, "attribute", tracked=True)
def attribute(
    ctx: Ctx,
    weights: Annotated[
        str, typer.Option(help="Weights: 'SYM=w,...', a .json file, 'latest' (t26 portfolio), or 'equal'.")
    ],
    benchmark: Annotated[
        str | None, typer.Option(help="Benchmark weights (same forms): active risk and tracking error.")
    ] = None,
    start: Annotated[str | None, typer.Option(help="Return attribution from this date (default: 1 year back).")] = None,
    end: Annotated[str | None, typer.Option(help="Return attribution to this date (default: last).")] = None,
) -> Out:
    """Risk (total, factor, specific, x-sigma-rho contributions) and return attribution of weights.

    Uses the latest `t26 factors style` run. Example: t26 factors attribute --weights latest --benchmark equal
    """
    import numpy as np
    import polars as pl

    from trade2026.factors import return_attribution, risk_attribution

    hint = "run `t26 factors style` first"
    for t in ("style_exposures", "factor_covariance", "specific_risk", "factor_returns", "specific_returns"):
        _need(ctx, t, hint)
    cov = ctx.lake.read("factor_covariance")
    names = list(dict.fromkeys(cov.get_column("factor").to_list()))
    F = cov.get_column("value").to_numpy().reshape(len(names), len(names))
    ex = ctx.lake.read("style_exposures")
    last = ex.get_column("ts").max()
    cur = ex.filter(pl.col("ts") == last)
    universe = cur.get_column("symbol").to_list()
    w = _weights(ctx, weights, "--weights", universe)
    b = _weights(ctx, benchmark, "--benchmark", universe) if benchmark else None
    held = sorted(set(w) | set(b or {}))
    missing = [s for s in held if s not in universe]
    if missing:
        msg = f"no exposures on {last:%Y-%m-%d} for {', '.join(missing)}; they are not in the style model's universe"
        raise InputError(msg)
    spec = ctx.lake.read("specific_risk").select("symbol", "specific_var")
    design = _design(cur, names).join(spec, on="symbol", how="left").sort("symbol")
    syms = design.get_column("symbol").to_list()
    X = design.select(names).to_numpy()
    d = design.get_column("specific_var").to_numpy()
    wv = np.array([w.get(s, 0.0) for s in syms])
    bv = np.array([b.get(s, 0.0) for s in syms]) if b else None
    ra = risk_attribution(wv, X, F, d, factor_names=names, benchmark=bv)
    # Return attribution: each day's exposures are those at the previous close.
    s_dt = parse_date(start, "--start") or (last - dt.timedelta(days=365))
    e_dt = parse_date(end, "--end") or last
    fr = (
        ctx.lake.read("factor_returns", filters=[("model", "=", "style")])
        .filter((pl.col("ts") >= s_dt) & (pl.col("ts") <= e_dt))
        .pivot(on="factor", index="ts", values="value")
        .sort("ts")
    )
    ret_attr: dict[str, Any] = {"days": 0}
    if fr.height:
        days = fr.get_column("ts")
        dates = ex.get_column("ts").unique().sort()
        prev = {d1: d0 for d0, d1 in zip(dates.to_list()[:-1], dates.to_list()[1:], strict=True)}
        exs = _design(ex.filter(pl.col("symbol").is_in(held)), names)
        cube = np.zeros((fr.height, len(held), len(names)))
        idx = {s: i for i, s in enumerate(held)}
        by_day = {k[0]: g for k, g in exs.group_by("ts")}
        for ti, day in enumerate(days.to_list()):
            g = by_day.get(prev.get(day))
            if g is not None:
                for row in g.iter_rows(named=True):
                    cube[ti, idx[row["symbol"]]] = [row[n] for n in names]
        sr = (
            ctx.lake.read("specific_returns", filters=pl.col("symbol").is_in(held))
            .filter(pl.col("ts").is_in(days.implode()))
            .pivot(on="symbol", index="ts", values="specific_return")
        )
        U = pl.DataFrame({"ts": days}).join(sr, on="ts", how="left")
        umat = np.column_stack([U.get_column(s).to_numpy() if s in U.columns else np.zeros(fr.height) for s in held])
        fmat = fr.select([n if n in fr.columns else pl.lit(None).alias(n) for n in names]).to_numpy().astype(float)
        aw = np.array([w.get(s, 0.0) - (b.get(s, 0.0) if b else 0.0) for s in held])
        ret_attr = return_attribution(aw, cube, fmat, umat, factor_names=names)
        ret_attr["start"], ret_attr["end"] = days.min(), days.max()
    params = {"weights": weights, "benchmark": benchmark, "as_of": last, "start": start, "end": end}
    with ctx.tracking_run("factors-attribute", params=params) as run:
        run.log_metrics({"total_risk": ra.total_risk, "factor_risk": ra.factor_risk, "specific_risk": ra.specific_risk,
                         "return_total": ret_attr.get("total", float("nan"))})  # fmt: skip
        data = {"run_id": run.run_id, "as_of": last, **ra.to_dict(), "return_attribution": ret_attr}
        run.log_dict(data, "attribution.json")
    label = "active" if b else "total"
    summary = [{"risk": f"{label} risk" + (" (tracking error)" if b else ""), "annualised": ra.total_risk},
               {"risk": "factor", "annualised": ra.factor_risk},
               {"risk": "specific", "annualised": ra.specific_risk}]  # fmt: skip
    tables = [("risk (annualised)", summary), (f"factor contributions to {label} risk", ra.rows())]
    if ret_attr.get("days"):
        rrows = [{"source": k, "return": v} for k, v in ret_attr["factors"].items()]
        rrows += [
            {"source": "specific", "return": ret_attr["specific"]},
            {"source": "total", "return": ret_attr["total"]},
        ]
        tables.append((f"return attribution {ret_attr['start']:%Y-%m-%d} to {ret_attr['end']:%Y-%m-%d}", rrows))
    return Out(data, tables=tables, lines=[*_run_line(run), f"[dim]exposures as of {last:%Y-%m-%d}[/dim]"])


def _design(ex: Any, names: list[str]) -> Any:
    """Exposure rows (ts, symbol, factor columns) in the model's factor order, sectors as dummies."""
    import polars as pl

    cols = []
    for n in names:
        if n == "market":
            cols.append(pl.lit(1.0).alias(n))
        elif n.startswith("sector:"):
            cols.append((pl.col("sector") == n.removeprefix("sector:")).cast(pl.Float64).fill_null(0.0).alias(n))
        else:
            cols.append(pl.col(n).cast(pl.Float64))
    return ex.select("ts", "symbol", *cols)


# -- evaluate ------------------------------------------------------------------------------------
@command(app, "evaluate", tracked=True)
def evaluate(
    ctx: Ctx,
    factor: Annotated[str, typer.Argument(help="Factor column, e.g. momentum (a column of --source).")],
    source: Annotated[str, typer.Option(help="Table with ts, symbol and the factor column.")] = "style_exposures",
    table: TableOpt = "bars_1d",
    periods: Annotated[str, typer.Option(help="Forward-return horizons in trading days.")] = "1,5,21",
    quantiles: Annotated[int, typer.Option(help="Quantile buckets per date.")] = 5,
    plot: Annotated[Path | None, typer.Option(help="Write a tear sheet here (.png or .html).")] = None,
    start: StartOpt = None,
    end: EndOpt = None,
) -> Out:
    """Alphalens-style evaluation: Spearman IC, quantile returns, long-short spread, turnover, IC decay.

    Writes the daily IC to factor_ic. Example: t26 factors evaluate momentum --plot momentum.html
    """
    import polars as pl

    from trade2026.factors import evaluate_factor, plot_evaluation

    try:
        hs = [int(p) for p in split_list(periods)]
    except ValueError:
        msg = f"--periods must be comma-separated integers, got {periods!r}"
        raise InputError(msg) from None
    _need(ctx, source, "run `t26 factors style` first or name a table with --source")
    fdf = ctx.lake.read(source)
    if factor not in fdf.columns:
        numeric = [c for c, t in fdf.schema.items() if t.is_numeric()]
        msg = f"{source!r} has no column {factor!r}; numeric columns: {numeric}"
        raise InputError(msg)
    fdf = fdf.select("ts", "symbol", factor)
    s, e = parse_date(start, "--start"), parse_date(end, "--end")
    if s is not None:
        fdf = fdf.filter(pl.col("ts") >= s)
    if e is not None:
        fdf = fdf.filter(pl.col("ts") <= e)
    prices = _bars(ctx, table, None, start, None).select("ts", "symbol", "close")
    ev = evaluate_factor(fdf, prices, factor_column=factor, periods=hs, quantiles=quantiles)
    params = {
        "factor": factor,
        "source": source,
        "periods": periods,
        "quantiles": quantiles,
        "start": start,
        "end": end,
    }
    with ctx.tracking_run("factors-evaluate", params=params) as run:
        metrics: dict[str, Any] = {"rank_autocorrelation": ev.rank_autocorrelation}
        for r in ev.ic_summary:
            metrics[f"ic_mean_{r['period']}d"] = r["ic_mean"]
            metrics[f"ic_ir_{r['period']}d"] = r["ic_ir"]
        for r in ev.spread:
            metrics[f"spread_{r['period']}d"] = r["mean_spread"]
        run.log_metrics(metrics)
        ic_long = (
            ev.ic.unpivot(index="ts", variable_name="period", value_name="ic")
            .drop_nulls("ic")
            .with_columns(
                pl.col("period").str.extract(r"ic_(\d+)d").cast(pl.Int64),
                pl.lit(factor).alias("factor"), pl.lit(source).alias("source"),
                pl.lit(run.run_id, dtype=pl.String).alias("run_id"),
            )
            .select("factor", "source", "ts", "period", "ic", "run_id")
        )  # fmt: skip
        where = f"factor = '{factor}' AND source = '{source}'" if ctx.lake.exists("factor_ic") else None
        version = ctx.lake.write("factor_ic", ic_long, mode="overwrite", replace_where=where).version
        data = {"run_id": run.run_id, **ev.to_dict(), "tables": {"factor_ic": version}}
        if plot is not None:
            path = plot_evaluation(ev, plot)
            data["plot"] = str(path)
            run.log_artifact(path)
        run.log_dict(data, "evaluation.json")
    lines = [*_run_line(run), f"factor rank autocorrelation (lag 1): {ev.rank_autocorrelation:.3f}"]
    if plot is not None:
        lines.append(f"tear sheet: {plot}")
    tables = [
        ("information coefficient", ev.ic_summary),
        ("mean demeaned forward return by quantile", ev.quantile_returns),
        ("top minus bottom quantile", ev.spread),
        ("quantile turnover", ev.turnover),
        ("IC decay", ev.ic_decay),
    ]
    return Out(data, tables=tables, lines=lines)


# -- regress -------------------------------------------------------------------------------------
@command(app, "regress", tracked=True)
def regress(
    ctx: Ctx,
    symbol: Annotated[str, typer.Argument(help="Symbol whose daily returns are explained.")],
    model: Annotated[
        str, typer.Option(help="Factor series: model name in factor_returns (style, pca, fmb).")
    ] = "style",
    factors_table: Annotated[
        str | None,
        typer.Option(help="Instead of --model: a lake table of external factor series (ts + one column per factor)."),
    ] = None,
    factors: Annotated[str | None, typer.Option(help="Comma-separated factors to use (default: all).")] = None,
    table: TableOpt = "bars_1d",
    lags: Annotated[int | None, typer.Option(help="Newey-West lags (default: floor(4 (T/100)^(2/9))).")] = None,
    start: StartOpt = None,
    end: EndOpt = None,
) -> Out:
    """Time-series regression of a symbol's daily returns on factor returns, Newey-West t-stats.

    Example: t26 factors regress AAPL --model style --factors market,momentum
    """
    import polars as pl

    from trade2026.factors import time_series_regression

    bars = _bars(ctx, table, symbol, start, end).sort("ts")
    r = bars.select("ts", (pl.col("close") / pl.col("close").shift(1) - 1).alias(symbol)).drop_nulls()
    if factors_table:
        _need(ctx, factors_table, "ingest the factor series into the lake first")
        f = ctx.lake.read(factors_table)
        if "ts" not in f.columns:
            msg = f"{factors_table!r} needs a ts column and one numeric column per factor"
            raise InputError(msg)
        f = f.select("ts", *[c for c, t in f.schema.items() if c != "ts" and t.is_numeric()])
    else:
        _need(ctx, "factor_returns", "run `t26 factors style` (or pca) first, or pass --factors-table")
        f = ctx.lake.read("factor_returns", filters=[("model", "=", model)])
        if f.height == 0:
            msg = f"factor_returns has no rows for model {model!r}; run `t26 factors {model}` first"
            raise InputError(msg)
        f = f.pivot(on="factor", index="ts", values="value").sort("ts")
    chosen = split_list(factors)
    if chosen:
        unknown = [c for c in chosen if c not in f.columns]
        if unknown:
            msg = f"unknown factor(s) {unknown}; available: {[c for c in f.columns if c != 'ts']}"
            raise InputError(msg)
        f = f.select("ts", *chosen)
    # External series may be dated at midnight without a time zone; align on the bars' ts type.
    f = f.with_columns(pl.col("ts").cast(r.schema["ts"]))
    res = time_series_regression(r, f, target=symbol, lags=lags)
    params = {"symbol": symbol, "model": None if factors_table else model, "factors_table": factors_table,
              "factors": factors, "lags": res.lags, "start": start, "end": end}  # fmt: skip
    with ctx.tracking_run("factors-regress", params=params) as run:
        run.log_metrics({"r2": res.r2, "n_obs": res.n_obs, "alpha_tstat": res.tstats.get("alpha", float("nan"))})
        data = {"run_id": run.run_id, "symbol": symbol, **res.to_dict()}
        run.log_dict(data, "regression.json")
    lines = [*_run_line(run), f"R^2 {res.r2:.3f} over {res.n_obs} days, Newey-West lags {res.lags}"]
    return Out(data, tables=[(f"{symbol} on factor returns", res.rows())], lines=lines)


def register(root: typer.Typer) -> None:
    """Add ``t26 factors`` and its subcommands to the root app."""
    root.add_typer(app, name="factors")
