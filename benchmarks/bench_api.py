"""Control API under load: does reading the API at a high rate slow the order path?

One process holds what ``t26 serve --api`` holds: a trading loop thread (a TradingEngine on the
paper venue, journal fsync'd, its Control run between orders) and the control API (uvicorn in a
thread, on 127.0.0.1). The loop sends ``--orders`` market orders at ``--rate`` orders/s and times
each one through risk, the journal and the venue (``submit``). Twice, in the same run:

1. without readers (the peer: the same order path alone);
2. with ``--readers`` reader processes polling GET /api/v1/state, /positions, /orders, /risk,
   /pnl and /metrics as fast as they can over keep-alive connections, plus one ``/api/v1/events``
   subscriber.

The two phases alternate ``--repeats`` times (their latencies pooled), so a change of the
machine's load during the run falls on both. Every phase stops by itself: after ``--orders`` orders or ``--seconds`` seconds, whichever
comes first; readers stop when the phase ends (or after ``--max-reads`` each). Printed: reads/s,
order-path latency percentiles with and without readers, and their ratio.

Run: python benchmarks/bench_api.py [--orders 3000] [--rate 300] [--readers 2] [--seconds 30] [--no-fsync]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from trade2026.live import ApiServer, Control, PaperVenue, RiskLimits, TradingEngine, create_app

TOKEN = "bench-" + "k" * 40
READER = r"""
import http.client, json, sys, time
host, port, token, stop_file, max_reads = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
paths = ["/api/v1/state", "/api/v1/positions", "/api/v1/orders", "/api/v1/risk", "/api/v1/pnl", "/metrics"]
h = {"Authorization": "Bearer " + token}
c = http.client.HTTPConnection(host, port, timeout=30)
n = bad = 0
import os
while n < max_reads and not os.path.exists(stop_file):
    c.request("GET", paths[n % len(paths)], headers=h)
    r = c.getresponse()
    r.read()
    bad += r.status != 200
    n += 1
print(json.dumps({"reads": n, "bad": bad}))
"""
EVENTS = r"""
import http.client, os, sys
host, port, token, stop_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = http.client.HTTPConnection(host, port, timeout=30)
c.request("GET", "/api/v1/events", headers={"Authorization": "Bearer " + token})
r = c.getresponse()
n = 0
while not os.path.exists(stop_file):
    line = r.fp.readline()
    if not line:
        break
    n += line.startswith(b"event: snapshot")
print(n)
"""


def pct(lat: np.ndarray, q: float) -> float:
    return float(np.percentile(lat, q) * 1e3)


def phase(
    n: int, rate: float, seconds: float, readers: int, max_reads: int, d: Path, fsync: bool
) -> tuple[np.ndarray, float, int]:
    """Latencies (s) of the orders of one phase, reads/s and SSE events received."""
    venue = PaperVenue(1e12)
    venue.set_quote("AAA", 99.99, 100.01)
    engine = TradingEngine(
        venue, d, cash=1e12, limits=RiskLimits(rate_per_s=float("inf"), burst=float("inf")), fsync=fsync
    )
    control = Control("paper")
    control.attach(engine)
    engine.portfolio.mark("AAA", 100.0)
    engine.start()
    control.step()
    server = ApiServer(create_app(control, token=TOKEN, log=lambda _m: None), "127.0.0.1", 0).start()
    stop_file = d / "stop"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = []
    if readers:
        args = [server.host, str(server.port), TOKEN, str(stop_file)]
        procs = [
            subprocess.Popen([sys.executable, "-c", READER, *args, str(max_reads)], stdout=subprocess.PIPE, env=env)
            for _ in range(readers)
        ]
        procs.append(subprocess.Popen([sys.executable, "-c", EVENTS, *args], stdout=subprocess.PIPE, env=env))
        time.sleep(1.0)  # the readers are connected and reading
    lat: list[float] = []

    def loop() -> None:
        t0 = time.perf_counter()
        for i in range(n):
            due = t0 + i / rate
            while True:
                control.step()
                now = time.perf_counter()
                if now >= due:
                    break
                time.sleep(min(due - now, 0.001))
            if now - t0 > seconds:
                break
            a = time.perf_counter()
            engine.submit("AAA", 1.0 if i % 2 == 0 else -1.0)
            lat.append(time.perf_counter() - a)

    th = threading.Thread(target=loop)
    t_start = time.perf_counter()
    th.start()
    th.join()
    wall = time.perf_counter() - t_start
    stop_file.touch()
    reads = events = 0
    for k, p in enumerate(procs):
        out, _ = p.communicate(timeout=60)
        if k < readers:
            r = json.loads(out)
            assert r["bad"] == 0, r
            reads += r["reads"]
        else:
            events = int(out or 0)
    control.close()
    server.stop()
    engine.close()
    return np.array(lat), reads / wall, events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=3000)
    ap.add_argument("--rate", type=float, default=300.0, help="orders per second")
    ap.add_argument("--readers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=30.0, help="bound of each phase")
    ap.add_argument("--max-reads", type=int, default=1_000_000, help="bound of each reader")
    ap.add_argument("--repeats", type=int, default=2, help="alternations of the two phases")
    ap.add_argument("--no-fsync", action="store_true", help="journal without fsync (isolates the CPU contention)")
    a = ap.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print(f"{a.orders} orders at {a.rate:g}/s, journal fsync {'off' if a.no_fsync else 'on'}")
    alone, read, rates, events = [], [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(a.repeats):
            alone.append(phase(a.orders, a.rate, a.seconds, 0, 0, Path(tmp) / f"alone{k}", not a.no_fsync)[0])
            lat, rps, ev = phase(
                a.orders, a.rate, a.seconds, a.readers, a.max_reads, Path(tmp) / f"r{k}", not a.no_fsync
            )
            read.append(lat)
            rates.append(rps)
            events += ev
    base, loaded = np.concatenate(alone), np.concatenate(read)
    print(
        f"readers: {a.readers} processes, {np.mean(rates):,.0f} reads/s (mean of {a.repeats} phases), "
        f"SSE subscriber got {events} snapshot events"
    )
    print(f"{'order path (submit)':24s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'max ms':>8s} {'orders':>7s}")
    for name, lat in (("alone (peer)", base), ("with API readers", loaded)):
        print(
            f"{name:24s} {pct(lat, 50):8.3f} {pct(lat, 95):8.3f} {pct(lat, 99):8.3f} {lat.max() * 1e3:8.3f} {len(lat):7d}"
        )
    for q in (50, 95, 99):
        print(f"ratio p{q} with/without readers: {pct(loaded, q) / pct(base, q):.2f}x")


if __name__ == "__main__":
    main()
