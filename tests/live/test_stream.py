"""``t26 serve`` against the PRISM venue process: trading, partial fills, the lake, and a resumed run."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from trade2026.live import PrismClient


def _serve(cli: Any, url: str, *args: str) -> dict[str, Any]:
    r = cli("serve", "--strategy", "sma_cross:fast=2,slow=5", "--venue", url, "--bar-seconds", "20", *args, "--json")
    assert r.exit_code == 0, r.output
    return dict(json.loads(r.stdout))


@pytest.mark.slow
def test_serve_trades_the_venue_and_resumes_a_run(cli: Any, lake: Any, venue_url: str) -> None:
    out = _serve(cli, venue_url, "--bars", "40", "--run-id", "s1", "--on-stop", "cancel")
    assert out["orders"] > 0 and out["fills"] >= out["orders"] - out["denied"] - out["working"]
    client = PrismClient(venue_url)
    bal = client.balances("s1")
    assert out["cash"] == bal["cash"]
    ours = [f for f in client.fills_since(0) if f.client_id.startswith("s1-")]
    assert len(ours) == out["fills"]
    assert lake.read("live_fills").filter(pl.col("run_id") == "s1").height == out["fills"]
    again = _serve(cli, venue_url, "--bars", "3", "--run-id", "s1")
    rec = again["reconciliation"]
    assert rec["replayed"] > 0 and rec["differences"] == [] and again["state"] == "active"
    assert again["orders"] >= out["orders"]  # the run's orders, found again, plus any new ones
    client.close()


def test_unreachable_venue_exits_2_naming_it(cli: Any, lake: Any) -> None:
    r = cli("serve", "--strategy", "sma_cross", "--venue", "prism://127.0.0.1:9")
    assert r.exit_code == 2 and "prism://127.0.0.1:9" in r.stderr


def test_venue_protocol_in_process() -> None:
    """The venue answers each op of its protocol; a known client order id creates nothing."""
    from trade2026.sim.prism import PrismVenue, load_config

    t = [0.0]
    v = PrismVenue(load_config(None, days=1, session_hours=0.5), speed=100.0, cash=1000.0, clock=lambda: t[0])
    t[0] = 5.0
    v.advance()
    q = v.handle({"op": "quote"})
    assert q["ok"] and q["bid"] < q["ask"]
    o = v.handle({"op": "submit", "client_id": "a-1", "symbol": "PRISM", "qty": 2.0})["order"]
    assert o["status"] == "filled" and o["filled"] == 2.0
    assert v.handle({"op": "submit", "client_id": "a-1", "symbol": "PRISM", "qty": 2.0})["order"] == o
    far = v.handle({"op": "submit", "client_id": "a-2", "symbol": "PRISM", "qty": -1.0, "kind": "limit", "limit": 1e6})
    assert far["order"]["status"] == "accepted"
    assert [x["client_id"] for x in v.handle({"op": "open_orders"})["orders"]] == ["a-2"]
    assert v.handle({"op": "cancel", "client_id": "a-2"})["order"]["status"] == "canceled"
    fills = v.handle({"op": "fills_since", "seq": 0})["fills"]
    bal = v.handle({"op": "balances", "account": "a"})
    assert bal["positions"] == {"PRISM": 2.0} and bal["fill_seq"] == len(fills)
    assert bal["cash"] == 1000.0 - sum(f["qty"] * f["price"] + f["fee"] for f in fills)
    assert v.handle({"op": "submit", "client_id": "b-1", "symbol": "XYZ", "qty": 1.0})["order"]["status"] == "rejected"
    assert not v.handle({"op": "nope"})["ok"]
    assert v.to_dict()["accounts"][0]["account"] == "a"
