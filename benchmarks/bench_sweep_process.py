"""Whole processes: ``t26 backtest`` (a 4,851-pair SMA sweep, and one strategy) against vectorbt's.

What is timed: each whole process from the shell's point of view (``subprocess.run`` wall time:
interpreter start, imports, data read, numba cache load or compile, the work, output), median of
``--repeat`` runs, with ``PYTHONDONTWRITEBYTECODE`` unset in the children so bytecode is cached
as on a normal install. Both tools run on the same bars: one symbol of the built-in sample universe
(``trade2026.datasets.generate()``, what ``t26 data sample`` writes; the first symbol listed for the
whole period, its last 2,148 daily bars), written once to a CSV the peer reads and to the bars_1d
table of a fresh lake that ``t26`` reads.

- trade2026: ``t26 --home H backtest sma_cross --symbols SYM --grid fast=2:100,slow=2:100 --json
  --no-track`` (the sweep, the best pair's backtest, PSR/DSR, cost sensitivity, bootstrap
  intervals, the neighbourhood, the JSON report), and ``t26 ... backtest sma_cross:fast=20,slow=50
  --json --no-track`` for one strategy; ``t26 --help`` for the start-up.
- vectorbt (in its own venv, ``--peer-python``): this script with ``--peer-worker`` reads the CSV
  with pandas, runs ``vbt.MA.run_combs`` over windows 2..100 (the same 4,851 pairs) and
  ``Portfolio.from_signals``, and writes every pair's total return. The peer does less than ``t26``
  (no report, statistics or robustness).

The comparison holds fixed (so total returns must be identical, pair by pair): long while
SMA(fast) > SMA(slow) on the close, flat otherwise; the state decided on bar t's close trades at bar
t+1's open (vectorbt: the entries/exits shifted one bar and ``price=open``; valuation at the close
in both); all equity invested on entry (vectorbt ``size=inf``, fractional shares), no re-entry
while long (vectorbt's default ``accumulate=False``); zero fees and slippage; 1,000,000 starting
cash; no trade on the first bar. trade2026's per-pair total returns come from
``trade2026.backtest.run_sweep`` (the library the command calls), checked against the command's own
top-10 rows.

Kernel times (for the "within 2x of start-up + kernel" target) are measured in this process with a
warm cache: ``run_sweep`` for the sweep, ``run_backtest`` on precomputed positions for one strategy,
and the whole ``evaluate`` workflow for both. The "floor" row is a process that only imports what a
backtest needs, reads the bars and calls one cached kernel: what any such process pays first.

Cold runs give each process an empty ``NUMBA_CACHE_DIR`` (a new user's first run: every kernel
compiles). The machine may be shared: the figures are then "under load"; rerun on an idle one.

Run: python benchmarks/bench_sweep_process.py [--repeat 5] [--peer-python /work/venvs/vbt/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

N_BARS = 2148
GRID = "fast=2:100,slow=2:100"
SINGLE = "sma_cross:fast=20,slow=50"
INIT_CASH = 1_000_000.0
# What any process that backtests pays before its work: the imports (numpy, polars, numba,
# deltalake), numba's one-time target set-up (which imports scipy.linalg) and the lake read.
FLOOR = (
    "import numpy as np; import commands.main; from trade2026.backtest import _kernels; "
    "from trade2026.lake import Lake; Lake({home!r}).read_bars('bars_1d'); "
    "_kernels.book_returns_nb(np.ones((1, 1)), np.ones(1), np.empty((1, 1)))"
)


# ---------------------------------------------------------------------------------------------------
# The peer, run by --peer-python (imports nothing from trade2026)


def peer_worker(csv: str, out: str) -> None:
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    df = pd.read_csv(csv)
    close = pd.Series(df["close"].to_numpy(), name="close")
    open_ = pd.Series(df["open"].to_numpy(), name="open")
    fast, slow = vbt.MA.run_combs(close, window=np.arange(2, 101), r=2, short_names=["fast", "slow"])
    state = fast.ma_above(slow)  # decided on bar t's close ...
    entries = state.shift(1, fill_value=False)  # ... traded at bar t+1's open (price=open below)
    exits = (~state).shift(1, fill_value=False)
    pf = vbt.Portfolio.from_signals(close, entries, exits, price=open_, fees=0.0, init_cash=INIT_CASH, freq="1D")
    tr = pf.total_return()
    pairs = np.array([tr.index.get_level_values(0), tr.index.get_level_values(1)], dtype=np.int64).T
    np.savez(out, pairs=pairs, total_return=tr.to_numpy())


# ---------------------------------------------------------------------------------------------------
# The driver


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "NUMBA_DEBUG_CACHE")}
    env.update(extra)
    return env


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system of the child and its children) and stdout of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        msg = f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-3000:]}"
        raise SystemExit(msg)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dt, cpu, p.stdout


@dataclass(frozen=True)
class Timing:
    wall: float  # median wall seconds
    cpu: float  # median CPU seconds
    runs: list[float]  # every wall time
    stdout: str  # of the last run


def _median(cmd: list[str], repeat: int, env: dict[str, str]) -> Timing:
    _timed(cmd, env)  # warm the page cache, bytecode and numba cache
    runs = [_timed(cmd, env) for _ in range(repeat)]
    return Timing(
        wall=statistics.median(r[0] for r in runs),
        cpu=statistics.median(r[1] for r in runs),
        runs=[r[0] for r in runs],
        stdout=runs[-1][2],
    )


def _cold(cmd: list[str], repeat: int, base: dict[str, str]) -> list[float]:
    out = []
    for _ in range(repeat):
        d = tempfile.mkdtemp(prefix="bench_numba_cold_")
        try:
            out.append(_timed(cmd, {**base, "NUMBA_CACHE_DIR": d})[0])
        finally:
            shutil.rmtree(d, ignore_errors=True)
    return out


def _prepare(work: Path) -> tuple[str, Path, Path]:
    import polars as pl

    from trade2026.datasets import generate
    from trade2026.lake import Lake

    bars = generate().bars_1d  # the universe `t26 data sample` writes (datasets/sample.toml defaults)
    n_ts = bars["ts"].n_unique()
    full = bars.group_by("symbol").len().filter(pl.col("len") == n_ts)["symbol"].sort()
    symbol = str(full[0])
    one = bars.filter(pl.col("symbol") == symbol).sort("ts").tail(N_BARS)
    csv = work / "bars.csv"
    one.write_csv(csv)
    back = pl.read_csv(csv)
    for c in ("open", "high", "low", "close"):
        if not (back[c] == one[c]).all():
            msg = f"the CSV does not round-trip column {c} exactly"
            raise SystemExit(msg)
    home = work / "home"
    Lake(home).write("bars_1d", one, mode="overwrite")
    return symbol, csv, home


def _kernel_times(home: Path, repeat: int) -> dict[str, Any]:
    import numpy as np

    from trade2026.backtest import evaluate, run_backtest, run_sweep, strategy_positions
    from trade2026.core import bars_panel
    from trade2026.lake import Lake

    bars = Lake(home).read_bars("bars_1d")
    panel = bars_panel(bars)
    positions = strategy_positions(SINGLE, bars)
    evaluate(bars, SINGLE)  # load every kernel once
    evaluate(bars, "sma_cross", grid="fast=2:3,slow=5:6")

    def best_of(fn: Any) -> float:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    sw = run_sweep(panel, "sma_cross", GRID, init_cash=INIT_CASH)
    total = np.prod(1.0 + sw.returns, axis=0) - 1.0
    return {
        "sweep_kernel": best_of(lambda: run_sweep(panel, "sma_cross", GRID, init_cash=INIT_CASH)),
        "sweep_evaluate": best_of(lambda: evaluate(bars, "sma_cross", grid=GRID)),
        "single_kernel": best_of(lambda: run_backtest(panel, positions)),
        "single_evaluate": best_of(lambda: evaluate(bars, SINGLE)),
        "total_return": {(p["fast"], p["slow"]): float(v) for p, v in zip(sw.params, total, strict=True)},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="warm whole-process runs per command (median)")
    ap.add_argument("--cold-repeat", type=int, default=2, help="runs with an empty NUMBA_CACHE_DIR")
    ap.add_argument(
        "--peer-python", default=sys.executable, help="a Python with vectorbt (default: this one; skipped without it)"
    )
    ap.add_argument("--workdir", default=None, help="where the bars, the lake and the peer's output go")
    ap.add_argument("--peer-worker", nargs=2, metavar=("CSV", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer_worker:
        peer_worker(*args.peer_worker)
        return

    import platform

    import numpy as np

    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_sweep_process_"))
    work.mkdir(parents=True, exist_ok=True)
    symbol, csv, home = _prepare(work)
    t26 = shutil.which("t26")
    base = [t26] if t26 else [sys.executable, "-m", "commands.main"]
    env = _env()
    print(
        f"python {sys.version.split()[0]}, {platform.machine()}, {os.cpu_count()} cpus, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; PYTHONDONTWRITEBYTECODE unset in every child process"
    )
    print(f"bars: {symbol}, {N_BARS} daily bars of the sample universe ({csv}); median of {args.repeat} runs\n")

    sweep_cmd = [*base, "--home", str(home), "backtest", "sma_cross", "--symbols", symbol, "--grid", GRID]
    single_cmd = [*base, "--home", str(home), "backtest", SINGLE, "--symbols", symbol]
    quiet = ["--json", "--no-track"]
    help_ = _median([*base, "--help"], args.repeat, env)
    sweep = _median([*sweep_cmd, *quiet], args.repeat, env)
    single = _median([*single_cmd, *quiet], args.repeat, env)
    tracked = _median([*single_cmd, "--json"], max(1, args.repeat // 2), env)
    floor = _median([sys.executable, "-c", FLOOR.format(home=str(home))], args.repeat, env)
    k = _kernel_times(home, args.repeat)

    peer = None
    py = args.peer_python
    if py and subprocess.run([py, "-c", "import vectorbt"], capture_output=True, check=False).returncode == 0:
        out = work / "vbt.npz"
        peer_cmd = [py, str(Path(__file__).resolve()), "--peer-worker", str(csv), str(out)]
        peer = _median(peer_cmd, args.repeat, env)
        data = np.load(out)
        theirs = {(int(a), int(b)): float(v) for (a, b), v in zip(data["pairs"], data["total_return"], strict=True)}
    else:
        print(f"vectorbt skipped: not importable by {py!r} (pass --peer-python with a vectorbt install)\n")

    top = json.loads(sweep.stdout)["sweep"]["top"]
    cli_vs_lib = max(abs(r["total_return"] - k["total_return"][(r["fast"], r["slow"])]) for r in top)
    print(f"{'':48s} {'wall':>8s} {'cpu':>8s}   wall of every run")
    _row("t26 --help", help_)
    _row("t26 backtest, 4,851-pair sweep", sweep)
    print(f"  in-process (warm): run_sweep {k['sweep_kernel']:.3f} s, evaluate {k['sweep_evaluate']:.3f} s")
    print(f"  the command's top-10 total returns vs run_sweep: max |diff| {cli_vs_lib:.1e}")
    if peer:
        _row("vectorbt sweep (peer)", peer)
        diff = max(abs(theirs[p] - v) for p, v in k["total_return"].items())
        same = set(theirs) == set(k["total_return"])
        verdict = "identical" if same and diff < 1e-9 else "DIFFERENT"
        print(f"  {len(theirs)} pairs, max |total return difference| vs run_sweep = {diff:.1e} ({verdict})")
        print(
            f"  ratio vectorbt / t26: wall {peer.wall / sweep.wall:4.1f}x, cpu {peer.cpu / sweep.cpu:4.1f}x "
            "(target >= 5x)"
        )
    print()
    _row("t26 backtest, one strategy", single)
    _row("  the same with MLflow tracking", tracked)
    _row("  floor: import + lake read + one cached kernel", floor)
    print(f"  in-process (warm): run_backtest {k['single_kernel']:.4f} s, evaluate {k['single_evaluate']:.4f} s")
    for what, kern in (("run_backtest", k["single_kernel"]), ("evaluate", k["single_evaluate"])):
        print(
            f"  whole / (t26 --help + {what}): wall {single.wall / (help_.wall + kern):4.2f}x, "
            f"cpu {single.cpu / (help_.cpu + kern):4.2f}x (target <= 2x)"
        )

    if args.cold_repeat:
        print(f"\nfirst run after a fresh install (empty NUMBA_CACHE_DIR), {args.cold_repeat} run(s) each, wall s:")
        for name, cmd in (("one strategy", single_cmd), ("4,851-pair sweep", sweep_cmd)):
            cold = _cold([*cmd, *quiet], args.cold_repeat, env)
            print(f"  t26 backtest, {name:17s} {_fmt(cold)} (target < 15 s)")
        if peer:
            print(f"  vectorbt sweep                 {_fmt(_cold(peer_cmd, args.cold_repeat, env))}")


def _row(name: str, t: Timing) -> None:
    print(f"{name:48s} {t.wall:8.3f} {t.cpu:8.3f}   {_fmt(t.runs)}")


def _fmt(xs: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in xs)


if __name__ == "__main__":
    main()
