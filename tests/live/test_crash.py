"""Crash safety: SIGKILL a trading process at each point of the order path, restart, check the invariants.

The PRISM venue runs in its own process (``t26 sim venue``); a driver process trades it at random
(tests/live/crash_driver.py) and is SIGKILLed at the armed point; the test then restarts the engine
on the same journal against the same venue and checks that no client order id reached the venue
twice, no journaled order is lost, cash and positions equal the venue's exactly, every fill is
applied once, every history is a legal path, a HALTED state survives, the journal has no gap, and
two restarts with no venue activity emit nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trade2026.live import PrismClient, TradingEngine, is_legal_path
from trade2026.live._faults import POINTS

HERE = Path(__file__).parent


CASES = [(point, seed) for point in POINTS for seed in (0, 1)] + [("journal_write", 3), ("after_intent", 6)]


@pytest.mark.slow
@pytest.mark.parametrize(("point", "seed"), CASES)
def test_sigkill_then_restart_keeps_every_invariant(venue_url: str, tmp_path: Path, point: str, seed: int) -> None:
    run_dir = tmp_path / f"c{seed}{point.replace('_', '')}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "T26_LIVE_FAULT": f"{point}:{2 + seed}"}
    driver = [sys.executable, str(HERE / "crash_driver.py"), str(run_dir), venue_url, str(seed), "300"]
    p = subprocess.run(driver, env=env, timeout=60, capture_output=True, text=True, check=False)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]

    from trade2026.live._journal import JOURNAL_FILE, scan

    committed, _ = scan((run_dir / JOURNAL_FILE).read_bytes())
    halted_before = any(r["kind"] == "state" and r["state"] == "halted" for r in committed)
    intents = [r["client_id"] for r in committed if r["kind"] == "intent"]

    client = PrismClient(venue_url)
    engine = TradingEngine(client, run_dir, cash=1e6)
    rec = engine.start()
    prefix = run_dir.name + "-"
    at_venue = [o for o in client.call("orders")["orders"] if o["client_id"].startswith(prefix)]
    ids = [o["client_id"] for o in at_venue]
    assert len(ids) == len(set(ids))  # no client order id twice (the venue keys on it)
    assert set(ids) <= set(intents)  # nothing reached the venue without a journaled intent
    lost = [c for c in intents if engine.orders[c].status != "rejected" and c not in ids]
    assert not lost, f"journaled orders never sent: {lost}"
    for o in engine.orders.values():
        assert is_legal_path(o.history), (o.client_id, o.history)
    if halted_before:
        assert engine.risk.state == "halted"
    # cash and positions: the engine halts (and says so) when they differ; they must not
    assert rec.differences == [], rec.differences
    engine.cancel_all()
    engine.close()
    time.sleep(0.2)  # let cancels land; then two restarts with no activity emit nothing
    fills = [f for f in client.fills_since(0) if f.client_id.startswith(prefix)]
    seqs = []
    for _ in range(3):
        e = TradingEngine(client, run_dir, cash=1e6)
        r = e.start()
        assert r.differences == []
        assert e.portfolio.cash == client.balances(run_dir.name)["cash"]
        assert e.portfolio.n_fills == len(fills)  # every fill applied once
        seqs.append(e.journal.seq)
        records = [x["seq"] for x in e.journal.read_all()]
        assert records == list(range(1, len(records) + 1))  # no gap
        e.close()
    assert seqs[1] == seqs[2]
    client.close()
