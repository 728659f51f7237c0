"""Positions and P&L: quantity, average cost, FIFO realised P&L, unrealised at mark, fees, cash, equity.

Fills are applied once: each carries the venue's ``trade_id`` and a second fill with a seen id is
ignored (and reported as such), so a fill replayed from the journal and reported again by the venue
after a restart moves nothing.

Notes
-----
Realised P&L is FIFO: a reducing fill closes the oldest open lots first, at their own prices; the
average cost is that of the lots still open. Fees are kept apart from realised P&L and taken from
cash, so ``equity = cash + sum(qty * mark)`` and ``realised + unrealised - fees`` is the P&L since
the start for a book that began flat.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fill:
    """A fill reported by a venue: signed ``qty`` at ``price`` with ``fee`` (currency units)."""

    trade_id: str
    client_id: str
    symbol: str
    qty: float
    price: float
    fee: float = 0.0
    ts: int = 0  # venue time, ns since the epoch (or the replay's bar time)
    seq: int = 0  # the venue's fill sequence number

    def to_dict(self) -> dict[str, Any]:
        return {
            "trade_id": self.trade_id,
            "client_id": self.client_id,
            "symbol": self.symbol,
            "qty": self.qty,
            "price": self.price,
            "fee": self.fee,
            "ts": self.ts,
            "seq": self.seq,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Fill:
        return cls(**d)


@dataclass
class Position:
    """One symbol's position: open FIFO lots ``[qty, price]`` (all the same sign), realised P&L, fees."""

    symbol: str
    lots: deque[list[float]] = field(default_factory=deque)
    realised: float = 0.0
    fees: float = 0.0
    mark: float = math.nan

    qty: float = 0.0  # the sum of the fills, in fill order (as a venue adds them up)

    @property
    def avg_cost(self) -> float:
        q = self.qty
        return sum(lq * p for lq, p in self.lots) / q if q != 0 else 0.0

    @property
    def unrealised(self) -> float:
        if not self.lots or not math.isfinite(self.mark):
            return 0.0
        return sum(lq * (self.mark - p) for lq, p in self.lots)

    def apply(self, qty: float, price: float, fee: float) -> None:
        self.fees += fee
        self.qty += qty
        remaining = qty
        while remaining != 0.0 and self.lots and (self.lots[0][0] > 0) != (remaining > 0):
            lot = self.lots[0]
            close = -remaining if abs(remaining) < abs(lot[0]) else lot[0]
            # closing ``close`` (sign of the lot) at ``price`` against the lot's price
            self.realised += close * (price - lot[1])
            lot[0] -= close
            remaining += close
            if abs(lot[0]) <= 1e-12 * max(abs(close), 1.0):
                self.lots.popleft()
        if abs(remaining) > 1e-12 * abs(qty):
            self.lots.append([remaining, price])

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "qty": self.qty,
            "avg_cost": self.avg_cost,
            "realised": self.realised,
            "unrealised": self.unrealised,
            "fees": self.fees,
            "mark": self.mark,
        }


class Portfolio:
    """Cash and positions of one account, fed by fills deduplicated on ``trade_id``.

    The last ``max_trade_ids`` trade ids are remembered (older fills are also behind the engine's
    venue sequence number, so memory stays bounded on a long run).
    """

    def __init__(self, cash: float, *, max_trade_ids: int = 200_000) -> None:
        self.start_cash = float(cash)
        self.cash = float(cash)
        self.positions: dict[str, Position] = {}
        self.trade_ids: dict[str, None] = {}  # an insertion-ordered set
        self.n_fills = 0
        self.max_trade_ids = max_trade_ids
        self.day_start_equity = float(cash)

    def position(self, symbol: str) -> Position:
        p = self.positions.get(symbol)
        if p is None:
            p = self.positions[symbol] = Position(symbol)
        return p

    def qty(self, symbol: str) -> float:
        p = self.positions.get(symbol)
        return p.qty if p is not None else 0.0

    def apply_fill(self, fill: Fill) -> bool:
        """Apply ``fill`` once; False (and nothing changes) when its trade id was seen before."""
        if fill.trade_id in self.trade_ids:
            return False
        self.trade_ids[fill.trade_id] = None
        self.n_fills += 1
        if len(self.trade_ids) > self.max_trade_ids:
            for tid in list(self.trade_ids)[: len(self.trade_ids) - int(self.max_trade_ids * 0.9)]:
                del self.trade_ids[tid]
        self.position(fill.symbol).apply(fill.qty, fill.price, fill.fee)
        self.cash -= fill.qty * fill.price + fill.fee
        return True

    def mark(self, symbol: str, price: float) -> None:
        if math.isfinite(price):
            self.position(symbol).mark = price

    def equity(self) -> float:
        """Cash plus every position at its mark (a position never marked counts at its cost)."""
        e = self.cash
        for p in self.positions.values():
            q = p.qty
            if q != 0.0:
                e += q * (p.mark if math.isfinite(p.mark) else p.avg_cost)
        return e

    def gross(self) -> float:
        return sum(abs(p.qty) * (p.mark if math.isfinite(p.mark) else p.avg_cost) for p in self.positions.values())

    def daily_pnl(self) -> float:
        return self.equity() - self.day_start_equity

    def holdings(self) -> dict[str, float]:
        """Nonzero quantities per symbol (what a venue's balances are compared with)."""
        return {s: q for s, p in self.positions.items() if (q := p.qty) != 0.0}

    def summary(self) -> dict[str, Any]:
        return {
            "cash": self.cash,
            "equity": self.equity(),
            "realised": sum(p.realised for p in self.positions.values()),
            "unrealised": sum(p.unrealised for p in self.positions.values()),
            "fees": sum(p.fees for p in self.positions.values()),
            "positions": [p.to_dict() for p in self.positions.values() if p.qty != 0.0 or p.realised != 0.0],
        }
