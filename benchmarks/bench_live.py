"""Live loop speed: orders per second through risk, OMS, journal and venue, with latency percentiles.

1. In process, against the paper venue: market events of ``--batch`` orders each; every order
   passes pre-trade risk, is journaled (one fsync'd group commit per event, before any send), sent,
   filled and applied to the portfolio. Latency is from the market event to each order's
   acknowledgement (the ``submit_many`` return). The peer, in the same run: freqtrade-style
   persistence, one SQLite transaction (WAL, ``synchronous=FULL``) per order, the way a bot that
   stores each order in its database before sending it would pay for durability.
2. Over loopback, against the PRISM venue process (``t26 sim venue``), one order at a time:
   latency from the decision to the venue's acknowledgement.
3. ``--soak S``: S seconds of in-process trading, resident memory sampled every second (flat = no leak).

Run: python benchmarks/bench_live.py [--orders 20000] [--batch 100] [--loopback 2000] [--soak 0]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from trade2026.live import PaperVenue, PrismClient, RiskLimits, TradingEngine

NO_RATE = RiskLimits(rate_per_s=float("inf"), burst=float("inf"))


def pct(lat: list[float]) -> str:
    a = np.array(lat) * 1e3
    return f"p50 {np.percentile(a, 50):.3f} ms  p95 {np.percentile(a, 95):.3f} ms  p99 {np.percentile(a, 99):.3f} ms"


def in_process(n: int, batch: int, d: Path, *, fsync: bool = True) -> tuple[float, list[float]]:
    venue = PaperVenue(1e12)
    venue.set_quote("AAA", 99.99, 100.01)
    engine = TradingEngine(venue, d, cash=1e12, limits=NO_RATE, fsync=fsync, snapshot_every=0)
    engine.portfolio.mark("AAA", 100.0)
    engine.start()
    lat: list[float] = []
    t0 = time.perf_counter()
    for i in range(n // batch):
        side = 1.0 if i % 2 == 0 else -1.0
        ev = time.perf_counter()
        engine.submit_many([("AAA", side, None)] * batch)
        done = time.perf_counter()
        lat.extend([done - ev] * batch)
    wall = time.perf_counter() - t0
    engine.close()
    return (n // batch) * batch / wall, lat


def sqlite_peer(n: int, d: Path) -> tuple[float, list[float]]:
    con = sqlite3.connect(d / "orders.db", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE orders (id TEXT PRIMARY KEY, symbol TEXT, qty REAL, status TEXT)")
    lat: list[float] = []
    t0 = time.perf_counter()
    for i in range(n):
        ev = time.perf_counter()
        con.execute("BEGIN")
        con.execute("INSERT INTO orders VALUES (?, 'AAA', 1.0, 'submitted')", (f"r-{i}",))
        con.execute("COMMIT")
        con.execute("UPDATE orders SET status='filled' WHERE id=?", (f"r-{i}",))
        lat.append(time.perf_counter() - ev)
    wall = time.perf_counter() - t0
    con.close()
    return n / wall, lat


def start_venue() -> tuple[subprocess.Popen[str], str]:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    cmd = [sys.executable, "-m", "commands.main", "sim", "venue", "--port", "0", "--speed", "60"]
    p = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    assert p.stderr is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        m = re.search(r"listening on ([\d.]+):(\d+)", p.stderr.readline())
        if m:
            return p, f"prism://{m.group(1)}:{m.group(2)}"
    p.kill()
    raise SystemExit("the PRISM venue did not start")


def loopback(n: int, d: Path) -> tuple[float, list[float]]:
    proc, url = start_venue()
    try:
        client = PrismClient(url)
        while client.quote()["ask"] is None:
            time.sleep(0.01)
        engine = TradingEngine(client, d, cash=1e12, limits=NO_RATE, snapshot_every=0)
        engine.portfolio.mark("PRISM", 100.0)
        engine.start()
        lat: list[float] = []
        t0 = time.perf_counter()
        for i in range(n):
            ev = time.perf_counter()
            engine.submit("PRISM", 1.0 if i % 2 == 0 else -1.0)
            lat.append(time.perf_counter() - ev)
        wall = time.perf_counter() - t0
        engine.close()
        client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return n / wall, lat


def soak(seconds: float, d: Path) -> list[float]:
    venue = PaperVenue(1e12)
    venue.set_quote("AAA", 99.99, 100.01)
    engine = TradingEngine(venue, d, cash=1e12, limits=NO_RATE, snapshot_every=50_000)
    engine.portfolio.mark("AAA", 100.0)
    engine.start()
    rss: list[float] = []
    t_end = time.monotonic() + seconds
    next_sample = time.monotonic()
    i = 0
    while time.monotonic() < t_end:
        engine.submit_many([("AAA", 1.0 if i % 2 == 0 else -1.0, None)] * 100)
        i += 1
        if time.monotonic() >= next_sample:
            rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            next_sample += 1.0
    engine.close()
    return rss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--loopback", type=int, default=2_000)
    ap.add_argument("--soak", type=float, default=0.0)
    a = ap.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        d = Path(tmp)
        rate, lat = in_process(a.orders, a.batch, d / "r1")
        print(f"in process, batch {a.batch}, fsync'd: {rate:,.0f} orders/s  event->ack {pct(lat)}")
        rate10, lat10 = in_process(max(a.orders // 5, 200), 10, d / "r10")
        print(f"in process, batch 10, fsync'd: {rate10:,.0f} orders/s  event->ack {pct(lat10)}")
        rate1, lat1 = in_process(max(a.orders // 20, 200), 1, d / "r2")
        print(f"in process, batch 1, fsync'd: {rate1:,.0f} orders/s  event->ack {pct(lat1)}")
        nosync, nlat = in_process(a.orders, a.batch, d / "r5", fsync=False)
        print(f"in process, batch {a.batch}, no fsync (the rest of the path): {nosync:,.0f} orders/s  {pct(nlat)}")
        peer, plat = sqlite_peer(max(a.orders // 20, 200), d)
        print(f"peer: SQLite WAL synchronous=FULL, one transaction per order: {peer:,.0f} orders/s  {pct(plat)}")
        print(f"ratio (journal, batch {a.batch} / SQLite per order): {rate / peer:.1f}x")
        print(f"ratio (journal, batch 1 / SQLite per order): {rate1 / peer:.1f}x")
        if a.loopback:
            lr, llat = loopback(a.loopback, d / "r3")
            print(f"loopback to the PRISM venue, one at a time: {lr:,.0f} orders/s  order->ack {pct(llat)}")
        if a.soak:
            rss = soak(a.soak, d / "r4")
            marks = ", ".join(f"{x:.0f}" for x in rss[:: max(len(rss) // 10, 1)])
            print(f"soak {a.soak:g}s: max RSS MiB every {max(len(rss) // 10, 1)} s: {marks}; last {rss[-1]:.0f}")


if __name__ == "__main__":
    main()
