"""Training is reproducible on CPU, and a short PPO learns a planted signal that beats buy-and-hold OOS."""

from __future__ import annotations

import numpy as np
import pytest

from tests.rl.conftest import synthetic_bars
from trade2026.errors import ConfigError
from trade2026.rl import Agent, evaluate, market_data, policy_digest, rollout, train

BARS = synthetic_bars(260, ("AAA",), seed=51)
TINY = {"n_steps": 32, "batch_size": 32, "n_epochs": 2}


def _fit(seed: int, algo: str = "ppo", **kw):
    data = market_data(BARS, episode_length=40, **kw)
    hp = TINY if algo == "ppo" else {}
    return train(data, algo=algo, timesteps=256, seed=seed, n_envs=2, net_arch=(8,), hyperparams=hp), data


def test_same_seed_same_weights_and_trajectories_different_seed_differs() -> None:
    (a, data), (b, _), (c, _) = _fit(3), _fit(3), _fit(4)
    assert policy_digest(a.agent) == policy_digest(b.agent)
    assert policy_digest(a.agent) != policy_digest(c.agent)
    for key in ("step", "episode_reward"):
        np.testing.assert_array_equal(a.curve[key], b.curve[key])
    assert not np.array_equal(a.curve["episode_reward"], c.curve["episode_reward"])
    ta, _ = rollout(a.agent, data, data.first_start, data.last_bar)
    tb, _ = rollout(b.agent, data, data.first_start, data.last_bar)
    np.testing.assert_array_equal(ta, tb)


@pytest.mark.parametrize(("algo", "action"), [("a2c", "continuous"), ("dqn", "discrete"), ("sac", "weights")])
def test_every_algorithm_trains_on_its_action_space(algo: str, action: str) -> None:
    res, _ = _fit(0, algo, action=action)
    assert res.agent.algo == algo and res.to_dict()["timesteps"] == 256


def test_algorithms_refuse_action_spaces_they_cannot_use() -> None:
    with pytest.raises(ConfigError, match="dqn needs"):
        _fit(0, "dqn", action="continuous")
    with pytest.raises(ConfigError, match="sac needs"):
        _fit(0, "sac", action="discrete")
    with pytest.raises(ConfigError, match="algo must be"):
        _fit(0, "td3")


def test_a_saved_agent_acts_exactly_like_the_trained_one(tmp_path) -> None:
    res, data = _fit(5)
    res.agent.save(tmp_path / "agent")
    loaded = Agent.load(tmp_path / "agent")
    assert policy_digest(loaded) == policy_digest(res.agent)
    assert loaded.scaler == res.agent.scaler and loaded.config == res.agent.config
    t1, _ = rollout(res.agent, data, data.first_start, data.last_bar)
    t2, _ = rollout(loaded, data, data.first_start, data.last_bar)
    np.testing.assert_array_equal(t1, t2)


def test_evaluation_refuses_a_window_inside_the_training_period() -> None:
    res, data = _fit(6)
    from trade2026.errors import DataError

    with pytest.raises(DataError, match="not out of\\s+sample"):
        evaluate(res.agent, BARS, start=data.ts[100])
    ev = evaluate(res.agent, BARS, start=data.ts[100], in_sample=True, n_random=5)
    assert ev.to_dict()["in_sample"] is True


@pytest.mark.slow
def test_short_ppo_learns_a_planted_signal_and_beats_buy_and_hold_out_of_sample() -> None:
    # Returns follow an AR(1) with phi = 0.6: the sign of today's return predicts tomorrow's. The
    # observation's vol-scaled return carries it; the policy must learn long-after-up, short-after-down.
    bars = synthetic_bars(900, ("SIG",), seed=61, phi=0.6, vol=0.01, gaps=False)
    full = market_data(bars, features=("ret_10",), window=2, episode_length=64)
    train_data = full.slice(0, 600)
    res = train(train_data, algo="ppo", timesteps=6144, seed=1, n_envs=8, net_arch=(16,))
    ev = evaluate(res.agent, bars, start=full.ts[605], n_random=20)
    d = ev.to_dict()
    agent, bh = d["metrics"], d["baselines"]["buy_and_hold"]
    assert agent["total_return"] > bh["total_return"] + 0.2
    assert agent["sharpe"] > 2.0  # the planted signal is worth far more than buy-and-hold's drift
    assert d["baselines"]["random"]["agent_sharpe_percentile"] == 100.0
