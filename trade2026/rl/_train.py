"""Training stable-baselines3 agents on the trading environments, and the saved agent bundle.

An :class:`Agent` is the SB3 policy plus everything needed to rebuild its observations on new
bars: the environment config, the frozen feature scaler fitted on its training data, the symbols
and the training window. :meth:`Agent.save` writes ``model.zip`` and ``agent.json`` to a directory
(the MLflow artifact that the model registry points at).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trade2026.errors import ConfigError, DataError, NotFoundError
from trade2026.rl._config import EnvConfig
from trade2026.rl._env import MarketData, TradingEnv, market_data
from trade2026.rl._features import FeatureScaler

ALGOS = ("ppo", "a2c", "dqn", "sac")
VEC_KINDS = ("native", "dummy", "subproc")
AGENT_FILE = "agent.json"
MODEL_FILE = "model.zip"


def _algo_class(algo: str) -> Any:
    import stable_baselines3 as sb3

    return {"ppo": sb3.PPO, "a2c": sb3.A2C, "dqn": sb3.DQN, "sac": sb3.SAC}[algo]


def check_algo(algo: str, config: EnvConfig, n_symbols: int) -> None:
    """DQN needs one discrete action, SAC a continuous one; PPO and A2C take every action space."""
    if algo not in ALGOS:
        msg = f"algo must be one of {', '.join(ALGOS)}, got {algo!r}"
        raise ConfigError(msg)
    if algo == "dqn" and (config.action != "discrete" or n_symbols != 1):
        msg = "dqn needs action='discrete' over one symbol (a Discrete space); use ppo or a2c for several symbols"
        raise ConfigError(msg)
    if algo == "sac" and config.action == "discrete":
        msg = "sac needs a continuous action space: action='continuous' or 'weights'"
        raise ConfigError(msg)


def default_hyperparams(algo: str, n_envs: int, timesteps: int) -> dict[str, Any]:
    """Small-network defaults sized to the run (rollouts of about 2048 steps across the envs)."""
    if algo == "ppo":
        n_steps = max(16, min(2048, timesteps) // n_envs)
        return {"n_steps": n_steps, "batch_size": min(64, n_steps * n_envs), "n_epochs": 10, "learning_rate": 3e-4}
    if algo == "a2c":
        return {"n_steps": 5, "learning_rate": 7e-4}
    learning_starts = min(1000, max(timesteps // 10, 1))
    if algo == "dqn":
        return {
            "learning_starts": learning_starts,
            "buffer_size": 50_000,
            "exploration_fraction": 0.3,
            "target_update_interval": 500,
            "train_freq": 4,
        }
    return {"learning_starts": learning_starts, "buffer_size": 50_000, "batch_size": 256}


@dataclass
class Agent:
    """A trained policy and what rebuilds its observations: config, frozen scaler, symbols, metadata."""

    model: Any = field(repr=False)
    algo: str
    config: EnvConfig
    scaler: FeatureScaler = field(repr=False)
    symbols: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    def act(self, obs: np.ndarray) -> Any:
        """The deterministic action for one observation (or a batch)."""
        action, _ = self.model.predict(obs, deterministic=True)
        return action

    def describe(self) -> dict[str, Any]:
        return {
            "algo": self.algo,
            "symbols": list(self.symbols),
            "config": self.config.to_dict(),
            "config_hash": self.config.config_hash(),
            "scaler": self.scaler.to_dict(),
            "meta": self.meta,
        }

    def save(self, path: str | Path) -> Path:
        """Write ``model.zip`` and ``agent.json`` into directory ``path``."""
        from trade2026._json import dumps

        d = Path(path)
        d.mkdir(parents=True, exist_ok=True)
        self.model.save(str(d / MODEL_FILE))
        (d / AGENT_FILE).write_text(dumps(self.describe(), indent=2), encoding="utf-8")
        return d

    @classmethod
    def load(cls, path: str | Path) -> Agent:
        d = Path(path)
        meta_file = d / AGENT_FILE
        if not meta_file.exists():
            msg = f"{d} is not a saved agent (no {AGENT_FILE}); save one with Agent.save or `t26 rl train`"
            raise NotFoundError(msg)
        info = json.loads(meta_file.read_text(encoding="utf-8"))
        algo = info["algo"]
        model = _algo_class(algo).load(str(d / MODEL_FILE), device="cpu")
        return cls(
            model,
            algo,
            EnvConfig.from_dict(info["config"]),
            FeatureScaler.from_dict(info["scaler"]),
            list(info["symbols"]),
            dict(info.get("meta") or {}),
        )


def load_agent(ref: str | Path, *, settings: Any = None) -> Agent:
    """An agent from a directory written by :meth:`Agent.save`, or from the MLflow model registry by
    name (``name``, ``name@alias``, ``name/version``)."""
    p = Path(ref)
    if p.is_dir():
        agent = Agent.load(p)
        agent.meta.setdefault("source", str(p))
        return agent
    import tempfile

    from trade2026 import tracking

    tmp = tempfile.mkdtemp(prefix="t26-agent-")
    local, row = tracking.download_model(str(ref), tmp, settings, kind="rl")
    agent = Agent.load(local)
    agent.meta["registered"] = {k: row[k] for k in ("name", "version", "run_id", "aliases")}
    return agent


@dataclass(frozen=True)
class TrainResult:
    """A trained agent and its learning curve (one point per finished training episode)."""

    agent: Agent
    curve: dict[str, np.ndarray] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        c = self.curve
        n = len(c["step"])
        tail = slice(max(0, n - 20), n)
        return {
            "algo": self.agent.algo,
            "seed": self.agent.meta.get("seed"),
            "timesteps": self.agent.meta.get("timesteps"),
            "episodes": n,
            "final_episode_reward": float(np.mean(c["episode_reward"][tail])) if n else None,
            "final_episode_return": float(np.mean(c["episode_return"][tail])) if n else None,
        }


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _callback(timesteps: int, progress: bool) -> Any:
    from stable_baselines3.common.callbacks import BaseCallback

    class CurveCallback(BaseCallback):
        """Records every finished episode; draws a progress bar on stderr when it is a terminal."""

        def __init__(self) -> None:
            super().__init__()
            self.rows: list[tuple[int, float, float, int]] = []
            self._bar: Any = None

        def _on_training_start(self) -> None:
            if progress and sys.stderr.isatty():
                from rich.console import Console
                from rich.progress import Progress

                self._bar = Progress(console=Console(stderr=True), transient=True)
                self._bar.start()
                self._task = self._bar.add_task("training", total=timesteps)

        def _on_step(self) -> bool:
            for info in self.locals.get("infos", ()):
                ep = info.get("episode")
                if ep is not None:
                    self.rows.append(
                        (
                            int(self.num_timesteps),
                            float(ep["r"]),
                            float(info.get("equity_return", np.nan)),
                            int(ep["l"]),
                        )
                    )
            if self._bar is not None:
                self._bar.update(self._task, completed=self.num_timesteps)
            return True

        def _on_training_end(self) -> None:
            if self._bar is not None:
                self._bar.stop()

    return CurveCallback()


def make_vec_env(data: MarketData, n_envs: int, vec: str = "native") -> Any:
    """``n_envs`` environments over ``data``: the batched :class:`TradingVecEnv`, or SB3's
    ``DummyVecEnv``/``SubprocVecEnv`` of Monitor-wrapped :class:`TradingEnv`."""
    if vec not in VEC_KINDS:
        msg = f"vec must be one of {', '.join(VEC_KINDS)}, got {vec!r}"
        raise ConfigError(msg)
    if vec == "native":
        from trade2026.rl._vecenv import TradingVecEnv

        return TradingVecEnv(data, n_envs)
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    fns: list[Any] = [_MonitoredEnv(data) for _ in range(n_envs)]
    if vec == "dummy":
        return DummyVecEnv(fns)
    return SubprocVecEnv(fns, start_method="spawn")


@dataclass(frozen=True)
class _MonitoredEnv:
    """A picklable factory of a Monitor-wrapped :class:`TradingEnv` (for SB3's vector envs)."""

    data: MarketData

    def __call__(self) -> Any:
        from stable_baselines3.common.monitor import Monitor

        return Monitor(TradingEnv(data=self.data))


def _make_model(algo: str, venv: Any, seed: int, policy_kwargs: dict[str, Any], kw: dict[str, Any]) -> Any:
    import inspect

    cls = _algo_class(algo)
    accepted = set(inspect.signature(cls.__init__).parameters)
    unknown = sorted(set(kw) - accepted)
    if unknown:
        msg = f"{algo} has no setting(s) {', '.join(unknown)}; see stable-baselines3's {cls.__name__} for its settings"
        raise ConfigError(msg)
    return cls("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, policy_kwargs=policy_kwargs, **kw)


def train(
    data: Any,
    *,
    algo: str = "ppo",
    timesteps: int = 20_000,
    seed: int = 0,
    n_envs: int = 8,
    config: EnvConfig | None = None,
    hyperparams: dict[str, Any] | None = None,
    net_arch: tuple[int, ...] = (64, 64),
    vec: str = "native",
    progress: bool = False,
    meta: dict[str, Any] | None = None,
    **settings: Any,
) -> TrainResult:
    """Train an SB3 agent on training data only.

    Parameters
    ----------
    data : MarketData or DataFrame
        The training fold (:func:`market_data` / :meth:`MarketData.slice`, whose scaler was fitted
        on it), or long bars that are all training data.
    algo : {"ppo", "a2c", "dqn", "sac"}
    timesteps : int
        Environment steps in total (across the ``n_envs`` environments).
    seed : int
        Seeds SB3 (its own generators, torch, and - SB3's own doing - numpy's global generator its
        buffers draw from) and every environment's ``reset`` generator: the same seed gives the
        same weights on CPU (torch runs on one thread here).
    hyperparams : dict, optional
        Keyword arguments of the SB3 algorithm, over :func:`default_hyperparams`.
    vec : {"native", "dummy", "subproc"}
        The batched vector env (default) or SB3's.
    """
    if not isinstance(data, MarketData):
        data = market_data(data, config, **settings)
    cfg = data.config
    check_algo(algo, cfg, data.n_symbols)
    if timesteps < 1 or n_envs < 1:
        msg = f"timesteps and n_envs must be >= 1, got {timesteps} and {n_envs}"
        raise ConfigError(msg)
    if data.last_bar - data.first_start < 2:
        msg = "the training data leave fewer than 2 decisions after the warm-up; give more bars"
        raise DataError(msg)
    kw = {**default_hyperparams(algo, n_envs, timesteps), **(hyperparams or {})}
    policy_kwargs = {"net_arch": list(net_arch)}
    with _torch_threads(1):
        venv = make_vec_env(data, n_envs, vec)
        try:
            model = _make_model(algo, venv, seed, policy_kwargs, kw)
            cb = _callback(timesteps, progress)
            model.learn(total_timesteps=timesteps, callback=cb, progress_bar=False)
        finally:
            venv.close()
    rows = np.array(cb.rows, dtype=np.float64).reshape(-1, 4)
    curve = {
        "step": rows[:, 0].astype(np.int64),
        "episode_reward": rows[:, 1],
        "episode_return": rows[:, 2],
        "episode_length": rows[:, 3].astype(np.int64),
    }
    info = {
        "seed": seed,
        "timesteps": timesteps,
        "n_envs": n_envs,
        "vec": vec,
        "hyperparams": kw,
        "net_arch": list(net_arch),
        "train_start": data.ts[data.first_start],
        "train_end": data.ts[-1],
        "n_train_bars": data.n_bars,
        **(meta or {}),
    }
    agent = Agent(model, algo, cfg, data.scaler, list(data.symbols), info)
    return TrainResult(agent, curve)


def policy_digest(agent: Agent) -> str:
    """A hash of the policy's weights (equal digests: identical trained weights)."""
    import hashlib

    h = hashlib.sha256()
    for name, tensor in sorted(agent.model.policy.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]
