"""Fixed-width-window fractional differentiation: `trade2026.features.fracdiff` against the `fracdiff`
package's `fdiff` (np.convolve per column) and against our previous implementation (the numba direct
kernel, still used for short windows), measured in the same run on the same data; outputs compared.

Cases (d = 0.4, thresh = 1e-5: a window of 1,458 weights): one series of 10,000, 100,000 and
1,000,000 points, and a frame of 100 columns x 10,000 points. Times are medians of ``--repeat`` runs,
the three implementations taking turns.

The peer needs no install into the project's environment:

    pip install --no-deps --ignore-requires-python --target /work/venvs/fdpkg fracdiff
    PYTHONPATH=.:/work/venvs/fdpkg python benchmarks/bench_fracdiff.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from trade2026.features import fracdiff, fracdiff_weights
from trade2026.features._kernels import ffd_columns


def median_times(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[float, Any]]:
    """Median time and last result of each function, the runs interleaved (fair under a varying load)."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for key, fn in fns.items():
            t = time.perf_counter()
            results[key] = fn()
            times[key].append(time.perf_counter() - t)
    return {k: (statistics.median(v), results[k]) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    try:
        from fracdiff import fdiff
    except ImportError:
        sys.exit(
            "the peer package is missing: pip install --no-deps --ignore-requires-python --target DIR fracdiff, "
            "then run with PYTHONPATH=.:DIR"
        )
    from importlib.metadata import version

    rng = np.random.default_rng(0)
    d, thresh = 0.4, 1e-5
    w = fracdiff_weights(d, thresh=thresh)
    width = len(w)

    def peer(x: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():  # fdiff reaches numpy.core, deprecated in numpy 2
            warnings.simplefilter("ignore", DeprecationWarning)
            valid = fdiff(x, d, window=width, mode="valid", axis=0)
        out = np.full(x.shape, np.nan)
        out[width - 1 :] = valid
        return out

    def previous(x: np.ndarray) -> np.ndarray:
        mat = np.ascontiguousarray(x.reshape(len(x), -1))
        return ffd_columns(mat, w).reshape(x.shape)

    warm = rng.normal(size=5000).cumsum()
    fracdiff(warm, d, thresh=thresh)
    previous(warm)  # compile / load the numba cache
    cases = {f"1 x {n:,}": np.log(100) + np.cumsum(rng.normal(0, 0.01, n)) for n in (10_000, 100_000, 1_000_000)}
    cases["100 x 10,000"] = np.log(100) + np.cumsum(rng.normal(0, 0.01, (10_000, 100)), axis=0)
    print(
        f"FFD d={d} thresh={thresh:g}: window {width} weights; fracdiff {version('fracdiff')}, numpy {np.__version__}"
    )
    print(f"median of {args.repeat} runs; 'previous' is the direct numba kernel")
    print(
        f"{'case':>16} {'trade2026 ms':>13} {'fdiff ms':>10} {'vs fdiff':>9} {'previous ms':>12} {'vs prev':>8} "
        f"{'max abs diff':>13}"
    )
    for name, x in cases.items():
        got = median_times(
            {
                "ours": lambda x=x: fracdiff(x, d, thresh=thresh),
                "peer": lambda x=x: peer(x),
                "prev": lambda x=x: previous(x),
            },
            args.repeat,
        )
        (ours_t, ours), (peer_t, theirs), (prev_t, prev) = got["ours"], got["peer"], got["prev"]
        diff = max(float(np.nanmax(np.abs(ours - theirs))), float(np.nanmax(np.abs(ours - prev))))
        print(
            f"{name:>16} {ours_t * 1e3:13.2f} {peer_t * 1e3:10.2f} {peer_t / ours_t:8.1f}x "
            f"{prev_t * 1e3:12.2f} {prev_t / ours_t:7.1f}x {diff:13.2e}"
        )


if __name__ == "__main__":
    main()
