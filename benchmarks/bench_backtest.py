"""Dual SMA crossover sweep: trade2026's batched engine versus vectorbt, same grid, fills and fees.

Every (fast, slow) pair with 2 <= fast < slow <= 100 (4851 pairs), long while SMA(fast) > SMA(slow),
flat otherwise; the signal decided on bar t's close fills at bar t+1's open; 10 bps commission on
traded notional; every symbol its own book with the same starting cash, all cash invested on entry
(fees included). Both tools must give identical total returns, checked per parameter pair.

- trade2026: ``run_sweep(panel, "sma_cross", grid, commission_bps=10)`` (one batched kernel call per
  memory-bounded chunk; only the (bars x pairs) book returns come back).
- vectorbt 1.2: ``MA.run_combs`` for the SMAs, state signals shifted one bar, ``Portfolio.from_signals``
  with ``price=open`` and ``fees=0.001``; for many symbols it runs one symbol at a time, because all
  4851 x 50 columns at once would need several GB per moving-average array.

Cold times include numba compilation (a fresh NUMBA_CACHE_DIR is used unless --keep-cache);
warm times are the best of --repeat further runs.

Run: python benchmarks/bench_backtest.py [--symbols 1 50] [--years 10] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from typing import Any


def _sample(n_symbols: int, years: int) -> Any:
    import polars as pl

    from trade2026.datasets import generate

    d = generate(symbols=max(n_symbols + 12, 20), years=years, seed=7, intraday_symbols=0)
    bars = d.bars_1d
    n_ts = bars["ts"].n_unique()
    full = bars.group_by("symbol").len().filter(pl.col("len") == n_ts)["symbol"].sort().head(n_symbols).to_list()
    if len(full) < n_symbols:
        msg = f"only {len(full)} symbols span the whole sample; ask for fewer"
        raise SystemExit(msg)
    return bars.filter(pl.col("symbol").is_in(full)).sort("symbol", "ts")


def _ours(bars: Any, grid: str) -> tuple[Any, list[dict[str, Any]]]:
    from trade2026.backtest import run_sweep

    sw = run_sweep(bars, "sma_cross", grid, commission_bps=10.0, init_cash=1_000_000.0)
    return (1.0 + sw.returns).prod(axis=0) - 1.0, sw.params


def _vbt_one(close: Any, open_: Any) -> Any:
    import numpy as np
    import vectorbt as vbt

    fast, slow = vbt.MA.run_combs(close, window=np.arange(2, 101), r=2, short_names=["fast", "slow"])
    state = fast.ma_above(slow)  # decided on bar t's close ...
    entries = state.shift(1, fill_value=False)  # ... filled at bar t+1's open (price=open below)
    exits = (~state).shift(1, fill_value=False)
    pf = vbt.Portfolio.from_signals(close, entries, exits, price=open_, fees=0.001, init_cash=1_000_000.0, freq="1D")
    return pf.total_return()


def _vbt(bars: Any) -> Any:
    """Book total return per (fast, slow): mean over symbols of (1 + TR) - 1 (equal starting cash)."""
    import pandas as pd

    wide_c = bars.pivot(on="symbol", index="ts", values="close").sort("ts")
    wide_o = bars.pivot(on="symbol", index="ts", values="open").sort("ts")
    idx = pd.DatetimeIndex(wide_c["ts"].dt.replace_time_zone(None).to_numpy())
    growth = None
    for sym in [c for c in wide_c.columns if c != "ts"]:
        close = pd.Series(wide_c[sym].to_numpy(), index=idx, name=sym)
        open_ = pd.Series(wide_o[sym].to_numpy(), index=idx, name=sym)
        tr = _vbt_one(close, open_)
        g = 1.0 + tr.to_numpy()
        growth = g if growth is None else growth + g
        pairs = [
            (int(a), int(b)) for a, b in zip(tr.index.get_level_values(0), tr.index.get_level_values(1), strict=True)
        ]
    n = wide_c.width - 1
    return growth / n - 1.0, pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--symbols", type=int, nargs="+", default=[1, 50])
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--keep-cache", action="store_true", help="use numba's on-disk cache (cold = cache load)")
    args = ap.parse_args()
    if not args.keep_cache:
        os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench_backtest_numba_")
    import numpy as np

    grid = "fast=2:100,slow=2:100"
    print(f"python {sys.version.split()[0]}, {platform.machine()}, {os.cpu_count()} cpus; dual SMA 2..100, 4851 pairs")
    first = True
    for k in args.symbols:
        bars = _sample(k, args.years)
        n_bars = bars["ts"].n_unique()
        t0 = time.perf_counter()
        ours, params = _ours(bars, grid)
        ours_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        theirs, pairs = _vbt(bars)
        vbt_cold = time.perf_counter() - t0
        warm_ours = min(_timed(_ours, bars, grid) for _ in range(args.repeat))
        warm_vbt = min(_timed(_vbt, bars) for _ in range(args.repeat))
        lookup = {(p["fast"], p["slow"]): ours[i] for i, p in enumerate(params)}
        mine = np.array([lookup[p] for p in pairs])
        diff = float(np.max(np.abs(mine - theirs)))
        print(f"\n{k} symbol(s) x {n_bars} bars x {len(params)} pairs = {k * len(params):,} backtests")
        print(f"  max |total return difference| = {diff:.2e}  ({'identical' if diff < 1e-9 else 'DIFFERENT'})")
        label = "cold (incl. numba compile)" if first and not args.keep_cache else "cold"
        print(
            f"  {label:28s} trade2026 {ours_cold:7.2f} s   vectorbt {vbt_cold:7.2f} s   "
            f"ratio {vbt_cold / ours_cold:5.1f}x"
        )
        print(
            f"  {'warm (best of ' + str(args.repeat) + ')':28s} trade2026 {warm_ours:7.2f} s   "
            f"vectorbt {warm_vbt:7.2f} s   ratio {warm_vbt / warm_ours:5.1f}x"
        )
        first = False


def _timed(fn: Any, *a: Any) -> float:
    t0 = time.perf_counter()
    fn(*a)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
