"""``TradingVecEnv``: many trading environments over one dataset, stepped in one numba call.

It implements stable-baselines3's ``VecEnv`` (auto-reset, ``terminal_observation``,
``TimeLimit.truncated``, a Monitor-style ``episode`` entry at each episode's end), so SB3's
algorithms train on it directly. Env e draws its episodes from its own generator, seeded by
``seed()``/``reset`` exactly as ``TradingEnv.reset(seed=...)`` seeds one: with the same seeds it
gives the same trajectories as a ``DummyVecEnv`` of ``TradingEnv`` over the same data.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.utils import seeding
from stable_baselines3.common.vec_env import VecEnv

from trade2026.errors import ConfigError
from trade2026.rl import _kernels as K
from trade2026.rl._env import (
    MarketData,
    draw_episode,
    episode_bounds,
    kernel_params,
    market_data,
    obs_dim_of,
    spaces_for,
)


class TradingVecEnv(VecEnv):
    """``n_envs`` trading environments over the same bars, stepped together.

    Parameters
    ----------
    data : MarketData or DataFrame
        Prepared data (:func:`market_data`) or canonical long bars (``config``/``settings`` apply).
    n_envs : int
        Environments in the batch.

    Notes
    -----
    ``set_options({"start": ..., "end": ...})`` before ``reset()`` runs explicit episodes (every
    auto-reset repeats them); otherwise each env draws its episodes with :func:`draw_episode`.
    Observations are new float32 arrays of shape (n_envs, obs_dim) each step.
    """

    def __init__(self, data: Any, n_envs: int = 8, *, config: Any = None, scaler: Any = None, **settings: Any) -> None:
        if n_envs < 1:
            msg = f"n_envs must be >= 1, got {n_envs}"
            raise ConfigError(msg)
        if not isinstance(data, MarketData):
            data = market_data(data, config, scaler=scaler, **settings)
        self.data = data
        self.config = data.config
        k = data.n_symbols
        self._obs_dim = obs_dim_of(data)
        obs_space, act_space = spaces_for(data)
        self.render_mode = None
        super().__init__(n_envs, obs_space, act_space)
        self._params = kernel_params(self.config, k)
        self._istate = np.zeros((n_envs, K.N_ISTATE), dtype=np.int64)
        self._fstate = np.zeros((n_envs, K.N_HEAD + K.N_BLOCKS * k))
        n_act = act_space.shape[0] if act_space.shape else 1
        self._act = np.zeros((n_envs, max(n_act, 1)))
        self._term_obs = np.zeros(n_envs * self._obs_dim, dtype=np.float32)
        # each env's last targets, equity (before auto-reset), episode reward and length so far
        self._hist = np.zeros((n_envs, k + 3))
        self._k = k
        self._rew_col, self._flag_col = self._fstate[:, K.REWARD], self._fstate[:, K.FLAG]  # views
        self._rngs: list[np.random.Generator | None] = [None] * n_envs
        self._explicit: list[tuple[int, int] | None] = [None] * n_envs
        self._actions: np.ndarray | None = None
        self._t0 = time.time()

    # -- episodes --------------------------------------------------------------------------------
    def _draw(self, e: int) -> tuple[int, int]:
        fixed = self._explicit[e]
        if fixed is not None:
            return fixed
        rng = self._rngs[e]
        assert rng is not None
        return draw_episode(rng, self.data)

    def reset(self) -> np.ndarray:
        obs = np.empty(self.num_envs * self._obs_dim, dtype=np.float32)
        d = self.data
        for e in range(self.num_envs):
            seed = self._seeds[e]
            if seed is not None or self._rngs[e] is None:
                self._rngs[e], _ = seeding.np_random(seed)
            opts = self._options[e] or {}
            self._explicit[e] = (
                episode_bounds(d, opts.get("start"), opts.get("end")) if ("start" in opts or "end" in opts) else None
            )
            start, end = self._draw(e)
            K.reset_nb(d.prices, d.features, self._params, self._istate, self._fstate, e, start, end, obs)
            self._istate[e, K.I_NEXT_START], self._istate[e, K.I_NEXT_END] = self._draw(e)
            self.reset_infos[e] = {"equity": float(self._fstate[e, K.EQUITY]), "bar": start}
        self._hist[:, self._k + 1 :] = 0.0
        self._reset_seeds()
        self._reset_options()
        return obs.reshape(self.num_envs, self._obs_dim)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        n = self.num_envs
        self._act[:] = np.asarray(self._actions).reshape(n, -1)
        obs = np.empty(n * self._obs_dim, dtype=np.float32)
        d = self.data
        n_done = K.step_nb(
            d.prices, d.features, self._params, self._istate, self._fstate, self._act, obs, self._term_obs, self._hist
        )
        rewards = self._rew_col.astype(np.float32)
        dones = self._flag_col != 0.0
        infos: list[dict[str, Any]] = [{} for _ in range(n)]
        if n_done:
            dim, k, hist = self._obs_dim, self._k, self._hist
            for e in map(int, np.flatnonzero(dones)):
                infos[e] = {
                    "terminal_observation": self._term_obs[e * dim : (e + 1) * dim].copy(),
                    "TimeLimit.truncated": bool(self._flag_col[e] == K.TRUNCATED),
                    "episode": {
                        "r": float(hist[e, k + 1]),
                        "l": int(hist[e, k + 2]),
                        "t": round(time.time() - self._t0, 6),
                    },
                    "equity_return": float(hist[e, k] / self._params[K.P_INIT] - 1.0),
                }
                hist[e, k + 1 :] = 0.0
                self._istate[e, K.I_NEXT_START], self._istate[e, K.I_NEXT_END] = self._draw(e)
        return obs.reshape(n, self._obs_dim), rewards, dones, infos

    # -- inspection ------------------------------------------------------------------------------
    @property
    def equity(self) -> np.ndarray:
        """Equity of every env at its current bar, shape (n_envs,)."""
        return self._fstate[:, K.EQUITY].copy()

    @property
    def last_equity(self) -> np.ndarray:
        """Equity of every env at the close its last step reached, before any auto-reset, shape (n_envs,)."""
        return self._hist[:, self._k].copy()

    @property
    def last_weights(self) -> np.ndarray:
        """The target weights every env registered at its last step, shape (n_envs, n_symbols)."""
        return self._hist[:, : self._k].copy()

    @property
    def bars(self) -> np.ndarray:
        """Current bar of every env, shape (n_envs,)."""
        return self._istate[:, 0].copy()

    # -- the rest of SB3's VecEnv API --------------------------------------------------------------
    def close(self) -> None:
        return None

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        value = getattr(self, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any) -> list[Any]:
        fn = getattr(self, method_name)
        return [fn(*method_args, **method_kwargs) for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None for _ in range(self.num_envs)]
