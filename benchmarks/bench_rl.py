"""RL environment speed: trade2026.rl against gym-anytrading, FinRL and SB3's DummyVecEnv, in one run.

Three ratios, all in environment steps per second with random actions (the policy is not timed):

1. single asset: ``TradingEnv`` (discrete short/flat/long, a 10-bar window of vol-scaled returns,
   10 bps commission and 2 bps slippage filled at the next open) versus gym-anytrading 2.0's
   ``stocks-v0`` env raw (``StocksEnv`` unwrapped, its bundled GOOGL data, window 10): the issue's goal
   is at least 1x;
2. 30-asset portfolio: ``TradingEnv`` with long-only portfolio weights over 30 symbols (features
   ret_20 and rsi_14, window 1, 10 bps) versus FinRL 0.3.7's ``StockTradingEnv`` over the same 30
   symbols' closes (2 technical indicators in its state, 0.1% buy/sell costs); goal at least 100x;
3. batched: ``TradingVecEnv`` stepping N envs in one numba call versus ``DummyVecEnv`` over N
   ``TradingEnv`` of the same data; goal at least 5x.

The peers live in their own virtualenv (``--peer-python``, default /work/venvs/rlpeers/bin/python,
made with ``pip install -c constraints.txt gym-anytrading==2.0.0 stable-baselines3 matplotlib`` and
``pip install --no-deps finrl==0.3.7``); they run in a subprocess of this script. FinRL's package
``__init__`` imports its live-trading and data-source dependencies (alpaca, wrds, ...), so its env
module is loaded from its file. Without the peer interpreter only the DummyVecEnv ratio is printed.

Run: python benchmarks/bench_rl.py [--steps 200000] [--n-envs 16] [--peer-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

import numpy as np

PEER_CODE = r"""
import importlib.util, json, sys, time
import numpy as np, pandas as pd
which, steps = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
if which == "anytrading":
    import gym_anytrading
    from gym_anytrading.datasets import STOCKS_GOOGL
    from gym_anytrading.envs import StocksEnv
    env = StocksEnv(df=STOCKS_GOOGL, window_size=10, frame_bound=(10, len(STOCKS_GOOGL)))
    env.reset(seed=0)
    acts = rng.integers(0, 2, steps)
    t = time.perf_counter()
    for a in acts:
        _, _, term, trunc, _ = env.step(int(a))
        if term or trunc:
            env.reset()
    dt = time.perf_counter() - t
    print(json.dumps({"steps_per_s": steps / dt, "version": "2.0.0", "bars": len(STOCKS_GOOGL)}))
else:
    from importlib.metadata import version
    root = importlib.util.find_spec("finrl").submodule_search_locations[0]  # no finrl/__init__ run
    path = root + "/meta/env_stock_trading/env_stocktrading.py"
    spec = importlib.util.spec_from_file_location("finrl_env_stocktrading", path)
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    data = json.loads(sys.stdin.read())
    close = np.asarray(data["close"])  # (n_days, k)
    n, k = close.shape
    rows = []
    for d in range(n):
        for j in range(k):
            rows.append({"date": d, "tic": f"S{j:02d}", "close": close[d, j], "macd": 0.0, "rsi_30": 50.0})
    df = pd.DataFrame(rows)
    df.index = df["date"].factorize()[0]
    tech = ["macd", "rsi_30"]
    env = mod.StockTradingEnv(
        df=df, stock_dim=k, hmax=100, initial_amount=1_000_000, num_stock_shares=[0] * k,
        buy_cost_pct=[0.001] * k, sell_cost_pct=[0.001] * k, reward_scaling=1e-4,
        state_space=1 + 2 * k + len(tech) * k, action_space=k, tech_indicator_list=tech,
        print_verbosity=10**9, make_plots=False,
    )
    env.reset(seed=0)
    acts = rng.uniform(-1, 1, (steps, k))
    import contextlib, io
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        for a in acts:
            _, _, term, trunc, _ = env.step(a)
            if term or trunc:
                env.reset()
    dt = time.perf_counter() - t
    print(json.dumps({"steps_per_s": steps / dt, "version": version("finrl")}))
"""


def _peer(python: str, which: str, steps: int, payload: Any = None) -> dict[str, Any] | None:
    if not os.path.exists(python):
        return None
    proc = subprocess.run(
        [python, "-c", PEER_CODE, which, str(steps)],
        input=json.dumps(payload) if payload is not None else "",
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    if proc.returncode != 0:
        print(
            f"  peer {which} failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
        )
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _bars(n_symbols: int, years: int) -> Any:
    import polars as pl

    from trade2026.datasets import generate

    d = generate(symbols=max(n_symbols + 15, 20), years=years, seed=3, intraday_symbols=0)
    bars = d.bars_1d
    n_ts = bars["ts"].n_unique()
    full = bars.group_by("symbol").len().filter(pl.col("len") == n_ts)["symbol"].sort().head(n_symbols).to_list()
    return bars.filter(pl.col("symbol").is_in(full)).sort("symbol", "ts")


def _time_env(env: Any, steps: int, seed: int = 0) -> float:
    env.reset(seed=seed)
    env.action_space.seed(seed)
    acts = [env.action_space.sample() for _ in range(min(steps, 20_000))]
    n = len(acts)
    t = time.perf_counter()
    for i in range(steps):
        _, _, term, trunc, _ = env.step(acts[i % n])
        if term or trunc:
            env.reset()
    return steps / (time.perf_counter() - t)


def _time_vec(venv: Any, steps: int) -> float:
    venv.seed(0)
    venv.reset()
    space = venv.action_space
    space.seed(0)
    acts = [np.stack([space.sample() for _ in range(venv.num_envs)]) for _ in range(500)]
    t = time.perf_counter()
    for i in range(steps):
        venv.step(acts[i % 500])
    return steps * venv.num_envs / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200_000, help="steps of the single-asset envs")
    ap.add_argument("--portfolio-steps", type=int, default=50_000, help="steps of our 30-asset env")
    ap.add_argument("--finrl-steps", type=int, default=2_000, help="steps of FinRL's 30-asset env")
    ap.add_argument("--n-envs", type=int, default=16)
    ap.add_argument("--peer-python", default="/work/venvs/rlpeers/bin/python")
    args = ap.parse_args()

    from stable_baselines3.common.vec_env import DummyVecEnv

    from trade2026.rl import TradingEnv, TradingVecEnv, market_data

    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    one = _bars(1, 10)
    d1 = market_data(one, features=("ret_20",), window=10, commission_bps=10, slippage_bps=2, episode_length=None)
    _time_env(TradingEnv(data=d1), 2_000)  # compile and warm up
    ours1 = _time_env(TradingEnv(data=d1), args.steps)
    print(f"\n1. single asset, {d1.n_bars} daily bars, discrete, window 10")
    print(f"  trade2026 TradingEnv          {ours1:12,.0f} steps/s")
    peer = _peer(args.peer_python, "anytrading", args.steps)
    if peer:
        print(f"  gym-anytrading stocks-v0 raw  {peer['steps_per_s']:12,.0f} steps/s   ({peer['bars']} bars)")
        print(f"  ratio: {ours1 / peer['steps_per_s']:.2f}x (goal >= 1x)")
    else:
        print("  gym-anytrading: not available (no peer interpreter); no ratio")

    thirty = _bars(30, 10)
    d30 = market_data(
        thirty, action="weights", features=("ret_20", "rsi_14"), window=1, commission_bps=10, episode_length=None
    )
    _time_env(TradingEnv(data=d30), 1_000)
    ours30 = _time_env(TradingEnv(data=d30), args.portfolio_steps)
    print(f"\n2. 30-asset portfolio weights, {d30.n_bars} daily bars")
    print(f"  trade2026 TradingEnv          {ours30:12,.0f} steps/s")
    peer = _peer(args.peer_python, "finrl", args.finrl_steps, {"close": np.nan_to_num(d30.close).tolist()})
    if peer:
        print(f"  FinRL {peer['version']} StockTradingEnv   {peer['steps_per_s']:12,.0f} steps/s")
        print(f"  ratio: {ours30 / peer['steps_per_s']:.0f}x (goal >= 100x)")
    else:
        print("  FinRL: not available (no peer interpreter); no ratio")

    n = args.n_envs
    d1e = market_data(one, features=("ret_20",), window=10, commission_bps=10, episode_length=252)
    native = TradingVecEnv(d1e, n)
    dummy = DummyVecEnv([lambda: TradingEnv(data=d1e) for _ in range(n)])
    _time_vec(native, 200)
    vsteps = max(args.steps // n, 1000)
    nat = _time_vec(native, vsteps)
    dum = _time_vec(dummy, max(vsteps // 4, 500))
    print(f"\n3. {n} single-asset envs, episodes of 252 bars with auto-reset")
    print(f"  trade2026 TradingVecEnv       {nat:12,.0f} env-steps/s")
    print(f"  SB3 DummyVecEnv(TradingEnv)   {dum:12,.0f} env-steps/s")
    print(f"  ratio: {nat / dum:.1f}x (goal >= 5x)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
