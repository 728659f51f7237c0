"""``t26 factors``: statistical and style factor models, Fama-MacBeth, risk attribution, evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, PeriodsOpt, UniverseOpt, command, parse_date, split_list, universe_arg
from trade2026.errors import InputError

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


def _window(start: str | None, end: str | None) -> dict[str, Any]:
    return {"start": parse_date(start, "--start"), "end": parse_date(end, "--end", end_of_day=True)}


def _run_line(run: Any) -> list[str]:
    return [f"MLflow run {run.run_id}"] if run.run_id else []


# -- pca -----------------------------------------------------------------------------------------
@command(app, "pca", tracked=True)
def pca(
    ctx: Ctx,
    table: TableOpt = "bars_1d",
    symbols: SymbolsOpt = None,
    universe: UniverseOpt = None,
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
    from trade2026.factors import pca_report

    report = pca_report(
        ctx.lake, table=table, universe=universe_arg(symbols, universe), **_window(start, end), n_factors=n_factors,
        method=method, variance_target=variance_target, standardize=not covariance, min_coverage=min_coverage,
    )  # fmt: skip
    params = {"table": table, "method": method, "n_factors": n_factors, "variance_target": variance_target,
              "standardize": not covariance, "min_coverage": min_coverage, "start": start, "end": end}  # fmt: skip
    with ctx.tracking_run("factors-pca", params=params) as run:
        report = report.save(ctx.lake, run_id=run.run_id)
        run.log_metrics(report.metrics())
        run.log_dict(report.to_dict(), "pca.json")
    m = report.metrics()
    lines = [
        *_run_line(run),
        f"{m['n_factors']} factors explain {m['explained_variance']:.1%} of the variance; MP edge {m['mp_edge']:.3f} "
        f"(noise variance {m['noise_variance']:.3f}); {m['n_assets']} symbols x {m['n_obs']} days",
        "[dim]written: factor_returns (model=pca), pca_loadings[/dim]",
    ]
    if report.excluded:
        lines.append(f"[dim]left out (coverage < {min_coverage:.0%}): {', '.join(report.excluded)}[/dim]")
    tables = [("explained variance", report.explained()), ("largest loadings", report.top_loadings(top))]
    return Out(report.to_dict(), tables=tables, lines=lines)


# -- style ---------------------------------------------------------------------------------------
@command(app, "style", tracked=True)
def style(
    ctx: Ctx,
    table: TableOpt = "bars_1d",
    meta: MetaOpt = "symbols",
    symbols: SymbolsOpt = None,
    universe: UniverseOpt = None,
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
    periods_per_year: PeriodsOpt = None,
) -> Out:
    """Barra-like style model: daily cross-sectional WLS of returns on market, sectors and styles.

    Writes factor_returns (model=style), style_exposures, specific_returns, factor_covariance and
    specific_risk. Example: t26 factors style --factors beta,momentum,size,volatility
    """
    from trade2026.factors import style_report

    facs = split_list(factors)
    if not ctx.lake.exists(meta):
        ctx.log(f"no {meta!r} table: no sectors and no size factor")
    report = style_report(
        ctx.lake, table=table, meta=meta, universe=universe_arg(symbols, universe), **_window(start, end), factors=facs,
        sectors=not no_sectors, cap_weighted=not equal_weighted, cov_half_life=cov_half_life, nw_lags=nw_lags,
        specific_half_life=specific_half_life, winsor=winsor, periods_per_year=periods_per_year,
    )  # fmt: skip
    params = {"table": table, "meta": meta, "factors": ",".join(facs), "sectors": not no_sectors,
              "cap_weighted": not equal_weighted, "cov_half_life": cov_half_life, "nw_lags": nw_lags,
              "specific_half_life": specific_half_life, "winsor": winsor, "start": start, "end": end}  # fmt: skip
    with ctx.tracking_run("factors-style", params=params) as run:
        report = report.save(ctx.lake, run_id=run.run_id)
        run.log_metrics(report.metrics())
        run.log_dict(report.to_dict(), "style.json")
    summary = report.result.summary
    lines = [
        *_run_line(run),
        f"{summary['days']} regression days ({summary['start']:%Y-%m-%d} to {summary['end']:%Y-%m-%d}), "
        f"mean R^2 {summary['mean_r2']:.3f}, {summary['mean_symbols_per_day']:.0f} symbols a day; skipped: "
        f"{summary['skipped_days_few_symbols']} with too few symbols, {summary['skipped_days_singular']} singular",
        "[dim]written: factor_returns (model=style), style_exposures, specific_returns, factor_covariance, "
        "specific_risk[/dim]",
    ]
    return Out(report.to_dict(), tables=[("factor returns (annualised)", report.factor_stats())], lines=lines)


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
    from trade2026.factors import fmb_report

    report = fmb_report(
        ctx.lake, characteristics=split_list(characteristics) or None, exposures=exposures, table=table,
        horizon=horizon, lags=lags, **_window(start, end),
    )  # fmt: skip
    res = report.result
    chars = ",".join(k for k in res.params if k != "const")
    params = {"exposures": exposures, "characteristics": chars, "horizon": horizon, "lags": res.lags,
              "start": start, "end": end}  # fmt: skip
    with ctx.tracking_run("factors-fmb", params=params) as run:
        report = report.save(ctx.lake, run_id=run.run_id)
        run.log_metrics(report.metrics())
        run.log_dict(report.to_dict(), "fmb.json")
    lines = [
        *_run_line(run),
        f"{res.n_periods} periods, Newey-West lags {res.lags}, mean R^2 {res.mean_r2:.3f}; skipped "
        f"{res.skipped_few} with too few symbols, {res.skipped_singular} singular",
        "[dim]per-period coefficients written to factor_returns (model=fmb)[/dim]",
    ]
    return Out(report.to_dict(), tables=[(f"Fama-MacBeth, {horizon}-day forward returns", res.rows())], lines=lines)


# -- attribute -----------------------------------------------------------------------------------
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
    periods_per_year: PeriodsOpt = None,
) -> Out:
    """Risk (total, factor, specific, x-sigma-rho contributions) and return attribution of weights.

    Uses the latest `t26 factors style` run. Example: t26 factors attribute --weights latest --benchmark equal
    """
    from trade2026.factors import attribution_report

    report = attribution_report(
        ctx.lake, weights, benchmark=benchmark, **_window(start, end), periods_per_year=periods_per_year
    )
    ra, ret = report.risk, report.returns
    params = {"weights": weights, "benchmark": benchmark, "as_of": report.as_of, "start": start, "end": end}
    with ctx.tracking_run("factors-attribute", params=params) as run:
        run.log_metrics(report.metrics())
        data = {"run_id": run.run_id, **report.to_dict()}
        run.log_dict(data, "attribution.json")
    label = "active" if ra.active else "total"
    summary = [{"risk": f"{label} risk" + (" (tracking error)" if ra.active else ""), "annualised": ra.total_risk},
               {"risk": "factor", "annualised": ra.factor_risk},
               {"risk": "specific", "annualised": ra.specific_risk}]  # fmt: skip
    tables = [("risk (annualised)", summary), (f"factor contributions to {label} risk", ra.rows())]
    if ret.get("days"):
        rrows = [{"source": k, "return": v} for k, v in ret["factors"].items()]
        rrows += [{"source": "specific", "return": ret["specific"]}, {"source": "total", "return": ret["total"]}]
        tables.append((f"return attribution {ret['start']:%Y-%m-%d} to {ret['end']:%Y-%m-%d}", rrows))
    return Out(data, tables=tables, lines=[*_run_line(run), f"[dim]exposures as of {report.as_of:%Y-%m-%d}[/dim]"])


# -- evaluate ------------------------------------------------------------------------------------
@command(app, "evaluate", tracked=True)
def evaluate(
    ctx: Ctx,
    factor: Annotated[str, typer.Argument(help="Factor column, e.g. momentum (a column of --source).")],
    source: Annotated[str, typer.Option(help="Table with ts, symbol and the factor column.")] = "style_exposures",
    table: TableOpt = "bars_1d",
    periods: Annotated[str, typer.Option(help="Forward-return horizons in trading days.")] = "1,5,21",
    quantiles: Annotated[int, typer.Option(help="Quantile buckets per date.")] = 5,
    commission_bps: Annotated[
        float, typer.Option(help="Cost per unit of weight traded (bps) for the spread net of costs.")
    ] = 5.0,
    meta: Annotated[
        str, typer.Option(help="Table with symbol and sector for the per-sector breakdown (skipped if absent).")
    ] = "symbols",
    plot: Annotated[
        Path | None,
        typer.Option(help="Write the tear sheet: .html (interactive page, PNGs beside) or .png (PNG figures)."),
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
) -> Out:
    """Alphalens-style tear sheet: IC (series, histogram, QQ, monthly), quantile returns, spread net of
    costs, turnover, IC decay, per-sector breakdown.

    Writes the daily IC to factor_ic. Example: t26 factors evaluate momentum --plot momentum.html
    """
    from trade2026.factors import evaluation_report

    try:
        hs = [int(p) for p in split_list(periods)]
    except ValueError:
        msg = f"--periods must be comma-separated integers, got {periods!r}"
        raise InputError(msg) from None
    report = evaluation_report(
        ctx.lake, factor, source=source, table=table, periods=hs, quantiles=quantiles, commission_bps=commission_bps,
        meta=meta, **_window(start, end), plot=plot,
    )  # fmt: skip
    params = {"factor": factor, "source": source, "periods": periods, "quantiles": quantiles,
              "commission_bps": commission_bps, "start": start, "end": end}  # fmt: skip
    with ctx.tracking_run("factors-evaluate", params=params) as run:
        report = report.save(ctx.lake, run_id=run.run_id)
        run.log_metrics(report.metrics())
        for f in (report.plot, *report.figures) if report.plot is not None else ():
            run.log_artifact(f, "plots")
        run.log_dict(report.to_dict(), "evaluation.json")
    ev = report.evaluation
    lines = [*_run_line(run), f"factor rank autocorrelation (lag 1): {ev.rank_autocorrelation:.3f}"]
    if report.plot is not None:
        lines.append(f"tear sheet: {report.plot} (+{len(report.figures)} PNG figures beside it)")
    tables = [
        ("information coefficient", ev.ic_summary),
        ("mean demeaned forward return by quantile", ev.quantile_returns),
        ("cumulative return by quantile (1-day, demeaned, rebalanced daily)", ev.quantile_cumulative),
        (f"top minus bottom quantile (net of {ev.commission_bps:g} bps per unit traded)", ev.spread),
        ("quantile turnover (share of names new to the quantile)", ev.turnover),
        ("IC decay", ev.ic_decay),
    ]
    if ev.sectors:
        tables.append(("by sector", ev.sectors))
    return Out(report.to_dict(), tables=tables, lines=lines)


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

    Example: t26 factors regress ACC --model style --factors market,momentum
    """
    from trade2026.factors import regression_report

    report = regression_report(
        ctx.lake, symbol, model=model, factors_table=factors_table, factors=split_list(factors) or None, table=table,
        lags=lags, **_window(start, end),
    )  # fmt: skip
    res = report.result
    params = {"symbol": symbol, "model": None if factors_table else model, "factors_table": factors_table,
              "factors": factors, "lags": res.lags, "start": start, "end": end}  # fmt: skip
    with ctx.tracking_run("factors-regress", params=params) as run:
        run.log_metrics(report.metrics())
        data = {"run_id": run.run_id, **report.to_dict()}
        run.log_dict(data, "regression.json")
    lines = [*_run_line(run), f"R^2 {res.r2:.3f} over {res.n_obs} days, Newey-West lags {res.lags}"]
    return Out(data, tables=[(f"{symbol} on factor returns", res.rows())], lines=lines)


def register(root: typer.Typer) -> None:
    """Add ``t26 factors`` and its subcommands to the root app."""
    root.add_typer(app, name="factors")
