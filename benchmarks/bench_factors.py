"""Style-model speed: batched daily cross-sectional WLS versus a loop of statsmodels WLS calls.

On the sample universe at 500 symbols x 10 years of daily bars:

1. The per-day regressions alone: ``trade2026.factors.batched_wls`` over the whole panel versus
   ``statsmodels.api.WLS(...).fit()`` called once per day on the same design (market intercept,
   sector dummies less one, standardised style exposures, sqrt-cap weights). The coefficients
   are checked to agree.
2. The whole ``StyleFactorModel.fit`` (descriptors, standardisation, constrained regressions,
   EWMA/Newey-West factor covariance, specific risk), for scale.

Run: python benchmarks/bench_factors.py [--symbols 500] [--years 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from typing import Any

import numpy as np


def best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def design(model: Any, bars: Any, meta: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's per-day problem without the sector constraint (one sector dummy dropped)."""
    from trade2026.core import pivot
    from trade2026.factors._style import _lag

    p = pivot(bars, ["close", "volume"])
    m = meta.sort("symbol")
    shares = m["shares_out"].to_numpy()
    sectors = m["sector"].to_list()
    facs = list(model.factors)
    raw, r, cap = model._raw(p, shares, facs)
    from trade2026.factors import design_cube, standardize_exposures

    expo = {f: _lag(standardize_exposures(raw[f], cap), 1) for f in facs}
    names = ["market", *[f"sector:{s}" for s in sorted(set(sectors))[1:]], *facs]
    X = design_cube(names, expo, sectors, r.shape)
    w = np.sqrt(_lag(cap, 1))
    first = 253
    return r[first:], np.ascontiguousarray(X[first:]), w[first:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import statsmodels.api as sm

    from trade2026.datasets import generate
    from trade2026.factors import StyleFactorModel, batched_wls

    data = generate(symbols=args.symbols, years=args.years, seed=0, intraday_symbols=0)
    bars, meta = data.bars_1d, data.symbols
    model = StyleFactorModel()
    y, X, w = design(model, bars, meta)
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"panel: {y.shape[0]} days x {y.shape[1]} symbols x {X.shape[2]} regressors ({bars.height:,} bars)")

    def ours() -> Any:
        return batched_wls(y, X, w)

    def loop() -> np.ndarray:
        out = np.full((y.shape[0], X.shape[2]), np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a rank-deficient day gets a pinv answer, as in a user's loop
            for t in range(y.shape[0]):
                ok = np.isfinite(y[t]) & np.isfinite(X[t]).all(axis=1) & np.isfinite(w[t])
                if ok.sum() > X.shape[2]:
                    out[t] = sm.WLS(y[t, ok], X[t, ok], weights=w[t, ok]).fit().params
        return out

    res = ours()
    ref = loop()
    both = res.fitted_ok & np.isfinite(ref).all(axis=1)
    diff = float(np.nanmax(np.abs(res.coef[both] - ref[both])))
    print(f"days solved: ours {int(res.fitted_ok.sum())}, statsmodels {int(both.sum())}; max |coef diff| {diff:.2e}")
    t_ours = best(ours, args.repeat)
    t_loop = best(loop, max(1, args.repeat - 1))
    print(
        f"per-day WLS  batched_wls: {t_ours:8.3f} s   statsmodels loop: {t_loop:8.3f} s   ratio {t_loop / t_ours:6.1f}x"
    )
    t_fit = best(lambda: StyleFactorModel().fit(bars, meta), max(1, args.repeat - 1))
    print(f"StyleFactorModel.fit (descriptors + constrained WLS + covariances): {t_fit:.3f} s")


if __name__ == "__main__":
    main()
