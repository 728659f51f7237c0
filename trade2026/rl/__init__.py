"""Reinforcement-learning trading agents that are honest out of sample.

:class:`TradingEnv` is a gymnasium environment over bars (lake tables, PRISM runs, any long bars
frame) with the backtest engine's timing and costs; :class:`TradingVecEnv` steps a batch of them
in one numba call and implements stable-baselines3's ``VecEnv``. :func:`train` fits an SB3 agent,
:func:`walk_forward` trains per purged, embargoed fold and stitches the out-of-sample positions
through ``run_backtest`` once, against buy-and-hold, a random policy's distribution and momentum;
:func:`evaluate` runs a saved or registered model on new bars.

gymnasium, stable-baselines3 and torch come with the ``rl`` extra (``pip install trade2026[rl]``);
torch loads only when an agent is trained or loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trade2026.rl._config import ACTIONS, REWARDS, EnvConfig, make_env_config
    from trade2026.rl._env import MarketData, TradingEnv, market_data
    from trade2026.rl._evaluate import Baselines, EvalResult, baselines, evaluate, plot_evaluation, rollout
    from trade2026.rl._features import FeatureScaler, parse_feature
    from trade2026.rl._runs import TrainRun, eval_run, list_models, load_bars, train_run, walk_forward_run
    from trade2026.rl._train import ALGOS, Agent, TrainResult, load_agent, policy_digest, train
    from trade2026.rl._vecenv import TradingVecEnv
    from trade2026.rl._walkforward import Fold, TrialSpec, WalkForwardResult, walk_forward, walk_forward_folds

_NAMES = {
    "ACTIONS": "_config",
    "ALGOS": "_train",
    "Agent": "_train",
    "Baselines": "_evaluate",
    "EvalResult": "_evaluate",
    "TrainResult": "_train",
    "TrainRun": "_runs",
    "eval_run": "_runs",
    "list_models": "_runs",
    "load_bars": "_runs",
    "train_run": "_runs",
    "walk_forward_run": "_runs",
    "baselines": "_evaluate",
    "evaluate": "_evaluate",
    "load_agent": "_train",
    "plot_evaluation": "_evaluate",
    "policy_digest": "_train",
    "rollout": "_evaluate",
    "train": "_train",
    "EnvConfig": "_config",
    "FeatureScaler": "_features",
    "Fold": "_walkforward",
    "TrialSpec": "_walkforward",
    "WalkForwardResult": "_walkforward",
    "walk_forward": "_walkforward",
    "walk_forward_folds": "_walkforward",
    "MarketData": "_env",
    "REWARDS": "_config",
    "TradingEnv": "_env",
    "TradingVecEnv": "_vecenv",
    "make_env_config": "_config",
    "market_data": "_env",
    "parse_feature": "_features",
}

__all__ = [
    "ACTIONS",
    "ALGOS",
    "Agent",
    "Baselines",
    "EnvConfig",
    "EvalResult",
    "FeatureScaler",
    "Fold",
    "MarketData",
    "REWARDS",
    "TradingEnv",
    "TradingVecEnv",
    "TrainResult",
    "TrainRun",
    "TrialSpec",
    "WalkForwardResult",
    "baselines",
    "eval_run",
    "evaluate",
    "list_models",
    "load_agent",
    "load_bars",
    "make_env_config",
    "market_data",
    "parse_feature",
    "plot_evaluation",
    "policy_digest",
    "rollout",
    "train",
    "train_run",
    "walk_forward",
    "walk_forward_folds",
    "walk_forward_run",
]


def __getattr__(name: str) -> Any:
    mod = _NAMES.get(name)
    if mod is None:
        msg = f"module 'trade2026.rl' has no attribute {name!r}"
        raise AttributeError(msg)
    if mod not in ("_config", "_features"):
        from trade2026.rl._deps import require_rl

        require_rl()
    return getattr(importlib.import_module(f"trade2026.rl.{mod}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
