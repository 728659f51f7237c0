"""Triple-barrier labels: `trade2026.labeling.triple_barrier` (numba, block-skipping kernel)
against a straightforward per-event implementation (AFML snippet 3.2 style: slice each event's
path, find the first touch of each barrier with NumPy), same data, same run.

Case: 100,000 events on 1,000,000 bars, pt = sl = 1 x a per-event target, vertical barrier after
--horizon bars. The per-event peer runs on the first --peer-events events and its time is scaled
to the full count (it is linear in the number of events); the labels are compared on that subset.

Run: python benchmarks/bench_triple_barrier.py [--bars 1000000] [--events 100000] [--horizon 100]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from trade2026.labeling import triple_barrier


def straightforward(close: np.ndarray, starts: np.ndarray, target: np.ndarray, horizon: int) -> np.ndarray:
    n = len(close)
    t1 = np.empty(len(starts), dtype=np.int64)
    for i, (s, trg) in enumerate(zip(starts, target, strict=True)):
        end = min(s + horizon, n - 1)
        path = close[s + 1 : end + 1] / close[s] - 1.0
        up = np.flatnonzero(path >= trg)
        dn = np.flatnonzero(path <= -trg)
        first = min(up[0] if len(up) else np.inf, dn[0] if len(dn) else np.inf)
        t1[i] = end if first == np.inf else s + 1 + int(first)
    return t1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--horizon", type=int, default=100)
    ap.add_argument("--peer-events", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, args.bars)))
    starts = np.sort(rng.choice(args.bars - 1, size=args.events, replace=False))
    target = rng.uniform(0.002, 0.02, args.events)
    triple_barrier(close[:1000], starts[starts < 999][:10], target=0.01, vertical=5)  # warm the cache
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        out = triple_barrier(close, starts, pt=1.0, sl=1.0, vertical=args.horizon, target=target)
        times.append(time.perf_counter() - t)
    ours = min(times)
    k = min(args.peer_events, args.events)
    t = time.perf_counter()
    peer_t1 = straightforward(close, starts[:k], target[:k], args.horizon)
    peer = (time.perf_counter() - t) * args.events / k
    same = bool(np.array_equal(out["t1"].to_numpy()[:k], peer_t1))
    print(f"{args.events:,} events on {args.bars:,} bars, vertical {args.horizon} bars")
    print(f"trade2026 {ours:.3f} s | per-event loop {peer:.3f} s (scaled from {k:,}) | ratio {peer / ours:.1f}x")
    print(f"same t1 on the compared events: {same}")
    t = time.perf_counter()
    triple_barrier(close, starts, pt=1.0, sl=1.0, vertical=None, target=target)
    print(f"no vertical barrier (paths run until a touch): trade2026 {time.perf_counter() - t:.3f} s")


if __name__ == "__main__":
    main()
