"""PRISM as a live venue: the agents' market in (accelerated) real time, taking external orders.

A background thread plays the PRISM sessions (``iter_days``: the book and its agents) on a clock
running ``speed`` times real time, session after session. External orders take liquidity from the
agents' quotes, price-taker style (they do not move the agents' book): a buy fills at the ask, up
to the size shown there, a sell at the bid; what is left of a market order waits for the next
quotes (a partial fill), a limit order fills once the opposite quote reaches its price. The venue
keeps an account (cash, positions) per run id (the client order id's prefix, ``<run_id>-<seq>``;
each starts with ``cash``), every order by client order id and every fill with a
sequence number, in memory for the life of the process, so a trading loop that restarts finds
what it left there. Submitting a known client order id returns that order and creates nothing.

Protocol: loopback TCP, one JSON object per line each way; the venue answers requests in the order
they come, so a client may pipeline (write many requests, then read their responses)::

    {"op": "ping"}                                         -> {"ok": true, "ts": ns}
    {"op": "submit", "client_id": "r1-0000000001", "symbol": "PRISM", "qty": 10.0,
     "kind": "market" | "limit", "limit": null | price}    -> {"ok": true, "order": ORDER}
    {"op": "cancel", "client_id": ID}                      -> {"ok": true, "order": ORDER | null}
    {"op": "modify", "client_id": ID, "qty": q, "limit": p} -> {"ok": true, "order": ORDER | null,
                                                               "updated": bool}  (qty: signed total)
    {"op": "query", "client_id": ID}                       -> {"ok": true, "order": ORDER | null}
    {"op": "open_orders"}                                  -> {"ok": true, "orders": [ORDER, ...]}  (working)
    {"op": "orders"}                                       -> {"ok": true, "orders": [ORDER, ...]}  (all)
    {"op": "fills_since", "seq": N}                        -> {"ok": true, "fills": [FILL, ...]}  (seq > N)
    {"op": "balances", "account": RUN_ID}                  -> {"ok": true, "cash", "positions": {sym: qty}, "fill_seq"}
    {"op": "quote"}                                        -> {"ok": true, "symbol", "bid", "ask", "bid_size",
                                                               "ask_size", "last", "ts"}

``ORDER`` is ``{client_id, symbol, qty, kind, limit, status, filled, venue_id}`` with status one of
accepted, partially_filled, filled, canceled, rejected; ``FILL`` is ``{trade_id, client_id, symbol,
qty, price, fee, ts, seq}``; ``fill_seq`` in balances is the last fill they include (read together).
Quantities are signed (buy > 0). A bad request gets ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import math
import socketserver
import threading
import time
from collections.abc import Callable
from typing import Any

from trade2026.sim.prism._config import PrismConfig

NS = 1_000_000_000


class PrismVenue:
    """The venue's state and market clock (thread-safe; :meth:`handle` answers one request).

    Parameters
    ----------
    config : PrismConfig
        The market (agents, sessions, tick size, symbol).
    speed : float
        Simulated seconds per wall second.
    cash : float
        Starting cash of the external account.
    fee_bps : float
        Commission on external fills, in bps of notional.
    clock : callable, optional
        Wall seconds (default ``time.monotonic``).
    """

    def __init__(
        self,
        config: PrismConfig,
        *,
        speed: float = 1.0,
        cash: float = 1_000_000.0,
        fee_bps: float = 0.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        from trade2026.sim.prism._simulate import iter_days

        if not speed > 0:
            msg = f"speed must be > 0, got {speed}"
            from trade2026.errors import ConfigError

            raise ConfigError(msg, option="speed")
        self.cfg = config
        self.speed = speed
        self.fee_rate = fee_bps * 1e-4
        self.symbol = config.symbol
        self.tick = config.tick_size
        self.n_levels = round(4 * config.initial_price / config.tick_size)
        self.clock = clock or time.monotonic
        self.lock = threading.RLock()
        self.start_cash = float(cash)
        self.accounts: dict[str, list[float]] = {}  # account -> [cash, position]
        self.orders: dict[str, dict[str, Any]] = {}
        self._working: dict[str, dict[str, Any]] = {}  # the orders a new quote may fill
        self.fills: list[dict[str, Any]] = []
        self._days = iter_days(config)
        self._day_offset = 0  # ns of simulated time before the current session
        self._quotes: Any = None
        self._qi = 0
        self.bid = self.ask = self.last = math.nan
        self.bid_size = self.ask_size = 0.0
        self.sim_ns = 0
        self.closed = False
        self._next_day()
        self.t0 = self.clock()

    def _next_day(self) -> None:
        day = next(self._days, None)
        if day is None:
            self.closed = True
            return
        if self._quotes is not None:
            self._day_offset += self.cfg.session_s * NS
        self._quotes = day[0].quotes
        self._qi = 0

    def to_dict(self) -> dict[str, Any]:
        """The venue's state in brief (``t26 sim venue --json`` on exit)."""
        with self.lock:
            accounts = [{"account": a, "cash": c, "position": q} for a, (c, q) in sorted(self.accounts.items())]
            return {
                "symbol": self.symbol,
                "orders": len(self.orders),
                "fills": len(self.fills),
                "accounts": accounts,
                "sim_seconds": self.sim_ns / NS,
            }

    # the market --------------------------------------------------------------------------
    def advance(self) -> None:
        """Play the sessions up to the current wall time; each new quote may fill waiting orders."""
        with self.lock:
            target = int((self.clock() - self.t0) * self.speed * NS)
            while not self.closed:
                q = self._quotes
                while self._qi < len(q) and self._day_offset + int(q[self._qi, 0]) <= target:
                    row = q[self._qi]
                    self._qi += 1
                    self.sim_ns = self._day_offset + int(row[0])
                    self.bid = row[1] * self.tick if row[1] >= 0 else math.nan
                    self.ask = row[3] * self.tick if row[3] < self.n_levels else math.nan
                    self.bid_size, self.ask_size = float(row[2]), float(row[4])
                    if math.isfinite(self.bid) and math.isfinite(self.ask):
                        self.last = round((self.bid + self.ask) / 2, 10)
                    self._match()
                if self._qi < len(q):
                    break
                if self._day_offset + self.cfg.session_s * NS > target:
                    break
                self._next_day()

    def _match(self) -> None:
        for o in list(self._working.values()):  # not every order ever taken: a quote costs O(working)
            self._fill(o)

    def _fill(self, o: dict[str, Any]) -> None:
        left = o["qty"] - o["filled"]
        buy = left > 0
        px, size = (self.ask, self.ask_size) if buy else (self.bid, self.bid_size)
        if not math.isfinite(px) or size <= 0:
            return
        if o["kind"] == "limit" and ((buy and px > o["limit"]) or (not buy and px < o["limit"])):
            return
        q = min(abs(left), size)
        if buy:
            self.ask_size -= q
        else:
            self.bid_size -= q
        q = q if buy else -q
        fee = self.fee_rate * abs(q) * px
        seq = len(self.fills) + 1
        self.fills.append(
            {
                "trade_id": f"V{seq}",
                "client_id": o["client_id"],
                "symbol": o["symbol"],
                "qty": q,
                "price": px,
                "fee": fee,
                "ts": self.sim_ns,
                "seq": seq,
            }
        )
        acct = self._account(o["client_id"])
        acct[0] -= q * px + fee
        acct[1] += q
        o["filled"] += q
        done = abs(o["qty"] - o["filled"]) <= 1e-12 * abs(o["qty"])
        if done:
            o["filled"] = o["qty"]
        o["status"] = "filled" if done else "partially_filled"
        self._track(o)

    def _track(self, o: dict[str, Any]) -> None:
        if o["status"] in ("accepted", "partially_filled"):
            self._working[o["client_id"]] = o
        else:
            self._working.pop(o["client_id"], None)

    # requests ----------------------------------------------------------------------------
    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        """Answer one protocol request (see the module docstring)."""
        op = req.get("op")
        with self.lock:
            if op == "ping":
                return {"ok": True, "ts": self.sim_ns}
            if op == "submit":
                return {"ok": True, "order": dict(self._submit(req))}
            if op in ("cancel", "query"):
                o = self.orders.get(str(req.get("client_id")))
                if o is not None and op == "cancel" and o["status"] in ("accepted", "partially_filled"):
                    o["status"] = "canceled"
                    self._track(o)
                return {"ok": True, "order": dict(o) if o is not None else None}
            if op == "modify":
                o = self.orders.get(str(req.get("client_id")))
                if o is None:
                    return {"ok": True, "order": None, "updated": False}
                raw, limit = req.get("qty"), req.get("limit")
                qty = float(raw) if isinstance(raw, int | float) else math.nan
                ok = _modifiable(o, qty, limit)
                if ok:
                    o["qty"], o["limit"] = qty, limit
                    self._fill(o)
                return {"ok": True, "order": dict(o), "updated": ok}
            if op == "orders":
                return {"ok": True, "orders": [dict(o) for o in self.orders.values()]}
            if op == "open_orders":
                live = [dict(o) for o in self._working.values()]
                return {"ok": True, "orders": live}
            if op == "fills_since":
                return {"ok": True, "fills": self.fills[max(int(req.get("seq", 0)), 0) :]}
            if op == "balances":
                cash, position = self._account(f"{req.get('account')}-")
                pos = {self.symbol: position} if position != 0.0 else {}
                return {"ok": True, "cash": cash, "positions": pos, "fill_seq": len(self.fills)}
            if op == "quote":
                return {
                    "ok": True,
                    "symbol": self.symbol,
                    "bid": _num(self.bid),
                    "ask": _num(self.ask),
                    "bid_size": self.bid_size,
                    "ask_size": self.ask_size,
                    "last": _num(self.last),
                    "ts": self.sim_ns,
                    "closed": self.closed,
                }
        return {"ok": False, "error": f"unknown op {op!r}"}

    def _account(self, client_id: str) -> list[float]:
        """The account of a client order id: its run id (the part before the last '-')."""
        name = client_id.rsplit("-", 1)[0]
        acct = self.accounts.get(name)
        if acct is None:
            acct = self.accounts[name] = [self.start_cash, 0.0]
        return acct

    def _submit(self, req: dict[str, Any]) -> dict[str, Any]:
        cid = str(req.get("client_id") or "")
        known = self.orders.get(cid)
        if known is not None:
            return known
        qty = float(req.get("qty") or 0.0)
        kind = req.get("kind", "market")
        limit = req.get("limit")
        o = {
            "client_id": cid,
            "symbol": str(req.get("symbol")),
            "qty": qty,
            "kind": kind,
            "limit": limit,
            "status": "accepted",
            "filled": 0.0,
            "venue_id": f"X{len(self.orders) + 1}",
        }
        bad = (
            not cid
            or o["symbol"] != self.symbol
            or not math.isfinite(qty)
            or qty == 0
            or kind not in ("market", "limit")
            or (kind == "limit" and not (isinstance(limit, int | float) and limit > 0))
        )
        if bad:
            o["status"] = "rejected"
        self.orders[cid] = o
        if not bad:
            self._track(o)
            self._fill(o)
        return o


def _modifiable(o: dict[str, Any], qty: float, limit: Any) -> bool:
    working = o["status"] in ("accepted", "partially_filled")
    same_side = qty != 0 and math.isfinite(qty) and (qty > 0) == (o["qty"] > 0)
    price_ok = o["kind"] == "market" or (isinstance(limit, int | float) and limit > 0)
    return working and same_side and abs(qty) > abs(o["filled"]) and price_ok


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        """Answer every complete request line of each read, in order, in one write: a client that
        pipelines (many requests per write) gets its answers together."""
        import socket

        import orjson

        sock, venue = self.request, self.server.venue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        while True:
            try:
                data = sock.recv(1 << 16)
            except OSError:
                return
            if not data:
                return
            *lines, buf = (buf + data).split(b"\n")
            out = []
            for line in lines:
                if not line.strip():
                    continue
                try:
                    req = orjson.loads(line)
                    resp = venue.handle(req) if isinstance(req, dict) else {"ok": False, "error": "not an object"}
                except (ValueError, TypeError) as exc:
                    resp = {"ok": False, "error": f"bad request: {exc}"}
                out.append(orjson.dumps(resp, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
            if out:
                try:
                    sock.sendall(b"".join(out))
                except OSError:
                    return


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, addr: tuple[str, int], venue: PrismVenue) -> None:
        self.venue = venue
        super().__init__(addr, _Handler)


def run_venue(
    config: PrismConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 7001,
    speed: float = 1.0,
    cash: float = 1_000_000.0,
    fee_bps: float = 0.0,
    tick_s: float = 0.001,
    ready: Callable[[tuple[str, int]], None] | None = None,
    stop: threading.Event | None = None,
    handle_signals: bool = False,
) -> PrismVenue:
    """Serve a :class:`PrismVenue` on ``host:port`` until ``stop`` is set or, with
    ``handle_signals``, SIGINT / SIGTERM arrives.

    ``ready`` is called with the bound address (``port=0`` picks a free one). Returns the venue.

    Raises
    ------
    ConfigError
        ``host:port`` cannot be bound (in use, or not a local address).
    """
    import signal

    from trade2026.errors import ConfigError

    venue = PrismVenue(config, speed=speed, cash=cash, fee_bps=fee_bps)
    stop = stop or threading.Event()
    try:
        srv = _Server((host, port), venue)
    except OSError as exc:
        msg = f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick another port"
        raise ConfigError(msg, option="port") from None
    old: dict[signal.Signals, Any] = {}
    if handle_signals and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            old[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        _serve(srv, venue, stop, tick_s, ready)
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)
    return venue


def _serve(
    srv: _Server,
    venue: PrismVenue,
    stop: threading.Event,
    tick_s: float,
    ready: Callable[[tuple[str, int]], None] | None,
) -> None:
    with srv:
        thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        if ready is not None:
            host, port = srv.server_address[:2]
            ready((str(host), int(port)))
        while not stop.wait(tick_s):
            venue.advance()
        srv.shutdown()
