"""Rerun a strategy through the backtest engine on alternative bars: the tasks the Monte Carlo
methods hand to :func:`trade2026.parallel.run_tasks` (small, picklable, frozen)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from trade2026.lake import LakeSlice


def stamps(ts: Any, source: LakeSlice | None) -> Any:
    """The bar times a task carries, or those of its lake slice (read in the worker, cached per
    process): the observed bars' ``ts`` either way."""
    if source is None:
        return ts
    return source.frame().sort("ts")["ts"]


@dataclass(frozen=True)
class Rerun:
    """The strategy to rerun: its registered name, parameters and the backtest settings
    (``run_backtest`` keywords: costs, fills, ``periods_per_year``)."""

    strategy: str
    params: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def returns(self, bars: Any) -> np.ndarray:
        """The strategy's simple returns per bar on ``bars`` (one symbol), shape (n_bars,)."""
        from trade2026.backtest import run_backtest, strategy_positions

        res = run_backtest(bars, strategy_positions(self.strategy, bars, **self.params), **self.settings)
        return res.returns["return"].to_numpy()


@dataclass(frozen=True)
class SyntheticTask:
    """A block of synthetic return paths (n_paths, n_bars) to turn into bars and rerun, stamped
    ``ts`` or, when the observed bars came from the lake, the times of ``source`` (the worker
    reads them)."""

    rerun: Rerun
    paths: np.ndarray = field(repr=False)
    ts: Any = field(repr=False)
    symbol: str = ""
    start_price: float = 1.0
    source: LakeSlice | None = None


@dataclass(frozen=True)
class PrismTask:
    """One PRISM path: a run of ``config`` turned into bars (see ``prism_bars``) and rerun; one bar
    per session is stamped ``ts`` (or the times of ``source``, read by the worker) when given."""

    rerun: Rerun
    config: Any
    every: str | None
    n_bars: int
    scale: float
    ts: Any = field(default=None, repr=False)
    source: LakeSlice | None = None


def stack(rows: list[np.ndarray]) -> np.ndarray:
    """Returns of unequal lengths as one (n_paths, max_len) matrix, short rows padded with zeros
    (a path with fewer bars stays flat at its end)."""
    width = max(len(r) for r in rows)
    return np.vstack([np.pad(r, (0, width - len(r))) for r in rows])


def rerun_synthetic(task: SyntheticTask) -> np.ndarray:
    """The strategy's returns on each path of the task, shape (n_paths, n_bars)."""
    from trade2026.sim._synthetic import bars_from_returns

    ts = stamps(task.ts, task.source)
    return stack([task.rerun.returns(bars_from_returns(row, ts, task.symbol, task.start_price)) for row in task.paths])


def rerun_prism(task: PrismTask) -> np.ndarray:
    """Simulate one PRISM path and return the strategy's returns on its bars, shape (n_bars,)."""
    from trade2026.sim._prism_paths import prism_bars

    cfg = task.config
    ts = stamps(task.ts, task.source) if task.every is None else None
    bars = prism_bars(cfg, task.every, task.n_bars, symbol=cfg.symbol, ts=ts, scale=task.scale)
    return task.rerun.returns(bars)
