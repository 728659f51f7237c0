"""Driven by test_crash.py in a subprocess: random orders against a PRISM venue until killed.

Usage: python crash_driver.py RUN_DIR VENUE_URL SEED N_OPS  (T26_LIVE_FAULT arms the kill point)
"""

from __future__ import annotations

import random
import sys
import time

from trade2026.live import PrismClient, TradingEngine


def main(run_dir: str, url: str, seed: int, n_ops: int) -> None:
    rng = random.Random(seed)
    venue = PrismClient(url)
    engine = TradingEngine(venue, run_dir, cash=1e6, snapshot_every=7)
    engine.start()
    deadline = time.monotonic() + 20.0
    for i in range(n_ops):
        if time.monotonic() > deadline:
            break
        q = venue.quote()
        if q["bid"] is None or q["ask"] is None:
            time.sleep(0.01)
            continue
        engine.portfolio.mark("PRISM", (q["bid"] + q["ask"]) / 2)
        r = rng.random()
        side = 1 if rng.random() < 0.5 else -1
        if r < 0.3:  # big market orders fill in parts over several quotes
            engine.submit("PRISM", side * rng.choice([200, 500, 1500]))
        elif r < 0.4:  # a market event of several orders, pipelined to the venue in one write
            engine.submit_many([("PRISM", side * rng.choice([100, 300]), None) for _ in range(rng.randint(2, 4))])
        elif r < 0.7:  # a limit away from the market, then its cancel
            o = engine.submit("PRISM", side * 100, limit=round(q["bid"] * (0.9 if side > 0 else 1.1), 2))
            if rng.random() < 0.5 and o.status == "accepted":
                engine.modify(o.client_id, qty=side * 150)
            if not o.terminal:  # a denied order (halted, rate limit) was never sent
                engine.cancel(o.client_id)
        elif r < 0.75 and seed % 3 == 0 and i > 40:  # some runs halt, late enough to have traded
            engine.set_state("halted", "driver halt")
        else:
            engine.poll()
            for o in engine.working():
                if o.status != "pending_cancel" and rng.random() < 0.3:
                    engine.cancel(o.client_id)
        engine.flush()
        time.sleep(0.005)
    engine.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
