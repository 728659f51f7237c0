"""Control API actions go through risk and the journal (who and why); reads, events, metrics."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.live.api.conftest import AUTH, Running, start_running
from trade2026.core import drawdown
from trade2026.live import Control, PaperVenue, TradingEngine


def _post(c: Any, path: str, **body: Any) -> Any:
    return c.post(path, headers=AUTH, json=body)


def _after(records: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    """The records from the last ``action`` record on."""
    i = max(k for k, r in enumerate(records) if r["kind"] == "action" and r["action"] == action)
    return records[i:]


def test_a_manual_order_over_a_limit_is_denied_with_its_reason_and_journaled(running: Running, client: Any) -> None:
    c = client()
    r = _post(c, "/api/v1/orders", symbol="AAA", qty=150, reason="fat finger")
    assert r.status_code == 422
    body = r.json()
    assert body["reason"] == "max_order_qty" and "max_order_qty 100" in body["detail"]
    assert body["order"]["status"] == "rejected"
    action, intent, event = _after(running.records(), "order")[:3]
    assert action["actor"] == "api:127.0.0.1" and action["reason"] == "fat finger" and action["qty"] == 150
    assert intent["kind"] == "intent" and intent["client_id"] == body["order"]["client_id"]
    assert event["event"] == "reject" and event["reason"] == "max_order_qty"
    assert running.venue.submits == 0  # never sent
    ok = _post(c, "/api/v1/orders", symbol="AAA", qty=10, reason="manual")
    assert ok.status_code == 200 and ok.json()["status"] == "filled"
    assert running.engine.portfolio.qty("AAA") == 10


def test_halt_reduce_resume_are_states_the_orders_meet(running: Running, client: Any) -> None:
    c = client()
    assert _post(c, "/api/v1/orders", symbol="AAA", qty=10, reason="open").status_code == 200
    assert _post(c, "/api/v1/halt", reason="maintenance").json() == {"state": "HALTED", "killed": False}
    r = _post(c, "/api/v1/orders", symbol="AAA", qty=-1, reason="x")
    assert r.status_code == 409 and r.json()["reason"] == "halted"
    assert _post(c, "/api/v1/reduce", reason="wind down").json()["state"] == "REDUCING"
    assert _post(c, "/api/v1/orders", symbol="AAA", qty=5, reason="more").json()["reason"] == "reducing"
    assert _post(c, "/api/v1/orders", symbol="AAA", qty=-4, reason="less").json()["status"] == "filled"
    assert _post(c, "/api/v1/resume", reason="done").json()["state"] == "ACTIVE"
    states = [r for r in running.records() if r["kind"] == "state"]
    assert [(s["state"], s["reason"]) for s in states] == [
        ("halted", "maintenance"), ("reducing", "wind down"), ("active", None)
    ]  # fmt: skip
    actions = [(r["action"], r["reason"]) for r in running.records() if r["kind"] == "action"]
    assert ("halted", "maintenance") in actions and ("active", "done") in actions
    assert c.get("/api/v1/state", headers=AUTH).json()["denied"] == 2


def test_cancel_one_and_all(running: Running, client: Any) -> None:
    c = client()
    ids = [_post(c, "/api/v1/orders", symbol="AAA", qty=1, limit=90.0 + k, reason="rest").json()["client_id"]
           for k in range(3)]  # fmt: skip
    assert {o["client_id"] for o in c.get("/api/v1/orders", headers=AUTH).json()} == set(ids)
    r = c.post(f"/api/v1/orders/{ids[0]}/cancel", headers=AUTH, json={"reason": "too low"})
    assert r.status_code == 200 and r.json()["status"] == "canceled"
    assert c.post(f"/api/v1/orders/{ids[0]}/cancel", headers=AUTH).status_code == 409
    assert c.post("/api/v1/orders/nope-1/cancel", headers=AUTH).status_code == 404
    assert sorted(_post(c, "/api/v1/cancel-all", reason="flat").json()["canceled"]) == ids[1:]
    assert c.get("/api/v1/orders", headers=AUTH).json() == []
    done = c.get("/api/v1/orders?scope=done", headers=AUTH).json()
    assert [o["status"] for o in done] == ["canceled"] * 3
    assert c.get("/api/v1/orders?scope=bad", headers=AUTH).status_code == 422
    cancel = _after(running.records(), "cancel")
    assert cancel[0]["reason"] == "too low" and cancel[0]["client_id"] == ids[0]


def test_kill_cancels_flattens_latches_and_survives_a_restart(tmp_path: Path, client: Any, running: Running) -> None:
    c = client()
    _post(c, "/api/v1/orders", symbol="AAA", qty=40, reason="open")
    resting = _post(c, "/api/v1/orders", symbol="AAA", qty=5, limit=80.0, reason="rest").json()["client_id"]
    assert c.post("/api/v1/kill", headers=AUTH, json={"confirm": "kill", "reason": "x"}).status_code == 400
    assert c.post("/api/v1/kill", headers=AUTH, json={"reason": "x"}).status_code == 400
    assert running.engine.risk.killed is False
    r = _post(c, "/api/v1/kill", confirm="KILL", reason="runaway")
    assert r.status_code == 200
    out = r.json()
    assert out["killed"] is True and out["state"] == "HALTED" and out["canceled"] == [resting]
    assert len(out["flatten"]) == 1
    assert running.engine.portfolio.holdings() == {} and running.engine.working() == []
    assert c.get("/api/v1/positions", headers=AUTH).json()[0]["qty"] == 0.0
    assert _post(c, "/api/v1/resume", reason="oops").status_code == 409
    assert _post(c, "/api/v1/orders", symbol="AAA", qty=1, reason="x").json()["reason"] == "kill_switch"
    kill = _after(running.records(), "kill")
    assert kill[0]["actor"] == "api:127.0.0.1" and kill[0]["reason"] == "runaway"
    assert kill[1] == {**kill[1], "kind": "state", "killed": True, "reason": "runaway"}
    # a restart replays the journal: still latched
    running.halt_loop()
    running.engine.close()
    again = TradingEngine(running.venue, running.run_dir, cash=100_000.0)
    again.start()
    assert again.risk.killed and again.risk.state == "halted" and again.portfolio.holdings() == {}
    again.close()


def test_an_action_the_loop_does_not_take_in_time_is_dropped(running: Running, client: Any) -> None:
    c = client(action_timeout_s=0.3)
    running.halt_loop()  # the loop is stuck (its control still says running)
    r = _post(c, "/api/v1/halt", reason="late")
    assert r.status_code == 504 and "not taken" in r.json()["detail"]
    running.control.step()  # the loop comes back: the dropped halt is not taken
    assert running.engine.risk.state == "active"
    running.control.close()
    assert _post(c, "/api/v1/halt", reason="after").status_code == 503


def test_reads_health_and_readiness(running: Running, client: Any) -> None:
    c = client()
    _post(c, "/api/v1/orders", symbol="AAA", qty=3, reason="x")
    h = c.get("/health", headers=AUTH).json()
    assert h["reconciled"] is True and h["state"] == "ACTIVE" and 0 <= h["loop_age_s"] < 5
    assert h["venue"]["connected"] is True and h["venue"]["last_event_age_s"] >= 0
    assert c.get("/readyz", headers=AUTH).json() == {
        "ready": True, "reconciliation": {"replayed": 0, "resent": [], "missed_fills": 0, "differences": []}
    }  # fmt: skip
    fills = c.get("/api/v1/fills", headers=AUTH).json()
    assert [(f["seq"], f["qty"], f["price"]) for f in fills] == [(1, 3.0, 101.0)]
    assert c.get("/api/v1/fills?since=1", headers=AUTH).json() == []
    pos = c.get("/api/v1/positions", headers=AUTH).json()
    assert pos == [{"symbol": "AAA", "qty": 3.0, "avg_price": 101.0, "mark": 100.0, "unrealised": -3.0,
                    "realised": 0.0, "fees": 0.0}]  # fmt: skip
    pnl = c.get("/api/v1/pnl", headers=AUTH).json()
    assert pnl["equity"] == pytest.approx(100_000.0 - 3.0) and pnl["unrealised"] == -3.0
    risk = c.get("/api/v1/risk", headers=AUTH).json()
    assert {"name": "max_order_qty", "limit": 100.0, "used": 3.0, "share": 0.03} in risk["limits"]
    assert risk["bucket"]["capacity"] == 100.0 and risk["bucket"]["tokens"] <= 100.0
    running.control.close()
    assert c.get("/readyz", headers=AUTH).status_code == 503


def test_not_ready_before_reconciliation(tmp_path: Path, client: Any) -> None:
    import httpx

    from tests.live.api.conftest import TOKEN
    from trade2026.live import ApiServer, create_app

    ctl = Control("paper")
    server = ApiServer(create_app(ctl, token=TOKEN), "127.0.0.1", 0).start()
    try:
        with httpx.Client(base_url=server.url) as c:
            assert c.get("/readyz", headers=AUTH).status_code == 503
            assert c.get("/api/v1/state", headers=AUTH).status_code == 503
            assert c.get("/health", headers=AUTH).json()["reconciled"] is False
            assert c.post("/api/v1/halt", headers=AUTH, json={"reason": "x"}).status_code == 503
    finally:
        server.stop()


def test_events_stream_snapshots_new_fills_and_keepalives(running: Running, client: Any) -> None:
    c = client(keepalive_s=0.2, events_every_s=0.05)
    seen: list[dict[str, Any]] = []
    comments = 0
    deadline = time.monotonic() + 60  # the stream never ends by itself
    with c.stream("GET", "/api/v1/events", headers=AUTH) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith(":"):
                comments += 1
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "snapshot":
                seen.append(json.loads(line[6:]))
                if len(seen) == 1:
                    _post(c, "/api/v1/orders", symbol="AAA", qty=2, reason="tick")
            if (any(s["fills"] for s in seen) and comments >= 3) or time.monotonic() > deadline:
                break
    first = seen[0]
    assert set(first) == {"state", "positions", "pnl", "risk", "working", "fills"}
    new = [f for s in seen for f in s["fills"]]
    assert [f["qty"] for f in new] == [2.0]  # each fill once
    assert comments >= 3  # ": connected" and keep-alives while nothing changes
    assert seen[-1]["positions"][0]["qty"] == 2.0


def test_metrics_are_prometheus_text(running: Running, client: Any) -> None:
    c = client()
    _post(c, "/api/v1/orders", symbol="AAA", qty=3, reason="x")
    _post(c, "/api/v1/orders", symbol="AAA", qty=300, reason="x")
    _post(c, "/api/v1/orders", symbol="AAA", qty=1, limit=50.0, reason="x")
    text = c.get("/metrics", headers=AUTH).text
    fam = {f.name: f for f in text_string_to_metric_families(text)}
    value = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in fam.values() for s in f.samples}
    assert value[("t26_orders", (("status", "filled"),))] == 1
    assert value[("t26_orders", (("status", "accepted"),))] == 1
    assert value[("t26_orders", (("status", "rejected"),))] == 1
    assert value[("t26_rejects_total", (("reason", "max_order_qty"),))] == 1
    assert value[("t26_position", (("symbol", "AAA"),))] == 3.0
    assert value[("t26_order_path_seconds_count", (("op", "submit"),))] == 3
    assert value[("t26_order_path_seconds_count", (("op", "venue_submit"),))] == 2
    assert value[("t26_equity", ())] == pytest.approx(100_000.0 - 3.0)
    assert value[("t26_loop_lag_seconds", ())] >= 0


def test_the_curve_drawdown_is_the_core_drawdown(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    equity = 100_000.0 * np.cumprod(1 + rng.normal(0, 0.01, 200))
    v = PaperVenue(100_000.0)
    e = TradingEngine(v, tmp_path / "dd", cash=100_000.0)
    ctl = Control("paper")
    ctl.attach(e)
    e.start()
    for k, x in enumerate(equity):
        e.portfolio.cash = float(x)  # a flat book: equity is the cash
        ctl.bar(e, k)
    e.close()
    ours = np.array([p["drawdown"] for p in ctl.curve])
    returns = np.diff(np.concatenate([[100_000.0], equity])) / np.concatenate([[100_000.0], equity[:-1]])
    np.testing.assert_allclose(ours, drawdown(returns), rtol=1e-12, atol=1e-12)


def test_fills_since_restart_and_bounded_lists(tmp_path: Path) -> None:
    r = start_running(tmp_path / "b1")
    r.control.max_fills = 5
    try:
        for _ in range(20):
            r.control.submit("order", actor="test", reason="x", symbol="AAA", qty=1.0).result(10)
        time.sleep(0.01)
        assert 5 <= len(r.control.fills) <= 6 and r.control.fills[-1]["seq"] == 20
    finally:
        r.halt_loop()
        r.control.close()
        r.engine.close()


def test_an_action_with_nothing_to_do_is_still_journaled_at_once(running: Running, client: Any) -> None:
    c = client()
    assert _post(c, "/api/v1/cancel-all", reason="nightly sweep").json() == {"canceled": []}
    last = running.records()[-1]  # read back from the file: committed, not just buffered
    assert (last["kind"], last["action"], last["reason"]) == ("action", "cancel_all", "nightly sweep")
