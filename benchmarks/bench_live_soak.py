"""Live loop soak: a bounded run at a sustained order rate, resident memory sampled, flat or not.

The in-process path of ``t26 serve`` (risk, OMS, fsync'd journal with its default snapshots, paper
venue, portfolio) trades ``--rate`` orders a second in market events of ``--batch`` orders for
``--minutes``; the resident set size (``/proc/self/statm``, the current RSS, not the peak) is
sampled every ``--sample`` seconds, with the interpreter's allocated blocks (live objects: a leak
grows them, allocator fragmentation grows RSS only). After a warm-up (the first ``--warmup`` fraction of the run:
the bounded order, fill and trade-id memories fill up), the least-squares slope of RSS over time
says whether memory is flat: the drift it implies over the measured span must stay under 2% of the
mean RSS (and 4 MiB). Event->ack latency percentiles of the whole run are printed too. Not a test.

Run: python benchmarks/bench_live_soak.py [--minutes 30] [--sample 10] [--rate 2000] [--batch 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from trade2026.live import PaperVenue, RiskLimits, TradingEngine

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def soak(minutes: float, sample_s: float, rate: float, batch: int, d: Path) -> dict[str, object]:
    venue = PaperVenue(1e12)
    venue.set_quote("AAA", 99.99, 100.01)
    engine = TradingEngine(venue, d, cash=1e12, limits=RiskLimits(rate_per_s=float("inf"), burst=float("inf")))
    engine.portfolio.mark("AAA", 100.0)
    engine.start()
    t0 = time.monotonic()
    t_end = t0 + minutes * 60
    next_sample = t0
    samples: list[tuple[float, float, float]] = []
    lat = np.empty(0)
    chunk: list[float] = []
    i = 0
    while True:
        now = time.monotonic()
        if now >= next_sample:
            samples.append((now - t0, rss_mib(), sys.getallocatedblocks() / 1e6))
            next_sample += sample_s
            lat = np.concatenate([lat, np.array(chunk)]) if chunk else lat
            chunk = []
            if len(lat) > 2_000_000:  # keep the latency sample bounded too (every other one)
                lat = lat[::2]
        if now >= t_end:
            break
        if rate > 0:  # pace: event i is due at t0 + i * batch / rate
            wait = t0 + i * batch / rate - now
            if wait > 0:
                time.sleep(wait)
        ev = time.perf_counter()
        engine.submit_many([("AAA", 1.0 if i % 2 == 0 else -1.0, None)] * batch)
        chunk.append(time.perf_counter() - ev)
        i += 1
    wall = time.monotonic() - t0
    engine.close()
    t = np.array([s[0] for s in samples])
    r = np.array([s[1] for s in samples])
    blocks = np.array([s[2] for s in samples])
    return {"orders": i * batch, "wall": wall, "t": t, "rss": r, "blocks": blocks, "lat": lat}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between RSS samples")
    ap.add_argument("--rate", type=float, default=2000.0, help="orders per second (0: as fast as it goes)")
    ap.add_argument("--batch", type=int, default=10, help="orders per market event")
    ap.add_argument(
        "--warmup",
        type=float,
        default=0.3,
        help="fraction of the run before the slope is fitted (RSS still rose until ~25%% of a 30-min soak)",
    )
    a = ap.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        res = soak(a.minutes, a.sample, a.rate, a.batch, Path(tmp) / "soak")
    t, r, blocks, lat = res["t"], res["rss"], res["blocks"], res["lat"] * 1e3  # type: ignore[operator]
    assert isinstance(t, np.ndarray) and isinstance(r, np.ndarray) and isinstance(lat, np.ndarray)
    assert isinstance(blocks, np.ndarray)
    print(
        f"soak {res['wall']:.0f} s: {res['orders']:,} orders, {res['orders'] / res['wall']:,.0f} orders/s "
        f"(target {a.rate:g}/s, batch {a.batch})"
    )
    print(
        f"event->ack: p50 {np.percentile(lat, 50):.3f} ms  p95 {np.percentile(lat, 95):.3f} ms  "
        f"p99 {np.percentile(lat, 99):.3f} ms  max {lat.max():.1f} ms"
    )
    step = max(len(r) // 12, 1)
    print("RSS MiB (t s): " + ", ".join(f"{x:.1f} ({s:.0f})" for s, x in zip(t[::step], r[::step], strict=True)))
    keep = t >= t[-1] * a.warmup
    if keep.sum() < 3:
        print("too few samples after the warm-up to fit a slope; run longer or sample more often")
        return
    slope, _ = np.polyfit(t[keep], r[keep], 1)  # MiB per second
    span = t[keep][-1] - t[keep][0]
    drift = slope * span
    limit = max(0.02 * float(r[keep].mean()), 4.0)
    verdict = "flat" if abs(drift) < limit else "NOT flat"
    bslope, _ = np.polyfit(t[keep], blocks[keep], 1)
    bdrift = bslope * (t[keep][-1] - t[keep][0])
    objects = "flat" if abs(bdrift) < 0.02 * float(blocks[keep].mean()) else "growing"
    print(
        f"live Python objects (allocated blocks, millions): {blocks[keep].min():.2f}..{blocks[keep].max():.2f} "
        f"after the warm-up, drift {bdrift:+.3f} M: {objects} (a leak grows them; fragmentation grows RSS only)"
    )
    print(
        f"after {a.warmup:.0%} warm-up: RSS {r[keep].min():.1f}..{r[keep].max():.1f} MiB, slope {slope * 3600:+.2f} MiB/h, "
        f"drift over {span:.0f} s {drift:+.2f} MiB (limit {limit:.1f}): memory is {verdict}"
    )


if __name__ == "__main__":
    main()
