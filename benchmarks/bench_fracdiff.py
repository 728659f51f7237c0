"""Fixed-width-window fractional differentiation: `trade2026.features.fracdiff` against a
straightforward implementation (AFML snippet 5.3 style: one NumPy dot product per output point,
in a Python loop), measured in the same run on the same data; the outputs are also compared.

Cases (d = 0.4, thresh = 1e-5: a window of 1,458 weights):
1. one series of 1,000,000 points;
2. a frame of 100 columns x 10,000 points.

Run: python benchmarks/bench_fracdiff.py [--points 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from trade2026.features import fracdiff, fracdiff_weights


def straightforward(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The textbook loop: out[t] = w . x[t-width+1 .. t] (weights reversed, oldest first)."""
    width = len(w)
    wr = w[::-1]
    out = np.full(x.shape, np.nan)
    if x.ndim == 1:
        for t in range(width - 1, len(x)):
            out[t] = np.dot(wr, x[t - width + 1 : t + 1])
        return out
    for j in range(x.shape[1]):
        out[:, j] = straightforward(np.ascontiguousarray(x[:, j]), w)
    return out


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    d, thresh = 0.4, 1e-5
    w = fracdiff_weights(d, thresh=thresh)
    fracdiff(rng.normal(size=5000).cumsum(), d, thresh=thresh)  # compile / load the numba cache
    cases = {
        f"1 x {args.points:,}": np.log(100) + np.cumsum(rng.normal(0, 0.01, args.points)),
        "100 x 10,000": np.log(100) + np.cumsum(rng.normal(0, 0.01, (10_000, 100)), axis=0),
    }
    print(f"FFD d={d} thresh={thresh:g}: window {len(w)} weights")
    print(f"{'case':>16} {'trade2026 s':>12} {'loop s':>10} {'ratio':>8} {'max abs diff':>13}")
    for name, x in cases.items():
        ours_t, ours = best(lambda x=x: fracdiff(x, d, thresh=thresh), args.repeat)
        peer_t, peer = best(lambda x=x: straightforward(x, w), 1)
        diff = float(np.nanmax(np.abs(ours - peer)))
        print(f"{name:>16} {ours_t:12.3f} {peer_t:10.3f} {peer_t / ours_t:7.1f}x {diff:13.2e}")


if __name__ == "__main__":
    main()
