"""The ccxt adapter on recorded responses (no network): client order ids, retries, backoff, fills."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

ccxt = pytest.importorskip("ccxt")

from trade2026.live import TradingEngine  # noqa: E402
from trade2026.live._ccxt import CcxtVenue  # noqa: E402

REC = json.loads((Path(__file__).parent / "data" / "ccxt_binance_testnet.json").read_text())


class Recorded:
    """An exchange answering with the recorded structures; optionally failing chosen calls first."""

    id = "binance"

    def __init__(self, fail: dict[str, list[Exception]] | None = None, lose_ack: bool = False) -> None:
        self.orders: list[dict[str, Any]] = []
        self.trades: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.fail = fail or {}
        self.lose_ack = lose_ack
        self.usdt, self.btc = 10000.0, 0.0

    def _maybe_fail(self, name: str) -> None:
        self.calls.append(name)
        if self.fail.get(name):
            raise self.fail[name].pop(0)

    def create_order(self, symbol: str, kind: str, side: str, amount: float, price: Any, params: dict) -> dict:
        self._maybe_fail("create_order")
        o = copy.deepcopy(REC[f"create_order_{kind}"])
        o.update(id=str(8876512 + len(self.orders)), clientOrderId=params["clientOrderId"], side=side, amount=amount)
        if kind == "market":
            o.update(filled=amount, cost=amount * o["price"])
            t = copy.deepcopy(REC["trade"])
            t.update(id=str(311250 + len(self.trades)), order=o["id"], side=side, amount=amount)
            t["cost"] = amount * t["price"]
            self.trades.append(t)
            sign = 1 if side == "buy" else -1
            self.btc += sign * amount
            self.usdt -= sign * amount * t["price"]
        else:
            o["price"] = price
        self.orders.append(o)
        if self.lose_ack:
            self.lose_ack = False
            raise ccxt.RequestTimeout("binance POST /api/v3/order timed out")
        return copy.deepcopy(o)

    def fetch_orders(self, symbol: str) -> list[dict]:
        self._maybe_fail("fetch_orders")
        return copy.deepcopy([o for o in self.orders if o["symbol"] == symbol])

    def fetch_open_orders(self, symbol: str) -> list[dict]:
        return [o for o in self.fetch_orders(symbol) if o["status"] == "open"]

    def cancel_order(self, oid: str, symbol: str) -> dict:
        self._maybe_fail("cancel_order")
        for o in self.orders:
            if o["id"] == oid:
                o["status"] = "canceled"
                return copy.deepcopy(o)
        raise ccxt.OrderNotFound(oid)

    def edit_order(self, oid: str, symbol: str, kind: str, side: str, amount: float, price: Any) -> dict:
        self._maybe_fail("edit_order")
        for o in self.orders:
            if o["id"] == oid and o["status"] == "open":
                o.update(amount=amount, price=price)
                return copy.deepcopy(o)
        raise ccxt.OrderNotFound(oid)

    def fetch_my_trades(self, symbol: str) -> list[dict]:
        self._maybe_fail("fetch_my_trades")
        return copy.deepcopy([t for t in self.trades if t["symbol"] == symbol])

    def fetch_balance(self) -> dict:
        b = copy.deepcopy(REC["balance"])
        b["total"].update(USDT=self.usdt, BTC=self.btc)
        return b


def _venue(ex: Recorded, sleeps: list[float] | None = None) -> CcxtVenue:
    return CcxtVenue(ex, ["BTC/USDT"], sleep=(sleeps if sleeps is not None else []).append)


def test_orders_carry_the_client_order_id_and_map_statuses() -> None:
    ex = Recorded()
    v = _venue(ex)
    r = v.submit("run1-0000000001", "BTC/USDT", 0.01)
    assert r["status"] == "filled" and r["filled"] == 0.01
    assert ex.orders[0]["clientOrderId"] == "run1-0000000001"
    r = v.submit("run1-0000000002", "BTC/USDT", -0.02, "limit", 99000.0)
    assert r["status"] == "accepted" and r["qty"] == -0.02
    assert v.submit("run1-0000000002", "BTC/USDT", -0.02, "limit", 99000.0)["venue_id"] == r["venue_id"]
    assert len(ex.orders) == 2  # a known client order id is never placed again
    m = v.modify("run1-0000000002", -0.03, 98000.0)
    assert m is not None and m["updated"] and m["qty"] == -0.03 and m["limit"] == 98000.0
    assert v.cancel("run1-0000000002")["status"] == "canceled"
    m = v.modify("run1-0000000002", -0.01, 98000.0)
    assert m is not None and not m["updated"]
    assert v.query("run1-0000000099") is None


def test_a_lost_acknowledgement_does_not_place_a_second_order() -> None:
    ex = Recorded(lose_ack=True)
    r = _venue(ex).submit("run1-0000000001", "BTC/USDT", 0.01)
    assert r["status"] == "filled"
    assert ex.calls.count("create_order") == 1 and len(ex.orders) == 1


def test_rate_limit_answers_back_off_exponentially() -> None:
    sleeps: list[float] = []
    fails = {"fetch_orders": [ccxt.RateLimitExceeded("429"), ccxt.DDoSProtection("418")]}
    ex = Recorded(fail=fails)
    assert _venue(ex, sleeps).query("run1-0000000001") is None
    assert sleeps == [0.5, 1.0]
    ex = Recorded(fail={"fetch_orders": [ccxt.NetworkError("down")] * 6})
    with pytest.raises(Exception, match="after 5 retries"):
        _venue(ex).query("run1-0000000001")


def test_fills_are_numbered_and_mapped_to_client_ids() -> None:
    ex = Recorded()
    v = _venue(ex)
    v.submit("run1-0000000001", "BTC/USDT", 0.01)
    v.submit("run1-0000000002", "BTC/USDT", -0.004)
    fills = v.fills_since(0)
    assert [(f.client_id, f.qty, f.seq) for f in fills] == [
        ("run1-0000000001", 0.01, 1),
        ("run1-0000000002", -0.004, 2),
    ]
    assert v.fills_since(1) == fills[1:]
    assert v.balances() == {"cash": pytest.approx(10000 - 0.006 * 96000.5), "positions": {"BTC/USDT": 0.006}}


def test_the_engine_trades_and_restarts_against_it(tmp_path: Path) -> None:
    ex = Recorded()
    e = TradingEngine(_venue(ex), tmp_path / "run1", cash=10000.0)
    e.portfolio.mark("BTC/USDT", 96000.0)
    e.start()
    e.submit("BTC/USDT", 0.01)
    e.close()
    e2 = TradingEngine(_venue(ex), tmp_path / "run1", cash=10000.0)
    rec = e2.start()
    assert rec.differences == [] and e2.portfolio.qty("BTC/USDT") == 0.01
    e2.close()


class Ticking(Recorded):
    """Recorded answers plus a ticker that moves one second per call (a sine around 96,000)."""

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def fetch_ticker(self, symbol: str) -> dict:
        import math

        self.n += 1
        mid = 96000.0 + 500.0 * math.sin(self.n / 40.0)
        return {"symbol": symbol, "timestamp": 1733040000000 + 1000 * self.n, "bid": mid - 0.5, "ask": mid + 0.5}


def test_the_stream_loop_trades_a_ccxt_venue(tmp_path: Path) -> None:
    from trade2026.backtest import make_config
    from trade2026.live._stream import run_stream

    ex = Ticking()
    cfg = make_config(init_cash=10000.0)
    res, engine = run_stream(
        _venue(ex), "sma_cross:fast=2,slow=4", run_dir=tmp_path / "c1", symbol="BTC/USDT", config=cfg,
        bar_seconds=5, max_bars=60, poll_s=0.0, lot=1e-6,
    )  # fmt: skip
    assert res.bars == 60 and engine.n_orders > 0
    assert len(ex.orders) == engine.n_orders - engine.n_denied
    assert all(o["clientOrderId"].startswith("c1-") for o in ex.orders)
    assert res.summary["cash"] == pytest.approx(ex.usdt)
    again, _ = run_stream(
        _venue(ex), "sma_cross:fast=2,slow=4", run_dir=tmp_path / "c1", symbol="BTC/USDT", config=cfg,
        bar_seconds=5, max_bars=1, poll_s=0.0, lot=1e-6,
    )  # fmt: skip
    assert again.reconciliation.differences == [] and again.reconciliation.replayed > 0
