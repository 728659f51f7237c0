"""TradingEnv's API: both check_env's for every action space, spaces, fresh arrays, seeding, bounds."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from tests.rl.conftest import synthetic_bars
from trade2026.errors import ConfigError, DataError, InputError, NotFoundError
from trade2026.rl import TradingEnv, make_env_config, market_data

ACTION_CASES = [
    ("discrete", 1, {}),
    ("discrete", 3, {}),
    ("continuous", 1, {}),
    ("continuous", 3, {}),
    ("weights", 3, {"long_only": True}),
    ("weights", 3, {"long_only": False, "gross": 1.5}),
]


@pytest.mark.parametrize(("action", "k", "extra"), ACTION_CASES)
@pytest.mark.parametrize("reward", ["log_return", "dsr", "risk_penalised"])
def test_gymnasium_and_sb3_check_env_pass(action: str, k: int, extra: dict, reward: str) -> None:
    syms = ("AAA", "BBB", "CCC")[:k]
    bars = synthetic_bars(160, syms, seed=3, late=40 if k > 1 else 0)
    data = market_data(bars, action=action, reward=reward, episode_length=50, commission_bps=5, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any checker warning fails the test
        gym_check_env(TradingEnv(data=data), skip_render_check=True)  # no render modes to check
        sb3_check_env(TradingEnv(data=data), warn=True)


@pytest.mark.parametrize(("action", "k", "extra"), ACTION_CASES)
def test_action_spaces(action: str, k: int, extra: dict) -> None:
    data = market_data(synthetic_bars(120, ("AAA", "BBB", "CCC")[:k]), action=action, **extra)
    space = TradingEnv(data=data).action_space
    if action == "discrete":
        assert isinstance(space, gym.spaces.Discrete if k == 1 else gym.spaces.MultiDiscrete)
    else:
        assert isinstance(space, gym.spaces.Box)
        assert space.low.min() == -1 and space.high.max() == 1
        width = k + 1 if (action == "weights" and extra.get("long_only")) else k
        assert space.shape == (width,)


def test_weights_follow_the_action_constraints(bars3) -> None:
    rng = np.random.default_rng(0)
    simplex = TradingEnv(data=market_data(bars3, action="weights"))
    simplex.reset(options={"start": 100})
    ls = TradingEnv(data=market_data(bars3, action="weights", long_only=False, gross=1.5))
    ls.reset(options={"start": 100})
    cont = TradingEnv(data=market_data(bars3, action="continuous"))
    cont.reset(options={"start": 100})
    for _ in range(50):
        w = simplex.weights(rng.uniform(-1, 1, 4))
        assert (w >= 0).all() and w.sum() <= 1 + 1e-12
        w = ls.weights(rng.uniform(-1, 1, 3))
        assert np.abs(w).sum() <= 1.5 + 1e-12
        w = cont.weights(rng.uniform(-1, 1, 3))
        assert (np.abs(w) <= 1 / 3 + 1e-12).all()  # equal capital per symbol
    assert simplex.weights(-np.ones(4)).sum() == 0  # all cash


def test_a_symbol_not_yet_listed_gets_no_weight(bars3) -> None:
    env = TradingEnv(data=market_data(bars3, action="continuous"))
    env.reset(options={"start": 40})  # CCC lists at bar 60
    assert np.isnan(env.data.close[40, 2])
    assert env.weights(np.ones(3))[2] == 0.0


def test_observations_are_fresh_float32_arrays(bars1) -> None:
    env = TradingEnv(bars1, features=("ret_20", "rsi_14"), window=8)
    obs0, _ = env.reset(seed=0)
    obs1, *_ = env.step(2)
    obs2, *_ = env.step(0)
    for o in (obs0, obs1, obs2):
        assert o.dtype == np.float32 and o.flags.owndata and o.shape == env.observation_space.shape
        assert not np.shares_memory(o, env.data.features)
    assert not np.shares_memory(obs1, obs2)
    obs1[:] = 99.0  # the caller may scribble on it: the env is unaffected
    assert not (env.data.features == 99.0).any()
    # layout: window rows of (symbol x feature), then position weights, then the cash share
    t = env.bar
    np.testing.assert_array_equal(obs2[: 8 * 2], env.data.features[t - 7 : t + 1].ravel())
    assert obs2[-2] == pytest.approx(-1.0, rel=0.05)  # short 1 after the flip ...
    assert obs2[-1] == pytest.approx(2.0, rel=0.05)  # ... holding its proceeds in cash


def test_position_and_cash_share_in_the_observation(bars1) -> None:
    env = TradingEnv(bars1)
    env.reset(options={"start": 60})
    obs, *_ = env.step(2)  # long 1: fills at the next open, marked at its close
    assert obs[-2] == pytest.approx(1.0, rel=0.05)
    assert obs[-1] == pytest.approx(0.0, abs=1e-9)
    obs, *_ = env.step(1)  # flat
    assert obs[-2] == 0.0 and obs[-1] == pytest.approx(1.0)


def test_reset_seed_reproduces_and_different_seeds_differ(bars1) -> None:
    data = market_data(bars1, episode_length=50)
    a, b = TradingEnv(data=data), TradingEnv(data=data)
    starts = set()
    for seed in range(6):
        oa, ia = a.reset(seed=seed)
        ob, ib = b.reset(seed=seed)
        np.testing.assert_array_equal(oa, ob)
        assert ia == ib
        starts.add(ia["bar"])
    assert len(starts) > 1


def test_episode_ends_truncated_and_stepping_past_it_raises(bars1) -> None:
    env = TradingEnv(bars1)
    env.reset(options={"start": 250, "end": 255})
    flags = [env.step(1)[2:4] for _ in range(5)]
    assert flags[-1] == (False, True) and all(f == (False, False) for f in flags[:-1])
    with pytest.raises(DataError, match="past the episode's last bar"):
        env.step(1)


def test_ruin_terminates() -> None:
    bars = synthetic_bars(200, drift=-0.02, vol=0.001, gaps=False)
    env = TradingEnv(bars, ruin_floor=0.5, commission_bps=0)
    env.reset(options={"start": 40})
    for _ in range(150):
        _, _, term, trunc, info = env.step(2)  # long a falling asset
        if term or trunc:
            break
    assert term and not trunc
    assert info["equity"] < 0.5 * env.config.backtest.init_cash


def test_a_fold_slice_has_no_bar_past_its_end(bars1) -> None:
    full = market_data(bars1)
    fold = full.slice(0, 200)
    assert fold.n_bars == 200 and fold.prices.base is None  # a copy, not a view of the later bars
    env = TradingEnv(data=fold)
    with pytest.raises(DataError, match="outside the data"):
        env.reset(options={"start": 200})
    with pytest.raises(DataError, match="outside the data"):
        fold.bar_index(full.ts[250])
    env.reset(options={"start": 190})
    for _ in range(9):
        env.step(1)
    with pytest.raises(DataError):
        env.step(1)


def test_start_inside_the_warm_up_is_refused(bars1) -> None:
    env = TradingEnv(bars1, features=("ret_20",), window=16)
    with pytest.raises(DataError, match="warm-up"):
        env.reset(options={"start": 10})


def test_bad_settings_are_input_errors(bars1) -> None:
    with pytest.raises(ConfigError, match="action must be"):
        make_env_config(action="short")
    with pytest.raises(ConfigError, match="unknown setting"):
        make_env_config(leverage=3)
    with pytest.raises(ConfigError, match="strategy rules"):
        make_env_config(stop_loss=0.05)
    with pytest.raises(NotFoundError, match="did you mean"):
        market_data(bars1, features=("rsii_14",))
    with pytest.raises(InputError):
        market_data(bars1.head(20))


def test_with_account_writes_another_books_weights_into_the_env_layout(bars3) -> None:
    """What a live loop asks the agent: the same features, its own book's weights and cash share."""
    env = TradingEnv(bars3, features=("ret_20",), window=4, action="weights", long_only=False, gross=1.5)
    flat, _ = env.reset(options={"start": 100})
    held, *_ = env.step(np.array([0.5, -0.25, 0.25], dtype=np.float32))
    k = len(env.data.symbols)
    # the env's own book, read back from its observation, rebuilds that observation exactly
    same = env.with_account(held, held[-k - 1 : -1], float(held[-1]))
    np.testing.assert_array_equal(same, held)
    # another book: features untouched, account replaced and clipped to the kernels' bound
    other = env.with_account(held, [0.1, 2e6, -0.3], 0.5)
    np.testing.assert_array_equal(other[: -k - 1], held[: -k - 1])
    np.testing.assert_allclose(other[-k - 1 :], [0.1, 1000.0, -0.3, 0.5], rtol=1e-6)
    with pytest.raises(DataError, match="one entry per symbol"):
        env.with_account(flat, [0.1], 0.9)
