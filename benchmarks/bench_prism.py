"""PRISM speed: matching-kernel events/s versus the plain-Python reference book, and the wall
time of one default 6.5-hour day (40 agents).

    python benchmarks/bench_prism.py [--events 2000000] [--days 3]

The event stream is 60% limit orders (GTC, prices within +-20 ticks of 500), 10% market orders,
30% cancels of one of the 200 latest orders, random sizes 1..10, 20 agents. Both books process the same stream and
must produce the same trades (checked). Timings exclude numba compilation (a warm-up run first).
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from trade2026.sim.prism import PrismConfig, ReferenceBook, run_stream, simulate
from trade2026.sim.prism import _book as B


def mixed_stream(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    u = rng.random(n)
    etype = np.where(u < 0.6, B.EV_LIMIT, np.where(u < 0.7, B.EV_MARKET, B.EV_CANCEL)).astype(np.int64)
    side = rng.choice([B.BUY, B.SELL], n).astype(np.int64)
    # buys rest below 500 and sells above, with some overlap so limits also cross
    price = (500 - side * rng.integers(-3, 20, n)).astype(np.int64)
    n_orders = np.cumsum(etype != B.EV_CANCEL)
    # a cancel names one of the 200 most recent orders (most of which still rest), keeping the book's
    # size stationary as in a real market
    target = np.maximum(n_orders - 1 - rng.integers(0, 200, n), 0).astype(np.int64)
    return {
        "etype": etype,
        "side": side,
        "price": price,
        "qty": rng.integers(1, 11, n).astype(np.int64),
        "agent": rng.integers(0, 20, n).astype(np.int64),
        "tif": np.zeros(n, dtype=np.int64),
        "target": target,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--ref-events", type=int, default=200_000)
    ap.add_argument("--days", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")

    run_stream(mixed_stream(1000), n_levels=1000)  # compile
    ev = mixed_stream(args.events)
    t0 = time.perf_counter()
    res = run_stream(ev, n_levels=1000)
    stream_s = time.perf_counter() - t0
    # the kernel alone, on preallocated arrays (best of 3)
    n = args.events
    cols = [np.ascontiguousarray(ev[k]) for k in ("etype", "side", "price", "qty", "agent", "tif", "target")]
    kernel_s = float("inf")
    for _ in range(3):
        book = B.new_book(1000, n + 1, 2 * n + 1)
        t0 = time.perf_counter()
        B.process_events(*book, *cols, np.arange(n, dtype=np.int64))
        kernel_s = min(kernel_s, time.perf_counter() - t0)
    kernel_rate = n / kernel_s

    small = {k: v[: args.ref_events] for k, v in ev.items()}
    rows = [dict(zip(small, vals, strict=True)) for vals in zip(*(small[k].tolist() for k in small), strict=True)]
    ref = ReferenceBook(1000)
    t0 = time.perf_counter()
    for i, row in enumerate(rows):
        ref.apply(row, i)
    ref_s = time.perf_counter() - t0
    ref_rate = args.ref_events / ref_s
    check = run_stream(small, n_levels=1000)
    same = [tuple(int(x) for x in t) for t in check["trades"]] == ref.trades
    print(
        f"matching kernel : {kernel_rate / 1e6:6.2f} M events/s ({args.events:,} events, "
        f"{len(res['trades']):,} trades, {kernel_s:.2f} s; {args.events / stream_s / 1e6:.2f} M/s "
        "including run_stream's array allocation)"
    )
    print(f"reference book  : {ref_rate / 1e6:6.3f} M events/s ({args.ref_events:,} events); same trades: {same}")
    print(f"ratio kernel / reference: {kernel_rate / ref_rate:,.0f}x (target >= 5M events/s)")

    cfg = PrismConfig(days=1)
    simulate(cfg)  # compile / warm up
    cfg = PrismConfig(days=args.days)
    t0 = time.perf_counter()
    run = simulate(cfg)
    day_s = (time.perf_counter() - t0) / args.days
    t0 = time.perf_counter()
    run.frames()
    frames_s = (time.perf_counter() - t0) / args.days
    msgs = run.n_messages / args.days
    print(
        f"default day (40 agents, 6.5 h): {day_s:.3f} s simulation + {frames_s:.3f} s frames per day; "
        f"{msgs:,.0f} exchange messages/day (target < 2 s)"
    )


if __name__ == "__main__":
    main()
