"""First run after a fresh install versus later runs: whole ``t26 sim`` processes, cold and warm.

    python benchmarks/bench_sim_coldstart.py [--repeat 3] [--home DIR]

numba compiles a kernel on its first call and caches it (``__pycache__`` or ``NUMBA_CACHE_DIR``).
*cold* runs each get an empty ``NUMBA_CACHE_DIR`` (a new user's first command); *warm* runs reuse a
populated one. Each command runs as its own process (``python -m commands.main ...``, bytecode
caches allowed: ``PYTHONDONTWRITEBYTECODE`` is unset for the children). The peers measured in the
same run are the same command warm and ``t26 --help`` (the CLI's start-up). Medians of wall and CPU
(user + sys) seconds; the target is a cold run under 15 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 15.0


def run(args: list[str], cache: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``t26`` process with ``NUMBA_CACHE_DIR=cache``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "commands.main", *args], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"t26 {' '.join(args)} failed:\n{proc.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(args: list[str], repeat: int) -> dict[str, tuple[float, float]]:
    cold_wall, cold_cpu, warm_wall, warm_cpu = [], [], [], []
    with tempfile.TemporaryDirectory() as warm_cache:
        run(args, warm_cache)  # fills the warm cache
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as cold_cache:
                w, c = run(args, cold_cache)
            cold_wall.append(w)
            cold_cpu.append(c)
            w, c = run(args, warm_cache)
            warm_wall.append(w)
            warm_cpu.append(c)
    med = statistics.median
    return {"cold": (med(cold_wall), med(cold_cpu)), "warm": (med(warm_wall), med(warm_cpu))}


def sample_home(home: Path) -> str:
    sys.path.insert(0, str(ROOT))
    from trade2026.datasets import generate, write_sample
    from trade2026.lake import Lake

    lake = Lake(home)
    if not lake.exists("bars_1d"):
        write_sample(lake, generate())
    symbols = set(lake.read("bars_1d", columns=["symbol"])["symbol"].unique().to_list())
    return "ACC" if "ACC" in symbols else sorted(symbols)[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--home", type=Path, default=None, help="a home with the sample universe (made if missing)")
    opts = ap.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"cpus: {os.cpu_count()}, load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        home = opts.home or Path(tmp) / "home"
        symbol = sample_home(home)
        h = ["--home", str(home)]
        commands = {
            "t26 --help": ["--help"],
            "t26 sim prism --days 1": ["sim", "prism", "--days", "1", "--no-track", "--json", *h],
            f"t26 sim mc --strategy sma_cross:fast=20,slow=50 --symbol {symbol}": [
                "sim",
                "mc",
                "--strategy",
                "sma_cross:fast=20,slow=50",
                "--symbol",
                symbol,
                "--no-track",
                "--json",
                *h,
            ],
        }
        results = {name: measure(args, opts.repeat) for name, args in commands.items()}
    help_wall = results["t26 --help"]["warm"][0]
    print(f"\nmedians of {opts.repeat} runs (wall s / cpu s); cold = empty NUMBA_CACHE_DIR")
    print(f"{'command':<64} {'cold':>14} {'warm':>14} {'cold/warm':>9} {'warm/--help':>11}")
    for name, r in results.items():
        (cw, cc), (ww, wc) = r["cold"], r["warm"]
        flag = "" if name == "t26 --help" else ("  ok" if cw < TARGET_S else f"  OVER {TARGET_S:g} s")
        print(f"{name:<64} {cw:6.2f} / {cc:5.2f} {ww:6.2f} / {wc:5.2f} {cw / ww:9.2f} {ww / help_wall:11.2f}{flag}")


if __name__ == "__main__":
    main()
