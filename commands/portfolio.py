"""``t26 portfolio``: optimise, trace the efficient frontier, backtest rebalancing methods.

Heavy libraries (numpy, polars, riskfolio-lib) are imported inside the commands only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command
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


def _split(text: str | None) -> list[str]:
    return [s.strip() for s in (text or "").split(",") if s.strip()]


def _pairs(text: str | None, opt: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in _split(text):
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


def _end(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        d = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--end {text!r} is not a date; use YYYY-MM-DD") from None
    d = d.replace(tzinfo=dt.UTC) if d.tzinfo is None else d.astimezone(dt.UTC)
    return d + dt.timedelta(days=1) - dt.timedelta(microseconds=1) if len(text) <= 10 else d


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
    syms = _split(symbols)
    win = load_returns(ctx.lake, syms or None, lookback=lookback, kind=returns, table=table, end=_end(end))
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
