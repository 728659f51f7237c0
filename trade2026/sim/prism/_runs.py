"""PRISM runs as one workflow: several seeds of a configuration, fanned out, summarised, written.

:func:`simulate_runs` is what ``t26 sim prism`` does; a notebook calling it gets the command's
``--json`` from :meth:`PrismReport.to_dict`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from trade2026.errors import ConfigError
from trade2026.sim.prism._config import PrismConfig


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``"1,2,3"``, ``"1-8"`` or a mix (``"1-3,10"``), in the order given."""
    from trade2026.config import check_work

    parts: list[tuple[int, int]] = []
    try:
        for part in filter(None, (p.strip() for p in text.split(","))):
            head, dash, tail = part[1:].partition("-")
            first = int(part[0] + head) if dash else int(part)
            parts.append((first, int(tail)) if dash else (first, first))
    except ValueError:
        msg = f"seeds {text!r} is not a list of integers; use e.g. 1,2,3 or 1-8"
        raise ConfigError(msg, option="seeds") from None
    bad = [p for p in parts if p[0] < 0 or p[1] < p[0]]
    if bad:
        lo, hi = bad[0]
        what = f"{lo}-{hi}" if lo != hi else str(lo)
        msg = f"seeds {text!r}: {what} is not seeds >= 0 (ranges run up: 1-8); use e.g. 1,2,3 or 1-8"
        raise ConfigError(msg, option="seeds")
    if not parts:
        msg = f"seeds {text!r} is empty; use e.g. 1,2,3 or 1-8"
        raise ConfigError(msg, option="seeds")
    check_work("seeds", sum(hi - lo + 1 for lo, hi in parts), f"seeds {text!r}")  # before the list exists
    return [s for lo, hi in parts for s in range(lo, hi + 1)]


@dataclass(frozen=True)
class PrismReport:
    """The result of :func:`simulate_runs`.

    ``configs`` are the configurations run (one per seed); ``runs`` their summaries (liquidity,
    price discovery, execution quality per agent type, stylized facts of the 1-minute bars); ``tables``
    the rows written per lake table (empty when nothing was written); ``run_id`` the tracking run the
    caller logged it to, if any.
    """

    configs: tuple[PrismConfig, ...]
    runs: list[dict[str, Any]] = field(repr=False)
    tables: dict[str, int]
    run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"run_id", "runs": [summary, ...], "tables": {table: rows}}``."""
        return {"run_id": self.run_id, "runs": self.runs, "tables": self.tables}

    def tracking_metrics(self) -> dict[str, float]:
        """Flat metrics for a tracking run: the first run's ``liq_*`` (liquidity) and ``pd_*`` (price
        discovery) measures, ``facts_passed`` when its facts were measured, and ``n_trades`` over all
        runs."""
        first = self.runs[0]
        out = {f"liq_{k}": v for k, v in first["liquidity"].items()}
        out.update({f"pd_{k}": v for k, v in first["price_discovery"].items()})
        facts = first["facts"] or {}
        if "n_passed" in facts:
            out["facts_passed"] = facts["n_passed"]
        out["n_trades"] = sum(s["n_trades"] for s in self.runs)
        return out

    def tracking_artifact(self) -> dict[str, Any]:
        """The first configuration (as a dict) and every run's summary, for a JSON artifact."""
        return {"config": self.configs[0].to_dict(), "summaries": self.runs}


def simulate_runs(
    config: PrismConfig,
    seeds: Sequence[int] | None = None,
    *,
    lake: Any = None,
    executor: str = "serial",
    ray_address: str | None = None,
    progress: bool = False,
) -> PrismReport:
    """Simulate ``config`` once per seed, summarise every run and write the runs to ``lake``.

    Parameters
    ----------
    config : PrismConfig
        The market (``load_config``); its ``seed`` is used when ``seeds`` is not given.
    seeds : sequence of int, optional
        One run per seed; with several, run ``i`` gets the symbol ``<symbol>_<seed>`` (see
        ``seed_configs``).
    lake : trade2026.lake.Lake, optional
        Where to write the tables (``ticks_prism``, ``bars_1m_prism``, ``prism_*``; each run replaces
        its symbol's rows). ``None`` writes nothing.
    executor, ray_address : optional
        Where the runs fan out (:func:`trade2026.parallel.run_tasks`); same seeds, same output on
        every executor.
    progress : bool
        A progress bar on stderr (when it is a terminal).
    """
    from trade2026.config import check_work
    from trade2026.sim.prism._persist import run_many, seed_configs, write_runs
    from trade2026.sim.prism._simulate import announce_compile

    configs = seed_configs(config, list(seeds) if seeds is not None else [config.seed])
    check_work("seeds", len(configs), f"{len(configs):,} PRISM runs")
    for c in configs:
        c.validate()  # every seed's configuration (seeds >= 0), before any run starts
    total = sum(c.events() for c in configs)
    check_work("prism_events", total, f"{len(configs):,} PRISM run(s) of {config.days:,} day(s)")
    announce_compile()
    results = run_many(configs, executor=executor, ray_address=ray_address, progress=progress)
    written = write_runs(lake, results) if lake is not None else {}
    return PrismReport(tuple(configs), [r["summary"] for r in results], written)
