"""The reward is the account: replays through run_backtest, closed-form costs, and buy-and-hold."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rl.conftest import synthetic_bars
from trade2026.backtest import run_backtest
from trade2026.rl import TradingEnv, market_data

BARS1 = synthetic_bars(160, ("AAA",), seed=11)
BARS3 = synthetic_bars(160, ("AAA", "BBB", "CCC"), seed=12, late=50)


def _episode(env: TradingEnv, actions: list, start: int) -> tuple[list[float], list[dict]]:
    env.reset(options={"start": start})
    rewards, infos = [], []
    for a in actions:
        _, r, term, trunc, info = env.step(a)
        rewards.append(r)
        infos.append(info)
        if term or trunc:
            break
    return rewards, infos


def _replay(env: TradingEnv, start: int) -> np.ndarray:
    """Equity of the env's targets replayed through run_backtest on the episode's bars."""
    end = env.bar
    res = run_backtest(
        env.data.bars(start, end + 1),
        np.ascontiguousarray(env.targets()[start : end + 1]),
        config=env.config.backtest,
        mode="portfolio",
        cross_sectional=True,
    )
    return res.equity["equity"].to_numpy()


costs = st.fixed_dictionaries(
    {
        "commission_bps": st.sampled_from([0.0, 1.0, 10.0]),
        "commission_per_share": st.sampled_from([0.0, 0.01]),
        "commission_fixed": st.sampled_from([0.0, 2.0]),
        "slippage_bps": st.sampled_from([0.0, 3.0]),
        "slippage_range": st.sampled_from([0.0, 0.1]),
        "borrow_bps": st.sampled_from([0.0, 200.0]),
        "fill": st.sampled_from(["open", "close"]),
    }
)


@settings(max_examples=25, deadline=None)
@given(
    cost=costs,
    action=st.sampled_from(["discrete", "continuous", "weights", "weights_ls"]),
    multi=st.booleans(),
    seed=st.integers(0, 2**16),
    start=st.integers(40, 100),
)
def test_replaying_the_targets_through_run_backtest_gives_the_env_equity(cost, action, multi, seed, start) -> None:
    bars = BARS3 if multi else BARS1
    extra = {"action": "weights", "long_only": False, "gross": 1.5} if action == "weights_ls" else {"action": action}
    env = TradingEnv(data=market_data(bars, features=("ret_10",), window=4, **extra, **cost))
    env.action_space.seed(seed)
    rng = np.random.default_rng(seed)
    actions = []
    for _ in range(200):  # sticky random actions: holds (drift, no trade) as well as trades
        a = env.action_space.sample() if (not actions or rng.random() < 0.4) else actions[-1]
        actions.append(a)
    rewards, infos = _episode(env, actions, start)
    eq_env = np.array([env.config.backtest.init_cash] + [i["equity"] for i in infos])
    eq_bt = _replay(env, start)
    np.testing.assert_allclose(eq_bt, eq_env, rtol=1e-9)
    hist = env.history()  # the env's own record of the episode: the same equity, the replayed targets
    np.testing.assert_array_equal(hist["equity"].to_numpy(), eq_env)
    np.testing.assert_array_equal(hist.select(env.data.symbols).to_numpy()[:-1], env.targets()[start : env.bar])
    # the log-return rewards sum to the log of the final equity ratio
    if env.config.reward == "log_return":
        assert math.isclose(math.exp(sum(rewards)) * env.config.backtest.init_cash, eq_bt[-1], rel_tol=1e-9)


def _flat_bars(n: int, price: float = 50.0) -> pl.DataFrame:
    """A symbol whose every open, high, low and close is ``price``, plus a moving one for features."""
    b = synthetic_bars(n, ("AAA",), seed=5)
    return b.with_columns(open=pl.lit(price), high=pl.lit(price), low=pl.lit(price), close=pl.lit(price))


def test_flipping_long_short_every_bar_loses_exactly_the_round_trip_costs() -> None:
    # Oracle (closed form, fraction sizing net of costs at a constant price P, commission rate c):
    # entering from flat leaves E/(1+c); each flip from fully invested one way to fully invested the
    # other pays c on both legs and leaves E*(1-c)/(1+c).
    c_bps = 7.0
    c = c_bps * 1e-4
    env = TradingEnv(_flat_bars(120), features=("fracdiff_50_8",), window=2, commission_bps=c_bps, normalize=False)
    n = 60
    rewards, infos = _episode(env, [2 if i % 2 == 0 else 0 for i in range(n)], start=20)
    e0 = env.config.backtest.init_cash
    expected = e0 / (1 + c) * ((1 - c) / (1 + c)) ** (np.arange(1, n + 1) - 1)
    np.testing.assert_allclose([i["equity"] for i in infos], expected, rtol=1e-12)
    np.testing.assert_allclose(np.cumsum(rewards), np.log(expected / e0), rtol=1e-10)


def test_flipping_long_flat_loses_commission_fixed_fees_and_slippage() -> None:
    # Oracle recursion at constant price P, commission c, fixed fee F, slippage s (fraction of price):
    # buy:  E' = (E - F) / ((1 + s)(1 + c));   sell: E'' = E' (1 - s)(1 - c) - F.
    c, fee, s = 5e-4, 3.0, 2e-4
    env = TradingEnv(
        _flat_bars(100),
        features=("fracdiff_50_8",),
        window=2,
        commission_bps=c * 1e4,
        commission_fixed=fee,
        slippage_bps=s * 1e4,
        normalize=False,
    )
    _, infos = _episode(env, [2, 1] * 20, start=20)
    e = env.config.backtest.init_cash
    expected = []
    for i in range(40):
        e = (e - fee) / ((1 + s) * (1 + c)) if i % 2 == 0 else e * (1 - s) * (1 - c) - fee
        expected.append(e)
    np.testing.assert_allclose([i["equity"] for i in infos], expected, rtol=1e-12)


def test_zero_cost_buy_and_hold_earns_the_assets_return() -> None:
    env = TradingEnv(BARS1, action="discrete")
    start = 50
    rewards, infos = _episode(env, [2] * 500, start)
    end = env.bar
    close, open_ = env.data.close[:, 0], env.data.open[:, 0]
    # bought at the open after the decision, held to the last close
    assert math.isclose(
        infos[-1]["equity"] / env.config.backtest.init_cash, close[end] / open_[start + 1], rel_tol=1e-12
    )
    assert math.isclose(sum(rewards), math.log(close[end] / open_[start + 1]), rel_tol=1e-9)
    # and with fills at the close, the asset's close-to-close return
    env = TradingEnv(BARS1, action="discrete", fill="close")
    rewards, _ = _episode(env, [2] * 500, start)
    assert math.isclose(sum(rewards), math.log(close[end] / close[start + 1]), rel_tol=1e-9)


def test_shorts_pay_borrow_on_their_market_value_each_close() -> None:
    bps = 300.0
    env = TradingEnv(
        _flat_bars(80), features=("fracdiff_50_8",), window=2, borrow_bps=bps, normalize=False, periods_per_year=252
    )
    _, infos = _episode(env, [0] * 30, start=20)  # short 1 at a constant price, no commission
    per_bar = bps * 1e-4 / 252
    e0 = env.config.backtest.init_cash
    eq = np.array([i["equity"] for i in infos])
    # the short's market value stays e0 (shares fixed at the entry, constant price): a fixed fee per close
    np.testing.assert_allclose(np.diff(eq), -e0 * per_bar, rtol=1e-9)


def test_a_symbol_delisted_before_the_window_replays_without_it() -> None:
    """The reproduction: evaluating over a window where one chosen symbol has no bars failed with
    "positions array must have shape (n, 1), got (n, 2)"; its column is dropped with its bars."""
    from trade2026.rl._evaluate import backtest_targets

    bars = synthetic_bars(160, ("AAA", "BBB"), seed=5)
    ts = bars["ts"].unique().sort()
    bars = bars.filter((pl.col("symbol") == "AAA") | (pl.col("ts") < ts[100]))  # BBB delisted at bar 100
    data = market_data(bars, features=("ret_10",), window=4, fill="close")
    targets = np.full((data.n_bars, 2), 0.5)
    res = backtest_targets(data, targets, 120, 159)
    alone = run_backtest(
        data.bars(120, 160).filter(pl.col("symbol") == "AAA"),
        np.full((40, 1), 0.5),
        config=data.config.backtest,
        mode="portfolio",
        cross_sectional=True,
    )
    assert res.equity["equity"].to_list() == alone.equity["equity"].to_list()
