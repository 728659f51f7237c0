"""PRISM: an agent-based market around a numba limit order book.

``simulate(load_config(...))`` runs a population of market makers, noise, value and momentum
traders on an event-driven clock; ``PrismRun.frames()`` gives its trades, ticks, quotes, depth
snapshots, 1-minute bars, fundamental path and agent results as polars frames.
``simulate_runs(config, seeds, lake=...)`` runs several seeds, summarises and writes them (what
``t26 sim prism`` does) and returns a :class:`PrismReport`.
"""

from trade2026.sim.prism._book import depth, new_book, resting_queues, run_stream
from trade2026.sim.prism._config import (
    AgentParams,
    FundamentalParams,
    PrismConfig,
    config_from_mapping,
    load_config,
    parse_agents,
    parse_duration_hours,
)
from trade2026.sim.prism._reference import ReferenceBook
from trade2026.sim.prism._runs import PrismReport, parse_seeds, simulate_runs
from trade2026.sim.prism._simulate import PrismDay, PrismRun, bars_from_trades, iter_days, run_id_for, simulate
from trade2026.sim.prism._venue import PrismVenue, run_venue

__all__ = [
    "AgentParams",
    "FundamentalParams",
    "PrismConfig",
    "PrismDay",
    "PrismReport",
    "PrismRun",
    "PrismVenue",
    "ReferenceBook",
    "bars_from_trades",
    "config_from_mapping",
    "depth",
    "iter_days",
    "load_config",
    "new_book",
    "parse_agents",
    "parse_duration_hours",
    "parse_seeds",
    "resting_queues",
    "run_id_for",
    "run_stream",
    "run_venue",
    "simulate",
    "simulate_runs",
]
