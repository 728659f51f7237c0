"""``t26 sim``: the PRISM agent-based market and Monte Carlo validation of strategies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command, split_list

app = typer.Typer(
    help="Market simulation: PRISM (agent-based market with a limit order book) and Monte Carlo validation.",
    no_args_is_help=True,
)

ExecutorOpt = Annotated[
    str | None,
    typer.Option("--executor", help="serial | processes | ray (default: settings).", rich_help_panel="Execution"),
]
RayOpt = Annotated[
    str | None,
    typer.Option("--ray-address", help="Ray cluster address (with --executor ray).", rich_help_panel="Execution"),
]


def _facts_rows(facts: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for f in facts.get("facts", []):
        rows.append(
            {
                "fact": f["name"],
                "statistic": f["statistic"],
                "value": f["value"],
                "band": _band(f),
                "pass": "yes" if f["passed"] else "NO",
            }
        )
    return rows


def _band(f: dict[str, Any]) -> str:
    lo = "-inf" if f["lower"] is None else f"{f['lower']:.3g}"
    hi = "inf" if f["upper"] is None else f"{f['upper']:.3g}"
    return f"[{lo}, {hi}]"


@command(app, "prism", tracked=True, flags={"path": "--config"})
def prism(
    ctx: Ctx,
    action: Annotated[
        str | None,
        typer.Argument(help="Leave out to simulate; 'facts TABLE' reports the stylized facts of any bars table."),
    ] = None,
    table: Annotated[
        str | None, typer.Argument(help="With 'facts': the bars table (e.g. bars_1d, bars_1m_prism).")
    ] = None,
    agents: Annotated[
        str | None, typer.Option(help="Agent counts, e.g. mm=4,noise=20,value=10,momentum=6 (the default).")
    ] = None,
    days: Annotated[int | None, typer.Option(help="Simulated sessions (default 5).")] = None,
    session: Annotated[str | None, typer.Option(help="Session length, e.g. 6.5h (default), 90m, 3600s.")] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed (default 7); same seed and config, same output.")
    ] = None,
    seeds: Annotated[
        str | None, typer.Option(help="Several seeds, e.g. 1,2,3 or 1-8: one run each, symbol <symbol>_<seed>.")
    ] = None,
    tick_size: Annotated[float | None, typer.Option(help="Tick size (default 0.01).")] = None,
    symbol: Annotated[str | None, typer.Option(help="Symbol of the simulated instrument (default PRISM).")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML file with counts and agent parameters.")] = None,
    symbols: Annotated[str | None, typer.Option(help="With 'facts': only these symbols (comma-separated).")] = None,
    write: Annotated[bool, typer.Option("--write/--no-write", help="Write the run's tables to the lake.")] = True,
    executor: ExecutorOpt = None,
    ray_address: RayOpt = None,
) -> Out:
    """Simulate a market of trading agents and write its ticks, trades, quotes and 1-minute bars.

    Examples: t26 sim prism --days 5 --seed 7 ;
    t26 sim prism --agents mm=4,noise=20,value=10,momentum=6 --session 6.5h --seeds 1-4 --executor processes ;
    t26 sim prism facts bars_1m_prism
    """
    if action is None:
        if table is not None:
            from trade2026.errors import InputError

            msg = f"unexpected argument {table!r}; did you mean 't26 sim prism facts {table}'?"
            raise InputError(msg)
        return _run(ctx, agents, days, session, seed, seeds, tick_size, symbol, config, write, executor, ray_address)
    if action == "facts":
        return _facts(ctx, table, symbols)
    from trade2026.errors import InputError

    msg = f"unknown action {action!r}; use 't26 sim prism' to simulate or 't26 sim prism facts TABLE'"
    raise InputError(msg)


def _run(
    ctx: Ctx,
    agents: str | None,
    days: int | None,
    session: str | None,
    seed: int | None,
    seeds: str | None,
    tick_size: float | None,
    symbol: str | None,
    config: Path | None,
    write: bool,
    executor: str | None,
    ray_address: str | None,
) -> Out:
    from dataclasses import replace

    from trade2026.sim.prism import load_config, parse_agents, parse_duration_hours, parse_seeds, simulate_runs

    cfg = load_config(
        config,
        agents=parse_agents(agents) if agents is not None else None,
        days=days,
        session_hours=parse_duration_hours(session) if session is not None else None,
        seed=seed,
        tick_size=tick_size,
        symbol=symbol,
    )
    seed_list = parse_seeds(seeds) if seeds else [cfg.seed]
    ex = executor or ctx.settings.executor
    ctx.log(f"simulating {len(seed_list)} run(s) of {cfg.days} day(s), {cfg.n_agents} agents ({ex})")
    params = {
        "agents": cfg.agents,
        "days": cfg.days,
        "session_hours": cfg.session_hours,
        "seeds": seed_list,
        "tick_size": cfg.tick_size,
        "symbol": cfg.symbol,
        "config_file": str(config) if config else None,
    }
    several = len(seed_list) > 1  # a bar over the runs; one run gets a spinner with the elapsed time
    label = f"PRISM: {cfg.days} session(s) of {cfg.session_hours:g} h, {cfg.n_agents} agents"
    with ctx.tracking_run("sim-prism", params=params) as run, ctx.progress_bar(label, spinner_only=several):
        report = simulate_runs(
            cfg,
            seed_list,
            lake=ctx.lake if write else None,
            executor=ex,
            ray_address=ray_address or ctx.settings.ray_address,
            progress=several and not ctx.json,
        )
        run.log_metrics(report.tracking_metrics())
        run.log_dict(report.tracking_artifact(), "prism.json")
    report = replace(report, run_id=run.run_id)
    summaries, written = report.runs, report.tables
    first = summaries[0]
    facts = first["facts"] or {}
    tables: list[tuple[str, list[dict[str, Any]]]] = [
        (
            "PRISM runs",
            [
                {
                    "symbol": s["symbol"],
                    "prism_run": s["prism_run"],
                    "seed": s["seed"],
                    "days": s["days"],
                    "trades": s["n_trades"],
                    "bars": s["n_bars"],
                    "messages": s["n_messages"],
                    "seconds": s["sim_seconds"],
                    "facts": f"{s['facts'].get('n_passed')}/{s['facts'].get('n_facts')}"
                    if s["facts"] and "n_passed" in s["facts"]
                    else "n/a",
                }
                for s in summaries
            ],
        ),
        (
            f"Liquidity and price discovery ({first['symbol']})",
            [{"metric": k, "value": v} for k, v in {**first["liquidity"], **first["price_discovery"]}.items()],
        ),
        (f"Execution quality by agent type ({first['symbol']})", first["execution"]),
    ]
    if "facts" in facts:
        tables.append((f"Stylized facts, 1-minute returns ({first['symbol']})", _facts_rows(facts)))
    elif facts.get("error"):
        tables.append(("Stylized facts", [{"note": facts["error"]}]))
    lines = [f"MLflow run {run.run_id}"] if run.run_id else []
    if written:
        lines.append("wrote " + ", ".join(f"{t} ({n:,} rows)" for t, n in written.items()))
    return Out(report.to_dict(), tables=tables, lines=lines)


def _parse_where(items: list[str] | None) -> dict[str, str]:
    from trade2026.errors import InputError

    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            msg = f"bad --where {item!r}; use COLUMN=VALUE, e.g. --where method=hrp"
            raise InputError(msg)
        out[key.strip()] = value.strip()
    return out


def _facts(ctx: Ctx, table: str | None, symbols: str | None) -> Out:
    from trade2026.errors import InputError, NotFoundError
    from trade2026.sim import stylized_facts

    if not table:
        msg = "'facts' needs a bars table, e.g. t26 sim prism facts bars_1d"
        raise InputError(msg)
    if not ctx.lake.exists(table):
        msg = f"table {table!r} does not exist; see 't26 data ls' for the lake's tables"
        raise NotFoundError(msg)
    rep = stylized_facts(ctx.lake.read_bars(table, symbols=split_list(symbols) or None, columns=["close", "volume"]))
    data = {"table": table, **rep.to_dict()}
    title = f"Stylized facts of {table}: {rep.n_passed}/{len(rep.facts)} pass ({rep.n_returns:,} returns)"
    kurt = ", ".join(f"{h} bars: {k:.2f}" for h, k in rep.excess_kurtosis_by_horizon.items())
    return Out(data, tables=[(title, _facts_rows(data))], lines=[f"excess kurtosis by horizon: {kurt}"])


@command(app, "mc", tracked=True)
def mc(
    ctx: Ctx,
    strategy: Annotated[
        str | None,
        typer.Option(
            rich_help_panel="Source", help="Strategy spec to backtest and validate, e.g. sma_cross:fast=20,slow=50."
        ),
    ] = None,
    table: Annotated[str, typer.Option(rich_help_panel="Source", help="Bars table for --strategy.")] = "bars_1d",
    symbol: Annotated[
        str | None,
        typer.Option(rich_help_panel="Source", help="The symbol to backtest (needed when the table has several)."),
    ] = None,
    returns_table: Annotated[
        str | None,
        typer.Option(rich_help_panel="Source", help="Validate a returns column of this table instead of a strategy."),
    ] = None,
    column: Annotated[
        str, typer.Option(rich_help_panel="Source", help="With --returns-table: the simple-returns column.")
    ] = "return",
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            rich_help_panel="Source",
            metavar="COLUMN=VALUE",
            help="With --returns-table: keep the rows where COLUMN equals VALUE, to pick one series of a long "
            "table (e.g. --where method=hrp); repeatable.",
        ),
    ] = None,
    methods: Annotated[
        str | None,
        typer.Option(
            rich_help_panel="Methods and paths",
            help="Comma-separated: bootstrap, reshuffle, gbm, garch, regime, prism "
            "(default: all that apply except prism, which runs only when named).",
        ),
    ] = None,
    paths: Annotated[
        int, typer.Option(rich_help_panel="Methods and paths", min=10, help="Bootstrap / reshuffle paths.")
    ] = 1000,
    synthetic_paths: Annotated[
        int,
        typer.Option(
            rich_help_panel="Methods and paths",
            min=1,
            help="Synthetic price paths rerun through the backtest engine (per model, prism included).",
        ),
    ] = 200,
    prism_agents: Annotated[
        str | None,
        typer.Option(
            rich_help_panel="PRISM paths",
            help="prism: agent counts per path, e.g. mm=2,noise=8,value=4 (default: PRISM's 40 agents).",
        ),
    ] = None,
    prism_session: Annotated[
        str | None,
        typer.Option(
            rich_help_panel="PRISM paths", help="prism: length of each simulated session, e.g. 30m (default), 1h, 900s."
        ),
    ] = None,
    prism_days: Annotated[
        int | None,
        typer.Option(
            rich_help_panel="PRISM paths",
            min=1,
            help="prism: sessions per path (default: enough to match the observed bars, at most 252).",
        ),
    ] = None,
    ruin_limit: Annotated[
        float,
        typer.Option(
            rich_help_panel="Methods and paths",
            min=0,
            max=1,
            help="Ruin = equity below 1 - this fraction of the start, at any time.",
        ),
    ] = 0.3,
    periods_per_year: Annotated[
        float | None,
        typer.Option(
            rich_help_panel="Methods and paths",
            help="Bars per year for annualising (default: inferred from the bars' spacing and calendar; see README).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(rich_help_panel="Methods and paths", min=0, help="Random seed.")] = 0,
    plot: Annotated[
        Path | None,
        typer.Option(
            rich_help_panel="Methods and paths",
            help="Write fan charts of the equity paths here: a .html report or .png figures (also logged to MLflow).",
        ),
    ] = None,
    executor: ExecutorOpt = None,
    ray_address: RayOpt = None,
) -> Out:
    """Monte Carlo validation: stationary bootstrap (Politis-White block length), trade reshuffling and
    synthetic price paths (GBM, GARCH(1,1), regime switching, or PRISM runs) rerun through the backtest engine.

    prism (only when named in --methods): each path is a PRISM agent-based
    market run with its own seed, derived from --seed (same seed, same result).
    Daily bars: one simulated session makes one bar (first trade, high, low,
    last trade, volume); --prism-days sessions per path, by default the
    observed bar count capped at 252. Intraday bars: the sessions' trades are
    bucketed at the observed spacing. The fundamental's volatility is fitted
    to the observed returns; prices are rescaled to the observed first close.
    A path of 252 30-minute sessions with the 40 default agents takes ~4 s:
    keep --synthetic-paths modest or use --executor processes.

    A --returns-table with several series (timestamps repeating across key columns, such as
    portfolio_backtest_returns' method) exits 2 naming them; --where picks one.

    Examples: t26 sim mc --strategy sma_cross:fast=20,slow=50 --symbol ACC ;
    t26 sim mc --strategy sma_cross:fast=20,slow=50 --symbol ACC --methods prism --synthetic-paths 20 ;
    t26 sim mc --returns-table portfolio_backtest_returns --where method=hrp --paths 5000
    """
    from dataclasses import replace

    from trade2026.errors import InputError, NotFoundError
    from trade2026.sim import METRICS, monte_carlo, returns_series

    if (strategy is None) == (returns_table is None):
        msg = "give exactly one of --strategy (with --table/--symbol) or --returns-table"
        raise InputError(msg)
    if where and strategy:
        msg = "--where picks a series of --returns-table; with --strategy use --symbol"
        raise InputError(msg)
    method_list = split_list(methods) or None
    prism_kw: dict[str, Any] = {}
    if prism_agents is not None or prism_session is not None:
        from trade2026.sim.prism import parse_agents, parse_duration_hours

        prism_kw = {
            "prism_agents": parse_agents(prism_agents) if prism_agents is not None else None,
            "prism_session_hours": parse_duration_hours(prism_session) if prism_session is not None else None,
        }
    kw: dict[str, Any] = {
        "methods": method_list,
        "n_paths": paths,
        "synthetic_paths": synthetic_paths,
        "ruin_limit": ruin_limit,
        "periods_per_year": periods_per_year,
        "seed": seed,
        "executor": executor or ctx.settings.executor,
        "ray_address": ray_address or ctx.settings.ray_address,
        "prism_days": prism_days,
        **prism_kw,
    }
    if plot is not None and plot.is_dir():  # before the simulation, not after it
        msg = f"--plot {plot} is a directory; give a file name such as {plot / 'mc.png'}"
        raise InputError(msg)
    src = table if strategy else returns_table
    assert src is not None
    if not ctx.lake.exists(src):
        msg = f"table {src!r} does not exist; see 't26 data ls' for the lake's tables"
        raise NotFoundError(msg)
    if strategy:
        bars = ctx.lake.read_bars(src, symbols=[symbol] if symbol else None)
        if symbol is None and bars["symbol"].n_unique() > 1:
            some = ", ".join(sorted(bars["symbol"].unique().to_list())[:5])
            msg = f"{src!r} has {bars['symbol'].n_unique()} symbols; pick one with --symbol (e.g. {some})"
            raise InputError(msg)
        if method_list and "prism" in method_list:
            ctx.log(f"prism: {synthetic_paths} PRISM run(s), each rerun through the backtest engine")
        source: dict[str, Any] = {"bars": bars, "strategy": strategy}
        if kw["executor"] != "serial":  # the workers read the bars from the lake (a pinned LakeSlice)
            from trade2026.lake import LakeSlice

            source["bars"] = LakeSlice.of(ctx.lake, src, symbols=sorted(set(bars["symbol"].to_list())))
    else:
        returns, stamps = returns_series(ctx.lake.read(src), column, where=_parse_where(where), table=src)
        source = {"returns": returns, "ts": stamps}
    params = {
        "strategy": strategy,
        "table": src,
        "symbol": symbol,
        "paths": paths,
        "synthetic_paths": synthetic_paths,
        "ruin_limit": ruin_limit,
        "seed": seed,
        **({"where": where} if where else {}),
        **{k: v for k, v in {**prism_kw, "prism_days": prism_days}.items() if v is not None},
    }
    with ctx.tracking_run("sim-mc", params=params) as run, ctx.progress_bar("Monte Carlo") as advance:
        report = monte_carlo(**source, table=src, progress=advance or False, **kw)
        run.log_params({"methods": [r.method for r in report.results]})
        run.log_metrics(report.tracking_metrics())
        data = report.to_dict()
        run.log_dict({"observed": data["observed"], "methods": data["methods"]}, "mc.json")
        if plot is not None:
            plot = report.plot(plot)
            run.log_artifact(plot)
    report = replace(report, run_id=run.run_id)
    data = report.to_dict()
    summaries, obs = data["methods"], data["observed"]
    rows = [
        {"method": s["method"], "metric": m, "observed": obs.get(m), **{k: v for k, v in s[m].items() if k != "mean"}}
        for s in summaries
        for m in METRICS
    ]
    risk = [
        {
            "method": s["method"],
            "paths": s["n_paths"],
            "prob_loss": s["prob_loss"],
            "risk_of_ruin": s["risk_of_ruin"],
            "prob_drawdown_breach": s["prob_drawdown_breach"],
        }
        for s in summaries
    ]
    lines = [f"ruin = equity below {1 - ruin_limit:.0%} of the start at any time"]
    for s in summaries:
        if s["method"] == "reshuffle":
            lines.append(
                f"reshuffle: {s['n_trades']} trades annualised at {s['trades_per_year']:.3g} trades per year "
                "(the backtest's trades per bar x bars per year)"
            )
        if s["method"] == "prism":
            bar = "one bar per session" if s["prism_bar"] == "session" else f"{s['prism_bar']} bars"
            lines.append(
                f"prism: {s['n_paths']} run(s) of {s['prism_days']} session(s) x {s['prism_session_hours']:g} h, "
                f"{bar}, {sum(s['prism_agents'].values())} agents; total_return and max_drawdown cover that "
                "horizon (cagr and sharpe are annualised)"
            )
    if plot is not None:
        lines.append(f"plot written to {plot}")
    if run.run_id:
        lines.insert(0, f"MLflow run {run.run_id}")
    return Out(data, tables=[("Monte Carlo distributions (percentiles)", rows), ("Loss and ruin", risk)], lines=lines)


def _listening(addr: tuple[str, int], speed: float) -> None:
    # always on stderr (also under --json): scripts wait for this line to know the port
    import sys

    sys.stderr.write(f"PRISM venue listening on {addr[0]}:{addr[1]} (speed {speed:g}x)\n")
    sys.stderr.flush()


@command(app, "venue")
def venue(
    ctx: Ctx,
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1 (0 = any free port, logged).")] = 7001,
    config: Annotated[Path | None, typer.Option(help="PRISM TOML file (agents, sessions, symbol).")] = None,
    speed: Annotated[float, typer.Option(help="Simulated seconds per wall second.")] = 1.0,
    cash: Annotated[float, typer.Option(help="Starting cash of the external account.")] = 1_000_000.0,
    fee_bps: Annotated[float, typer.Option(help="Commission on external fills, bps of notional.")] = 0.0,
    days: Annotated[int | None, typer.Option(help="Simulated sessions (default: the config's).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the config's).")] = None,
) -> Out:
    """Run PRISM as a live venue for t26 serve: agents trade in real time, external orders over loopback.

    The protocol is JSON lines over TCP (see trade2026.sim.prism.PrismVenue); it runs until
    SIGINT or SIGTERM and then prints the external account's summary.

    Examples: t26 sim venue --port 7001 & ;  t26 sim venue --port 7001 --speed 60 --config prism.toml
    """
    from trade2026.sim.prism import load_config, run_venue

    cfg = load_config(config, days=days, seed=seed)
    v = run_venue(
        cfg,
        port=port,
        speed=speed,
        cash=cash,
        fee_bps=fee_bps,
        ready=lambda addr: _listening(addr, speed),
        handle_signals=True,
    )
    data = v.to_dict()
    return Out(data, tables=[("external accounts", data["accounts"])])


def register(root: typer.Typer) -> None:
    """Add ``t26 sim`` and its subcommands to the root app."""
    root.add_typer(app, name="sim")
