"""``t26 portfolio``: optimise, trace the efficient frontier, backtest rebalancing methods.

Heavy libraries (numpy, polars, riskfolio-lib) are imported inside the commands only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command, parse_date, split_list
from trade2026.errors import ConfigError, InputError

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


def _pairs(text: str | None, opt: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in split_list(text):
        key, sep, val = part.partition("=")
        try:
            if not sep:
                raise ValueError(part)
            out[key.strip()] = float(val)
        except ValueError:
            msg = f"bad {opt} entry {part!r}; use NAME=NUMBER[,NAME=NUMBER...]"
            raise InputError(msg) from None
    return out


def _params(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            msg = f"bad --param {item!r}; use KEY=VALUE, e.g. --param linkage=ward"
            raise InputError(msg)
        out[key.strip()] = val.strip()
    return out


def _est_params(halflife: float | None, name: str) -> dict[str, Any]:
    return {"halflife": halflife} if halflife is not None and name == "ewma" else {}


def _current(ctx: Ctx, spec: str | None) -> dict[str, float] | None:
    """--current: 'SYM=w,...', a JSON file {sym: w}, or 'latest' (the last optimize in the lake)."""
    if spec is None:
        return None
    if spec == "latest":
        import polars as pl

        if not ctx.lake.exists("portfolio_weights"):
            msg = "--current latest: no portfolio_weights table yet; run `t26 portfolio optimize` first"
            raise InputError(msg)
        df = ctx.lake.read("portfolio_weights")
        last = df.sort("created_at").tail(1)["portfolio_id"][0]
        rows = df.filter(pl.col("portfolio_id") == last)
        return {s: float(w) for s, w in rows.select("symbol", "weight").iter_rows()}
    path = Path(spec)
    if path.suffix == ".json":
        import json

        if not path.exists():
            raise InputError(f"--current file {path} does not exist")
        data = json.loads(path.read_text())
        data = data.get("weights", data) if isinstance(data, dict) else data
        if not isinstance(data, dict):
            raise InputError(f"--current file {path} must hold an object symbol -> weight")
        return {str(k): float(v) for k, v in data.items()}
    return _pairs(spec, "--current")


def _constraints(
    ctx: Ctx,
    symbols: list[str],
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
    from trade2026.portfolio import Constraints
    from trade2026.portfolio._inputs import load_groups

    gmin, gmax = _pairs(group_min, "--group-min"), _pairs(group_max, "--group-max")
    groups = load_groups(ctx.lake, symbols) if gmin or gmax else {}
    cur = _current(ctx, current)
    if max_turnover is not None and cur is None:
        msg = "--max-turnover needs --current (SYM=w,..., a JSON file, or 'latest')"
        raise ConfigError(msg)
    if cur is not None and max_turnover is None:
        msg = "--current is only used with --max-turnover"
        raise ConfigError(msg)
    return Constraints(
        long_short=long_short,
        gross=gross,
        min_weight=min_weight,
        max_weight=max_weight,
        groups=groups,
        group_min=gmin,
        group_max=gmax,
        max_turnover=max_turnover,
        current={k: v for k, v in (cur or {}).items() if k in symbols} if cur else None,
        max_assets=max_assets,
    )


@command(app, "methods")
def methods(ctx: Ctx) -> Out:
    """List the portfolio methods with their parameters and supported constraints.

    Example: t26 portfolio methods --json
    """
    from trade2026.portfolio._methods import list_methods

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


@command(app, "optimize", tracked=True)
def optimize(
    ctx: Ctx,
    method: Annotated[str, typer.Option("--method", "-m", help="A method from `t26 portfolio methods`.")] = "hrp",
    symbols: SymbolsOpt = None,
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
) -> Out:
    """Optimise portfolio weights over the lake's bars and write them to `portfolio_weights`.

    Example: t26 portfolio optimize --symbols AAA,BBB,CCC --method hrp --lookback 252 --cov ledoit_wolf
    """
    import uuid

    import polars as pl

    from trade2026.portfolio import optimize as run_optimize
    from trade2026.portfolio._inputs import load_returns

    params = _params(param)
    syms = split_list(symbols)
    win = load_returns(
        ctx.lake,
        syms or None,
        lookback=lookback,
        kind=returns,
        table=table,
        end=parse_date(end, "--end", end_of_day=True),
    )
    universe = list(win.returns.columns)
    cons = _constraints(
        ctx, universe, long_short=long_short, gross=gross, min_weight=min_weight, max_weight=max_weight,
        group_min=group_min, group_max=group_max, max_turnover=max_turnover, current=current, max_assets=max_assets,
    )  # fmt: skip
    if win.excluded:
        ctx.log(f"left out (short history): {', '.join(win.excluded)}")
    ctx.log(f"optimising {len(universe)} symbols with {method} ({lookback} {returns} returns, cov={cov}, mean={mean})")
    res = run_optimize(
        win.returns, method, params=params, mean=mean, cov=cov, mean_params=_est_params(halflife, mean),
        cov_params=_est_params(halflife, cov), constraints=cons, alpha=alpha,
    )  # fmt: skip
    pid = uuid.uuid4().hex
    run_params = {
        "method": res.method,
        "lookback": lookback,
        "returns": returns,
        "mean": mean,
        "cov": cov,
        "symbols": ",".join(universe),
        **{f"param.{k}": v for k, v in res.params.items()},
        **{f"constraint.{k}": v for k, v in res.constraints.items() if v not in (None, {}, False)},
    }
    holdings = sum(1 for w in res.weights.values() if abs(w) > 1e-6)
    with ctx.tracking_run("portfolio-optimize", params=run_params) as run:
        run.log_metrics(
            {
                "expected_return": res.expected_return,
                "volatility": res.volatility,
                "sharpe": res.sharpe,
                "n_assets": len(universe),
                "n_holdings": holdings,
            }
        )
        run.log_dict(res.to_dict(), "portfolio.json")
    now = dt.datetime.now(dt.UTC)
    frame = (
        res.to_frame()
        .with_columns(
            pl.lit(pid).alias("portfolio_id"),
            pl.lit(run.run_id, dtype=pl.String).alias("run_id"),
            pl.lit(res.method).alias("method"),
            pl.lit(res.end).cast(pl.Datetime("us", "UTC")).alias("as_of"),
            pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("created_at"),
        )
        .select("portfolio_id", "run_id", "method", "as_of", "created_at", "symbol", "weight", "risk_contribution")
    )
    written = ctx.lake.write("portfolio_weights", frame, mode="append")
    data = {"portfolio_id": pid, "run_id": run.run_id, **res.to_dict(), "excluded": win.excluded,
            "table": "portfolio_weights", "version": written.version}  # fmt: skip
    rows = [{"symbol": s, "weight": w, "risk_contribution": res.risk_contributions[s]} for s, w in res.weights.items()]
    stats = [{"expected_return": res.expected_return, "volatility": res.volatility, "sharpe": res.sharpe,
              "n_obs": res.n_obs, "start": res.start, "end": res.end}]  # fmt: skip
    lines = [f"[dim]portfolio {pid} written to portfolio_weights (v{written.version})[/dim]"]
    lines += [f"[yellow]note:[/yellow] {n}" for n in res.notes]
    if run.run_id:
        lines.insert(0, f"MLflow run {run.run_id}")
    return Out(data, tables=[(f"{res.method} weights", rows), ("ex-ante, annualised", stats)], lines=lines)


def _safe_metric_name(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-./ " else "_" for ch in label)


@command(app, "backtest", tracked=True)
def backtest(
    ctx: Ctx,
    methods: Annotated[
        str,
        typer.Option(help="Comma-separated methods; parameters as name:key=value;key=value (e.g. mean_risk:rm=cvar)."),
    ] = "hrp,herc,erc,min_var,ew",
    symbols: SymbolsOpt = None,
    rebalance: Annotated[int, typer.Option(help="Periods between rebalances (21 = monthly on daily bars).")] = 21,
    lookback: LookbackOpt = 252,
    cost_bps: Annotated[float, typer.Option(help="Trading cost in basis points of the traded value.")] = 10.0,
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
        Path | None, typer.Option(help="Directory for equity.png and weights_<method>.png (also logged to MLflow).")
    ] = None,
    executor: Annotated[str, typer.Option(help="serial, processes or ray (fan-out over rebalance dates).")] = "serial",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address (with --executor ray).")] = None,
    max_workers: Annotated[int | None, typer.Option(help="Worker processes (default: CPUs).")] = None,
) -> Out:
    """Walk-forward backtest of several methods: costs on turnover, side-by-side metrics, DSR of the best.

    Example: t26 portfolio backtest --methods hrp,herc,erc,min_var,ew --rebalance 21 --lookback 252 --cost-bps 10
    """
    import tempfile
    import uuid

    import polars as pl

    from trade2026.portfolio._backtest import backtest as run_backtest
    from trade2026.portfolio._backtest import metrics_table, parse_methods, plot_backtest
    from trade2026.portfolio._inputs import load_prices

    parse_methods(methods)  # bad names exit 2 before any data is read
    syms = split_list(symbols)
    prices = load_prices(ctx.lake, syms or None, table=table, end=parse_date(end, "--end", end_of_day=True))
    if start is not None:
        first = parse_date(start, "--start")
        assert first is not None
        prices = prices[prices.index >= first]
    if syms:
        short = [s for s in syms if prices[s].notna().sum() < lookback + 1]
        if short:
            msg = f"not enough history for a {lookback}-period lookback: {', '.join(short)}; shorten --lookback"
            raise InputError(msg)
    universe = [str(c) for c in prices.columns]
    cons = _constraints(
        ctx, universe, long_short=long_short, gross=gross, min_weight=min_weight, max_weight=max_weight,
        group_min=group_min, group_max=group_max,
    )  # fmt: skip
    ctx.log(f"backtesting {methods} on {len(universe)} symbols: rebalance every {rebalance}, lookback {lookback}")
    res = run_backtest(
        prices, methods, rebalance=rebalance, lookback=lookback, cost_bps=cost_bps, returns_kind=returns, mean=mean,
        cov=cov, constraints=cons, alpha=alpha, executor=executor, ray_address=ray_address, max_workers=max_workers,
        progress=not ctx.json,
    )  # fmt: skip
    bid = uuid.uuid4().hex
    params = {"methods": methods, **{k: v for k, v in res.settings.items() if k not in ("symbols", "constraints")}}
    with tempfile.TemporaryDirectory() as tmp, ctx.tracking_run("portfolio-backtest", params=params) as run:
        flat = {}
        for m in res.metrics:
            for key in ("cagr", "ann_vol", "sharpe", "max_drawdown", "turnover", "avg_holdings"):
                flat[f"{_safe_metric_name(m['method'])}.{key}"] = m[key]
        run.log_metrics({**flat, "dsr": res.dsr})
        run.log_dict(res.to_dict(), "backtest.json")
        plot_paths = plot_backtest(res, plots or tmp) if (plots or run.run_id) else []
        for p in plot_paths:
            run.log_artifact(p, "plots")
    eq = res.equity()
    ret_frame = pl.DataFrame(
        {
            "ts": [t for t in res.returns.index for _ in res.methods],
            "method": [m for _ in res.returns.index for m in res.methods],
            "return": res.returns.to_numpy().ravel(),
            "equity": eq.to_numpy().ravel(),
        }
    ).with_columns(
        pl.col("ts").cast(pl.Datetime("us", "UTC")),
        pl.lit(bid).alias("backtest_id"),
        pl.lit(run.run_id, dtype=pl.String).alias("run_id"),
    )
    ctx.lake.write(
        "portfolio_backtest_returns", ret_frame.select("backtest_id", "run_id", "method", "ts", "return", "equity")
    )
    wts = res.weights.with_columns(pl.lit(bid).alias("backtest_id"))
    ctx.lake.write("portfolio_backtest_weights", wts.select("backtest_id", "method", "ts", "symbol", "weight"))
    data = {
        "backtest_id": bid,
        "run_id": run.run_id,
        **res.to_dict(),
        "plots": [str(p) for p in plot_paths] if plots else [],
    }
    lines = [f"best: {res.best}, deflated Sharpe ratio {res.dsr:.3f} given {len(res.methods)} methods tried"]
    lines += [f"[yellow]note:[/yellow] {n}" for n in res.notes]
    lines.append(f"[dim]backtest {bid}: portfolio_backtest_returns, portfolio_backtest_weights[/dim]")
    if plots:
        lines.append(f"[dim]plots in {plots}[/dim]")
    if run.run_id:
        lines.insert(0, f"MLflow run {run.run_id}")
    rows = metrics_table(res)
    return Out(data, tables=[(f"{len(res.rebalance_dates)} rebalances, net of {cost_bps:g} bps", rows)], lines=lines)


@command(app, "frontier", tracked=True)
def frontier(
    ctx: Ctx,
    symbols: SymbolsOpt = None,
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
    plot: Annotated[Path | None, typer.Option(help="Write the plot to this .png or .html file.")] = None,
) -> Out:
    """Trace the efficient frontier: a table of points (return, volatility, risk, Sharpe) and a plot.

    Example: t26 portfolio frontier --symbols AAA,BBB,CCC,DDD --rm cvar --points 15 --plot frontier.html
    """
    import tempfile

    from trade2026.portfolio._frontier import efficient_frontier, plot_frontier
    from trade2026.portfolio._inputs import load_returns

    if plot is not None and plot.suffix.lower() not in (".png", ".html"):
        raise InputError(f"--plot must end in .png or .html, got {plot.name}")
    syms = split_list(symbols)
    win = load_returns(
        ctx.lake,
        syms or None,
        lookback=lookback,
        kind=returns,
        table=table,
        end=parse_date(end, "--end", end_of_day=True),
    )
    universe = list(win.returns.columns)
    cons = _constraints(
        ctx, universe, long_short=long_short, gross=gross, min_weight=min_weight, max_weight=max_weight,
        group_min=group_min, group_max=group_max,
    )  # fmt: skip
    ctx.log(f"tracing the mean-{rm} frontier over {len(universe)} symbols ({points} points)")
    front = efficient_frontier(
        win.returns, rm=rm, points=points, mean=mean, cov=cov, constraints=cons, alpha=alpha, rf_rate=rf_rate,
        mean_params=_est_params(halflife, mean), cov_params=_est_params(halflife, cov),
    )  # fmt: skip
    params = {
        "rm": front.rm,
        "points": points,
        "lookback": lookback,
        "mean": mean,
        "cov": cov,
        "symbols": ",".join(universe),
    }
    with tempfile.TemporaryDirectory() as tmp, ctx.tracking_run("portfolio-frontier", params=params) as run:
        best = front.points[front.max_sharpe_point]
        run.log_metrics({"max_sharpe": best["sharpe"], "min_volatility": min(p["volatility"] for p in front.points)})
        run.log_dict(front.to_dict(), "frontier.json")
        written = plot_frontier(front, plot) if plot else None
        if run.run_id:
            run.log_artifact(written or plot_frontier(front, Path(tmp) / "frontier.png"), "plots")
    data = {
        "run_id": run.run_id,
        **front.to_dict(),
        "excluded": win.excluded,
        "plot": str(written) if written else None,
    }
    rows = [{k: v for k, v in p.items() if k != "weights"} for p in front.points]
    top = front.points[front.max_sharpe_point]["weights"]
    held = ", ".join(f"{s}={w:.3f}" for s, w in top.items() if abs(w) > 1e-4)
    lines = [f"max Sharpe at point {front.max_sharpe_point}: {held}"]
    if written:
        lines.append(f"[dim]plot: {written}[/dim]")
    if run.run_id:
        lines.insert(0, f"MLflow run {run.run_id}")
    return Out(data, tables=[(f"mean-{front.rm} efficient frontier (annualised)", rows)], lines=lines)


def register(root: typer.Typer) -> None:
    """Add ``t26 portfolio`` and its subcommands to the root app."""
    root.add_typer(app, name="portfolio")
