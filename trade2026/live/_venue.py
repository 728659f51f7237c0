"""The venue interface and the in-process paper venue.

A venue is anything with the methods of :class:`Venue`. Every call is idempotent on the client
order id: submitting an id the venue already knows returns that order's report and creates nothing,
which is what makes a re-send after a crash safe. Reports are plain dicts
(:func:`report`), fills are :class:`~trade2026.live._portfolio.Fill` with a venue sequence number,
so the engine can ask for "fills since N" after a restart.

:class:`PaperVenue` fills market orders at the current quote (buy at the ask, sell at the bid) and
limit orders when the quote reaches them, charging the backtest engine's commission model
(``commission_bps`` of notional, ``commission_per_share``, ``commission_fixed`` per fill). The
replay sets the quote of a bar at its open, ``open +/- (open * slippage_bps / 1e4 + slippage_range *
(high - low))``: exactly the prices and costs ``run_backtest`` fills at.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from trade2026.live._portfolio import Fill

VENUE_STATUSES = ("accepted", "partially_filled", "filled", "canceled", "rejected", "expired")


def report(client_id: str, symbol: str, qty: float, status: str, filled: float, **extra: Any) -> dict[str, Any]:
    """A venue's view of one order."""
    return {"client_id": client_id, "symbol": symbol, "qty": qty, "status": status, "filled": filled, **extra}


def modifiable(o: dict[str, Any], qty: float, limit: float | None) -> bool:
    """Whether a venue may set order ``o`` to ``qty`` (same side, more than filled) and ``limit``."""
    working = o["status"] in ("accepted", "partially_filled")
    same_side = qty != 0 and math.isfinite(qty) and (qty > 0) == (o["qty"] > 0)
    price_ok = o["kind"] == "market" or (limit is not None and limit > 0)
    return working and same_side and abs(qty) > abs(o["filled"]) and price_ok


class Venue(Protocol):
    """What the engine needs from a venue (the paper venue, the PRISM venue client, ccxt)."""

    def submit(
        self, client_id: str, symbol: str, qty: float, kind: str = "market", limit: float | None = None
    ) -> dict[str, Any]: ...

    def cancel(self, client_id: str) -> dict[str, Any] | None: ...

    def modify(self, client_id: str, qty: float, limit: float | None) -> dict[str, Any] | None:
        """Set a working order's total qty and limit; the report says ``updated`` True or False."""
        ...

    def query(self, client_id: str) -> dict[str, Any] | None: ...

    def open_orders(self) -> list[dict[str, Any]]: ...

    def fills_since(self, seq: int) -> list[Fill]: ...

    def balances(self, account: str | None = None) -> dict[str, Any]:
        """``{"cash", "positions": {symbol: qty}}`` of the run's account, and ``"fill_seq"`` (the last
        fill they include) when the venue can say it."""
        ...


class PaperVenue:
    """An in-process venue with the backtest engine's fill prices and costs.

    Parameters
    ----------
    cash : float
        Starting cash of the account.
    commission_bps, commission_per_share, commission_fixed : float
        The backtest cost model (see ``trade2026.backtest.BacktestConfig``).
    max_history : int
        Finished orders and fills kept for queries; older ones are dropped (memory stays flat).
    """

    def __init__(
        self,
        cash: float,
        *,
        commission_bps: float = 0.0,
        commission_per_share: float = 0.0,
        commission_fixed: float = 0.0,
        max_history: int = 100_000,
    ) -> None:
        self.cash = float(cash)
        self.max_history = max_history
        self.n_fills = 0  # fills ever made; ``fills`` holds the last ones, seq n_fills - len + 1 ..
        self.positions: dict[str, float] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.fills: list[Fill] = []
        self.quotes: dict[str, tuple[float, float]] = {}
        self.ts = 0
        self.c_rate = commission_bps * 1e-4
        self.c_share = commission_per_share
        self.c_fixed = commission_fixed
        self.submits = 0  # submit calls, including duplicates (for tests)

    # the feed side -------------------------------------------------------------------------
    def set_quote(self, symbol: str, bid: float, ask: float, ts: int = 0) -> None:
        """Set ``symbol``'s quote; resting limit orders it reaches fill now."""
        self.quotes[symbol] = (bid, ask)
        self.ts = ts
        for o in list(self.orders.values()):
            if o["symbol"] == symbol and o["status"] in ("accepted", "partially_filled"):
                self._try_fill(o)

    # the order side ------------------------------------------------------------------------
    def submit(
        self, client_id: str, symbol: str, qty: float, kind: str = "market", limit: float | None = None
    ) -> dict[str, Any]:
        self.submits += 1
        known = self.orders.get(client_id)
        if known is not None:
            return dict(known)
        o = report(client_id, symbol, qty, "accepted", 0.0, kind=kind, limit=limit, venue_id=f"P{self.submits}")
        if qty == 0 or not math.isfinite(qty) or (kind == "limit" and (limit is None or not limit > 0)):
            o["status"] = "rejected"
        elif kind == "market" and symbol not in self.quotes:
            o["status"] = "rejected"
            o["reason"] = "no quote"
        self.orders[client_id] = o
        if o["status"] == "accepted":
            self._try_fill(o)
        return dict(o)

    def _try_fill(self, o: dict[str, Any]) -> None:
        quote = self.quotes.get(o["symbol"])
        if quote is None:
            return
        bid, ask = quote
        q = o["qty"] - o["filled"]
        px = ask if q > 0 else bid
        if not math.isfinite(px):
            return
        if o["kind"] == "limit":
            if (q > 0 and px > o["limit"]) or (q < 0 and px < o["limit"]):
                return
            px = o["limit"]
        fee = self.c_rate * abs(q) * px + self.c_share * abs(q) + self.c_fixed
        self.n_fills += 1
        fill = Fill(
            trade_id=f"T{self.n_fills}",
            client_id=o["client_id"],
            symbol=o["symbol"],
            qty=q,
            price=px,
            fee=fee,
            ts=self.ts,
            seq=self.n_fills,
        )
        self.fills.append(fill)
        if len(self.fills) > self.max_history:
            del self.fills[: len(self.fills) - int(self.max_history * 0.9)]
            done = [c for c, x in self.orders.items() if x["status"] not in ("accepted", "partially_filled")]
            for c in done[: max(len(self.orders) - int(self.max_history * 0.9), 0)]:
                del self.orders[c]
        self.cash -= q * px + fee
        self.positions[o["symbol"]] = self.positions.get(o["symbol"], 0.0) + q
        o["filled"] = o["qty"]
        o["status"] = "filled"

    def modify(self, client_id: str, qty: float, limit: float | None) -> dict[str, Any] | None:
        o = self.orders.get(client_id)
        if o is None:
            return None
        ok = modifiable(o, qty, limit)
        if ok:
            o["qty"], o["limit"] = qty, limit
            self._try_fill(o)
        return {**o, "updated": ok}

    def cancel(self, client_id: str) -> dict[str, Any] | None:
        o = self.orders.get(client_id)
        if o is None:
            return None
        if o["status"] in ("accepted", "partially_filled"):
            o["status"] = "canceled"
        return dict(o)

    def query(self, client_id: str) -> dict[str, Any] | None:
        o = self.orders.get(client_id)
        return dict(o) if o is not None else None

    def open_orders(self) -> list[dict[str, Any]]:
        return [dict(o) for o in self.orders.values() if o["status"] in ("accepted", "partially_filled")]

    def fills_since(self, seq: int) -> list[Fill]:
        first = self.n_fills - len(self.fills) + 1  # seq of fills[0]
        return self.fills[max(seq + 1 - first, 0) :]

    def balances(self, account: str | None = None) -> dict[str, Any]:
        """The account's cash and positions (one account: ``account`` is ignored)."""
        positions = {s: q for s, q in self.positions.items() if q != 0.0}
        return {"cash": self.cash, "positions": positions, "fill_seq": self.n_fills}
