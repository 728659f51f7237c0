"""A scaling curve on this machine: time and peak memory of ingest, screen and sweep at 1x, 4x, 16x data.

The data: the project's own sample generator (``trade2026.datasets.generate``, what ``t26 data
sample`` writes), daily bars of ``64 x k`` symbols over ``--years`` years for k = 1, 4, 16 (the
cross-section grows, the history stays), written as CSV files of 64 symbols each.

Each step runs in a fresh child process (so one step's peak is not hidden by another's freed
memory), timed with ``perf_counter``; its peak memory is the growth of the child's resident set
during the step (``VmHWM`` reset through ``/proc/self/clear_refs`` just before it):

- ingest: ``trade2026.lake.ingest(lake, files)`` of every CSV into an empty local lake (what
  ``t26 data ingest`` runs: parse, validate, normalise, merge on (symbol, ts)); then the table's
  data files and bytes;
- screen: ``trade2026.screener.screen_report(lake, "rsi_14 < 70", rank="zscore(mom_252_21)", top=20)``
  (what ``t26 screen`` runs: read the bars, every indicator the expressions name, one date);
- sweep: ``Lake.read_bars`` then ``trade2026.backtest.run_sweep(bars, "sma_cross", GRID)`` serially
  (the default ``max_chunk_mb=64`` bounds the working set).

The peer is the 1x run itself: each row prints its time and memory as a ratio to 1x, next to the
data ratio, so a linear step shows ~4 and ~16. The README's "At internet scale" section
extrapolates from these figures.

Run: python benchmarks/bench_scaling.py [--years 8] [--scales 1,4,16]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASE_SYMBOLS = 64
GRID = "fast=5:50:5,slow=20:200:20"  # 10 x 10 windows, fast < slow: 90 pairs
SCREEN = ("rsi_14 < 70", "zscore(mom_252_21)")


def _vm(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _measure(fn: Any) -> tuple[float, int, Any]:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = _vm("VmRSS")
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    return elapsed, _vm("VmHWM") - before, out


def child(step: str, root: str, data: str) -> dict[str, Any]:
    from trade2026.lake import Lake

    lake = Lake(root=root)
    if step == "ingest":
        from trade2026.lake import ingest

        files = sorted(str(p) for p in Path(data).glob("*.csv"))
        ingest(lake, files[:1], table="bars_warm")  # imports and the CSV reader warm, outside the timing
        secs, peak, res = _measure(lambda: ingest(lake, files))
        info = lake.info("bars_1d")
        return {"seconds": secs, "peak": peak, "rows": res.rows, "files": info["files"], "bytes": info["size_bytes"]}
    if step == "screen":
        from trade2026.screener import screen_report

        two = lake.sql("SELECT DISTINCT symbol FROM bars_1d ORDER BY 1 LIMIT 2")["symbol"].to_list()
        screen_report(lake, SCREEN[0], rank=SCREEN[1], top=20, universe=two)  # imports and kernels warm
        secs, peak, rep = _measure(lambda: screen_report(lake, SCREEN[0], rank=SCREEN[1], top=20))
        return {"seconds": secs, "peak": peak, "matches": len(rep.to_dict().get("rows", []))}
    from trade2026.backtest import run_sweep

    warm = lake.read_bars("bars_1d")
    run_sweep(warm.filter(warm["symbol"].is_in(warm["symbol"].unique().sort()[:2].to_list())), "sma_cross", GRID)
    del warm

    def sweep() -> Any:
        return run_sweep(lake.read_bars("bars_1d"), "sma_cross", GRID)

    secs, peak, res = _measure(sweep)
    return {"seconds": secs, "peak": peak, "trials": res.n_trials, "cells": res.n_trials * res.returns.shape[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--years", type=int, default=8)
    ap.add_argument("--scales", default="1,4,16")
    ap.add_argument("--child", nargs=3, metavar=("STEP", "ROOT", "DATA"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    import polars as pl

    from trade2026.datasets import generate

    scales = [int(x) for x in args.scales.split(",")]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in scales:
            n_sym = BASE_SYMBOLS * k
            bars = generate(symbols=n_sym, years=args.years, seed=0, intraday_symbols=0).bars_1d
            data = Path(tmp) / f"csv{k}"
            data.mkdir()
            symbols = bars["symbol"].unique().sort().to_list()
            for j in range(0, n_sym, BASE_SYMBOLS):
                part = bars.filter(pl.col("symbol").is_in(symbols[j : j + BASE_SYMBOLS]))
                part.with_columns(pl.col("ts").dt.strftime("%Y-%m-%d").alias("ts")).rename({"ts": "date"}).write_csv(
                    data / f"part{j // BASE_SYMBOLS:04d}.csv"
                )
            root = str(Path(tmp) / f"lake{k}")
            row: dict[str, Any] = {"scale": k, "symbols": n_sym, "bars": bars.height}
            del bars
            for step in ("ingest", "screen", "sweep"):
                cmd = [sys.executable, __file__, "--child", step, root, str(data)]
                out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
                if out.returncode:
                    sys.exit(f"{step} at {k}x failed:\n{out.stderr[-3000:]}")
                row[step] = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"{k}x done", file=sys.stderr)
    one = rows[0]
    print(f"daily bars of {BASE_SYMBOLS} x k symbols over {args.years} years; sweep grid {GRID}")
    print(f"{'scale':>5} {'rows':>10} {'step':>7} {'seconds':>8} {'x 1x':>6} {'peak MB':>8} {'x 1x':>6} {'extra':>30}")
    for row in rows:
        for step in ("ingest", "screen", "sweep"):
            s, b = row[step], one[step]
            extra = ""
            if step == "ingest":
                extra = f"{s['files']} files, {s['bytes'] / 1e6:.1f} MB"
            elif step == "sweep":
                extra = f"{s['trials']} trials, {s['cells'] * row['symbols'] / 1e6:.0f}M trial-bar-symbols"
            print(
                f"{row['scale']:>4}x {row['bars']:>10,} {step:>7} {s['seconds']:>8.2f} "
                f"{s['seconds'] / b['seconds']:>6.1f} {s['peak'] / 1e6:>8.1f} "
                f"{s['peak'] / max(b['peak'], 1):>6.1f} {extra:>30}"
            )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
