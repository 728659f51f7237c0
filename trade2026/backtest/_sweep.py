"""Parameter sweeps as batched kernel calls, walk-forward optimisation and robustness checks.

A sweep computes every parameter set's positions for every symbol as columns of one kernel call
(chunked so memory stays bounded by ``max_chunk_mb``, not by parameter sets x bars x symbols), the
chunks fanned out through :func:`trade2026.parallel.run_tasks`. Only the (n_bars, n_params) book
returns come back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from trade2026.backtest._engine import BacktestConfig, announce_kernels, make_config, simulate
from trade2026.backtest._stats import (
    bootstrap_ci,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    min_track_record_length,
    probabilistic_sharpe_ratio,
)
from trade2026.backtest._strategies import Params, batch_positions, get_strategy, parse_grid
from trade2026.core import Panel, bars_panel, metrics_columns, returns_metrics
from trade2026.errors import ConfigError, DataError

if TYPE_CHECKING:
    from trade2026.lake import LakeSlice

OBJECTIVES = ("sharpe", "sortino", "calmar", "total_return", "cagr", "max_drawdown")


# The sweep table's metric columns (all from trade2026.core.metrics_columns).
SWEEP_METRICS = ("total_return", "cagr", "ann_vol", "sharpe", "sortino", "calmar", "max_drawdown", "sharpe_per_period")


def matrix_metrics(r: np.ndarray, periods_per_year: float) -> dict[str, np.ndarray]:
    """Metrics of every column of a (n_obs, n_trials) returns matrix: :func:`trade2026.core.metrics_columns`."""
    return metrics_columns(r, periods_per_year)


@dataclass(frozen=True)
class SweepResult:
    """Returns of every parameter set: ``returns`` of shape (n_bars, n_params) aligned with ``ts``."""

    strategy: str
    params: list[Params]
    ts: pl.Series
    returns: np.ndarray = field(repr=False)
    turnover: np.ndarray = field(repr=False)
    exposure: np.ndarray = field(repr=False)
    fills: np.ndarray = field(repr=False)
    config: BacktestConfig

    @property
    def n_trials(self) -> int:
        return len(self.params)

    @cached_property
    def _full_metrics(self) -> dict[str, np.ndarray]:
        return matrix_metrics(self.returns, self.config.annual_periods)

    def metrics(self, start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
        """Metrics of every parameter set over bars ``start:stop`` (arrays of shape (n_trials,)).

        The whole period's are computed once and shared: treat the arrays as read-only.
        """
        n = self.returns.shape[0]
        if start == 0 and (stop is None or stop >= n):
            return dict(self._full_metrics)
        return matrix_metrics(self.returns[start:stop], self.config.annual_periods)

    def best(self, objective: str = "sharpe", start: int = 0, stop: int | None = None) -> int:
        """Index of the parameter set maximising ``objective`` over bars ``start:stop`` (NaN never wins;
        the first of equal values does)."""
        check_objective(objective)
        return best_index(self.metrics(start, stop)[objective])

    def table(self) -> pl.DataFrame:
        """One row per parameter set: its parameters, metrics, turnover, exposure and fill count."""
        m = self.metrics()
        keys = list(self.params[0])
        cols: dict[str, Any] = {k: [p[k] for p in self.params] for k in keys}
        cols.update({k: m[k] for k in SWEEP_METRICS})
        cols.update(turnover=self.turnover, exposure=self.exposure, fill_count=self.fills)
        return pl.DataFrame(cols)

    def selection_statistics(self, index: int) -> dict[str, float]:
        """PSR, DSR (trials = the sweep), MinTRL and E[max SR] of the chosen parameter set."""
        r = self.returns[:, index]
        m = self.metrics()["sharpe_per_period"]
        finite = m[np.isfinite(m)]
        var = float(np.var(finite, ddof=1)) if finite.size > 1 else 0.0
        return selection_statistics(r, n_trials=self.n_trials, var_trials=var)


def selection_statistics(returns: np.ndarray, *, n_trials: int = 1, var_trials: float = 0.0) -> dict[str, float]:
    """PSR (against 0), DSR (against the expected maximum of ``n_trials`` with ``var_trials``), MinTRL
    and E[max SR] of a returns series, per-period Sharpe ratios. NaN where the Sharpe ratio is
    undefined (zero volatility, fewer than two returns)."""
    m = returns_metrics(returns)
    n = int(m["n_obs"])
    sr = m["sharpe_per_period"]
    skew, kurt = m["skew"], m["kurtosis"]
    out = {
        "n_trials": n_trials,
        "sharpe_variance": var_trials,
        "sharpe_per_period": sr,
        "psr": math.nan,
        "dsr": math.nan,
        "expected_max_sharpe": math.nan,
        "min_track_record_length": math.nan,
    }
    if n >= 2:
        out["expected_max_sharpe"] = expected_max_sharpe(n_trials, var_trials)
    if n >= 2 and math.isfinite(sr):
        out["psr"] = probabilistic_sharpe_ratio(sr, 0.0, n, skew, kurt)
        out["dsr"] = deflated_sharpe_ratio(sr, n_trials, var_trials, n, skew, kurt)
        out["min_track_record_length"] = min_track_record_length(sr, 0.0, skew, kurt)
    return out


def best_index(values: np.ndarray) -> int:
    """Index of the largest finite value (the first on ties; 0 when none is finite)."""
    return int(np.argmax(np.where(np.isfinite(values), values, -np.inf)))


def check_windows(train: int, test: int, n_bars: int | None = None) -> None:
    """Walk-forward windows need ``train >= 2``, ``test >= 1`` and ``train + test <= n_bars``."""
    if train < 2 or test < 1:
        msg = f"walk-forward needs train >= 2 and test >= 1 bars, got train={train}, test={test}"
        raise ConfigError(msg)
    if n_bars is not None and train + test > n_bars:
        msg = (
            f"walk-forward needs train + test = {train + test} bars but the data has {n_bars}; "
            "use a shorter train/test or a longer date range"
        )
        raise DataError(msg)


def check_objective(objective: str) -> None:
    if objective not in OBJECTIVES:
        msg = f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}"
        raise ConfigError(msg)


@dataclass(frozen=True)
class SweepChunk:
    """One task of a sweep: a slice of the parameter sets over the whole panel.

    The bars travel as ``panel`` (the data itself) or, for a sweep of lake bars, as ``source``: a
    :class:`~trade2026.lake.LakeSlice` the worker reads itself (once per process), so a task is a few
    hundred bytes however many bars and symbols it covers.
    """

    panel: Panel | None
    strategy: str
    params: list[Params]
    config: BacktestConfig
    cross_sectional: bool
    source: LakeSlice | None = None

    def bars(self) -> Panel:
        if self.panel is not None:
            return self.panel
        assert self.source is not None
        return self.source.panel()


def _sweep_chunk(task: SweepChunk) -> tuple[np.ndarray, ...]:
    panel = task.bars()
    targets = batch_positions(task.strategy, panel, task.params)
    sim = simulate(panel, targets, task.config, cross_sectional=task.cross_sectional)
    return sim.take_returns(), sim.turnover, sim.exposure, sim.fills


def as_panel(bars: Any) -> tuple[Panel, LakeSlice | None]:
    """The panel of ``bars`` (long frame, Panel or LakeSlice) and, for a LakeSlice, the slice pinned
    to its version (what the tasks carry instead of the panel)."""
    from trade2026.lake import LakeSlice

    if isinstance(bars, LakeSlice):
        source = bars.pinned()
        return source.panel(), source
    return (bars if isinstance(bars, Panel) else bars_panel(bars)), None


def run_sweep(
    bars: Any,
    strategy: str,
    grid: str | list[Params] | None = None,
    *,
    config: BacktestConfig | None = None,
    executor: str = "serial",
    ray_address: str | None = None,
    max_workers: int | None = None,
    max_chunk_mb: float = 64.0,
    progress: bool = False,
    **settings: Any,
) -> SweepResult:
    """Backtest every parameter set of ``grid`` (grid syntax or a list of parameter dicts).

    Returns a :class:`SweepResult` whose ``returns`` has one column per parameter set (the book of
    all symbols). ``executor``/``ray_address`` fan the chunks out (see ``trade2026.parallel``).
    ``bars`` is a long frame, a Panel or a :class:`~trade2026.lake.LakeSlice`; with a slice each
    worker reads the bars from the lake itself instead of receiving them in every task.
    """
    from trade2026.parallel import run_tasks

    strat = get_strategy(strategy)
    params = parse_grid(strat.name, grid) if grid is None or isinstance(grid, str) else list(grid)
    if not params:
        msg = "the parameter grid is empty"
        raise ConfigError(msg)
    panel, source = as_panel(bars)
    cfg = make_config(config, bars=panel, **settings)
    from trade2026.config import check_work

    check_work(
        "cells", len(params) * panel.n_bars, f"a sweep of {len(params):,} parameter sets x {panel.n_bars:,} bars"
    )
    announce_kernels(cfg, strat.kernels)
    per_set_mb = panel.n_bars * panel.n_symbols * 8 * 3 / 1e6  # targets + transposed copy + slack
    chunk = max(1, int(max_chunk_mb // max(per_set_mb, 1e-9)))
    if executor != "serial":
        workers = max_workers or 2
        chunk = min(chunk, max(1, math.ceil(len(params) / (4 * workers))))
    tasks = [
        SweepChunk(None if source else panel, strat.name, params[i : i + chunk], cfg, strat.cross_sectional, source)
        for i in range(0, len(params), chunk)
    ]
    parts = run_tasks(
        _sweep_chunk,
        tasks,
        executor=executor,
        ray_address=ray_address,
        max_workers=max_workers,
        progress=progress,
        description=f"sweep {strat.name}",
    )
    return SweepResult(
        strategy=strat.name,
        params=params,
        ts=panel.ts,
        returns=_join([p[0] for p in parts], axis=1),
        turnover=_join([p[1] for p in parts]),
        exposure=_join([p[2] for p in parts]),
        fills=_join([p[3] for p in parts]),
        config=cfg,
    )


def _join(arrays: list[np.ndarray], axis: int = 0) -> np.ndarray:
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=axis)


# ---------------------------------------------------------------------------------------------------
# Walk-forward


@dataclass(frozen=True)
class WalkForwardResult:
    """Per-window choices and metrics, and the stitched out-of-sample returns."""

    windows: list[dict[str, Any]]
    returns: pl.DataFrame  # ts, return (out-of-sample only, stitched)
    metrics: dict[str, float]
    walk_forward_efficiency: float
    objective: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "windows": self.windows,
            "oos_metrics": self.metrics,
            "walk_forward_efficiency": self.walk_forward_efficiency,
        }


def walk_forward(
    bars: Any,
    strategy: str,
    grid: str | list[Params] | None = None,
    *,
    train: int,
    test: int,
    anchored: bool = False,
    objective: str = "sharpe",
    config: BacktestConfig | None = None,
    sweep: SweepResult | None = None,
    executor: str = "serial",
    ray_address: str | None = None,
    **settings: Any,
) -> WalkForwardResult:
    """Walk-forward optimisation: choose parameters in-sample, trade them out-of-sample, stitch.

    Windows: the first ``train`` bars are in-sample, the next ``test`` bars out-of-sample, then
    both roll forward by ``test`` (``anchored``: in-sample always starts at bar 0). The choice made
    on window i's last in-sample close sets the position traded from its first out-of-sample bar,
    and the stitched positions run through the engine once (switching costs included).
    Walk-forward efficiency = annualised OOS return / mean annualised IS return of the chosen sets.
    """
    check_objective(objective)
    panel, source = as_panel(bars)
    cfg = make_config(config, bars=panel, **settings)
    n = panel.n_bars
    check_windows(train, test, n)
    if sweep is None:
        sweep = run_sweep(source or panel, strategy, grid, config=cfg, executor=executor, ray_address=ray_address)
    strat = get_strategy(sweep.strategy)
    windows: list[dict[str, Any]] = []
    starts = list(range(train, n, test))
    choice: list[int] = []
    for s in starts:
        lo = 0 if anchored else s - train
        e = min(s + test, n)
        is_m = sweep.metrics(lo, s)
        best = best_index(is_m[objective])
        choice.append(best)
        windows.append(
            {
                "train_start": panel.ts[lo],
                "train_end": panel.ts[s - 1],
                "test_start": panel.ts[s],
                "test_end": panel.ts[e - 1],
                "params": sweep.params[best],
                "is_sharpe": float(is_m["sharpe"][best]),
                "is_total_return": float(is_m["total_return"][best]),
                "is_cagr": float(is_m["cagr"][best]),
                "_range": (s, e),
            }
        )
    uniq = sorted(set(choice))
    pos = batch_positions(strat.name, panel, [sweep.params[i] for i in uniq])
    where = {u: j for j, u in enumerate(uniq)}
    target = np.zeros((n, panel.n_symbols))
    for s, best in zip(starts, choice, strict=True):
        e = min(s + test, n)
        target[s - 1 : e - 1] = pos[s - 1 : e - 1, :, where[best]]
    sim = simulate(panel, target[:, :, None], cfg, cross_sectional=strat.cross_sectional)
    r = sim.returns[:, 0]
    first = starts[0]
    oos = r[first:]
    ppy = cfg.annual_periods
    for w in windows:
        s, e = w.pop("_range")
        m = returns_metrics(r[s:e], ppy)
        w.update(oos_sharpe=m["sharpe"], oos_total_return=m["total_return"], oos_cagr=m["cagr"])
    metrics = returns_metrics(oos, ppy)
    is_ann = float(np.mean([w["is_cagr"] for w in windows]))
    wfe = metrics["cagr"] / is_ann if is_ann and math.isfinite(is_ann) and is_ann > 0 else math.nan
    return WalkForwardResult(
        windows=windows,
        returns=pl.DataFrame({"ts": panel.ts[first:], "return": oos}),
        metrics=metrics,
        walk_forward_efficiency=wfe,
        objective=objective,
    )


# ---------------------------------------------------------------------------------------------------
# Robustness


def neighborhood_stability(sweep: SweepResult, index: int, objective: str = "sharpe") -> dict[str, Any]:
    """The objective over the grid neighbours of ``index`` (every varying parameter within one grid step)."""
    check_objective(objective)
    vals = sweep.metrics()[objective]
    keys = [k for k in sweep.params[0] if len({p[k] for p in sweep.params}) > 1]
    levels = {k: sorted({p[k] for p in sweep.params}) for k in keys}
    pos = {k: {v: i for i, v in enumerate(levels[k])} for k in keys}
    me = sweep.params[index]
    neigh = [
        j
        for j, p in enumerate(sweep.params)
        if j != index
        and all(abs(pos[k][p[k]] - pos[k][me[k]]) <= 1 for k in keys)
        and all(p[k] == me[k] for k in p if k not in keys)
    ]
    v = float(vals[index])
    nv = vals[neigh] if neigh else np.array([])
    nv = nv[np.isfinite(nv)]
    mean = float(nv.mean()) if nv.size else math.nan
    return {
        "objective": objective,
        "value": v,
        "neighbors": len(neigh),
        "neighbor_mean": mean,
        "neighbor_min": float(nv.min()) if nv.size else math.nan,
        "stability": mean / v if nv.size and v not in (0.0,) and math.isfinite(v) else math.nan,
    }


# The cost model cost_sensitivity scales when the configured one has no costs at all (liquid large
# caps: 1 bp commission and 2 bps slippage per fill); scaling zero costs would print identical rows.
DEFAULT_SENSITIVITY_COSTS = {"commission_bps": 1.0, "slippage_bps": 2.0}


def cost_basis(config: BacktestConfig) -> str:
    """What :func:`cost_sensitivity` scales for ``config``: its own costs, or the default model when it has none."""
    if config.scaled_costs(0.0) != config:
        return "configured costs"
    model = " + ".join(f"{k.removesuffix('_bps')} {v:g} bps" for k, v in DEFAULT_SENSITIVITY_COSTS.items())
    return f"default costs ({model} per fill): the configured costs are zero"


def cost_sensitivity(
    bars: Any,
    strategy: str,
    params: Params,
    *,
    config: BacktestConfig | None = None,
    multipliers: tuple[float, ...] = (0.0, 1.0, 2.0, 4.0),
    **settings: Any,
) -> list[dict[str, Any]]:
    """Metrics of one parameter set with every cost multiplied by 0x, 1x, 2x and 4x.

    A configuration without any cost scales :data:`DEFAULT_SENSITIVITY_COSTS` instead (see
    :func:`cost_basis`), so the rows differ; each row names the commission and slippage it used.
    """
    panel = bars if isinstance(bars, Panel) else bars_panel(bars)
    cfg = make_config(config, bars=panel, **settings)
    if cfg.scaled_costs(0.0) == cfg:
        cfg = make_config(cfg, **DEFAULT_SENSITIVITY_COSTS)
    strat = get_strategy(strategy)
    targets = batch_positions(strat.name, panel, [params])
    rows = []
    for m in multipliers:
        scaled = cfg.scaled_costs(m)
        sim = simulate(panel, targets, scaled, cross_sectional=strat.cross_sectional)
        mm = returns_metrics(sim.returns[:, 0], cfg.annual_periods)
        rows.append(
            {
                "cost_multiplier": m,
                "total_return": mm["total_return"],
                "cagr": mm["cagr"],
                "sharpe": mm["sharpe"],
                "max_drawdown": mm["max_drawdown"],
                "commission_bps": scaled.commission_bps,
                "slippage_bps": scaled.slippage_bps,
            }
        )
    return rows


def robustness(
    returns: np.ndarray,
    *,
    bars: Any,
    strategy: str,
    params: Params,
    config: BacktestConfig,
    sweep: SweepResult | None = None,
    index: int | None = None,
    objective: str = "sharpe",
    n_boot: int = 500,
    seed: int = 0,
) -> dict[str, Any]:
    config = make_config(config, bars=bars)  # an unset periods_per_year from the bars
    out: dict[str, Any] = {
        "cost_sensitivity": cost_sensitivity(bars, strategy, params, config=config),
        "cost_basis": cost_basis(config),
    }
    r = returns[np.isfinite(returns)]
    if r.size >= 10:
        out["bootstrap"] = bootstrap_ci(r, periods_per_year=config.annual_periods, n_boot=n_boot, seed=seed)
    if sweep is not None and index is not None and sweep.n_trials > 1:
        out["neighborhood"] = neighborhood_stability(sweep, index, objective)
    return out
