"""Live loop speed: orders per second through risk, OMS, journal and venue, with latency percentiles.

1. In process, against the paper venue: market events of ``--batch`` orders each; every order
   passes pre-trade risk, is journaled (one fsync'd group commit per event, before any send), sent,
   filled and applied to the portfolio. Latencies per order: market event -> order (the order
   handed to the venue: risk, OMS and the journal's commit before it) and order -> acknowledgement
   (the venue's answer). The peer, in the same run: freqtrade-style persistence, one SQLite
   transaction (WAL, ``synchronous=FULL``) per order, the way a bot that stores each order in its
   database before sending it pays for durability. The disk's own fsync latency is printed too:
   with the journal fsync'd before every send, it is the floor of event -> order.
2. Over loopback, against the PRISM venue process (``t26 sim venue``): events of ``--lb-batch``
   orders pipelined with the fills query (one write for the event, the answers read after: one round
   trip per event); order -> ack is that call.
3. The protocol's framing: encoding a submit and decoding its answer as JSON lines (orjson) against
   a fixed binary frame (struct), per message.

The memory soak is benchmarks/bench_live_soak.py.

Run: python benchmarks/bench_live.py [--orders 20000] [--batch 100] [--loopback 5000] [--lb-batch 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from trade2026.live import PaperVenue, PrismClient, RiskLimits, TradingEngine

NO_RATE = RiskLimits(rate_per_s=float("inf"), burst=float("inf"))


def pct(lat: Any) -> str:
    a = np.asarray(lat) * 1e3
    return f"p50 {np.percentile(a, 50):.3f} ms  p95 {np.percentile(a, 95):.3f} ms  p99 {np.percentile(a, 99):.3f} ms"


class Timed:
    """A venue wrapper that stamps each order when it is handed over and when its answer is back."""

    def __init__(self, venue: Any) -> None:
        self.venue = venue
        self.sent: list[float] = []
        self.acked: list[float] = []
        if hasattr(venue, "submit_batch"):
            self.submit_batch = self._submit_batch

    def submit(self, *args: Any, _clock: Any = time.perf_counter) -> Any:
        t = _clock()
        r = self.venue.submit(*args)
        self.sent.append(t)
        self.acked.append(_clock())
        return r

    def _submit_batch(self, orders: list[Any], fill_seq: int) -> Any:
        t = time.perf_counter()
        r = self.venue.submit_batch(orders, fill_seq)
        t2 = time.perf_counter()
        self.sent.extend([t] * len(orders))
        self.acked.extend([t2] * len(orders))
        return r

    def __getattr__(self, name: str) -> Any:
        return getattr(self.venue, name)


def drive(engine: TradingEngine, timed: Timed, symbol: str, n: int, batch: int) -> tuple[float, dict[str, Any]]:
    """``n // batch`` market events of ``batch`` orders; orders/s and the latencies per order."""
    events: list[float] = []
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(n // batch):
        side = 1.0 if i % 2 == 0 else -1.0
        events.append(time.perf_counter())
        engine.submit_many([(symbol, side, None)] * batch)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    ev = np.repeat(np.array(events), batch)
    sent, acked = np.array(timed.sent[-len(ev) :]), np.array(timed.acked[-len(ev) :])
    lat = {"event_order": sent - ev, "order_ack": acked - sent, "event_ack": acked - ev, "per_cpu_s": len(ev) / cpu}
    return len(ev) / wall, lat


def in_process(n: int, batch: int, d: Path, *, fsync: bool = True) -> tuple[float, dict[str, Any]]:
    venue = PaperVenue(1e12)
    venue.set_quote("AAA", 99.99, 100.01)
    timed = Timed(venue)
    engine = TradingEngine(timed, d, cash=1e12, limits=NO_RATE, fsync=fsync, snapshot_every=0)
    engine.portfolio.mark("AAA", 100.0)
    engine.start()
    out = drive(engine, timed, "AAA", n, batch)
    engine.close()
    return out


def fsync_floor(d: Path, n: int = 300) -> list[float]:
    """The disk's latency of a small append + fsync (what each journal commit pays)."""
    lat = []
    with open(d / "fsync.bin", "ab", buffering=0) as f:
        for _ in range(n):
            f.write(b"x" * 512)
            t = time.perf_counter()
            os.fsync(f.fileno())
            lat.append(time.perf_counter() - t)
    return lat


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
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert p.stderr is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        m = re.search(r"listening on ([\d.]+):(\d+)", p.stderr.readline())
        if m:
            return p, f"prism://{m.group(1)}:{m.group(2)}"
    p.kill()
    raise SystemExit("the PRISM venue did not start")


def loopback(n: int, batch: int, d: Path, url: str) -> tuple[float, dict[str, Any]]:
    client = PrismClient(url)
    while client.quote()["ask"] is None:
        time.sleep(0.01)
    timed = Timed(client)
    engine = TradingEngine(timed, d, cash=1e12, limits=NO_RATE, snapshot_every=0)
    engine.portfolio.mark("PRISM", 100.0)
    engine.start()
    out = drive(engine, timed, "PRISM", n, batch)
    engine.close()
    client.close()
    return out


def framing(n: int = 20_000) -> tuple[float, float]:
    """Seconds per submit message (encode the request, decode it, encode and decode the answer):
    JSON lines with orjson, and a fixed binary frame (struct) of the same fields."""
    req = {"op": "submit", "client_id": "bench20261201-0000000042", "symbol": "PRISM", "qty": 1.0, "kind": "market"}
    ans = {"ok": True, "order": {**req, "status": "accepted", "filled": 0.0, "venue_id": "X42", "limit": None}}
    t = time.perf_counter()
    for _ in range(n):
        orjson.loads(orjson.dumps(req) + b"\n")
        orjson.loads(orjson.dumps(ans) + b"\n")
    js = (time.perf_counter() - t) / n
    rq = struct.Struct("<IB24s8sdBd")  # length, op, client id, symbol, qty, kind, limit
    an = struct.Struct("<IB24sBdd8s")  # length, ok, client id, status, filled, qty, venue id
    t = time.perf_counter()
    for _ in range(n):
        cid, sym = req["client_id"].encode(), req["symbol"].encode()  # type: ignore[attr-defined]
        f = rq.unpack(rq.pack(rq.size, 1, cid, sym, 1.0, 0, 0.0))
        (f[2].rstrip(b"\0").decode(), f[3].rstrip(b"\0").decode())
        g = an.unpack(an.pack(an.size, 1, cid, 1, 0.0, 1.0, b"X42"))
        (g[2].rstrip(b"\0").decode(), g[6].rstrip(b"\0").decode())
    return js, (time.perf_counter() - t) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--loopback", type=int, default=5_000, help="orders over loopback (0: skip)")
    ap.add_argument("--lb-batch", type=int, default=10, help="orders per market event over loopback")
    a = ap.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")

    def show(what: str, rate: float, lat: dict[str, Any]) -> None:
        print(f"{what}: {rate:,.0f} orders/s ({lat['per_cpu_s']:,.0f} per CPU-second of this process)")
        print(f"    event->order {pct(lat['event_order'])}")
        print(f"    order->ack   {pct(lat['order_ack'])}")
        print(f"    event->ack   {pct(lat['event_ack'])}")

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        d = Path(tmp)
        print(f"disk: append + fsync {pct(fsync_floor(d))}")
        rates = {}
        for b, n in ((a.batch, a.orders), (10, a.orders), (1, max(a.orders // 20, 200))):
            rates[b], lat = in_process(n, b, d / f"r{b}")
            show(f"in process, batch {b}, fsync'd", rates[b], lat)
        nosync, nlat = in_process(a.orders, a.batch, d / "nosync", fsync=False)
        show(f"in process, batch {a.batch}, no fsync (the rest of the path)", nosync, nlat)
        nosync10, nlat10 = in_process(a.orders, 10, d / "nosync10", fsync=False)
        show("in process, batch 10, no fsync", nosync10, nlat10)
        peer, plat = sqlite_peer(max(a.orders // 20, 200), d)
        print(f"peer: SQLite WAL synchronous=FULL, one transaction per order: {peer:,.0f} orders/s  {pct(plat)}")
        print(f"ratio (journal, batch {a.batch} / SQLite per order): {rates[a.batch] / peer:.1f}x")
        print(f"ratio (journal, batch 1 / SQLite per order): {rates[1] / peer:.1f}x")
        if a.loopback:
            proc, url = start_venue()
            try:
                lr, llat = loopback(a.loopback, a.lb_batch, d / "lbp", url)
                show(f"loopback to the PRISM venue, events of {a.lb_batch} pipelined", lr, llat)
                one, olat = loopback(max(a.loopback // 5, 200), 1, d / "lb1", url)
                show("loopback to the PRISM venue, one order per event", one, olat)
                print(f"ratio (events of {a.lb_batch} / one order per event): {lr / one:.1f}x")
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
        js, binary = framing()
        print(
            f"framing per submit (request + answer, encode + decode): JSON lines {js * 1e6:.2f} us, "
            f"binary struct {binary * 1e6:.2f} us"
        )


if __name__ == "__main__":
    main()
