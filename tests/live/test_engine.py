"""The trading engine: journal before send, and restarts after a crash at each point of the order path.

A crash is simulated in process: a venue wrapper raises at the chosen point, the engine is dropped
without closing (its unflushed journal buffer is lost, as in a SIGKILL) and a new engine opens the
same run directory against the same venue. The multi-process SIGKILL version is in test_crash.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trade2026.errors import T26Error
from trade2026.live import PaperVenue, RiskLimits, TradingEngine, is_legal_path
from trade2026.live._journal import JOURNAL_FILE, scan


class Crash(BaseException):
    """Stands for the process dying (not an Exception, so nothing in the engine catches it)."""


class Wrapped:
    """A venue that crashes the caller once, before or after forwarding ``method``."""

    def __init__(self, inner: PaperVenue, method: str | None = None, when: str = "before") -> None:
        self.inner, self.method, self.when = inner, method, when

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self.inner, name)
        if name != self.method:
            return fn

        def call(*a: Any, **kw: Any) -> Any:
            self.method = None  # once
            if self.when == "before":
                raise Crash
            fn(*a, **kw)
            raise Crash

        return call


def _venue() -> PaperVenue:
    v = PaperVenue(10_000.0, commission_bps=10.0)
    v.set_quote("AAA", 99.0, 101.0)
    return v


def _engine(venue: Any, d: Path, **kw: Any) -> TradingEngine:
    e = TradingEngine(venue, d, cash=10_000.0, **kw)
    e.portfolio.mark("AAA", 100.0)
    return e


def _drop(e: TradingEngine) -> None:
    e.journal._fh.close()  # the process is gone: nothing more is written


def _client_ids_at_venue(v: PaperVenue) -> list[str]:
    return list(v.orders)


def test_intent_is_durable_before_the_venue_sees_the_order(tmp_path: Path) -> None:
    v = _venue()
    seen: list[bool] = []
    submit = v.submit

    def check(cid: str, *a: Any) -> Any:
        records, _ = scan((tmp_path / "r1" / JOURNAL_FILE).read_bytes())
        seen.append(any(r["kind"] == "intent" and r["client_id"] == cid for r in records))
        return submit(cid, *a)

    v.submit = check  # type: ignore[method-assign,assignment]
    e = _engine(v, tmp_path / "r1")
    e.start()
    e.submit("AAA", 5.0)
    e.close()
    assert seen == [True]


def test_no_order_before_reconciliation(tmp_path: Path) -> None:
    e = _engine(_venue(), tmp_path / "r1")
    with pytest.raises(T26Error, match="start"):
        e.submit("AAA", 1.0)
    e.close()


def _restart(v: PaperVenue, d: Path) -> TradingEngine:
    e = _engine(v, d)
    e.start()
    return e


def _assert_invariants(e: TradingEngine, v: PaperVenue) -> None:
    assert v.cash == e.portfolio.cash
    assert v.balances()["positions"] == e.portfolio.holdings()
    assert e.portfolio.n_fills == len(v.fills)
    assert all(is_legal_path(o.history) for o in e.orders.values())
    seqs = [r["seq"] for r in e.journal.read_all()]
    assert seqs == list(range(1, len(seqs) + 1))


def test_crash_after_journal_before_send_resends_once(tmp_path: Path) -> None:
    v = _venue()
    e = _engine(Wrapped(v, "submit", "before"), tmp_path / "r1")
    e.start()
    with pytest.raises(Crash):
        e.submit("AAA", 5.0)
    _drop(e)
    assert v.orders == {}
    e2 = _restart(v, tmp_path / "r1")
    assert _client_ids_at_venue(v) == ["r1-0000000001"]
    assert e2.orders["r1-0000000001"].status == "filled"
    _assert_invariants(e2, v)
    e2.close()


def test_crash_after_send_before_ack_does_not_resend(tmp_path: Path) -> None:
    v = _venue()
    e = _engine(Wrapped(v, "submit", "after"), tmp_path / "r1")
    e.start()
    with pytest.raises(Crash):
        e.submit("AAA", 5.0)
    _drop(e)
    e2 = _restart(v, tmp_path / "r1")
    assert v.submits == 1
    assert e2.orders["r1-0000000001"].status == "filled"
    assert e2.ids.next() == "r1-0000000002"  # ids resume after the journal's last
    _assert_invariants(e2, v)
    e2.close()


def test_pending_cancel_survives_a_crash_and_is_resolved_by_the_venue(tmp_path: Path) -> None:
    v = _venue()
    e = _engine(Wrapped(v, "cancel", "before"), tmp_path / "r1")
    e.start()
    o = e.submit("AAA", 5.0, limit=100.0)  # rests: the ask is 101
    assert o.status == "accepted"
    with pytest.raises(Crash):
        e.cancel(o.client_id)
    _drop(e)
    e2 = _restart(v, tmp_path / "r1")
    assert e2.orders[o.client_id].status == "canceled"
    assert e2.orders[o.client_id].history[-2:] == ["pending_cancel", "canceled"]
    _assert_invariants(e2, v)
    e2.close()


def test_fills_missed_while_down_are_applied_once(tmp_path: Path) -> None:
    v = _venue()
    e = _restart(v, tmp_path / "r1")
    o = e.submit("AAA", 5.0, limit=100.0)
    e.close()
    v.set_quote("AAA", 99.5, 100.0)  # fills while the engine is down
    e2 = _restart(v, tmp_path / "r1")
    assert e2.orders[o.client_id].status == "filled"
    assert e2.portfolio.qty("AAA") == 5.0
    e2.close()
    e3 = _restart(v, tmp_path / "r1")
    assert e3.portfolio.qty("AAA") == 5.0
    _assert_invariants(e3, v)
    e3.close()


def test_a_mismatch_with_the_venue_halts_and_says_what_differs(tmp_path: Path) -> None:
    v = _venue()
    e = _restart(v, tmp_path / "r1")
    e.submit("AAA", 5.0)
    e.close()
    v.positions["AAA"] += 1.0
    e2 = _restart(v, tmp_path / "r1")
    assert e2.risk.state == "halted"
    assert "position AAA 5.0 here, 6.0 at the venue" in (e2.risk.halt_reason or "")
    assert e2.submit("AAA", 1.0).reason == "halted"
    e2.close()
    v.positions["AAA"] -= 1.0
    e3 = _restart(v, tmp_path / "r1")
    assert e3.risk.state == "halted"  # a halt is journaled: fixing the venue does not resume trading by itself
    e3.close()


def test_kill_switch_flattens_latches_and_survives_restart(tmp_path: Path) -> None:
    v = _venue()
    e = _restart(v, tmp_path / "r1")
    e.submit("AAA", 5.0)
    rest = e.submit("AAA", 5.0, limit=90.0)
    e.kill("test")
    assert e.orders[rest.client_id].status == "canceled"
    assert e.portfolio.qty("AAA") == 0.0 and v.balances()["positions"] == {}
    assert e.submit("AAA", 1.0).reason == "kill_switch"
    e.close()
    e2 = _restart(v, tmp_path / "r1")
    assert e2.risk.killed and e2.risk.state == "halted"
    _assert_invariants(e2, v)
    e2.reset_kill()
    e2.close()
    e3 = _restart(v, tmp_path / "r1")
    assert not e3.risk.killed and e3.risk.state == "active"
    assert e3.submit("AAA", 1.0).status == "filled"
    e3.close()


def test_restarts_with_no_venue_activity_emit_nothing(tmp_path: Path) -> None:
    v = _venue()
    e = _restart(v, tmp_path / "r1")
    e.submit("AAA", 5.0)
    e.submit("AAA", -2.0, limit=105.0)
    e.close()
    e1 = _restart(v, tmp_path / "r1")
    seq = e1.journal.seq
    e1.close()
    for _ in range(2):
        e2 = _restart(v, tmp_path / "r1")
        assert e2.journal.seq == seq
        e2.close()


def test_snapshots_restore_the_same_state(tmp_path: Path) -> None:
    v = _venue()
    e = TradingEngine(v, tmp_path / "r1", cash=10_000.0, snapshot_every=3)
    e.portfolio.mark("AAA", 100.0)
    e.start()
    for q in (5.0, -2.0, 3.0, -6.0):
        e.submit("AAA", q)
    before = e.summary()
    e.close()
    assert (tmp_path / "r1" / "snapshot.json").exists()
    e2 = _restart(v, tmp_path / "r1")
    after = e2.summary()
    for key in ("cash", "orders", "fills", "realised", "fees", "journal_seq"):
        assert after[key] == before[key]
    _assert_invariants(e2, v)
    e2.close()


def test_rate_limit_denial_is_journaled_with_its_reason(tmp_path: Path) -> None:
    v = _venue()
    e = TradingEngine(v, tmp_path / "r1", cash=1e9, limits=RiskLimits(rate_per_s=2, burst=2), clock=lambda: 0.0)
    e.portfolio.mark("AAA", 100.0)
    e.start()
    out = e.submit_many([("AAA", 1.0, None)] * 3)
    assert [o.status for o in out] == ["filled", "filled", "rejected"]
    assert out[2].reason == "rate_limit" and len(v.orders) == 2
    e.close()


def test_memory_stays_bounded_on_a_long_run(tmp_path: Path) -> None:
    v = PaperVenue(1e9, commission_bps=10.0)
    v.set_quote("AAA", 99.0, 101.0)
    e = TradingEngine(v, tmp_path / "r1", cash=1e9, limits=RiskLimits(rate_per_s=1e9, burst=1e9), max_orders=50)
    e.portfolio.max_trade_ids = 40
    e.portfolio.mark("AAA", 100.0)
    e.start()
    for i in range(30):
        e.submit_many([("AAA", 1.0 if i % 2 else -1.0, None)] * 5)
    assert len(e.orders) <= 50 and len(e.portfolio.trade_ids) <= 40
    assert e.summary()["orders"] == 150 and e.summary()["fills"] == 150
    assert e.portfolio.cash == v.cash
    e.close()
    e2 = _restart(v, tmp_path / "r1")
    assert e2.summary()["orders"] == 150 and e2.portfolio.cash == v.cash
    e2.close()


def test_paper_venue_history_is_bounded_and_fills_since_still_counts() -> None:
    v = PaperVenue(1e9, max_history=10)
    v.set_quote("AAA", 99.0, 101.0)
    for i in range(25):
        v.submit(f"r-{i + 1}", "AAA", 1.0)
    assert len(v.fills) <= 10 and len(v.orders) <= 10
    assert [f.seq for f in v.fills_since(22)] == [23, 24, 25]
    assert v.balances()["fill_seq"] == 25 and v.positions["AAA"] == 25.0


def test_modify_goes_through_pending_update_and_the_journal(tmp_path: Path) -> None:
    v = _venue()
    e = _restart(v, tmp_path / "r1")
    o = e.submit("AAA", 5.0, limit=100.0)  # rests below the ask
    assert e.modify(o.client_id, qty=8.0) is None
    assert (o.status, o.qty, o.history[-2:]) == ("accepted", 8.0, ["pending_update", "accepted"])
    assert v.orders[o.client_id]["qty"] == 8.0
    assert e.modify(o.client_id, limit=101.0) is None  # reaches the ask: fills at the new price
    assert o.status == "filled" and o.filled == 8.0 and e.portfolio.qty("AAA") == 8.0
    with pytest.raises(T26Error, match="illegal"):
        e.modify(o.client_id, qty=9.0)
    rest = e.submit("AAA", 2.0, limit=90.0)
    assert e.modify(rest.client_id, qty=-2.0) is None  # the venue refuses a side change
    assert rest.status == "accepted" and rest.qty == 2.0 and rest.history[-1] == "accepted"
    e.risk.limits = RiskLimits(price_band_bps=100)
    denial = e.modify(rest.client_id, limit=150.0)  # a fat-finger reprice is refused before the journal
    assert denial is not None and denial.code == "price_band"
    assert rest.status == "accepted" and rest.limit == 90.0 and v.orders[rest.client_id]["limit"] == 90.0
    e.close()
    e2 = _restart(v, tmp_path / "r1")
    assert e2.orders[o.client_id].qty == 8.0 and e2.orders[rest.client_id].qty == 2.0
    _assert_invariants(e2, v)
    e2.close()


def test_a_pending_update_survives_a_crash(tmp_path: Path) -> None:
    v = _venue()
    e = _engine(Wrapped(v, "modify", "before"), tmp_path / "r1")
    e.start()
    o = e.submit("AAA", 5.0, limit=100.0)
    with pytest.raises(Crash):
        e.modify(o.client_id, qty=7.0)
    _drop(e)
    e2 = _restart(v, tmp_path / "r1")
    o2 = e2.orders[o.client_id]
    assert (o2.status, o2.qty, o2.requested) == ("accepted", 7.0, None)
    assert o2.history[-2:] == ["pending_update", "accepted"] and v.orders[o.client_id]["qty"] == 7.0
    _assert_invariants(e2, v)
    e2.close()
