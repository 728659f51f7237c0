"""The differential Sharpe ratio and the risk-penalised reward against independent definitions."""

from __future__ import annotations

import math

import numpy as np

from tests.rl.conftest import synthetic_bars
from trade2026.rl import TradingEnv, market_data

BARS = synthetic_bars(200, ("AAA",), seed=31)


def _equity_and_rewards(reward: str, **kw) -> tuple[np.ndarray, np.ndarray]:
    env = TradingEnv(data=market_data(BARS, reward=reward, commission_bps=2, **kw))
    env.reset(options={"start": 40})
    rng = np.random.default_rng(0)
    eq, rew = [env.equity], []
    while True:
        _, r, term, trunc, info = env.step(int(rng.integers(0, 3)))
        eq.append(info["equity"])
        rew.append(r)
        if term or trunc:
            return np.array(eq), np.array(rew)


def test_differential_sharpe_ratio_is_the_derivative_of_the_moving_sharpe_ratio() -> None:
    # Moody and Saffell (2001): with A_t, B_t exponential moving estimates (rate eta) of the first and
    # second moments of the returns R_t, the differential Sharpe ratio D_t is dS_t/d(eta) at eta=0 of
    # S_t = A_t / sqrt(B_t - A_t^2) with A_{t-1}, B_{t-1} held fixed. Oracle: a finite difference.
    eta = 0.05
    eq, rew = _equity_and_rewards("dsr", eta=eta)
    r = eq[1:] / eq[:-1] - 1.0
    a = b = 0.0
    checked = 0
    for t, rt in enumerate(r):
        var = b - a * a
        if var > 1e-12:
            h = 1e-7

            def s(x: float, a=a, b=b, rt=rt) -> float:
                aa, bb = a + x * (rt - a), b + x * (rt * rt - b)
                return aa / math.sqrt(bb - aa * aa)

            fd = (s(h) - s(0.0)) / h
            assert math.isclose(rew[t], fd, rel_tol=1e-4, abs_tol=1e-6)
            checked += 1
        else:
            assert rew[t] == 0.0  # no variance estimate yet
        a += eta * (rt - a)
        b += eta * (rt * rt - b)
    assert checked > 100


def test_risk_penalised_reward_is_log_return_minus_the_squared_penalty() -> None:
    eq, rew = _equity_and_rewards("risk_penalised", risk_aversion=7.0)
    lr = np.log(eq[1:] / eq[:-1])
    np.testing.assert_allclose(rew, lr - 7.0 * lr**2, rtol=1e-12, atol=1e-15)


def test_reward_scale_scales_only_the_reward() -> None:
    eq1, rew1 = _equity_and_rewards("log_return")
    eq2, rew2 = _equity_and_rewards("log_return", reward_scale=100.0)
    np.testing.assert_array_equal(eq1, eq2)
    np.testing.assert_allclose(rew2, 100.0 * rew1, rtol=1e-12)
