"""The bridge between the trading loop and the control API: a command queue in, a snapshot out.

The engine is not thread-safe and the API runs in other threads, so the API never touches it.
An action (halt, an order, the kill switch, ...) is put on :class:`Control`'s queue with a
future; the loop runs the queue between two market events (:meth:`Control.step`), where the
action takes the path the strategy's orders take (risk, journal before send). Every action is
journaled first as an ``action`` record naming who asked (``api:<client address>``) and why.

Reads come from the snapshot the loop publishes after a step (at most every ``publish_s``, and
at once after an action): plain dicts and lists built by the loop and never changed after, so a
reader copies nothing under a lock and never holds the order path. The fills tape, the recent
finished orders and the equity curve are append-only lists the loop trims; a reader takes a
slice (one atomic operation under the GIL).
"""

from __future__ import annotations

import datetime as dt
import math
import queue
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from trade2026.errors import ConfigError, NotFoundError, T26Error

STATES_UP = {"active": "ACTIVE", "reducing": "REDUCING", "halted": "HALTED"}
STATE_DENIALS = frozenset({"halted", "reducing", "kill_switch"})  # refused by the state, not a limit
_PER_ORDER = ("max_order_qty", "max_order_notional")
_USAGE = ("max_order_qty", "max_order_notional", "max_position", "max_gross", "max_daily_loss")


def _iso(t: float | None) -> str | None:
    return None if t is None else dt.datetime.fromtimestamp(t, dt.UTC).isoformat()


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None


def order_view(o: Any, created: float | None) -> dict[str, Any]:
    """The API's view of an :class:`~trade2026.live.Order` (``created``: seconds since the epoch)."""
    return {
        "client_id": o.client_id,
        "symbol": o.symbol,
        "qty": o.qty,
        "filled": o.filled,
        "limit": o.limit,
        "status": o.status,
        "reason": o.reason,
        "history": list(o.history),
        "created": _iso(created),
    }


@dataclass(frozen=True)
class _Command:
    action: str
    actor: str
    reason: str
    args: dict[str, Any]
    future: Future[Any]


class Health:
    """Times (``time.monotonic``) of the last loop step, feed event and venue answer; set by the loop."""

    def __init__(self) -> None:
        self.loop: float | None = None
        self.feed: float | None = None
        self.venue: float | None = None
        self.venue_ok = True

    def view(self, loop_running: bool) -> dict[str, Any]:
        now = time.monotonic()

        def age(t: float | None) -> float | None:
            return None if t is None else round(now - t, 6)

        return {
            "loop_age_s": age(self.loop),
            "feed": {"connected": loop_running and self.feed is not None, "last_event_age_s": age(self.feed)},
            "venue": {"connected": loop_running and self.venue_ok, "last_event_age_s": age(self.venue)},
        }


class _VenueProbe:
    """Wraps the engine's venue: records when it last answered (and whether it raised), and the
    latency of each order-path call, without changing what the engine sees."""

    _TIMED = frozenset({"submit", "cancel", "modify"})

    def __init__(self, inner: Any, health: Health, control: Control) -> None:
        self._inner, self._health, self._control = inner, health, control

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self._inner, name)
        if not callable(fn):
            return fn
        health, control, timed = self._health, self._control, name in self._TIMED

        def call(*a: Any, **kw: Any) -> Any:
            t0 = time.monotonic()
            try:
                out = fn(*a, **kw)
            except Exception:
                health.venue_ok = False
                raise
            health.venue, health.venue_ok = time.monotonic(), True
            if timed:
                control.observe("venue_" + name, health.venue - t0)
            return out

        return call


class Control:
    """The command queue and published snapshot of one running engine.

    Parameters
    ----------
    venue : str
        The venue's label shown by the API (``paper``, ``prism://...``).
    publish_s : float
        Longest time between two snapshots while the loop runs (seconds); an action publishes at once.
    min_publish_s : float
        Shortest time between two snapshots for changed orders (so a burst of orders is one snapshot).
    max_fills, max_done, max_curve : int
        Fills, finished orders and equity points kept for the API (the journal and the lake keep all).
    observe : callable, optional
        ``observe(op, seconds)`` gets the latency of each order-path call (the metrics' histogram).
    """

    def __init__(
        self,
        venue: str = "",
        *,
        publish_s: float = 0.1,
        min_publish_s: float = 0.02,
        max_fills: int = 10_000,
        max_done: int = 2_000,
        max_curve: int = 20_000,
        observe: Callable[[str, float], None] | None = None,
    ) -> None:
        self.venue = venue
        self.publish_s, self.min_publish_s = publish_s, min_publish_s
        self.max_fills, self.max_done, self.max_curve = max_fills, max_done, max_curve
        self.observe = observe or (lambda _op, _s: None)
        self.health = Health()
        self.engine: Any = None
        self.snapshot: dict[str, Any] | None = None  # replaced (never changed) by the loop
        self.version = 0
        self.fills: list[dict[str, Any]] = []
        self.done: list[dict[str, Any]] = []
        self.curve: list[dict[str, Any]] = []
        self.bars = 0
        self.started = time.time()
        self.running = False
        self.closed = False
        self._queue: queue.SimpleQueue[_Command] = queue.SimpleQueue()
        self._dirty: dict[str, None] = {}  # an insertion-ordered set
        self._open: set[str] = set()  # orders seen and not yet finished
        self._created: dict[str, float] = {}
        self._working: dict[str, dict[str, Any]] = {}
        self._status: dict[str, str] = {}
        self.status_counts: dict[str, int] = {}
        self.rejects: dict[str, int] = {}
        self._last_order: tuple[float, float] | None = None  # |qty|, notional of the last order
        self._peak = -math.inf
        self._marks: tuple[float, ...] = ()
        self._published = 0.0

    # ------------------------------------------------------------------ loop side
    def attach(self, engine: Any) -> None:
        """Hook into ``engine`` (call before ``engine.start()``, in the loop's thread)."""
        self.engine = engine
        prev_order, prev_fill = engine.on_order, engine.on_fill

        def on_order(o: Any) -> None:
            if len(o.history) == 2:  # its first event (submit, or a risk reject): a new order
                self._created[o.client_id] = time.time()
                self._open.add(o.client_id)
                pos = engine.portfolio.positions.get(o.symbol)
                px = o.limit if o.limit is not None else (pos.mark if pos is not None else math.nan)
                self._last_order = (abs(o.qty), abs(o.qty) * px)
            self._dirty[o.client_id] = None
            if prev_order is not None:
                prev_order(o)

        def on_fill(f: Any) -> None:
            self.fills.append(f.to_dict())
            if len(self.fills) > self.max_fills * 1.1:
                del self.fills[: len(self.fills) - self.max_fills]
            if prev_fill is not None:
                prev_fill(f)

        engine.on_order, engine.on_fill = on_order, on_fill
        engine.venue = _VenueProbe(engine.venue, self.health, self)
        for name, op in (("submit_many", "submit"), ("cancel", "cancel")):  # the whole path: risk, journal, send
            setattr(engine, name, self._timed(getattr(engine, name), op))

    def _timed(self, fn: Callable[..., Any], op: str) -> Callable[..., Any]:
        def call(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.observe(op, time.perf_counter() - t0)

        return call

    def bar(self, engine: Any, ts: Any) -> None:
        """A bar closed: one point of the equity curve (drawdown from the run's peak equity)."""
        self.bars += 1
        e = engine.portfolio.equity()
        self._peak = max(self._peak, e, engine.portfolio.start_cash)
        when = ts.isoformat() if isinstance(ts, dt.datetime) else str(ts)
        self.curve.append({"ts": when, "equity": e, "drawdown": e / self._peak - 1.0 if self._peak > 0 else 0.0})
        if len(self.curve) > self.max_curve * 1.1:
            del self.curve[: len(self.curve) - self.max_curve]

    def step(self) -> None:
        """Run the queued actions, then publish a snapshot when one is due (the loop calls this
        between market events)."""
        engine = self.engine
        if engine is None or not engine.started or self.closed:
            return
        now = time.monotonic()
        self.health.loop = now
        if not self.running:  # the first step after reconciliation: the orders the journal replayed
            self.running = True
            self._open.update(engine.orders)
            self._dirty.update(dict.fromkeys(engine.orders))
        marks = tuple(p.mark for p in engine.portfolio.positions.values())
        if marks != self._marks:
            self._marks, self.health.feed = marks, now
        acted = False
        while True:
            try:
                cmd = self._queue.get_nowait()
            except queue.Empty:
                break
            if not cmd.future.set_running_or_notify_cancel():
                continue  # the caller gave up waiting: the action is not taken
            acted = True
            try:
                result = self._run(cmd)
                engine.flush()  # the action record is durable even when the action had nothing to do
                cmd.future.set_result(result)
            except Exception as exc:  # the caller gets the error; the loop goes on
                cmd.future.set_exception(exc)
        since = now - self._published
        if acted or (self._dirty and since >= self.min_publish_s) or since >= self.publish_s:
            self.publish()

    def close(self) -> None:
        """The loop ended: refuse queued and later actions; the last snapshot stays readable."""
        if self.engine is not None and self.engine.started:
            self.publish()
        self.running = False
        self.closed = True
        while True:
            try:
                cmd = self._queue.get_nowait()
            except queue.Empty:
                return
            if cmd.future.set_running_or_notify_cancel():
                cmd.future.set_exception(T26Error("the trading loop has stopped"))

    # ------------------------------------------------------------------ API side
    def submit(self, action: str, *, actor: str, reason: str, **args: Any) -> Future[Any]:
        """Queue ``action`` for the loop; the future holds its result (or the error)."""
        fut: Future[Any] = Future()
        if not self.running:
            fut.set_exception(T26Error("the trading loop is not running (not started yet, or stopped)"))
            return fut
        self._queue.put(_Command(action, actor, reason, args, fut))
        return fut

    # ------------------------------------------------------------------ the actions (loop thread)
    def _run(self, cmd: _Command) -> Any:
        e = self.engine
        args = cmd.args
        if cmd.action == "order":
            e.record_action(cmd.actor, "order", cmd.reason, **args)
            o = e.submit(args["symbol"], args["qty"], args.get("limit"))
            created = self._created.get(o.client_id)
            self._refresh(o.client_id)
            denial = None
            if o.status == "rejected" and e.denials and e.denials[-1]["client_id"] == o.client_id:
                denial = dict(e.denials[-1])
            return {"order": order_view(o, created), "denial": denial}
        if cmd.action == "cancel":
            o = e.orders.get(args["client_id"])
            if o is None:
                msg = f"no order {args['client_id']!r} in this run (GET /api/v1/orders?scope=all lists them)"
                raise NotFoundError(msg)
            if o.terminal or o.status == "pending_cancel":
                msg = f"order {o.client_id} is {o.status}; only a working order can be canceled"
                raise ConfigError(msg)
            e.record_action(cmd.actor, "cancel", cmd.reason, client_id=o.client_id)
            e.cancel(o.client_id)
            created = self._created.get(o.client_id)
            self._refresh(o.client_id)
            return order_view(o, created)
        if cmd.action == "cancel_all":
            e.record_action(cmd.actor, "cancel_all", cmd.reason)
            return {"canceled": [o.client_id for o in e.cancel_all()]}
        if cmd.action == "kill":
            e.record_action(cmd.actor, "kill", cmd.reason)
            working = [o.client_id for o in e.working()]
            before = e.ids.seq
            e.kill(cmd.reason)
            flatten = [cid for cid in e.orders if e.ids.seq_of(cid) > before]
            return {"killed": True, "state": STATES_UP[e.risk.state], "canceled": working, "flatten": flatten}
        if cmd.action in ("halted", "reducing", "active"):
            if e.risk.killed and cmd.action != "halted":
                msg = "the kill switch is set (it holds across restarts); trading stays halted"
                raise ConfigError(msg)
            e.record_action(cmd.actor, cmd.action, cmd.reason)
            e.set_state(cmd.action, cmd.reason)
            return {"state": STATES_UP[e.risk.state], "killed": e.risk.killed}
        msg = f"unknown action {cmd.action!r}"
        raise ConfigError(msg)

    def _refresh(self, client_id: str) -> None:
        self._dirty[client_id] = None
        self.publish()

    # ------------------------------------------------------------------ the snapshot (loop thread)
    def _track(self) -> None:
        """Fold the orders changed since the last snapshot into the working set, the finished
        list, the counts by status and the rejects by reason."""
        e = self.engine
        for cid in self._dirty:
            o = e.orders.get(cid)
            if o is None:
                continue
            old = self._status.get(cid)
            if old != o.status:
                if old is not None:
                    self.status_counts[old] -= 1
                self.status_counts[o.status] = self.status_counts.get(o.status, 0) + 1
                if o.status == "rejected":
                    code = o.reason or "venue"
                    self.rejects[code] = self.rejects.get(code, 0) + 1
            view = order_view(o, self._created.get(cid))
            if o.terminal:
                self._status.pop(cid, None)
                self._created.pop(cid, None)
                self._working.pop(cid, None)
                if cid in self._open:  # finished now (a late fill of a canceled order moves it again)
                    self._open.discard(cid)
                    self.done.append(view)
            else:
                self._open.add(cid)
                self._status[cid] = o.status
                self._working[cid] = view
        self._dirty.clear()
        if len(self.done) > self.max_done * 1.1:
            del self.done[: len(self.done) - self.max_done]

    def publish(self) -> None:
        """Build and publish a new snapshot (loop thread)."""
        e = self.engine
        self._track()
        p = e.portfolio
        positions = [
            {
                "symbol": s,
                "qty": pos.qty,
                "avg_price": pos.avg_cost,
                "mark": _num(pos.mark),
                "unrealised": pos.unrealised,
                "realised": pos.realised,
                "fees": pos.fees,
            }
            for s, pos in p.positions.items()
            if pos.qty != 0.0 or pos.realised != 0.0 or pos.fees != 0.0
        ]
        realised = sum(x["realised"] for x in positions)
        unrealised = sum(x["unrealised"] for x in positions)
        fees = sum(x["fees"] for x in positions)
        rec = getattr(e, "reconciliation", None)
        risk = e.risk
        self.snapshot = {
            "state": {
                "run_id": e.run_id,
                "venue": self.venue,
                "state": STATES_UP.get(risk.state, risk.state.upper()),
                "killed": risk.killed,
                "halt_reason": risk.halt_reason,
                "reconciled": rec is not None,
                "started": _iso(self.started),
                "bars": self.bars,
                "orders": e.n_orders,
                "fills": p.n_fills,
                "denied": e.n_denied,
            },
            "reconciliation": rec.to_dict() if rec is not None else None,
            "positions": positions,
            "pnl": {"cash": p.cash, "equity": p.equity(), "realised": realised, "unrealised": unrealised, "fees": fees},
            "risk": self._risk_view(),
            "working": list(self._working.values()),
            "journal_lag": e.journal.pending,
            "last_fill_seq": self.fills[-1]["seq"] if self.fills else 0,
            "status_counts": dict(self.status_counts),
            "rejects": dict(self.rejects),
        }
        self.version += 1
        self._published = time.monotonic()

    def _risk_view(self) -> dict[str, Any]:
        e = self.engine
        p, lim, bucket = e.portfolio, e.risk.limits, e.risk.bucket
        last_qty, last_notional = self._last_order or (0.0, 0.0)
        used = {
            "max_order_qty": last_qty,
            "max_order_notional": _num(last_notional),
            "max_position": max((abs(x.qty) for x in p.positions.values()), default=0.0),
            "max_gross": p.gross(),
            "max_daily_loss": max(0.0, -p.daily_pnl()),
        }
        limits = []
        for name in _USAGE:
            cap, u = getattr(lim, name), used[name]
            share = u / cap if u is not None and math.isfinite(cap) else None
            limits.append({"name": name, "limit": _num(cap), "used": u, "share": share})
        tokens = bucket.tokens
        if bucket.t is not None and math.isfinite(bucket.rate):  # refilled to now, as the next take would
            tokens = min(bucket.burst, tokens + max(e.clock() - bucket.t, 0.0) * bucket.rate)
        return {
            "limits": limits,
            "bucket": {"tokens": _num(tokens), "capacity": _num(bucket.burst), "rate_per_s": _num(bucket.rate)},
            "rejects": dict(self.rejects),
        }
