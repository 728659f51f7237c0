"""The trading core: risk -> OMS -> journal (before send) -> venue, fills -> positions, and restart.

:class:`TradingEngine` is the one object every caller acts through (the ``t26 serve`` loop now, the
control API later): :meth:`submit` / :meth:`cancel` / :meth:`kill` check risk, journal, then talk
to the venue. Journal records (kinds):

``intent``   an order about to be sent (committed and fsync'd before the send)
``event``    an order status event (``accept``, ``canceled``, ...), applied through the table
``fill``     a fill, applied once (trade id)
``state``    the trading state / kill switch
``day``      the equity the day's loss is measured from
``start``    the first record: the run's starting cash
``action``   an operator's request (control API): who, why, what; its effect is in the records after it

A new run (:meth:`start` on an empty journal) takes the venue's cash as its starting cash and
halts if the venue holds positions it did not make. Restart: load the snapshot, replay the records
after it, then for every non-terminal order ask the venue by client order id. An intent the venue
never saw is sent (same id, so the venue can never get it twice); fills since the last applied
venue sequence number are applied once; positions and cash are compared with the venue's balances
(taken at the same fill sequence number as ours, since a live venue keeps filling). A difference halts
trading (journaled, so it holds across restarts) with a message naming it. No order is sent before
:meth:`start` returns, and nothing waits on a timer: a pending cancel stays pending until the venue
says what happened.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trade2026.errors import T26Error
from trade2026.live import _faults
from trade2026.live import _orders as O
from trade2026.live._journal import Journal
from trade2026.live._portfolio import Fill, Portfolio
from trade2026.live._risk import HALTED, REASONS, Denial, RiskEngine, RiskLimits
from trade2026.live._venue import Venue

# venue status -> the event that brings a local order there (fills are applied separately)
_STATUS_EVENT = {"accepted": O.ACCEPT, "canceled": O.CANCELED_EV, "rejected": O.REJECT, "expired": O.EXPIRE}


@dataclass
class Reconciliation:
    """What :meth:`TradingEngine.start` found: records replayed, intents re-sent, fills applied,
    and the differences with the venue (empty when positions and cash agree)."""

    replayed: int = 0
    resent: list[str] = field(default_factory=list)
    missed_fills: int = 0
    differences: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "replayed": self.replayed,
            "resent": list(self.resent),
            "missed_fills": self.missed_fills,
            "differences": list(self.differences),
        }


class TradingEngine:
    """Risk, order management, journal and positions of one run against one venue.

    Parameters
    ----------
    venue : Venue
        Where orders go (:class:`~trade2026.live.PaperVenue`, the PRISM venue client, ...).
    run_dir : str or Path
        The run's journal directory; the run id is its name (client order ids are ``<run_id>-<seq>``).
    cash : float
        Placeholder cash until :meth:`start`: a new run takes the venue's cash for its account (and
        journals it in its ``start`` record), a restarted one the journal's.
    limits : RiskLimits, optional
        Pre-trade limits (default: only the 100 orders/s rate limit).
    clock : callable, optional
        Seconds now, for the rate limit (default ``time.monotonic``; a replay passes its own).
    fsync : bool
        fsync every group commit (default True).
    snapshot_every : int
        Write a snapshot after this many journal records (0: never).
    max_orders : int
        Orders kept in memory; past it the oldest terminal ones are dropped (they stay in the
        journal and the lake), so a long run's memory stays flat.
    """

    def __init__(
        self,
        venue: Venue,
        run_dir: str | Path,
        *,
        cash: float = 1_000_000.0,
        limits: RiskLimits | None = None,
        clock: Callable[[], float] | None = None,
        fsync: bool = True,
        snapshot_every: int = 10_000,
        max_orders: int = 100_000,
    ) -> None:
        self.venue = venue
        self.run_dir = Path(run_dir)
        self.run_id = self.run_dir.name
        self.journal = Journal(self.run_dir, fsync=fsync)
        self.ids = O.ClientIds(self.run_id)
        self.portfolio = Portfolio(cash)
        self.risk = RiskEngine(limits)
        self.orders: dict[str, O.Order] = {}
        self.denials: deque[dict[str, Any]] = deque(maxlen=1000)  # the latest denials
        self.n_orders = 0
        self.n_denied = 0
        self.max_orders = max_orders
        self.venue_fill_seq = 0
        self.clock = clock or time.monotonic
        self.snapshot_every = snapshot_every
        self._since_snapshot = 0
        self.started = False
        self.reconciliation: Reconciliation | None = None  # what start() found, once it returned
        self.on_fill: Callable[[Fill], None] | None = None
        self.on_order: Callable[[O.Order], None] | None = None

    # ------------------------------------------------------------------ journal replay
    def _state(self) -> dict[str, Any]:
        p = self.portfolio
        return {
            "cash": p.cash,
            "start_cash": p.start_cash,
            "day_start_equity": p.day_start_equity,
            "lots": {s: [list(x) for x in pos.lots] for s, pos in p.positions.items()},
            "qty": {s: pos.qty for s, pos in p.positions.items()},
            "realised": {s: pos.realised for s, pos in p.positions.items()},
            "fees": {s: pos.fees for s, pos in p.positions.items()},
            "trade_ids": list(p.trade_ids),
            "n_fills": p.n_fills,
            "orders": list(self.orders.values()),  # orjson writes each Order as its to_dict() (C speed)
            "id_seq": self.ids.seq,
            "n_orders": self.n_orders,
            "n_denied": self.n_denied,
            "venue_fill_seq": self.venue_fill_seq,
            "risk": {"state": self.risk.state, "killed": self.risk.killed, "reason": self.risk.halt_reason},
        }

    def _load_state(self, s: dict[str, Any]) -> None:
        p = self.portfolio
        p.cash, p.start_cash, p.day_start_equity = s["cash"], s["start_cash"], s["day_start_equity"]
        for sym, lots in s["lots"].items():
            pos = p.position(sym)
            pos.lots = deque([list(x) for x in lots])
            pos.qty = s["qty"][sym]
            pos.realised = s["realised"][sym]
            pos.fees = s["fees"][sym]
        p.trade_ids = dict.fromkeys(s["trade_ids"])
        p.n_fills = s["n_fills"]
        self.orders = {d["client_id"]: O.Order.from_dict(d) for d in s["orders"]}
        self.ids.seq = s["id_seq"]
        self.n_orders, self.n_denied = s["n_orders"], s["n_denied"]
        self.venue_fill_seq = s["venue_fill_seq"]
        r = s["risk"]
        self.risk.state, self.risk.killed, self.risk.halt_reason = r["state"], r["killed"], r["reason"]

    def _replay(self, rec: dict[str, Any]) -> None:
        kind = rec["kind"]
        if kind == "intent":
            o = O.Order(rec["client_id"], rec["symbol"], rec["qty"], rec.get("type", "market"), rec.get("limit"))
            self.orders[o.client_id] = o
            self.n_orders += 1
            self.ids.seq = max(self.ids.seq, O.ClientIds.seq_of(o.client_id))
        elif kind == "event":
            o = self.orders[rec["client_id"]]
            o.apply(rec["event"])
            if rec.get("reason"):
                o.reason = rec["reason"]
            self._change(o, rec["event"], {k: rec[k] for k in ("qty", "limit") if k in rec})
            if rec["event"] == O.REJECT and o.history[-2] == O.INITIALIZED and rec.get("reason") in REASONS:
                self.n_denied += 1
        elif kind == "fill":
            self._apply_fill(Fill.from_dict(rec["fill"]), journal=False)
        elif kind == "state":
            self.risk.state, self.risk.killed, self.risk.halt_reason = rec["state"], rec["killed"], rec["reason"]
        elif kind == "start":
            p = self.portfolio
            p.start_cash = p.cash = p.day_start_equity = float(rec["cash"])
        elif kind == "day":
            self.portfolio.day_start_equity = rec["equity"]
        elif kind == "action":
            pass  # who asked and why; what it did is in the records that follow
        else:
            msg = f"journal {self.journal.file}: unknown record kind {kind!r} at seq {rec['seq']}"
            raise T26Error(msg)

    def _record(self, kind: str, **fields: Any) -> None:
        self.journal.append(kind, **fields)
        self._since_snapshot += 1

    def _snapshot_due(self) -> bool:
        """After ``snapshot_every`` records, and at least twice as many records as orders in memory:
        a snapshot costs O(orders), so it is paid for by as many records (O(1) per record however
        long the run), and a restart replays at most about twice the snapshot's size."""
        n = self._since_snapshot
        return bool(self.snapshot_every) and n >= self.snapshot_every and n >= 2 * len(self.orders)

    def flush(self) -> None:
        """Group-commit the journal (and snapshot when due)."""
        if self._snapshot_due():
            self.journal.write_snapshot(self._state())
            self._since_snapshot = 0
        else:
            self.journal.commit()

    # ------------------------------------------------------------------ restart
    def start(self) -> Reconciliation:
        """Replay the journal and reconcile with the venue; call once, before any order."""
        rec = Reconciliation()
        if self.journal.snapshot:
            self._load_state(self.journal.snapshot)
        for record in self.journal.records:
            self._replay(record)
        rec.replayed = len(self.journal.records)
        self.journal.records = []
        if rec.replayed == 0 and not self.journal.snapshot:  # a new run starts from the venue's cash
            p = self.portfolio
            p.start_cash = p.cash = p.day_start_equity = float(self.venue.balances(self.run_id)["cash"])
            self._record("start", run_id=self.run_id, cash=p.start_cash)
            self._compare(rec)  # a position the run did not make is a difference too
            self.journal.commit()
            return self._begin(rec)
        seen: dict[str, dict[str, Any] | None] = {}
        for o in list(self.orders.values()):
            if not o.terminal:
                seen[o.client_id] = known = self.venue.query(o.client_id)
                if known is not None and o.status == O.INITIALIZED:  # sent, but the crash came before the journal
                    self._event(o, O.SUBMIT)
        # fills the venue made while we were away (or before a crash let us journal them)
        rec.missed_fills = self.poll()
        for cid, report in seen.items():
            o = self.orders[cid]
            if report is None:
                if o.status == O.INITIALIZED:  # journaled, never reached the venue: send it now
                    rec.resent.append(cid)
                    self._send(o)
                else:
                    rec.differences.append(f"order {cid} is {o.status} here but unknown to the venue")
                continue
            self._sync_status(o, self.venue.query(cid) or report)
            if o.status == O.PENDING_UPDATE:  # absolute qty and limit: sending the update again is safe
                self._send_update(o)
            if o.status == O.PENDING_CANCEL:  # the cancel may never have been sent: send it again
                again = self.venue.cancel(cid)
                self.poll()
                if again is not None:
                    self._sync_status(o, again)
        self._compare(rec, catch_up=True)
        self.poll()
        self.flush()
        return self._begin(rec)

    def _begin(self, rec: Reconciliation) -> Reconciliation:
        if rec.differences:
            self._set_state(HALTED, "reconciliation: " + "; ".join(rec.differences))
            self.flush()
        self.started = True
        self.reconciliation = rec
        return rec

    def _compare(self, rec: Reconciliation, *, catch_up: bool = False) -> None:
        """Compare cash and positions with the venue's balances. A live venue keeps filling while we
        look: its balances come with the fill sequence number they include (``fill_seq``), and with
        ``catch_up`` the fills up to it are applied first, so both sides are taken at the same point."""
        bal = self.venue.balances(self.run_id)
        if catch_up:
            rec.missed_fills += self.poll(upto=bal.get("fill_seq"))
        cash = float(bal["cash"])
        if abs(cash - self.portfolio.cash) > 1e-9 * max(1.0, abs(cash)):
            rec.differences.append(f"cash {self.portfolio.cash!r} here, {cash!r} at the venue")
        mine = self.portfolio.holdings()
        theirs = {s: float(q) for s, q in bal["positions"].items() if float(q) != 0.0}
        for s in sorted(set(mine) | set(theirs)):
            a, b = mine.get(s, 0.0), theirs.get(s, 0.0)
            if abs(a - b) > 1e-9 * max(1.0, abs(b)):
                rec.differences.append(f"position {s} {a!r} here, {b!r} at the venue")

    def _sync_status(self, o: O.Order, seen: dict[str, Any]) -> None:
        """Bring local order ``o`` to the venue's reported status (fills come through fills)."""
        if o.status == O.INITIALIZED:
            self._event(o, O.SUBMIT)
        st = seen["status"]
        if st in ("filled", "partially_filled"):
            if o.status == O.SUBMITTED:
                self._event(o, O.ACCEPT)
            return
        ev = _STATUS_EVENT.get(st)
        if ev is None or o.terminal:
            return
        if ev == O.ACCEPT and o.status in (O.ACCEPTED, O.PARTIALLY_FILLED, O.PENDING_UPDATE):
            return
        if ev == O.ACCEPT and o.status == O.PENDING_CANCEL:
            return
        self._event(o, ev, seen.get("reason"))

    # ------------------------------------------------------------------ the order path
    def _event(self, o: O.Order, event: str, reason: str | None = None, **change: Any) -> None:
        """Apply ``event`` through the table and journal it; ``change`` (qty, limit) goes with an
        update request (what was asked) or an ``updated`` (what the order now is)."""
        o.apply(event)  # raises on an illegal transition: nothing is journaled then
        if reason:
            o.reason = reason
        self._change(o, event, change)
        self._record("event", client_id=o.client_id, event=event, reason=reason, **change)
        if self.on_order is not None:
            self.on_order(o)

    @staticmethod
    def _change(o: O.Order, event: str, change: dict[str, Any]) -> None:
        if event == O.UPDATE_REQUEST:
            o.requested = dict(change)
        elif event == O.UPDATED:
            o.qty, o.limit = change.get("qty", o.qty), change.get("limit", o.limit)
            o.requested = None
        elif event == O.UPDATE_REJECT or o.terminal:
            o.requested = None

    def _apply_fill(self, f: Fill, *, journal: bool = True) -> bool:
        if not self.portfolio.apply_fill(f):
            return False
        o = self.orders.get(f.client_id)
        if o is not None:
            o.apply_fill(f.qty)
            if o.status == O.PARTIALLY_FILLED and journal:
                _faults.hit("partial_fill")
        self.venue_fill_seq = max(self.venue_fill_seq, f.seq)
        if journal:
            self._record("fill", fill=f)  # orjson writes the dataclass as Fill.to_dict() would
            if self.on_fill is not None:
                self.on_fill(f)
            if o is not None and self.on_order is not None:
                self.on_order(o)
        return True

    def _set_state(self, state: str, reason: str | None) -> None:
        if state == HALTED:
            self.risk.state, self.risk.halt_reason = HALTED, reason
        else:
            self.risk.set_state(state, reason)
        self._record("state", state=self.risk.state, killed=self.risk.killed, reason=self.risk.halt_reason)

    def record_action(self, actor: str, action: str, reason: str, **fields: Any) -> None:
        """Journal an operator's request (``actor`` e.g. ``"api:127.0.0.1"``, and why) before acting on it."""
        self._record("action", actor=actor, action=action, reason=reason, **fields)

    def set_state(self, state: str, reason: str | None = None) -> None:
        """Set the trading state (active / reducing / halted), journaled."""
        self._set_state(state, reason)
        self.flush()

    def check(self, symbol: str, qty: float, limit: float | None = None) -> Denial | None:
        """The risk verdict on an order of signed ``qty`` now (nothing is sent or journaled)."""
        p = self.portfolio
        return self._check(symbol, qty, limit, p.gross(), p.daily_pnl(), self.clock())

    def _check(
        self, symbol: str, qty: float, limit: float | None, gross: float, pnl: float, now: float
    ) -> Denial | None:
        pos = self.portfolio.positions.get(symbol)
        ref = pos.mark if pos is not None and math.isfinite(pos.mark) else None
        return self.risk.check(
            symbol,
            qty,
            price=limit,
            reference=ref,
            position=pos.qty if pos is not None else 0.0,
            gross=gross,
            daily_pnl=pnl,
            now=now,
        )

    def submit_many(self, orders: list[tuple[str, float, float | None]], *, flatten: bool = False) -> list[O.Order]:
        """Check, journal (one group commit) and send orders ``(symbol, signed qty, limit or None)``.

        Denied orders are journaled as intents rejected with their reason code and never sent.
        ``flatten`` (the kill switch's own orders): only orders that take a position to zero pass.
        """
        if not self.started:
            msg = "TradingEngine.start() must reconcile with the venue before the first order"
            raise T26Error(msg)
        out: list[O.Order] = []
        to_send: list[O.Order] = []
        p = self.portfolio
        # nothing fills before the sends: the book is the same for every check of the batch
        gross, pnl, now = p.gross(), p.daily_pnl(), self.clock()
        for symbol, qty, limit in orders:
            if flatten:
                ok = qty != 0 and abs(p.qty(symbol) + qty) <= 1e-12 * abs(qty)
                denial = None if ok else Denial("kill_switch", "only flattening orders pass the kill switch")
            else:
                denial = self._check(symbol, qty, limit, gross, pnl, now)
            o = O.Order(self.ids.next(), symbol, qty, "market" if limit is None else "limit", limit)
            self.orders[o.client_id] = o
            self.n_orders += 1
            self._record("intent", client_id=o.client_id, symbol=symbol, qty=qty, type=o.kind, limit=limit)
            if denial is not None:
                self._event(o, O.REJECT, denial.code)
                self.denials.append({"client_id": o.client_id, "code": denial.code, "message": denial.message})
                self.n_denied += 1
            else:
                to_send.append(o)
            out.append(o)
        self.journal.commit()  # the intents are durable before anything is sent
        if to_send:
            _faults.hit("after_intent")
            self._send_many(to_send)
        if self._snapshot_due():
            self.flush()
        else:  # acks and fills: written now, durable with the next commit (rebuilt from the venue if lost)
            self.journal.write()
        if len(self.orders) > self.max_orders:
            self._evict()
        return out

    def _evict(self) -> None:
        """Drop the oldest terminal orders from memory (a late fill of one still moves the position)."""
        keep = int(self.max_orders * 0.9)
        for cid in [c for c, o in self.orders.items() if o.terminal][: max(len(self.orders) - keep, 0)]:
            del self.orders[cid]

    def submit(self, symbol: str, qty: float, limit: float | None = None) -> O.Order:
        """One order; see :meth:`submit_many`."""
        return self.submit_many([(symbol, qty, limit)])[0]

    def _send(self, o: O.Order) -> None:
        self._send_many([o])

    def _send_many(self, orders: list[O.Order]) -> None:
        """Send journaled orders, then apply the fills they made and the venue's statuses.

        A venue with ``submit_batch`` (the PRISM venue client) takes them pipelined with the fills
        query in one round trip; any other is called once per order, then asked for its fills."""
        batch = getattr(self.venue, "submit_batch", None)
        fills = None
        specs = [(o.client_id, o.symbol, o.qty, o.kind, o.limit) for o in orders]
        if batch is not None:
            seen, fills = batch(specs, self.venue_fill_seq)
        else:
            submit = self.venue.submit
            seen = [submit(*spec) for spec in specs]
        _faults.hit("after_send")
        for o in orders:
            self._event(o, O.SUBMIT)
        if fills is None:
            self.poll()
        else:
            self._take_fills(fills)
        for o, report in zip(orders, seen, strict=True):
            self._sync_status(o, report)

    def poll(self, upto: int | None = None) -> int:
        """Apply the venue's new fills (those with sequence number <= ``upto`` when given); returns
        how many were new."""
        return self._take_fills(self.venue.fills_since(self.venue_fill_seq), upto)

    def _take_fills(self, fills: list[Fill], upto: int | None = None) -> int:
        n = 0
        for f in fills:
            if upto is not None and f.seq > upto:
                break
            if f.seq <= self.venue_fill_seq:
                continue
            if f.client_id in self.orders and self._apply_fill(f):
                n += 1
            self.venue_fill_seq = max(self.venue_fill_seq, f.seq)
        return n

    def cancel(self, client_id: str) -> O.Order:
        """Request a cancel (journaled before it is sent); the order is canceled when the venue says so."""
        o = self.orders[client_id]
        self._event(o, O.CANCEL_REQUEST)
        self.journal.commit()
        _faults.hit("pending_cancel")
        seen = self.venue.cancel(client_id)
        self.poll()
        if seen is not None:
            self._sync_status(o, seen)
        self.flush()
        return o

    def modify(self, client_id: str, *, qty: float | None = None, limit: float | None = None) -> Denial | None:
        """Ask the venue to change a working order's quantity (signed, total) or limit price.

        The new order is checked by risk (its open quantity at the new price), the request is
        journaled before it is sent, and the order stays ``pending_update`` until the venue answers.
        Returns the risk denial, or None when the request went out.
        """
        o = self.orders[client_id]
        new_qty = o.qty if qty is None else float(qty)
        new_limit = o.limit if limit is None else float(limit)
        denial = self.check(o.symbol, new_qty - o.filled, new_limit)
        if denial is not None:
            self.denials.append({"client_id": client_id, "code": denial.code, "message": denial.message})
            return denial
        self._event(o, O.UPDATE_REQUEST, qty=new_qty, limit=new_limit)
        self.journal.commit()
        self._send_update(o)
        self.flush()
        return None

    def _send_update(self, o: O.Order) -> None:
        req = o.requested or {}
        seen = self.venue.modify(o.client_id, req.get("qty", o.qty), req.get("limit", o.limit))
        if o.status == O.PENDING_UPDATE:  # answered before any fill is applied: fills count against the new qty
            if seen is not None and seen.get("updated"):
                self._event(o, O.UPDATED, qty=seen["qty"], limit=seen.get("limit"))
            else:
                self._event(o, O.UPDATE_REJECT, seen.get("reason") if seen else "unknown to the venue")
        self.poll()
        if seen is not None and not o.terminal:
            self._sync_status(o, self.venue.query(o.client_id) or seen)

    def working(self) -> list[O.Order]:
        return [o for o in self.orders.values() if not o.terminal]

    def cancel_all(self) -> list[O.Order]:
        return [self.cancel(o.client_id) for o in self.working() if o.status != O.PENDING_CANCEL]

    def kill(self, reason: str = "kill switch") -> None:
        """The kill switch: latch halted (journaled), cancel working orders, flatten every position."""
        self.risk.kill(reason)
        self._record("state", state=self.risk.state, killed=True, reason=reason)
        self.flush()
        self.cancel_all()
        flat: list[tuple[str, float, float | None]] = [(s, -q, None) for s, q in self.portfolio.holdings().items()]
        if flat:
            self.submit_many(flat, flatten=True)

    def reset_kill(self) -> None:
        """Release the kill switch (journaled): trading is active again."""
        self.risk.reset_kill()
        self._record("state", state=self.risk.state, killed=False, reason=None)
        self.flush()

    def new_day(self) -> None:
        """Measure the day's loss from the equity now (journaled)."""
        self.portfolio.day_start_equity = self.portfolio.equity()
        self._record("day", equity=self.portfolio.day_start_equity)

    def close(self) -> None:
        self.journal.close()

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "orders": self.n_orders,
            "denied": self.n_denied,
            "working": len(self.working()),
            "fills": self.portfolio.n_fills,
            "state": self.risk.state,
            "kill_switch": self.risk.killed,
            "halt_reason": self.risk.halt_reason,
            "journal_seq": self.journal.seq,
            **self.portfolio.summary(),
        }
