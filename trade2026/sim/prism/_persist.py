"""Write PRISM runs to the lake and run many seeds through ``trade2026.parallel``.

Tables (every row carries ``run_id``, the deterministic id of the configuration, and ``symbol``):

=====================  ==============================================================  ===========
table                  rows                                                            partitions
=====================  ==============================================================  ===========
``ticks_prism``        canonical ticks (symbol, ts, price, size, side) + run_id          date
``bars_1m_prism``      canonical 1-minute bars + run_id, date                           date
``prism_trades``       trade log: price, size, aggressor side, buyer, seller, order ids  date
``prism_quotes``       top of book after every change: bid, bid_size, ask, ask_size      date
``prism_depth``        depth snapshots: level 1..N of bid/ask price and size             date
``prism_fundamental``  per second: mid and latent fundamental value                      date
``prism_agents``       per agent: type, final position, cash, P&L
``prism_runs``         one row per symbol: config (JSON), liquidity and facts summary
=====================  ==============================================================  ===========

A run replaces the earlier rows of its symbol(s) in every table, so re-running a configuration is
idempotent and (symbol, ts) stays a key of the bars. The tables are written only after the whole
simulation has finished, in one :meth:`trade2026.lake.Lake.transaction` over all eight tables:
runs of the same symbol write one after the other, and a writer killed part way is rolled back to
the last complete run by the next reader or writer of any of the tables, so no reader sees the rows
of an incomplete run. Inside it, ``prism_runs`` (the completion marker) first gets the new
``run_id`` with ``status = "writing"``, then every data table is replaced, then the row is set to
``status = "complete"``: :func:`complete_runs` lists the complete runs (on a home written before the
transaction existed, a ``"writing"`` row is one whose writer stopped part way).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import polars as pl

from trade2026.lake import validate_bars
from trade2026.sim.prism._analytics import execution_quality, liquidity, price_discovery
from trade2026.sim.prism._config import PrismConfig
from trade2026.sim.prism._simulate import simulate

TABLES = (
    "ticks_prism",
    "bars_1m_prism",
    "prism_trades",
    "prism_quotes",
    "prism_depth",
    "prism_fundamental",
    "prism_agents",
)
_SOURCES = {
    "ticks_prism": "ticks",
    "bars_1m_prism": "bars_1m",
    "prism_trades": "trades",
    "prism_quotes": "quotes",
    "prism_depth": "depth",
    "prism_fundamental": "fundamental",
    "prism_agents": "agents",
}


def run_summary(cfg: PrismConfig) -> dict[str, Any]:
    """Simulate one configuration; returns its frames and summary (a picklable task result)."""
    import time

    from trade2026.sim._facts import stylized_facts

    t0 = time.perf_counter()
    run = simulate(cfg)
    elapsed = time.perf_counter() - t0
    frames = run.frames()
    frames["agents"] = frames["agents"].with_columns(pl.lit(cfg.symbol).alias("symbol"))
    try:
        facts: dict[str, Any] | None = stylized_facts(frames["bars_1m"]).to_dict()
    except Exception as exc:  # too short a run: report why instead of failing the whole run
        facts = {"error": str(exc)}
    mean_price = frames["trades"]["price"].mean()
    mid_price = float(mean_price) if isinstance(mean_price, int | float) else cfg.initial_price
    summary = {
        "prism_run": run.run_id,
        "symbol": cfg.symbol,
        "seed": cfg.seed,
        "days": cfg.days,
        "agents": dict(cfg.agents),
        "n_messages": run.n_messages,
        "n_trades": frames["trades"].height,
        "n_bars": frames["bars_1m"].height,
        "sim_seconds": elapsed,
        "liquidity": liquidity(frames),
        "price_discovery": price_discovery(frames),
        "execution": execution_quality(frames, cfg.tick_size, mid_price),
        "facts": facts,
    }
    return {"frames": frames, "summary": summary, "config": cfg.to_dict()}


def seed_configs(cfg: PrismConfig, seeds: list[int]) -> list[PrismConfig]:
    """One configuration per seed; with several seeds each gets the symbol ``<symbol>_<seed>``."""
    if len(seeds) <= 1:
        return [replace(cfg, seed=seeds[0]) if seeds else cfg]
    return [replace(cfg, seed=s, symbol=f"{cfg.symbol}_{s}") for s in seeds]


def run_many(
    configs: list[PrismConfig],
    *,
    executor: str = "serial",
    ray_address: str | None = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Simulate configurations in parallel (``serial``, ``processes`` or ``ray``), in order."""
    from trade2026.parallel import run_tasks

    return run_tasks(
        run_summary,
        configs,
        executor=executor,
        ray_address=ray_address,
        progress=progress,
        description="PRISM runs",
    )


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


WRITING, COMPLETE = "writing", "complete"


def complete_runs(lake: Any) -> pl.DataFrame:
    """The rows of ``prism_runs`` whose run was written completely (empty when there is none).

    A row with ``status = "writing"`` is a run whose writer stopped part way through: its symbol's
    rows in the data tables belong to no complete run (see the module docstring).
    """
    if not lake.exists("prism_runs"):
        return pl.DataFrame(schema={"symbol": pl.String, "run_id": pl.String, "status": pl.String})
    runs = lake.read("prism_runs")
    if "status" not in runs.columns:  # written before the marker had a status: every row is complete
        return runs.with_columns(pl.lit(COMPLETE).alias("status"))
    return runs.filter(pl.col("status") == COMPLETE)


def _mark(lake: Any, runs: pl.DataFrame, pred: str, status: str) -> None:
    """Replace the symbols' rows of ``prism_runs`` by ``runs`` with ``status`` (one commit)."""
    df = runs.with_columns(pl.lit(status).alias("status"))
    if not lake.exists("prism_runs"):
        lake.write("prism_runs", df, mode="append")
        return
    have = lake.read("prism_runs")
    if "status" not in have.columns:  # an older home: give its complete rows the column once
        rest = have.with_columns(pl.lit(COMPLETE).alias("status")).filter(~pl.col("symbol").is_in(runs["symbol"]))
        lake.write("prism_runs", pl.concat([rest, df], how="diagonal_relaxed"), mode="overwrite")
        return
    lake.write("prism_runs", df, mode="overwrite", replace_where=pred)


def write_runs(lake: Any, results: list[dict[str, Any]]) -> dict[str, int]:
    """Write simulated runs to the lake (see the module docstring); returns rows per table."""
    symbols = [r["summary"]["symbol"] for r in results]
    pred = f"symbol IN ({', '.join(_quote(s) for s in symbols)})"
    combined: dict[str, pl.DataFrame] = {}
    for table, src in _SOURCES.items():
        frames = [r["frames"][src] for r in results if r["frames"][src].height]
        if frames:
            combined[table] = pl.concat(frames, how="vertical")
    if "bars_1m_prism" in combined:
        validate_bars(combined["bars_1m_prism"])
    runs = pl.DataFrame(
        {
            "symbol": symbols,
            "run_id": [r["summary"]["prism_run"] for r in results],
            "seed": [r["summary"]["seed"] for r in results],
            "days": [r["summary"]["days"] for r in results],
            "n_trades": [r["summary"]["n_trades"] for r in results],
            "config": [json.dumps(r["config"], sort_keys=True, default=str) for r in results],
            "summary": [
                json.dumps({k: v for k, v in r["summary"].items() if k != "facts"}, default=str) for r in results
            ],
            "facts_passed": [_n_passed(r["summary"]["facts"]) for r in results],
        }
    )
    written: dict[str, int] = {}
    # One transaction over every table: runs of the same symbols write one after the other, and a
    # run killed part way is rolled back (by the next reader or writer) to the last complete run.
    with lake.transaction("prism", tables=[*TABLES, "prism_runs"], predicate=pred, keys=symbols):
        _mark(lake, runs, pred, WRITING)
        for table, df in combined.items():
            if lake.exists(table):
                lake.write(table, df, mode="overwrite", replace_where=pred)
            else:
                part = ["date"] if "date" in df.columns else None
                lake.write(table, df, mode="append", partition_by=part)
            written[table] = df.height
        # A table this run has no rows for must not keep the symbols' rows of an earlier run.
        for table in TABLES:
            if table not in combined and lake.exists(table):
                lake.delete(table, pred)
        _mark(lake, runs, pred, COMPLETE)
    written["prism_runs"] = runs.height
    return written


def _n_passed(facts: dict[str, Any] | None) -> int | None:
    if not facts or "n_passed" not in facts:
        return None
    return int(facts["n_passed"])
