"""`t26 --help` wall time versus the bare interpreter start, in the same run.

Run: python benchmarks/bench_startup.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def median_ms(cmd: list[str], repeat: int) -> float:
    subprocess.run(cmd, capture_output=True, check=True)  # warm the page cache / bytecode
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    t26 = shutil.which("t26")
    help_cmd = [t26, "--help"] if t26 else [sys.executable, "-m", "commands.main", "--help"]
    base = median_ms([sys.executable, "-c", "pass"], args.repeat)
    typer_only = median_ms([sys.executable, "-c", "import typer, rich"], args.repeat)
    cli = median_ms(help_cmd, args.repeat)
    sub = median_ms([*help_cmd[:-1], "data", "ingest", "--help"], args.repeat)
    print(f"python -c pass            {base:8.1f} ms")
    print(f"python -c 'import typer'  {typer_only:8.1f} ms")
    print(
        f"t26 --help                {cli:8.1f} ms   ratio vs bare python {cli / base:5.2f}x, vs typer import {cli / typer_only:5.2f}x (target < 250 ms)"
    )
    print(f"t26 data ingest --help    {sub:8.1f} ms")


if __name__ == "__main__":
    main()
