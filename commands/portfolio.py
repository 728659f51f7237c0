"""``t26 portfolio``: optimise, trace the efficient frontier, backtest rebalancing methods.

Heavy libraries (numpy, polars, riskfolio-lib) are imported inside the commands only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, PeriodsOpt, UniverseOpt, command, parse_date, universe_arg
from trade2026.errors import InputError

app = typer.Typer(
    help="Portfolio optimisation (riskfolio-lib behind one registry of methods) and rebalancing backtests.",
    no_args_is_help=True,
)

SymbolsOpt = Annotated[
    str | None,
    typer.Option("--symbols", "-s", help="Comma-separated symbols (default: every symbol with enough history)."),
]
LookbackOpt = Annotated[int, typer.Option(help="Return periods (rows) used to estimate the moments.")]
ReturnsOpt = Annotated[str, typer.Option("--returns", help="Return kind: simple or log.")]
TableOpt = Annotated[str, typer.Option(help="Bars table to read closes from.")]
EndOpt = Annotated[str | None, typer.Option(help="Last date of the window (YYYY-MM-DD; default: the latest bar).")]
MeanOpt = Annotated[str, typer.Option(help="Expected returns: hist, ewma, james_stein.")]
CovOpt = Annotated[str, typer.Option(help="Covariance: sample, ewma, ledoit_wolf, oas, denoised, detoned.")]
HalflifeOpt = Annotated[float | None, typer.Option(help="Half-life in periods for the ewma estimators (default 63).")]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Method parameter KEY=VALUE (repeatable); see `t26 portfolio methods`."),
]
LongShortOpt = Annotated[
    bool, typer.Option("--long-short", help="Allow short positions (gross exposure capped by --gross).")
]
GrossOpt = Annotated[float, typer.Option(help="Gross exposure cap sum|w| for --long-short.")]
MinWOpt = Annotated[float | None, typer.Option(help="Lower bound on every weight.")]
MaxWOpt = Annotated[float | None, typer.Option(help="Upper bound on every weight.")]
GroupMinOpt = Annotated[
    str | None, typer.Option(help="Sector floors, e.g. 'Tech=0.1,Energy=0.05' (sectors from the lake's symbols table).")
]
GroupMaxOpt = Annotated[str | None, typer.Option(help="Sector caps, e.g. 'Tech=0.3'.")]
AlphaOpt = Annotated[float, typer.Option(help="Tail level of CVaR/CDaR-type risk measures.")]


def _params(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            msg = f"bad --param {item!r}; use KEY=VALUE, e.g. --param linkage=ward"
            raise InputError(msg)
        out[key.strip()] = val.strip()
    return out


def _constraints(
    ctx: Ctx,
    *,
    long_short: bool,
    gross: float,
    min_weight: float | None,
    max_weight: float | None,
    group_min: str | None,
    group_max: str | None,
    max_turnover: float | None = None,
    current: str | None = None,
    max_assets: int | None = None,
) -> Any:
    from trade2026.portfolio import Constraints, parse_pairs, parse_weights

    return Constraints(
        long_short=long_short,
        gross=gross,
        min_weight=min_weight,
        max_weight=max_weight,
        group_min=parse_pairs(group_min, what="--group-min"),
        group_max=parse_pairs(group_max, what="--group-max"),
        max_turnover=max_turnover,
        current=parse_weights(current, lake=ctx.lake, what="--current") if current is not None else None,
        max_assets=max_assets,
    )


def _run_line(run: Any) -> list[str]:
    return [f"MLflow run {run.run_id}"] if run.run_id else []


@command(app, "methods")
def methods(ctx: Ctx) -> Out:
    """List the portfolio methods with their parameters and supported constraints.

    Example: t26 portfolio methods --json
    """
    from trade2026.portfolio import list_methods

    data = [m.to_dict() for m in list_methods()]
    rows = [
        {
            "method": d["name"],
            "summary": d["summary"],
            "params": ", ".join(f"{k}={v['default']!r}" for k, v in d["params"].items()),
            "constraints": ", ".join(d["constraints"]) or "-",
        }
        for d in data
    ]
    return Out(data, tables=[("portfolio methods", rows)], lines=["[dim]set a parameter with --param KEY=VALUE[/dim]"])


@command(app, "optimize", tracked=True, flags={"params": "--param"})
def optimize(
    ctx: Ctx,
    method: Annotated[str, typer.Option("--method", "-m", help="A method from `t26 portfolio methods`.")] = "hrp",
    symbols: SymbolsOpt = None,
    universe: UniverseOpt = None,
    lookback: LookbackOpt = 252,
    returns: ReturnsOpt = "simple",
    table: TableOpt = "bars_1d",
    end: EndOpt = None,
    mean: MeanOpt = "hist",
    cov: CovOpt = "ledoit_wolf",
    halflife: HalflifeOpt = None,
    param: ParamOpt = None,
    long_short: LongShortOpt = False,
    gross: GrossOpt = 1.6,
    min_weight: MinWOpt = None,
    max_weight: MaxWOpt = None,
    group_min: GroupMinOpt = None,
    group_max: GroupMaxOpt = None,
    max_turnover: Annotated[float | None, typer.Option(help="Per-asset limit |w - current| (needs --current).")] = None,
    current: Annotated[
        str | None, typer.Option(help="Current weights: 'SYM=w,...', a .json file, or 'latest'.")
    ] = None,
    max_assets: Annotated[
        int | None, typer.Option(help="At most this many holdings (linear risk measures only).")
    ] = None,
    alpha: AlphaOpt = 0.05,
    periods_per_year: PeriodsOpt = None,
) -> Out:
    """Optimise portfolio weights over the lake's bars and write them to `portfolio_weights`.

    Example: t26 portfolio optimize --symbols ACC,ACZV,AIAC --method hrp --lookback 252 --cov ledoit_wolf
    """
    from trade2026.portfolio import optimize_report

    cons = _constraints(
        ctx, long_short=long_short, gross=gross, min_weight=min_weight, max_weight=max_weight, group_min=group_min,
        group_max=group_max, max_turnover=max_turnover, current=current, max_assets=max_assets,
    )  # fmt: skip
    ctx.log(f"optimising with {method} ({lookback} {returns} returns, cov={cov}, mean={mean})")
    report = optimize_report(
        ctx.lake, method, universe=universe_arg(symbols, universe), table=table, lookback=lookback, returns=returns,
        end=parse_date(end, "--end", end_of_day=True), mean=mean, cov=cov, halflife=halflife, params=_params(param),
        constraints=cons, alpha=alpha, periods_per_year=periods_per_year,
    )  # fmt: skip
    res = report.result
    if report.excluded:
        ctx.log(f"left out (short history): {', '.join(report.excluded)}")
    run_params = {
        "method": res.method,
        "lookback": lookback,
        "returns": returns,
        "mean": mean,
        "cov": cov,
        "symbols": ",".join(res.weights),
        **{f"param.{k}": v for k, v in res.params.items()},
        **{f"constraint.{k}": v for k, v in res.constraints.items() if v not in (None, {}, False)},
    }
    with ctx.tracking_run("portfolio-optimize", params=run_params) as run:
        report = report.save(ctx.lake, run_id=run.run_id)
        run.log_metrics(report.metrics())
        run.log_dict(res.to_dict(), "portfolio.json")
    rows = [{"symbol": s, "weight": w, "risk_contribution": res.risk_contributions[s]} for s, w in res.weights.items()]
    stats = [{"expected_return": res.expected_return, "volatility": res.volatility, "sharpe": res.sharpe,
              "n_obs": res.n_obs, "start": res.start, "end": res.end}]  # fmt: skip
    lines = [
        *_run_line(run),
        f"[dim]portfolio {report.portfolio_id} written to portfolio_weights (v{report.version})[/dim]",
        *[f"[yellow]note:[/yellow] {n}" for n in res.notes],
    ]
    return Out(report.to_dict(), tables=[(f"{res.method} weights", rows), ("ex-ante, annualised", stats)], lines=lines)


@command(app, "backtest", tracked=True)
def backtest(
    ctx: Ctx,
    methods: Annotated[
        str,
        typer.Option(help="Comma-separated methods; parameters as name:key=value;key=value (e.g. mean_risk:rm=cvar)."),
    ] = "hrp,herc,erc,min_var,ew",
    symbols: SymbolsOpt = None,
    universe: UniverseOpt = None,
    rebalance: Annotated[int, typer.Option(help="Periods between rebalances (21 = monthly on daily bars).")] = 21,
    lookback: LookbackOpt = 252,
    cost_bps: Annotated[
        float,
        typer.Option(
            "--commission-bps",
            "--cost-bps",
            help="Trading cost in basis points of the traded value (--cost-bps: its older name).",
        ),
    ] = 10.0,
    returns: ReturnsOpt = "simple",
    table: TableOpt = "bars_1d",
    start: Annotated[str | None, typer.Option(help="First date of prices used (YYYY-MM-DD).")] = None,
    end: EndOpt = None,
    mean: MeanOpt = "hist",
    cov: CovOpt = "ledoit_wolf",
    long_short: LongShortOpt = False,
    gross: GrossOpt = 1.6,
    min_weight: MinWOpt = None,
    max_weight: MaxWOpt = None,
    group_min: GroupMinOpt = None,
    group_max: GroupMaxOpt = None,
    alpha: AlphaOpt = 0.05,
    plots: Annotated[
        Path | None,
        typer.Option(help="Directory for the report: portfolio_backtest.html and its PNG figures (also to MLflow)."),
    ] = None,
    executor: Annotated[str, typer.Option(help="serial, processes or ray (fan-out over rebalance dates).")] = "serial",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address (with --executor ray).")] = None,
    max_workers: Annotated[int | None, typer.Option(help="Worker processes (default: CPUs).")] = None,
    periods_per_year: PeriodsOpt = None,
    benchmark: Annotated[
        str | None,
        typer.Option(help="Compare with equal (equal-weight universe), buy_hold, or a symbol: alpha, beta, IR, ..."),
    ] = None,
) -> Out:
    """Walk-forward backtest of several methods: costs on turnover, side-by-side metrics, DSR of the best.

    Example: t26 portfolio backtest --methods hrp,herc,erc,min_var,ew --rebalance 21 --lookback 252 --commission-bps 10
    """
    import tempfile

    from trade2026.portfolio import backtest_report, plot_backtest

    cons = _constraints(
        ctx, long_short=long_short, gross=gross, min_weight=min_weight, max_weight=max_weight, group_min=group_min,
        group_max=group_max,
    )  # fmt: skip
    ctx.log(f"backtesting {methods}: rebalance every {rebalance}, lookback {lookback}")
    report = backtest_report(
        ctx.lake, methods, universe=universe_arg(symbols, universe), table=table, start=parse_date(start, "--start"),
        end=parse_date(end, "--end", end_of_day=True), rebalance=rebalance, lookback=lookback, cost_bps=cost_bps,
        returns=returns, mean=mean, cov=cov, constraints=cons, alpha=alpha, plots=plots, executor=executor,
        ray_address=ray_address, max_workers=max_workers, progress=not ctx.json, periods_per_year=periods_per_year,
        benchmark=benchmark,
    )  # fmt: skip
    res = report.result
    params = {"methods": methods, **{k: v for k, v in res.settings.items() if k not in ("symbols", "constraints")},
              "benchmark": benchmark}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, ctx.tracking_run("portfolio-backtest", params=params) as run:
        report = report.save(ctx.lake, run_id=run.run_id)
        run.log_metrics(report.metrics())
        run.log_dict(res.to_dict(), "backtest.json")
        run.log_returns(res.returns.index, {m: res.returns[m].to_numpy() for m in res.methods})
        artifacts = list(report.plots) or (plot_backtest(res, tmp) if run.run_id else [])
        for p in artifacts:
            run.log_artifact(p, "plots")
    lines = [
        *_run_line(run),
        f"best: {res.best}, deflated Sharpe ratio {res.dsr:.3f} given {len(res.methods)} methods tried",
        *[f"[yellow]note:[/yellow] {n}" for n in res.notes],
        f"[dim]backtest {report.backtest_id}: portfolio_backtest_returns, portfolio_backtest_weights[/dim]",
    ]
    if plots:
        lines.append(f"[dim]plots in {plots}[/dim]")
    title = f"{len(res.rebalance_dates)} rebalances, net of {cost_bps:g} bps"
    tables = [(title, report.rows())]
    if res.benchmark:
        cols = ("alpha", "beta", "information_ratio", "tracking_error", "up_capture", "down_capture", "excess_return")
        rows = [{"method": r["method"], **{c: r[c] for c in cols}} for r in res.benchmark_metrics]
        tables.append((f"against {res.benchmark}", rows))
    return Out(report.to_dict(), tables=tables, lines=lines)


@command(app, "frontier", tracked=True)
def frontier(
    ctx: Ctx,
    symbols: SymbolsOpt = None,
    universe: UniverseOpt = None,
    rm: Annotated[
        str, typer.Option(help="Risk measure: mv, cvar, cdar, mad, evar, ... (see `portfolio methods`).")
    ] = "mv",
    points: Annotated[int, typer.Option(help="Portfolios along the frontier.")] = 20,
    lookback: LookbackOpt = 252,
    returns: ReturnsOpt = "simple",
    table: TableOpt = "bars_1d",
    end: EndOpt = None,
    mean: MeanOpt = "hist",
    cov: CovOpt = "ledoit_wolf",
    halflife: HalflifeOpt = None,
    long_short: LongShortOpt = False,
    gross: GrossOpt = 1.6,
    min_weight: MinWOpt = None,
    max_weight: MaxWOpt = None,
    group_min: GroupMinOpt = None,
    group_max: GroupMaxOpt = None,
    alpha: AlphaOpt = 0.05,
    rf_rate: Annotated[float, typer.Option(help="Annual risk-free rate for the Sharpe ratios.")] = 0.0,
    plot: Annotated[
        Path | None, typer.Option(help="Write the frontier report: .html (interactive, PNGs beside) or .png.")
    ] = None,
    periods_per_year: PeriodsOpt = None,
) -> Out:
    """Trace the efficient frontier: a table of points (return, volatility, risk, Sharpe) and a plot.

    Return, volatility and Sharpe are annualised; the risk column is the --rm measure per bar of
    the returns (e.g. daily CVaR at 1 - alpha), as riskfolio-lib defines it. The plot's x axis is
    that measure.

    Example: t26 portfolio frontier --symbols ACC,ACZV,AIAC,AOAT --rm cvar --points 15 --plot frontier.html
    """
    import tempfile

    from trade2026.portfolio import frontier_report, plot_frontier

    cons = _constraints(
        ctx, long_short=long_short, gross=gross, min_weight=min_weight, max_weight=max_weight, group_min=group_min,
        group_max=group_max,
    )  # fmt: skip
    ctx.log(f"tracing the mean-{rm} frontier ({points} points)")
    report = frontier_report(
        ctx.lake, universe=universe_arg(symbols, universe), table=table, rm=rm, points=points, lookback=lookback,
        returns=returns, end=parse_date(end, "--end", end_of_day=True), mean=mean, cov=cov, halflife=halflife,
        constraints=cons, alpha=alpha, rf_rate=rf_rate, plot=plot, periods_per_year=periods_per_year,
    )  # fmt: skip
    front = report.frontier
    params = {
        "rm": front.rm,
        "points": points,
        "lookback": lookback,
        "mean": mean,
        "cov": cov,
        "symbols": ",".join(front.symbols),
    }
    with tempfile.TemporaryDirectory() as tmp, ctx.tracking_run("portfolio-frontier", params=params) as run:
        run.log_metrics(report.metrics())
        run.log_dict(front.to_dict(), "frontier.json")
        if run.run_id:
            run.log_artifact(report.plot or plot_frontier(front, Path(tmp) / "frontier.png"), "plots")
    data = {"run_id": run.run_id, **report.to_dict()}
    risk_col = report.risk_column
    rows = [
        {"point": p["point"], "ann_return": p["expected_return"], "ann_vol": p["volatility"], risk_col: p["risk"],
         "sharpe": p["sharpe"]}
        for p in front.points
    ]  # fmt: skip
    top = front.points[front.max_sharpe_point]["weights"]
    held = ", ".join(f"{s}={w:.3f}" for s, w in sorted(top.items(), key=lambda kv: -abs(kv[1])) if abs(w) > 1e-4)
    lines = [
        *_run_line(run),
        f"[dim]ann_return, ann_vol, sharpe: annualised; {risk_col}: {front.risk_label}, a fraction of value, "
        "not annualised[/dim]",
        f"max Sharpe at point {front.max_sharpe_point}: {held}",
    ]
    if report.plot:
        lines.append(f"[dim]plot: {report.plot}[/dim]")
    return Out(data, tables=[(f"mean-{front.rm} efficient frontier", rows)], lines=lines)


def register(root: typer.Typer) -> None:
    """Add ``t26 portfolio`` and its subcommands to the root app."""
    root.add_typer(app, name="portfolio")
