"""Walk-forward training and evaluation: train per fold, never look at the test window, stitch once.

Each fold trains on a window of decision bars that ends before its test window, purged and
embargoed as in ``trade2026.validation``: a decision at bar t is a label spanning [t, t+1] (it
fills and is marked on bar t+1), so every training decision whose span reaches the test window's
first bar is purged, and ``embargo`` more bars are dropped before it. The training environment's
data end at the last training bar (nothing later exists in it); its scaler is fitted there and
frozen for the test window. The test windows' targets of each trial (a configuration and a seed)
are stitched and replayed through ``run_backtest`` once, over the whole out-of-sample span.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from trade2026.backtest import deflated_sharpe_ratio
from trade2026.core import moments
from trade2026.errors import ConfigError, DataError
from trade2026.rl._config import EnvConfig
from trade2026.rl._env import MarketData, market_data
from trade2026.rl._evaluate import DEFAULT_MOMENTUM, Baselines, backtest_targets, baselines, pick, rollout
from trade2026.rl._train import Agent, check_algo, policy_digest, train


@dataclass(frozen=True)
class Fold:
    """Bar indices of one fold: the training slice ``train_start:train_stop`` (its decisions are
    ``train_start + window - 1 .. train_stop - 2``) and the test decisions ``test_start..test_end``."""

    index: int
    train_start: int
    train_stop: int
    test_start: int
    test_end: int

    def to_dict(self) -> dict[str, int]:
        return {
            "fold": self.index,
            "train_start": self.train_start,
            "train_stop": self.train_stop,
            "test_start": self.test_start,
            "test_end": self.test_end,
        }


def walk_forward_folds(
    n_bars: int, first_decision: int, *, train: int, test: int, window: int, embargo: int = 0, anchored: bool = False
) -> list[Fold]:
    """Folds over ``n_bars`` bars whose first possible decision is at ``first_decision``.

    Parameters
    ----------
    train, test : int
        Decisions per training window (rolling; the first window's length when ``anchored``) and
        per test window.
    window : int
        The observation window: a training slice starts ``window - 1`` bars before its first decision.
    embargo : int
        Bars dropped between the purged training window and the test window.
    anchored : bool
        Expanding training windows from the first decision instead of rolling ones.

    Notes
    -----
    The decision at bar t fills and is marked on bar t+1, so its label spans [t, t+1]. The test
    window's decisions span [s, e+1]; a training decision is kept only when its span ends before
    s (t + 1 < s, the purge of Lopez de Prado 2018, 7.4.1), and then ``embargo`` bars before the purge
    point are dropped as well. The last bar of a training slice is therefore ``s - 1 - embargo``.
    """
    if train < 2 or test < 1 or embargo < 0 or window < 1:
        msg = f"walk-forward needs train >= 2, test >= 1, embargo >= 0, window >= 1; got {train, test, embargo, window}"
        raise ConfigError(msg)
    folds: list[Fold] = []
    s = first_decision + train + 1 + embargo
    while s <= n_bars - 2:
        e = min(s + test - 1, n_bars - 2)
        last = s - 1 - embargo  # last bar of the training slice: decisions end at last - 1 (span ends at last)
        first_dec = first_decision if anchored else last - train
        folds.append(Fold(len(folds), first_dec - (window - 1), last + 1, s, e))
        s = e + 1
    if not folds:
        need = first_decision + train + 1 + embargo + 2
        msg = (
            f"{n_bars} bars cannot make a walk-forward fold: {need} are needed for the warm-up, {train} training "
            f"decisions, the embargo and a test bar; give more bars or a shorter train window"
        )
        raise DataError(msg)
    return folds


@dataclass(frozen=True)
class TrialSpec:
    """One configuration of a walk-forward: algorithm, environment config and SB3 settings."""

    algo: str
    config: EnvConfig
    hyperparams: tuple[tuple[str, Any], ...] = ()

    def label(self) -> str:
        return f"{self.algo}/{self.config.reward}/{self.config.action}"


@dataclass(frozen=True)
class FoldTask:
    """One training: a fold of one configuration with one seed (run through ``run_tasks``)."""

    data: MarketData
    fold: Fold
    spec_index: int
    spec: TrialSpec
    seed: int
    timesteps: int
    n_envs: int
    net_arch: tuple[int, ...]


@dataclass(frozen=True)
class FoldOutcome:
    """What a fold's training gives back: its test-window targets, learning curve and the saved agent's
    files (bytes, so that a worker on another machine of a Ray cluster can send them back)."""

    fold: int
    spec_index: int
    seed: int
    targets: np.ndarray  # (test_end - test_start + 1, n_symbols)
    curve: dict[str, np.ndarray]
    agent_files: dict[str, bytes] = field(repr=False)
    digest: str
    fold_return: float
    terminated: bool


def run_fold(task: FoldTask) -> FoldOutcome:
    """Train on the fold's training slice, then act on its test window with the frozen scaler."""
    f, d = task.fold, task.data
    train_data = d.slice(f.train_start, f.train_stop)
    res = train(
        train_data,
        algo=task.spec.algo,
        timesteps=task.timesteps,
        seed=task.seed,
        n_envs=task.n_envs,
        hyperparams=dict(task.spec.hyperparams),
        net_arch=task.net_arch,
        meta={"fold": f.index, "data_start": d.ts[0]},
    )
    w = d.config.window
    lo = f.test_start - (w - 1)
    test = d.slice(lo, f.test_end + 2, scaler=train_data.scaler)
    targets, info = rollout(res.agent, test, f.test_start - lo, f.test_end + 1 - lo)
    with tempfile.TemporaryDirectory(prefix="t26-rl-fold-") as tmp:
        files = {p.name: p.read_bytes() for p in res.agent.save(tmp).iterdir()}
    return FoldOutcome(
        f.index,
        task.spec_index,
        task.seed,
        targets[f.test_start - lo : f.test_end + 1 - lo].copy(),
        res.curve,
        files,
        policy_digest(res.agent),
        info["equity"] / d.config.backtest.init_cash - 1.0,
        info["terminated"],
    )


def load_outcome_agent(outcome: FoldOutcome) -> Agent:
    """The agent a fold trained, rebuilt from the files its worker sent back."""
    with tempfile.TemporaryDirectory(prefix="t26-rl-agent-") as tmp:
        for name, data in outcome.agent_files.items():
            (Path(tmp) / name).write_bytes(data)
        return Agent.load(tmp)


@dataclass(frozen=True)
class Trial:
    """A configuration with one seed: its stitched out-of-sample backtest."""

    spec_index: int
    spec: TrialSpec
    seed: int
    metrics: dict[str, Any]
    returns: np.ndarray = field(repr=False)
    dsr: float = float("nan")


@dataclass(frozen=True)
class WalkForwardResult:
    """Every trial's stitched out-of-sample result, the baselines over the same bars, and the folds."""

    symbols: list[str]
    folds: list[Fold]
    ts: pl.Series = field(repr=False)
    trials: list[Trial]
    baselines: Baselines = field(repr=False)
    outcomes: list[FoldOutcome] = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)
    fold_rows: list[dict[str, Any]] = field(default_factory=list)
    run_id: str | None = None
    registered: list[dict[str, Any]] = field(default_factory=list)

    def spread(self) -> list[dict[str, Any]]:
        """Per configuration: the spread of the out-of-sample Sharpe and total return across seeds."""
        rows = []
        for i in sorted({t.spec_index for t in self.trials}):
            ts = [t for t in self.trials if t.spec_index == i]
            sh = np.array([t.metrics["sharpe"] for t in ts], dtype=float)
            tr = np.array([t.metrics["total_return"] for t in ts], dtype=float)
            rows.append(
                {
                    "config": ts[0].spec.label(),
                    "seeds": len(ts),
                    "sharpe_mean": _stat(np.mean, sh),
                    "sharpe_std": _stat(lambda x: np.std(x, ddof=1) if len(x) > 1 else 0.0, sh),
                    "sharpe_min": _stat(np.min, sh),
                    "sharpe_max": _stat(np.max, sh),
                    "total_return_mean": _stat(np.mean, tr),
                    "total_return_min": _stat(np.min, tr),
                    "total_return_max": _stat(np.max, tr),
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        mean_sharpe = _stat(np.mean, np.array([t.metrics["sharpe"] for t in self.trials], dtype=float))
        return {
            "run_id": self.run_id,
            "symbols": self.symbols,
            "oos_start": self.ts[0],
            "oos_end": self.ts[-1],
            "n_oos_bars": int(self.ts.len()),
            "n_trials": len(self.trials),
            "params": self.params,
            "folds": self.fold_rows,
            "trials": [
                {"config": t.spec.label(), "algo": t.spec.algo, "seed": t.seed, "dsr": t.dsr, **t.metrics}
                for t in self.trials
            ],
            "spread": self.spread(),
            "baselines": self.baselines.to_dict(mean_sharpe),
            "registered": self.registered,
        }


def _stat(fn: Any, x: np.ndarray) -> float:
    """``fn`` over the finite values of ``x`` (NaN when there are none: a flat policy has no Sharpe)."""
    x = x[np.isfinite(x)]
    return float(fn(x)) if len(x) else float("nan")


def _deflate(trials: list[Trial], n_obs: int) -> list[Trial]:
    """The deflated Sharpe ratio of every trial against the expected maximum of all trials' Sharpe."""
    sr = np.array([t.metrics.get("sharpe_per_period", np.nan) for t in trials], dtype=float)
    ok = np.isfinite(sr)
    var = float(np.var(sr[ok], ddof=1)) if ok.sum() > 1 else 0.0
    out = []
    for t, s in zip(trials, sr, strict=True):
        dsr = float("nan")
        if np.isfinite(s) and n_obs > 2:
            _, _, skew, kurt = moments(t.returns[1:])
            dsr = deflated_sharpe_ratio(float(s), len(trials), var, n_obs, float(skew), float(kurt))
        out.append(Trial(t.spec_index, t.spec, t.seed, t.metrics, t.returns, dsr))
    return out


def walk_forward(
    bars: Any,
    *,
    specs: list[TrialSpec] | None = None,
    algo: str = "ppo",
    config: EnvConfig | None = None,
    seeds: tuple[int, ...] | list[int] = (1,),
    train: int = 756,
    test: int = 126,
    embargo: int = 5,
    anchored: bool = False,
    timesteps: int = 20_000,
    n_envs: int = 8,
    net_arch: tuple[int, ...] = (64, 64),
    n_random: int = 100,
    momentum: str = DEFAULT_MOMENTUM,
    baseline_seed: int = 0,
    executor: str = "serial",
    ray_address: str | None = None,
    progress: bool = False,
    logger: Any = None,
    **settings: Any,
) -> WalkForwardResult:
    """Walk-forward RL: for every configuration, seed and fold, train on the fold's purged training
    window only and act on its test window; stitch each trial's test targets and backtest them once.

    Parameters
    ----------
    bars : DataFrame
        Long bars of the symbols to trade (features use all history up to each bar).
    specs : list of TrialSpec, optional
        The configurations; default one: ``algo`` with ``config`` (``settings`` override it).
    seeds : sequence of int
        Training seeds; trials = configurations x seeds, all counted by the deflated Sharpe ratio.
    train, test, embargo, anchored
        The folds (see :func:`walk_forward_folds`), in bars.
    n_random, momentum, baseline_seed
        The baselines over the stitched out-of-sample bars.
    executor, ray_address
        Where the trainings run (``trade2026.parallel.run_tasks``).
    logger : callable, optional
        ``logger(outcome, agent)`` is called in this process for each finished training (the
        tracking layer logs a child run and registers the model there).

    Returns
    -------
    WalkForwardResult
        No number in it was used to choose anything: the test windows are read only by the trained
        policies, after training.
    """
    from trade2026.parallel import run_tasks

    if not seeds:
        msg = "seeds must name at least one seed"
        raise ConfigError(msg)
    if specs is None:
        from trade2026.rl._config import make_env_config

        specs = [TrialSpec(algo, make_env_config(config, **settings))]
    datas: dict[str, MarketData] = {}
    for sp in specs:
        h = sp.config.config_hash()
        if h not in datas:
            datas[h] = market_data(bars, sp.config)
    first = next(iter(datas.values()))
    for sp in specs:
        check_algo(sp.algo, sp.config, first.n_symbols)
    window = max(sp.config.window for sp in specs)
    start_dec = max(d.first_start for d in datas.values())
    folds = walk_forward_folds(
        first.n_bars, start_dec, train=train, test=test, window=window, embargo=embargo, anchored=anchored
    )
    tasks = [
        FoldTask(datas[sp.config.config_hash()], f, i, sp, int(seed), timesteps, n_envs, tuple(net_arch))
        for i, sp in enumerate(specs)
        for seed in seeds
        for f in folds
    ]
    outcomes = run_tasks(
        run_fold, tasks, executor=executor, ray_address=ray_address, progress=progress, description="walk-forward"
    )
    if logger is not None:
        for o in outcomes:
            logger(o, load_outcome_agent(o))
    oos_start, oos_end = folds[0].test_start, folds[-1].test_end + 1
    trials = []
    k = first.n_symbols
    for i, sp in enumerate(specs):
        d = datas[sp.config.config_hash()]
        for seed in seeds:
            w = np.zeros((d.n_bars, k))
            for o in outcomes:
                if o.spec_index == i and o.seed == seed:
                    f = folds[o.fold]
                    w[f.test_start : f.test_end + 1] = o.targets
            res = backtest_targets(d, w, oos_start, oos_end)
            m = pick(res.metrics) | {"sharpe_per_period": res.metrics.get("sharpe_per_period")}
            trials.append(Trial(i, sp, int(seed), m, res.returns["return"].to_numpy()))
    n_obs = oos_end - oos_start + 1
    trials = _deflate(trials, n_obs)
    base = baselines(first, oos_start, oos_end, n_random=n_random, seed=baseline_seed, momentum=momentum)
    fold_rows = [
        {
            **f.to_dict(),
            "train_from": first.ts[f.train_start + window - 1],
            "train_to": first.ts[f.train_stop - 1],
            "test_from": first.ts[f.test_start],
            "test_to": first.ts[f.test_end],
        }
        for f in folds
    ]
    params = {
        "specs": [{"algo": sp.algo, "config_hash": sp.config.config_hash(), **sp.config.to_dict()} for sp in specs],
        "seeds": list(seeds),
        "train": train,
        "test": test,
        "embargo": embargo,
        "anchored": anchored,
        "timesteps": timesteps,
        "n_envs": n_envs,
        "net_arch": list(net_arch),
        "n_random": n_random,
        "momentum": momentum,
        "window": window,
    }
    return WalkForwardResult(
        list(first.symbols), folds, first.ts[oos_start : oos_end + 1], trials, base, outcomes, params, fold_rows
    )
