"""``t26 sim``: the PRISM agent-based market and Monte Carlo validation of strategies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command

app = typer.Typer(
    help="Market simulation: PRISM (agent-based market with a limit order book) and Monte Carlo validation.",
    no_args_is_help=True,
)

ExecutorOpt = Annotated[
    str | None, typer.Option("--executor", help="serial | processes | ray (default: settings).")
]
RayOpt = Annotated[str | None, typer.Option("--ray-address", help="Ray cluster address (with --executor ray).")]


def _facts_rows(facts: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for f in facts.get("facts", []):
        rows.append({"fact": f["name"], "statistic": f["statistic"], "value": f["value"], "band": _band(f),
                     "pass": "yes" if f["passed"] else "NO"})
    return rows


def _band(f: dict[str, Any]) -> str:
    lo = "-inf" if f["lower"] is None else f"{f['lower']:.3g}"
    hi = "inf" if f["upper"] is None else f"{f['upper']:.3g}"
    return f"[{lo}, {hi}]"


@command(app, "prism", tracked=True)
def prism(
    ctx: Ctx,
    action: Annotated[
        str | None,
        typer.Argument(help="Leave out to simulate; 'facts TABLE' reports the stylized facts of any bars table."),
    ] = None,
    table: Annotated[str | None, typer.Argument(help="With 'facts': the bars table (e.g. bars_1d, bars_1m_prism).")] = None,
    agents: Annotated[
        str | None, typer.Option(help="Agent counts, e.g. mm=4,noise=20,value=10,momentum=6 (the default).")
    ] = None,
    days: Annotated[int | None, typer.Option(help="Simulated sessions (default 5).")] = None,
    session: Annotated[str | None, typer.Option(help="Session length, e.g. 6.5h (default), 90m, 3600s.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default 7); same seed and config, same output.")] = None,
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


def _parse_seeds(text: str) -> list[int]:
    from trade2026.errors import ConfigError

    out: list[int] = []
    try:
        for part in filter(None, (p.strip() for p in text.split(","))):
            if "-" in part[1:]:
                lo, hi = part.split("-", 1)
                out.extend(range(int(lo), int(hi) + 1))
            else:
                out.append(int(part))
    except ValueError:
        msg = f"--seeds {text!r} is not a list of integers; use e.g. 1,2,3 or 1-8"
        raise ConfigError(msg) from None
    if not out:
        msg = "--seeds is empty; use e.g. 1,2,3 or 1-8"
        raise ConfigError(msg)
    return out


def _run(
    ctx: Ctx, agents: str | None, days: int | None, session: str | None, seed: int | None, seeds: str | None,
    tick_size: float | None, symbol: str | None, config: Path | None, write: bool, executor: str | None,
    ray_address: str | None,
) -> Out:
    from trade2026.sim.prism import load_config, parse_agents, parse_duration_hours
    from trade2026.sim.prism._persist import run_many, seed_configs, write_runs

    cfg = load_config(
        config,
        agents=parse_agents(agents) if agents is not None else None,
        days=days,
        session_hours=parse_duration_hours(session) if session is not None else None,
        seed=seed,
        tick_size=tick_size,
        symbol=symbol,
    )
    seed_list = _parse_seeds(seeds) if seeds else [cfg.seed]
    configs = seed_configs(cfg, seed_list)
    ex = executor or ctx.settings.executor
    ctx.log(f"simulating {len(configs)} run(s) of {cfg.days} day(s), {cfg.n_agents} agents ({ex})")
    results = run_many(configs, executor=ex, ray_address=ray_address or ctx.settings.ray_address, progress=True)
    params = {"agents": cfg.agents, "days": cfg.days, "session_hours": cfg.session_hours, "seeds": seed_list,
              "tick_size": cfg.tick_size, "symbol": cfg.symbol, "config_file": str(config) if config else None}
    with ctx.tracking_run("sim-prism", params=params) as run:
        written = write_runs(ctx.lake, results) if write else {}
        summaries = [r["summary"] for r in results]
        first = summaries[0]
        metrics = {f"liq_{k}": v for k, v in first["liquidity"].items()}
        metrics.update({f"pd_{k}": v for k, v in first["price_discovery"].items()})
        facts = first["facts"] or {}
        if "n_passed" in facts:
            metrics["facts_passed"] = facts["n_passed"]
        metrics["n_trades"] = sum(s["n_trades"] for s in summaries)
        run.log_metrics(metrics)
        run.log_dict({"config": results[0]["config"], "summaries": summaries}, "prism.json")
    data = {"run_id": run.run_id, "runs": summaries, "tables": written}
    tables: list[tuple[str, list[dict[str, Any]]]] = [
        ("PRISM runs", [{"symbol": s["symbol"], "prism_run": s["prism_run"], "seed": s["seed"], "days": s["days"],
                         "trades": s["n_trades"], "bars": s["n_bars"], "messages": s["n_messages"],
                         "seconds": s["sim_seconds"],
                         "facts": f"{s['facts'].get('n_passed')}/{s['facts'].get('n_facts')}"
                         if s["facts"] and "n_passed" in s["facts"] else "n/a"} for s in summaries]),
        (f"Liquidity and price discovery ({first['symbol']})",
         [{"metric": k, "value": v} for k, v in {**first["liquidity"], **first["price_discovery"]}.items()]),
        (f"Execution quality by agent type ({first['symbol']})", first["execution"]),
    ]
    if "facts" in facts:
        tables.append((f"Stylized facts, 1-minute returns ({first['symbol']})", _facts_rows(facts)))
    elif facts.get("error"):
        tables.append(("Stylized facts", [{"note": facts["error"]}]))
    lines = [f"MLflow run {run.run_id}"] if run.run_id else []
    if written:
        lines.append("wrote " + ", ".join(f"{t} ({n:,} rows)" for t, n in written.items()))
    return Out(data, tables=tables, lines=lines)


def _facts(ctx: Ctx, table: str | None, symbols: str | None) -> Out:
    from trade2026.errors import InputError, NotFoundError
    from trade2026.sim import stylized_facts

    if not table:
        msg = "'facts' needs a bars table, e.g. t26 sim prism facts bars_1d"
        raise InputError(msg)
    if not ctx.lake.exists(table):
        msg = f"table {table!r} does not exist; see 't26 data tables' for the lake's tables"
        raise NotFoundError(msg)
    import polars as pl

    lf = ctx.lake.scan(table)
    if symbols:
        wanted = [s.strip() for s in symbols.split(",") if s.strip()]
        lf = lf.filter(pl.col("symbol").is_in(wanted))
    cols = lf.collect_schema().names()
    keep = [c for c in ("symbol", "ts", "close", "volume") if c in cols]
    rep = stylized_facts(lf.select(keep).collect())
    data = {"table": table, **rep.to_dict()}
    title = f"Stylized facts of {table}: {rep.n_passed}/{len(rep.facts)} pass ({rep.n_returns:,} returns)"
    kurt = ", ".join(f"{h} bars: {k:.2f}" for h, k in rep.kurtosis_by_horizon.items())
    return Out(data, tables=[(title, _facts_rows(data))], lines=[f"excess kurtosis by horizon: {kurt}"])
