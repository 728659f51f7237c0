"""Portfolio speed: every registered method at 50 and 200 assets, the wrapper against riskfolio-lib
called directly, and a 10-year monthly rebalancing backtest of 5 methods.

1. Import cost: ``import trade2026.portfolio`` (no solver) against ``import riskfolio`` (cvxpy,
   arch, astropy), each in a fresh interpreter.
2. Each method on 50 and 200 assets (504 daily returns, Ledoit-Wolf covariance): best-of-N time
   of ``trade2026.portfolio.optimize``, split into estimation and solve.
3. Peer: the same problems through riskfolio-lib directly (``assets_stats`` with the sample moments,
   then ``Portfolio.optimization`` / ``rp_optimization`` / ``HCPortfolio.optimization``), with the
   ratio wrapper / direct (both estimate and solve) and the largest weight difference.
4. ``portfolio backtest`` of hrp, herc, erc, min_var, ew over the sample universe (50 symbols,
   10 years, monthly rebalancing, 252-day lookback): total time and time per rebalance.

Run: python benchmarks/bench_portfolio.py [--repeat 5] [--assets 50,200] [--skip-backtest]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import warnings
from typing import Any

import numpy as np


def best(fn: Any, repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def import_time(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(3)]
    return min(runs)


def panel(n_assets: int, n_obs: int = 504, seed: int = 0) -> Any:
    import pandas as pd

    rng = np.random.default_rng(seed)
    k = 5
    loadings = rng.normal(0, 1, (n_assets, k))
    factors = rng.normal(0, 0.006, (n_obs, k))
    idio = rng.normal(0, 1, (n_obs, n_assets)) * rng.uniform(0.008, 0.02, n_assets)
    x = 0.0004 + factors @ loadings.T + idio
    return pd.DataFrame(x, columns=[f"A{i:03d}" for i in range(n_assets)])


def direct(name: str, x: Any) -> Any:
    """The peer: riskfolio-lib called directly, estimating with its own sample covariance and mean."""
    import riskfolio as rp

    if name in ("hrp", "herc"):
        port = rp.HCPortfolio(returns=x, solvers=["CLARABEL", "SCS"])
        return port.optimization(
            model=name.upper(),
            codependence="pearson",
            method_cov="hist",
            rm="MV",
            linkage="single" if name == "hrp" else "ward",
            leaf_order=True,
        )
    port = rp.Portfolio(returns=x)
    port.assets_stats(method_mu="hist", method_cov="hist")
    port.solvers = ["CLARABEL", "SCS"]
    port.sol_params = {}
    if name == "erc":
        return port.rp_optimization(model="Classic", rm="MV", hist=True)
    obj = {"min_var": "MinRisk", "max_sharpe": "Sharpe"}[name]
    return port.optimization(model="Classic", rm="MV", obj=obj, hist=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--assets", default="50,200")
    ap.add_argument("--skip-backtest", action="store_true")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", message=r"\s*This use of ``\*``")  # riskfolio-lib's own noise (peer calls)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )

    t_port, t_rp = import_time("trade2026.portfolio"), import_time("riskfolio")
    print(
        f"\nimport trade2026.portfolio {t_port:.2f} s | import riskfolio {t_rp:.2f} s (paid only when a method solves)"
    )

    import riskfolio  # noqa: F401  # pay the import once, outside the timings

    from trade2026.portfolio import METHODS, covariance, expected_returns, optimize

    views = "/tmp/_bench_views.toml"
    for n in (int(a) for a in args.assets.split(",")):
        x = panel(n)
        with open(views, "w") as fh:
            fh.write(
                '[[views]]\nasset = "A000"\nreturn = 0.10\nconfidence = 0.6\n[[views]]\nlong = "A001"\nshort = "A002"\nreturn = 0.03\n'
            )
        t_est, _ = best(lambda x=x: (covariance(x, method="ledoit_wolf"), expected_returns(x)), args.repeat)
        print(f"\n{n} assets x {len(x)} returns; estimation (Ledoit-Wolf + mean) {t_est * 1e3:.1f} ms")
        print(f"{'method':<16}{'total ms':>10}{'solve ms':>10}")
        for name in METHODS:
            params = {"views": views} if name == "black_litterman" else {}
            try:
                t, _ = best(lambda x=x, name=name, params=params: optimize(x, name, params=params), args.repeat)
            except Exception as exc:  # a benchmark reports, it does not stop
                print(f"{name:<16}{'failed':>10}  {type(exc).__name__}: {str(exc)[:60]}")
                continue
            print(f"{name:<16}{t * 1e3:>10.1f}{(t - t_est) * 1e3:>10.1f}")
        print(f"{'peer check':<16}{'ours ms':>10}{'direct ms':>11}{'ratio':>8}{'max |dw|':>11}")
        for name in ("min_var", "max_sharpe", "erc", "hrp", "herc"):
            params = {"linkage": "single"} if name == "hrp" else {}
            t_ours, ours = best(
                lambda x=x, name=name, params=params: optimize(x, name, params=params, cov="sample"), args.repeat
            )
            t_dir, ref = best(lambda x=x, name=name: direct(name, x), args.repeat)
            dw = float(np.max(np.abs(np.array(list(ours.weights.values())) - ref.to_numpy().ravel())))
            print(f"{name:<16}{t_ours * 1e3:>10.1f}{t_dir * 1e3:>11.1f}{t_ours / t_dir:>8.2f}{dw:>11.1e}")

    if args.skip_backtest:
        return
    from trade2026.datasets import generate
    from trade2026.portfolio import backtest

    d = generate(symbols=50, years=10, seed=0, intraday_symbols=0)
    wide = d.bars_1d.pivot(on="symbol", index="ts", values="close").sort("ts")
    px = wide.drop("ts").to_pandas()
    px.index = wide["ts"].to_pandas()
    methods = "hrp,herc,erc,min_var,ew"
    t0 = time.perf_counter()
    res = backtest(px, methods, rebalance=21, lookback=252)
    total = time.perf_counter() - t0
    n_reb = len(res.rebalance_dates)
    print(f"\nbacktest {methods}: 50 symbols x 10 years, monthly ({n_reb} rebalances x 5 methods)")
    print(
        f"total {total:.1f} s | {total / n_reb * 1e3:.0f} ms per rebalance date | {total / (n_reb * 5) * 1e3:.0f} ms per solve"
    )
    for m in res.metrics:
        print(f"  {m['method']:<8} sharpe {m['sharpe']:6.2f}  turnover/rebalance {m['turnover_per_rebalance']:.3f}")


if __name__ == "__main__":
    main()
