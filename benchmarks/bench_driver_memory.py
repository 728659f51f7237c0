"""Driver memory of a fanned-out sweep as the task count grows: lake slices against pickled frames.

What is measured: the sweep's driver process submitting ``N`` tasks (``N`` = 10, 100, 1000) of one
parameter set each to a local Ray (``num_cpus=2``, started with ``address="local"`` so no stray
cluster is joined) through :func:`trade2026.parallel.run_tasks`, and waiting for all of them.

- peer (the old path): every :class:`SweepChunk` carries the bars ``Panel`` (20 symbols x 2 years of
  daily bars from ``trade2026.datasets.generate``, about 0.4 MB), so Ray serialises one copy per task
  into the driver's object store;
- slices: every task carries a :class:`trade2026.lake.LakeSlice` (lake root, table, version); each
  Ray worker process reads the bars once (a per-process cache).

Figures per run (each in a fresh child process): the driver's peak resident set while the tasks
run (``VmHWM`` after resetting it through ``/proc/self/clear_refs`` once Ray, the bars and the
kernels are warm), and the bytes of the serialised task list (``cloudpickle``, what the driver must
hold until the tasks finish). The results (N columns of 504 returns, 4 kB each) come back either
way. Both paths' returns are checked equal before the figures are printed.

Run: python benchmarks/bench_driver_memory.py [--tasks 10,100,1000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SYMBOLS, YEARS = 20, 2


def _vm(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def child(mode: str, n_tasks: int, root: str) -> dict[str, Any]:
    import hashlib

    import numpy as np
    import ray
    import ray.cloudpickle as cp

    from trade2026.backtest import get_strategy, parse_grid
    from trade2026.backtest._engine import make_config
    from trade2026.backtest._sweep import SweepChunk, _sweep_chunk
    from trade2026.lake import Lake, LakeSlice
    from trade2026.parallel import run_tasks

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    source = LakeSlice.of(Lake(root=root), "bars_1d")
    panel = source.panel()
    cfg = make_config(None, bars=panel)
    strat = get_strategy("sma_cross")
    params = parse_grid(strat.name, "fast=2:41,slow=42:80")[:n_tasks]  # 1,560 pairs
    tasks = [
        SweepChunk(
            panel if mode == "frames" else None, strat.name, [p], cfg, False, None if mode == "frames" else source
        )
        for p in params
    ]
    task_bytes = sum(len(cp.dumps(t)) for t in tasks)
    run_tasks(_sweep_chunk, tasks[:4], executor="ray")  # warm: workers, kernels, (slices) the per-process cache
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    base = _vm("VmRSS")
    parts = run_tasks(_sweep_chunk, tasks, executor="ray")
    peak = _vm("VmHWM")
    ray.shutdown()
    returns = np.concatenate([p[0] for p in parts], axis=1)
    return {
        "mode": mode,
        "tasks": n_tasks,
        "task_bytes": task_bytes,
        "rss_before": base,
        "peak_rss": peak,
        "peak_growth": peak - base,
        "returns_sha": hashlib.sha256(returns.tobytes()).hexdigest(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="10,100,1000")
    ap.add_argument("--child", nargs=3, metavar=("MODE", "N", "ROOT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, n, root = args.child
        print(json.dumps(child(mode, int(n), root)))
        return
    from trade2026.datasets import generate, write_sample
    from trade2026.lake import Lake

    counts = [int(x) for x in args.tasks.split(",")]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        root = str(Path(tmp) / "lake")
        sample = generate(symbols=SYMBOLS, years=YEARS, seed=3, intraday_symbols=0)
        write_sample(Lake(root=root), sample)
        rows = []
        for n in counts:
            for mode in ("frames", "slices"):
                cmd = [sys.executable, __file__, "--child", mode, str(n), root]
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    by = {(r["mode"], r["tasks"]): r for r in rows}
    mb = 1e6
    print(f"sweep of N one-set tasks over {SYMBOLS} symbols x {YEARS} years of daily bars, local Ray num_cpus=2")
    print(f"{'tasks':>6} {'frames: task MB':>16} {'peak growth MB':>15} {'slices: task MB':>16} "
          f"{'peak growth MB':>15} {'peak ratio frames/slices':>25}")  # fmt: skip
    for n in counts:
        f, s = by["frames", n], by["slices", n]
        assert f["returns_sha"] == s["returns_sha"], "the two paths disagree"
        ratio = f["peak_growth"] / max(s["peak_growth"], 1)
        print(f"{n:>6} {f['task_bytes'] / mb:>16.2f} {f['peak_growth'] / mb:>15.1f} {s['task_bytes'] / mb:>16.3f} "
              f"{s['peak_growth'] / mb:>15.1f} {ratio:>25.1f}")  # fmt: skip
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
