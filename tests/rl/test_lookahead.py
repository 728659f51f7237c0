"""No look-ahead: randomising every bar after t leaves observations 0..t and rewards 0..t-1 bit-identical."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rl.conftest import synthetic_bars
from trade2026.rl import TradingEnv, market_data

FEATURES = ("ret_10", "rsi_14", "mom_20", "bb_pctb_20_2", "fracdiff_40_16")
BARS = synthetic_bars(140, ("AAA", "BBB"), seed=21, late=30)
START = 60


def _scramble(bars: pl.DataFrame, t_ts, seed: int) -> pl.DataFrame:
    """Replace every bar after ``t_ts`` with random (valid) prices."""
    rng = np.random.default_rng(seed)
    after = bars["ts"] > t_ts
    n = int(after.sum())
    close = 50 + 100 * rng.random(n)
    open_ = 50 + 100 * rng.random(n)
    hi = np.maximum(close, open_) * (1 + rng.random(n) * 0.05)
    lo = np.minimum(close, open_) * (1 - rng.random(n) * 0.05)
    idx = np.flatnonzero(after.to_numpy())
    out = {c: bars[c].to_numpy().copy() for c in ("open", "high", "low", "close", "volume")}
    for name, v in (("open", open_), ("high", hi), ("low", lo), ("close", close), ("volume", rng.random(n) * 1e4)):
        out[name][idx] = v
    return bars.with_columns(**{k: pl.Series(v) for k, v in out.items()})


def _run(data, actions) -> tuple[list[np.ndarray], list[float]]:
    env = TradingEnv(data=data)
    obs, _ = env.reset(options={"start": START})
    seen, rewards = [obs], []
    for a in actions:
        obs, r, term, trunc, _ = env.step(a)
        seen.append(obs)
        rewards.append(r)
        if term or trunc:
            break
    return seen, rewards


@settings(max_examples=15, deadline=None)
@given(
    t=st.integers(START + 1, 130),
    seed=st.integers(0, 2**16),
    reward=st.sampled_from(["log_return", "dsr", "risk_penalised"]),
    action=st.sampled_from(["discrete", "weights"]),
)
def test_future_bars_do_not_change_past_observations_or_rewards(t: int, seed: int, reward: str, action: str) -> None:
    kw = {"features": FEATURES, "window": 5, "reward": reward, "action": action, "commission_bps": 3, "borrow_bps": 50}
    base = market_data(BARS, **kw)
    # the frozen scaler (fitted on training data before t) is shared, as in evaluation
    scaler = market_data(BARS.filter(pl.col("ts") <= base.ts[START]), **kw).scaler
    original = market_data(BARS, scaler=scaler, **kw)
    scrambled = market_data(_scramble(BARS, base.ts[t], seed), scaler=scaler, **kw)
    # the raw features up to t are identical bit for bit
    np.testing.assert_array_equal(original.raw_features[: t + 1], scrambled.raw_features[: t + 1])
    rng = np.random.default_rng(seed)
    space = TradingEnv(data=original).action_space
    actions = [rng.integers(0, 3, 2) if action == "discrete" else rng.uniform(-1, 1, space.shape) for _ in range(80)]
    obs_a, rew_a = _run(original, actions)
    obs_b, rew_b = _run(scrambled, actions)
    n_obs = t - START + 1  # observations at bars START..t
    for a, b in zip(obs_a[:n_obs], obs_b[:n_obs], strict=True):
        np.testing.assert_array_equal(a, b)
    assert rew_a[: n_obs - 1] == rew_b[: n_obs - 1]  # rewards of the decisions at START..t-1
    # and the scramble did change something later (the check above could otherwise not fail)
    assert not np.array_equal(original.close[t + 1 :], scrambled.close[t + 1 :])
