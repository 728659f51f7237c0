"""A venue adapter over ccxt (the ``ccxt`` extra) for real venues' testnets.

:class:`CcxtVenue` implements the engine's venue interface with ccxt's unified API: orders carry
the engine's client order id (``params={"clientOrderId": ...}``), so a query or a retried submit
finds the order the venue already has instead of placing a second one. Calls are spaced by the
exchange's own ``rateLimit`` (ccxt's ``enableRateLimit``) and retried with exponential backoff on
``ccxt.NetworkError`` (rate-limit and DDoS-protection answers included); a submit that failed on the
network is looked up by its client order id before it is retried.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from trade2026.errors import ConfigError, DependencyError, T26Error
from trade2026.live._portfolio import Fill
from trade2026.live._venue import report

_STATUS = {"open": "accepted", "closed": "filled", "canceled": "canceled", "expired": "expired", "rejected": "rejected"}


def _ccxt() -> Any:
    try:
        import ccxt
    except ImportError:
        msg = "the ccxt venue needs ccxt: pip install 'trade2026[ccxt]'"
        raise DependencyError(msg) from None
    return ccxt


class CcxtVenue:
    """A ccxt exchange as a venue.

    Parameters
    ----------
    exchange : str or ccxt.Exchange
        An exchange id (``"binance"``) or a ready ccxt exchange object.
    symbols : list of str
        The markets traded (``"BTC/USDT"``); balances and fills are read for these.
    quote_currency : str
        The cash currency (``"USDT"``).
    sandbox : bool
        Use the exchange's testnet (default True).
    api_key, secret : str, optional
        Credentials (for an exchange id).
    max_retries : int
        Retries of a call that failed on the network.
    backoff_s : float
        First backoff; doubled at each retry.
    sleep : callable
        How to wait (tests pass a recorder).
    """

    def __init__(
        self,
        exchange: Any,
        symbols: list[str],
        *,
        quote_currency: str = "USDT",
        sandbox: bool = True,
        api_key: str | None = None,
        secret: str | None = None,
        max_retries: int = 5,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ccxt = _ccxt()
        if isinstance(exchange, str):
            cls = getattr(self.ccxt, exchange, None)
            if cls is None:
                msg = f"unknown ccxt exchange {exchange!r}; see ccxt.exchanges"
                raise ConfigError(msg, option="venue")
            exchange = cls({"apiKey": api_key, "secret": secret, "enableRateLimit": True})
            if sandbox:
                exchange.set_sandbox_mode(True)
        self.ex = exchange
        self.symbols = list(symbols)
        self.quote_currency = quote_currency
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.sleep = sleep
        self._trades: list[Fill] = []
        self._trade_ids: set[str] = set()
        self._symbol_of: dict[str, str] = {}

    def _call(self, name: str, *args: Any, **kw: Any) -> Any:
        delay = self.backoff_s
        for attempt in range(self.max_retries + 1):
            try:
                return getattr(self.ex, name)(*args, **kw)
            except self.ccxt.NetworkError as exc:  # includes RateLimitExceeded and DDoSProtection
                if attempt == self.max_retries:
                    msg = f"venue {self.ex.id}: {name} failed after {self.max_retries} retries ({exc})"
                    raise T26Error(msg) from None
                self.sleep(delay)
                delay *= 2
            except self.ccxt.ExchangeError as exc:
                msg = f"venue {self.ex.id}: {name} refused: {exc}"
                raise T26Error(msg) from None
        raise AssertionError("unreachable")

    def _report(self, o: dict[str, Any], client_id: str) -> dict[str, Any]:
        side = 1.0 if o.get("side") == "buy" else -1.0
        filled = float(o.get("filled") or 0.0)
        status = _STATUS.get(str(o.get("status")), "accepted")
        if status == "accepted" and filled > 0:
            status = "partially_filled"
        return {
            "client_id": client_id,
            "symbol": o.get("symbol"),
            "qty": side * float(o.get("amount") or 0.0),
            "status": status,
            "filled": side * filled,
            "venue_id": o.get("id"),
            "limit": o.get("price") if o.get("type") == "limit" else None,
        }

    def submit(
        self, client_id: str, symbol: str, qty: float, kind: str = "market", limit: float | None = None
    ) -> dict[str, Any]:
        known = self.query(client_id, symbol)
        if known is not None:
            return known
        side = "buy" if qty > 0 else "sell"
        params = {"clientOrderId": client_id}
        try:
            o = self.ex.create_order(symbol, kind, side, abs(qty), limit, params)
        except self.ccxt.NetworkError:
            # the order may have reached the venue: find it by its id before trying again
            known = self.query(client_id, symbol)
            if known is not None:
                return known
            o = self._call("create_order", symbol, kind, side, abs(qty), limit, params)
        except self.ccxt.InvalidOrder as exc:
            return report(client_id, symbol, qty, "rejected", 0.0, reason=str(exc))
        self._symbol_of[client_id] = symbol
        return self._report(o, client_id)

    def _find(self, client_id: str, symbol: str | None = None) -> dict[str, Any] | None:
        for sym in [symbol] if symbol else [self._symbol_of.get(client_id), *self.symbols]:
            if sym is None:
                continue
            for o in self._call("fetch_orders", sym):
                if o.get("clientOrderId") == client_id:
                    self._symbol_of[client_id] = sym
                    return dict(o)
        return None

    def query(self, client_id: str, symbol: str | None = None) -> dict[str, Any] | None:
        o = self._find(client_id, symbol)
        return self._report(o, client_id) if o is not None else None

    def cancel(self, client_id: str) -> dict[str, Any] | None:
        o = self._find(client_id)
        if o is None:
            return None
        if o.get("status") == "open":
            with contextlib.suppress(T26Error):  # already done at the venue: the query below says what it is
                self._call("cancel_order", o["id"], o["symbol"])
        return self.query(client_id)

    def modify(self, client_id: str, qty: float, limit: float | None) -> dict[str, Any] | None:
        """``edit_order`` where the exchange edits in place (the client order id stays)."""
        o = self._find(client_id)
        if o is None:
            return None
        side = "buy" if qty > 0 else "sell"
        try:
            self._call("edit_order", o["id"], o["symbol"], o["type"], side, abs(qty), limit)
            ok, reason = True, None
        except T26Error as exc:
            ok, reason = False, str(exc)
        seen = self.query(client_id) or self._report(o, client_id)
        return {**seen, "updated": ok, "reason": reason}

    def open_orders(self) -> list[dict[str, Any]]:
        out = []
        for sym in self.symbols:
            for o in self._call("fetch_open_orders", sym):
                cid = o.get("clientOrderId")
                if cid:
                    out.append(self._report(o, cid))
        return out

    def fills_since(self, seq: int) -> list[Fill]:
        new: list[dict[str, Any]] = []
        for sym in self.symbols:
            new.extend(t for t in self._call("fetch_my_trades", sym) if str(t["id"]) not in self._trade_ids)
        new.sort(key=lambda t: (t.get("timestamp") or 0, str(t["id"])))
        by_venue_id = {v: k for k, v in self._venue_ids().items()}
        for t in new:
            cid = t.get("clientOrderId") or by_venue_id.get(str(t.get("order")), "")
            q = float(t["amount"]) * (1.0 if t["side"] == "buy" else -1.0)
            fee = float((t.get("fee") or {}).get("cost") or 0.0)
            self._trade_ids.add(str(t["id"]))
            ts = int(t.get("timestamp") or 0) * 1_000_000
            self._trades.append(
                Fill(str(t["id"]), cid, t["symbol"], q, float(t["price"]), fee, ts, len(self._trades) + 1)
            )
        return self._trades[max(seq, 0) :]

    def _venue_ids(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for sym in self.symbols:
            for o in self._call("fetch_orders", sym):
                if o.get("clientOrderId"):
                    out[o["clientOrderId"]] = str(o["id"])
        return out

    def quote(self, symbol: str) -> dict[str, Any]:
        """Best bid and ask from ``fetch_ticker`` (ts in ns)."""
        t = self._call("fetch_ticker", symbol)
        return {"bid": t.get("bid"), "ask": t.get("ask"), "ts": int(t.get("timestamp") or 0) * 1_000_000}

    def close(self) -> None:
        """Nothing to release (ccxt's sync exchanges hold no connection of their own to close)."""

    def balances(self, account: str | None = None) -> dict[str, Any]:
        b = self._call("fetch_balance")
        total = b.get("total", {})
        positions = {}
        for sym in self.symbols:
            base = sym.split("/")[0]
            if total.get(base):
                positions[sym] = float(total[base])
        return {"cash": float(total.get(self.quote_currency, 0.0)), "positions": positions}
