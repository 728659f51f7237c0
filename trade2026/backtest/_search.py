"""Searching a parameter space beyond the full grid: Optuna (TPE) or random search.

The space is a grid (:func:`parse_grid` syntax, its valid combinations); a search evaluates only
some of its points, in batches that run as one sweep (:func:`run_sweep`: every set of a batch in
one kernel call). Every distinct parameter set evaluated is kept, so the deflated Sharpe ratio and
PBO count all of them, not only the winner's neighbours. Under walk-forward each window runs its
own search on its in-sample bars; the windows' trials are pooled for the statistics.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from trade2026.backtest._engine import BacktestConfig, simulate
from trade2026.backtest._strategies import Params, batch_positions, get_strategy
from trade2026.backtest._sweep import SweepResult, WalkForwardResult, best_index, run_sweep
from trade2026.core import Panel, returns_metrics
from trade2026.errors import ConfigError

SEARCHES = ("optuna", "random")
#: how a search whose trials report intermediate values stops bad ones (``none``: never)
PRUNERS = ("median", "none")


@dataclass(frozen=True)
class SearchSpec:
    """How :func:`trade2026.backtest.evaluate` searches its grid instead of sweeping all of it.

    ``method`` is ``"optuna"`` (TPE sampler, seeded) or ``"random"`` (points drawn without
    replacement); ``trials`` the suggestions per search (per walk-forward window); ``storage`` an
    Optuna storage URL (``sqlite:///<home>/optuna.db`` from the CLI, so ``optuna-dashboard`` opens
    it; None keeps the study in memory); ``study`` its name (default ``backtest-<random>``);
    ``batch`` the suggestions evaluated together in one sweep.

    ``pruner`` stops trials that report bad intermediate values: ``"median"`` (Optuna's
    ``MedianPruner``: a trial below the median of the earlier trials at the same step, after
    ``prune_startup`` complete trials and from step ``prune_warmup`` on) or ``"none"``. It applies
    where a trial is evaluated step by step: a meta-label search's trials report each purged CV
    fold. A backtest search has nothing to prune: a trial's in-sample period is one column of a
    batched sweep, evaluated in the same kernel call as its batch.
    """

    method: str = "optuna"
    trials: int = 100
    seed: int = 0
    storage: str | None = None
    study: str | None = None
    batch: int = 8
    pruner: str = "median"
    prune_startup: int = 5
    prune_warmup: int = 1

    def __post_init__(self) -> None:
        if self.method not in SEARCHES:
            msg = f"unknown search {self.method!r}; choose one of {', '.join(SEARCHES)} (or sweep the whole grid)"
            raise ConfigError(msg)
        if isinstance(self.trials, bool) or self.trials < 1:
            msg = f"trials must be a whole number >= 1, got {self.trials!r}"
            raise ConfigError(msg)
        if self.batch < 1:
            msg = f"batch must be >= 1, got {self.batch!r}"
            raise ConfigError(msg)
        if self.pruner not in PRUNERS:
            msg = f"unknown pruner {self.pruner!r}; choose one of {', '.join(PRUNERS)}"
            raise ConfigError(msg)
        if self.prune_startup < 0 or self.prune_warmup < 0:
            msg = f"prune_startup and prune_warmup must be >= 0, got {self.prune_startup} and {self.prune_warmup}"
            raise ConfigError(msg)


@dataclass(frozen=True)
class SearchResult:
    """Every parameter set a search evaluated (``sweep``, one column each) and each search's pick.

    ``choices[i]`` indexes ``sweep.params``: the best in-sample set of search i (one search, or one
    per walk-forward window); ``n_invalid`` the suggestions the strategy rejects (fast >= slow: told to
    Optuna as pruned, no backtest run); ``n_suggested`` counts the suggestions (repeats and invalid points
    included), ``sweep.n_trials`` the distinct sets evaluated, which the statistics count.
    """

    spec: SearchSpec
    space_size: int
    sweep: SweepResult = field(repr=False)
    choices: list[int]
    n_suggested: int
    studies: list[str]
    n_invalid: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.spec.method,
            "trials_per_search": self.spec.trials,
            "searches": len(self.choices),
            "n_suggested": self.n_suggested,
            "n_invalid": self.n_invalid,
            "n_evaluated": self.sweep.n_trials,
            "space_size": self.space_size,
            "seed": self.spec.seed,
            "storage": self.spec.storage,
            "studies": self.studies,
        }


def _key(p: Params) -> tuple[Any, ...]:
    return tuple(sorted(p.items()))


class _Pool:
    """The distinct parameter sets evaluated so far and their book returns, in evaluation order."""

    def __init__(self, panel: Panel, strategy: str, config: BacktestConfig, executor: str, ray_address: str | None):
        self.panel, self.strategy, self.config = panel, strategy, config
        self.executor, self.ray_address = executor, ray_address
        self.index: dict[tuple[Any, ...], int] = {}
        self.params: list[Params] = []
        self.parts: list[SweepResult] = []

    def evaluate(self, batch: Sequence[Params]) -> list[int]:
        """Indices of ``batch`` in the pool, backtesting the sets not seen before as one sweep."""
        new = [p for p in dict.fromkeys(map(_key, batch)) if p not in self.index]
        if new:
            sets = [dict(k) for k in new]
            self.parts.append(
                run_sweep(
                    self.panel,
                    self.strategy,
                    sets,
                    config=self.config,
                    executor=self.executor,
                    ray_address=self.ray_address,
                )
            )
            for k, p in zip(new, sets, strict=True):
                self.index[k] = len(self.params)
                self.params.append(p)
        return [self.index[_key(p)] for p in batch]

    def values(self, objective: str, lo: int, hi: int) -> np.ndarray:
        return self.sweep().metrics(lo, hi)[objective]

    def sweep(self) -> SweepResult:
        parts = self.parts
        if len(parts) > 1:  # join once, then keep the joined result
            joined = SweepResult(
                strategy=parts[0].strategy,
                params=[p for s in parts for p in s.params],
                ts=parts[0].ts,
                returns=np.concatenate([s.returns for s in parts], axis=1),
                turnover=np.concatenate([s.turnover for s in parts]),
                exposure=np.concatenate([s.exposure for s in parts]),
                fills=np.concatenate([s.fills for s in parts]),
                config=parts[0].config,
            )
            self.parts = [joined]
        return self.parts[0]


def _random_search(pool: _Pool, space: list[Params], spec: SearchSpec, seed: int, lo: int, hi: int, obj: str) -> int:
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(space), size=min(spec.trials, len(space)), replace=False)
    idx = pool.evaluate([space[i] for i in picks])
    vals = pool.values(obj, lo, hi)[idx]
    return idx[best_index(vals)]


def _distributions(space: list[Params]) -> dict[str, Any]:
    """Optuna distributions of the varying keys: an int/float range with its step where the grid's
    levels are evenly spaced, else the levels as categories."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for k in space[0]:
        levels = sorted({p[k] for p in space}, key=lambda v: (str(type(v)), v))
        if len(levels) < 2:
            continue
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in levels)
        steps = np.diff(np.asarray(levels, dtype=float)) if numeric else np.array([])
        even = numeric and np.allclose(steps, steps[0])
        if even and all(isinstance(v, int) for v in levels):
            out[k] = IntDistribution(int(levels[0]), int(levels[-1]), step=int(steps[0]))
        elif even and math.isclose(round((levels[-1] - levels[0]) / steps[0]), (levels[-1] - levels[0]) / steps[0]):
            out[k] = FloatDistribution(float(levels[0]), float(levels[-1]), step=float(steps[0]))
        else:
            out[k] = CategoricalDistribution(levels)
    return out


def _optuna_search(
    pool: _Pool, space: list[Params], spec: SearchSpec, name: str, seed: int, lo: int, hi: int, obj: str
) -> tuple[int, int, int]:
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=name,
        storage=spec.storage,
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        load_if_exists=True,
    )
    dists = _distributions(space)
    valid = {_key(p): p for p in space}
    base = space[0]
    levels = {k: sorted({p[k] for p in space}) for k in dists if not isinstance(base[k], str)}

    def snap(k: str, v: Any) -> Any:  # a float step's 0.30000000000000004 is the grid's 0.3
        return min(levels[k], key=lambda lv: abs(lv - v)) if k in levels else v

    best, best_val, told, invalid = -1, -math.inf, 0, 0
    while told < spec.trials:
        trials = [study.ask(dists) for _ in range(min(spec.batch, spec.trials - told))]
        sets: list[Params | None] = []
        for t in trials:
            suggested = {**base, **{k: snap(k, v) for k, v in t.params.items()}}
            sets.append(valid.get(_key(suggested)))
        idx = pool.evaluate([p for p in sets if p is not None])
        vals = pool.values(obj, lo, hi)
        it = iter(idx)
        for t, chosen in zip(trials, sets, strict=True):
            told += 1
            if chosen is None:  # a combination the strategy rejects (fast >= slow): not a backtest
                study.tell(t, state=TrialState.PRUNED)
                invalid += 1
                continue
            i = next(it)
            v = float(vals[i])
            if math.isfinite(v):
                study.tell(t, v)
                if v > best_val:
                    best, best_val = i, v
            else:
                study.tell(t, state=TrialState.FAIL)
                if best < 0:
                    best = i
    if best < 0:  # every suggestion was invalid: fall back to the space's first point
        best = pool.evaluate([space[0]])[0]
    return best, told, invalid


def run_search(
    panel: Panel,
    strategy: str,
    space: list[Params],
    spec: SearchSpec,
    *,
    objective: str,
    config: BacktestConfig,
    ranges: Sequence[tuple[int, int]],
    executor: str = "serial",
    ray_address: str | None = None,
) -> SearchResult:
    """One search per ``(lo, hi)`` bar range, maximising ``objective`` over those bars.

    Parameters
    ----------
    panel : Panel
    strategy : str
        The strategy's name.
    space : list of dict
        The valid parameter sets (a parsed grid).
    spec : SearchSpec
    objective : str
        One of :data:`OBJECTIVES`, maximised.
    config : BacktestConfig
    ranges : sequence of (int, int)
        In-sample bar ranges ``[lo, hi)``: ``[(0, n_bars)]`` for the whole period, one per
        walk-forward window otherwise (search i is seeded ``seed + i``).
    executor, ray_address
        Where each batch's sweep runs.
    """
    pool = _Pool(panel, strategy, config, executor, ray_address)
    base = spec.study or f"backtest-{strategy}-{uuid.uuid4().hex[:8]}"
    studies: list[str] = []
    choices: list[int] = []
    suggested = invalid = 0
    for i, (lo, hi) in enumerate(ranges):
        seed = spec.seed + i
        if spec.method == "random":
            choices.append(_random_search(pool, space, spec, seed, lo, hi, objective))
            suggested += min(spec.trials, len(space))
        else:
            name = base if len(ranges) == 1 else f"{base}-w{i}"
            best, told, bad = _optuna_search(pool, space, spec, name, seed, lo, hi, objective)
            choices.append(best)
            suggested += told
            invalid += bad
            studies.append(name)
    return SearchResult(spec, len(space), pool.sweep(), choices, suggested, studies, invalid)


def window_starts(n_bars: int, train: int, test: int, anchored: bool) -> list[tuple[int, int, int]]:
    """``(in-sample start, out-of-sample start, out-of-sample end)`` of every walk-forward window,
    as :func:`walk_forward` lays them out."""
    return [(0 if anchored else s - train, s, min(s + test, n_bars)) for s in range(train, n_bars, test)]


def walk_forward_choices(
    panel: Panel,
    sweep: SweepResult,
    choices: Sequence[int],
    *,
    train: int,
    test: int,
    anchored: bool,
    objective: str,
    config: BacktestConfig,
) -> WalkForwardResult:
    """Walk-forward with each window's parameter set given (``choices``, indices into ``sweep``).

    The same layout, stitching and metrics as :func:`walk_forward`, which chooses by the whole
    sweep's in-sample metrics instead (a test checks the two agree when the choices are its own).
    """
    strat = get_strategy(sweep.strategy)
    n = panel.n_bars
    wins = window_starts(n, train, test, anchored)
    windows: list[dict[str, Any]] = []
    for (lo, s, e), best in zip(wins, choices, strict=True):
        is_m = sweep.metrics(lo, s)
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
            }
        )
    uniq = sorted(set(choices))
    pos = batch_positions(strat.name, panel, [sweep.params[i] for i in uniq])
    where = {u: j for j, u in enumerate(uniq)}
    target = np.zeros((n, panel.n_symbols))
    for (_, s, e), best in zip(wins, choices, strict=True):
        target[s - 1 : e - 1] = pos[s - 1 : e - 1, :, where[best]]
    sim = simulate(panel, target[:, :, None], config, cross_sectional=strat.cross_sectional)
    r = sim.returns[:, 0]
    first = wins[0][1]
    ppy = config.annual_periods
    for w, (_, s, e) in zip(windows, wins, strict=True):
        m = returns_metrics(r[s:e], ppy)
        w.update(oos_sharpe=m["sharpe"], oos_total_return=m["total_return"], oos_cagr=m["cagr"])
    metrics = returns_metrics(r[first:], ppy)
    is_ann = float(np.mean([w["is_cagr"] for w in windows]))
    wfe = metrics["cagr"] / is_ann if is_ann and math.isfinite(is_ann) and is_ann > 0 else math.nan
    return WalkForwardResult(
        windows=windows,
        returns=pl.DataFrame({"ts": panel.ts[first:], "return": r[first:]}),
        metrics=metrics,
        walk_forward_efficiency=wfe,
        objective=objective,
    )


__all__ = ["PRUNERS", "SEARCHES", "SearchResult", "SearchSpec", "run_search", "walk_forward_choices", "window_starts"]
