"""The batched VecEnv: the same trajectories as DummyVecEnv over TradingEnv, SB3 trains on it."""

from __future__ import annotations

import numpy as np
import pytest
from stable_baselines3.common.vec_env import DummyVecEnv

from tests.rl.conftest import synthetic_bars
from trade2026.rl import TradingEnv, TradingVecEnv, market_data
from trade2026.rl._train import make_vec_env

BARS = synthetic_bars(200, ("AAA", "BBB"), seed=41, late=20)


def _compare(native, reference, actions) -> int:
    np.testing.assert_array_equal(native.reset(), reference.reset())
    dones = 0
    for a in actions:
        o1, r1, d1, i1 = native.step(a)
        o2, r2, d2, i2 = reference.step(a)
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(r1, np.asarray(r2, dtype=np.float32))  # SubprocVecEnv gives float64
        np.testing.assert_array_equal(d1, d2)
        for e in np.flatnonzero(d1):
            np.testing.assert_array_equal(i1[e]["terminal_observation"], i2[e]["terminal_observation"])
            assert i1[e]["TimeLimit.truncated"] == i2[e]["TimeLimit.truncated"]
            dones += 1
    return dones


@pytest.mark.parametrize("action", ["discrete", "continuous", "weights"])
def test_native_vec_env_matches_dummy_vec_env_step_for_step(action: str) -> None:
    data = market_data(BARS, action=action, episode_length=30, commission_bps=4, reward="dsr")
    n = 5
    native = TradingVecEnv(data, n)
    ref = DummyVecEnv([lambda: TradingEnv(data=data) for _ in range(n)])
    native.seed(7)
    ref.seed(7)
    space = native.action_space
    space.seed(0)
    acts = [np.stack([space.sample() for _ in range(n)]) for _ in range(150)]
    assert _compare(native, ref, acts) >= n * 4  # several auto-resets happened, each identical


def test_vec_env_reports_monitor_style_episodes_and_equity() -> None:
    data = market_data(BARS, episode_length=20)
    venv = TradingVecEnv(data, 3)
    venv.seed(1)
    venv.reset()
    returns = []
    for _ in range(20):
        _, rew, dones, infos = venv.step(np.full(3, 2))
        returns.append(rew)
    assert dones.all()
    ep = infos[0]["episode"]
    assert ep["l"] == 20 and ep["r"] == pytest.approx(
        float(np.sum(np.array(returns)[:, 0], dtype=np.float64)), rel=1e-5
    )
    assert infos[0]["equity_return"] == pytest.approx(np.exp(ep["r"]) - 1, rel=1e-6)


def test_explicit_episodes_through_set_options() -> None:
    data = market_data(BARS)
    venv = TradingVecEnv(data, 2)
    venv.set_options({"start": 100, "end": 110})
    venv.reset()
    np.testing.assert_array_equal(venv.bars, [100, 100])
    for _ in range(10):
        _, _, dones, _ = venv.step(np.array([1, 2]))
    assert dones.all() and (venv.bars == 100).all()  # auto-reset repeats the explicit episode


@pytest.mark.slow
def test_subproc_vec_env_gives_the_same_trajectories() -> None:
    data = market_data(BARS, episode_length=25)
    sub = make_vec_env(data, 2, "subproc")
    try:
        sub.seed(3)
        native = TradingVecEnv(data, 2)
        native.seed(3)
        acts = [np.array([[i % 3, (i + 1) % 3], [(i + 2) % 3, i % 3]]) for i in range(60)]
        assert _compare(native, sub, acts) >= 2
    finally:
        sub.close()


def test_dummy_vec_env_of_monitored_envs_trains() -> None:
    from trade2026.rl import train

    data = market_data(BARS.filter(BARS["symbol"] == "AAA"), episode_length=30)
    for vec in ("native", "dummy"):
        res = train(data, algo="a2c", timesteps=200, n_envs=2, seed=0, vec=vec, net_arch=(8,))
        assert len(res.curve["step"]) > 0  # finished episodes were recorded
