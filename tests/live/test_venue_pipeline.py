"""The PRISM venue over loopback: pipelined requests are answered in order, a market event's orders
and its fills query go in one round trip, and a registered model on the stream sees closed bars only."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path
from typing import Any

from trade2026.live import ModelStrategy, PrismClient


def test_pipelined_requests_are_answered_in_order(venue_url: str) -> None:
    client = PrismClient(venue_url)
    ids = [f"pipe-{i:010d}" for i in range(1, 41)]
    answers = client.pipeline([{"op": "query", "client_id": c} for c in ids] + [{"op": "ping"}])
    assert len(answers) == 41 and all(a["order"] is None for a in answers[:40]) and "ts" in answers[40]
    client.close()


def test_submit_batch_is_the_orders_and_their_fills_in_one_trip(venue_url: str) -> None:
    client = PrismClient(venue_url)
    while client.quote()["ask"] is None:
        time.sleep(0.01)
    seq = client.balances("bat")["fill_seq"]
    specs = [(f"bat-{i:010d}", "PRISM", 1.0 if i % 2 else -1.0, "market", None) for i in range(1, 9)]
    reports, fills = client.submit_batch(specs, seq)
    assert [r["client_id"] for r in reports] == [s[0] for s in specs]
    mine = [f for f in fills if f.client_id.startswith("bat-")]
    filled = {r["client_id"]: r["filled"] for r in reports}
    assert any(q != 0 for q in filled.values())  # market orders take the quotes at once
    for cid, q in filled.items():  # every fill made at submission comes back with the answers
        assert abs(sum(f.qty for f in mine if f.client_id == cid)) >= abs(q) - 1e-9
    again, _ = client.submit_batch(specs, seq)  # the same client order ids: nothing new is created
    assert [r["venue_id"] for r in again] == [r["venue_id"] for r in reports]
    assert len([o for o in client.call("orders")["orders"] if o["client_id"].startswith("bat-")]) == 8
    client.close()


def test_a_model_on_the_stream_sees_only_closed_bars(venue_url: str, tmp_path: Path) -> None:
    from trade2026.live._stream import run_stream

    seen: list[tuple[int, Any]] = []

    class Spy(ModelStrategy):
        def weights(self, history: Any, account: dict[str, float] | None = None) -> dict[str, float]:
            seen.append((history.height, history["ts"].max()))
            return {"PRISM": 0.5 if len(seen) % 2 else 0.0}

    spy = Spy("spy", "spy", {"name": "spy", "version": 1, "run_id": None}, True, ["PRISM"], None)
    res, engine = run_stream(venue_url, spy, run_dir=tmp_path / "spystream", bar_seconds=5.0, max_bars=4)
    assert [n for n, _ in seen] == [1, 2, 3, 4]  # one call per closed bar, with the bars so far
    assert all(a < b for (_, a), (_, b) in pairwise(seen))
    assert res.bars == 4 and engine.n_orders >= 1
