"""A plainly written limit order book, the oracle the numba kernel is tested against.

Dictionaries and lists, no cleverness: each price holds a list of resting orders in arrival order
and the best price is found by ``max``/``min`` over the prices that hold orders. Same rules as
:mod:`trade2026.sim.prism._book` (price-time priority, GTC/IOC/market, "cancel resting"
self-trade prevention, rejects for size <= 0 or price outside the grid).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EV_LIMIT, EV_MARKET, EV_CANCEL, EV_REDUCE = 0, 1, 2, 3
IOC = 1


@dataclass
class RefOrder:
    oid: int
    side: int
    price: int
    qty: int
    agent: int
    orig: int
    filled: int = 0
    cancelled: int = 0
    status: str = "done"


@dataclass
class ReferenceBook:
    """Plain-Python order book over integer prices ``0 .. n_levels - 1``."""

    n_levels: int
    bids: dict[int, list[RefOrder]] = field(default_factory=dict)
    asks: dict[int, list[RefOrder]] = field(default_factory=dict)
    orders: list[RefOrder] = field(default_factory=list)
    trades: list[tuple[int, ...]] = field(default_factory=list)

    def best_bid(self) -> int:
        return max(self.bids) if self.bids else -1

    def best_ask(self) -> int:
        return min(self.asks) if self.asks else self.n_levels

    def _remove(self, order: RefOrder) -> None:
        book = self.bids if order.side == 1 else self.asks
        queue = book[order.price]
        queue.remove(order)
        if not queue:
            del book[order.price]

    def cancel(self, oid: int) -> int:
        if not 0 <= oid < len(self.orders) or self.orders[oid].status != "resting":
            return 0
        order = self.orders[oid]
        self._remove(order)
        q = order.qty
        order.cancelled += q
        order.qty = 0
        order.status = "cancelled"
        return q

    def reduce(self, oid: int, by: int) -> int:
        if by <= 0 or not 0 <= oid < len(self.orders) or self.orders[oid].status != "resting":
            return 0
        order = self.orders[oid]
        if by >= order.qty:
            return self.cancel(oid)
        order.qty -= by
        order.cancelled += by
        return by

    def submit(self, t: int, side: int, price: int, qty: int, agent: int, *, market: bool, ioc: bool) -> int:
        if qty <= 0 or side not in (1, -1):
            return -1
        if not market and not 0 <= price < self.n_levels:
            return -1
        order = RefOrder(len(self.orders), side, -1 if market else price, 0, agent, qty)
        self.orders.append(order)
        remaining = qty
        while remaining > 0:
            if side == 1:
                if not self.asks:
                    break
                p = min(self.asks)
                if not market and p > price:
                    break
                resting = self.asks[p][0]
            else:
                if not self.bids:
                    break
                p = max(self.bids)
                if not market and p < price:
                    break
                resting = self.bids[p][0]
            if agent >= 0 and resting.agent == agent:
                self.cancel(resting.oid)
                continue
            fill = min(remaining, resting.qty)
            buyer, seller = (agent, resting.agent) if side == 1 else (resting.agent, agent)
            buy_oid, sell_oid = (order.oid, resting.oid) if side == 1 else (resting.oid, order.oid)
            self.trades.append((t, p, fill, side, buyer, seller, buy_oid, sell_oid))
            remaining -= fill
            resting.qty -= fill
            resting.filled += fill
            if resting.qty == 0:
                self._remove(resting)
                resting.status = "filled"
        order.filled = qty - remaining
        if remaining == 0:
            order.status = "filled"
        elif market or ioc:
            order.cancelled = remaining
            order.status = "cancelled"
        else:
            order.qty = remaining
            order.status = "resting"
            book = self.bids if side == 1 else self.asks
            book.setdefault(price, []).append(order)
        return order.oid

    def apply(self, event: dict[str, Any], t: int) -> int:
        """Apply one event (keys as in :func:`~trade2026.sim.prism._book.run_stream`)."""
        e = event["etype"]
        if e == EV_LIMIT:
            return self.submit(
                t,
                event["side"],
                event["price"],
                event["qty"],
                event["agent"],
                market=False,
                ioc=event.get("tif", 0) == IOC,
            )
        if e == EV_MARKET:
            return self.submit(t, event["side"], 0, event["qty"], event["agent"], market=True, ioc=True)
        if e == EV_CANCEL:
            self.cancel(event["target"])
        elif e == EV_REDUCE:
            self.reduce(event["target"], event["qty"])
        return -1

    def queues(self) -> dict[int, list[int]]:
        """Price -> resting order ids, head of the queue first."""
        out = {p: [o.oid for o in q] for p, q in self.bids.items()}
        out.update({p: [o.oid for o in q] for p, q in self.asks.items()})
        return out
