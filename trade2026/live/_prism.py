"""The client side of the PRISM venue protocol (JSON lines over loopback TCP).

See ``trade2026.sim.prism.PrismVenue`` for the protocol; :class:`PrismClient` implements the
engine's venue interface over it. A call is one request line and its response line;
:meth:`PrismClient.submit_batch` pipelines: every order of a market event and the query of the
fills since the last one go out in one write, and the answers are read after (the venue answers in
order), so an event costs one round trip however many orders it holds.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlparse

import orjson

from trade2026.errors import ConfigError, T26Error
from trade2026.live._portfolio import Fill


def parse_venue_url(url: str) -> tuple[str, int]:
    """``"prism://127.0.0.1:7001"`` -> ``("127.0.0.1", 7001)``."""
    u = urlparse(url)
    if u.scheme != "prism" or not u.hostname or not u.port:
        msg = f"venue {url!r} is not prism://HOST:PORT (e.g. prism://127.0.0.1:7001)"
        raise ConfigError(msg, option="venue")
    return u.hostname, u.port


class PrismClient:
    """A connection to a ``t26 sim venue`` process.

    Raises
    ------
    ConfigError
        The venue cannot be reached (the message names it).
    """

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url
        host, port = parse_venue_url(url)
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            msg = f"venue {url} is unreachable ({exc.strerror or exc}); start it with: t26 sim venue --port {port}"
            raise ConfigError(msg, option="venue") from None
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb")

    def call(self, op: str, **fields: Any) -> dict[str, Any]:
        """One request; returns the response object (raises when the venue says it failed)."""
        return self.pipeline([{"op": op, **fields}])[0]

    def pipeline(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send every request in one write, then read their responses (in order)."""
        op = requests[0].get("op") if requests else None
        try:
            self.sock.sendall(b"".join(orjson.dumps(r) + b"\n" for r in requests))
            lines = [self.rfile.readline() for _ in requests]
        except OSError as exc:
            msg = f"venue {self.url}: {op} failed ({exc})"
            raise T26Error(msg) from None
        out = []
        for line in lines:
            if not line:
                msg = f"venue {self.url} closed the connection during {op}"
                raise T26Error(msg)
            resp = orjson.loads(line)
            if not resp.get("ok"):
                msg = f"venue {self.url}: {op} failed: {resp.get('error')}"
                raise T26Error(msg)
            out.append(resp)
        return out

    def submit_batch(
        self, orders: list[tuple[str, str, float, str, float | None]], fill_seq: int
    ) -> tuple[list[dict[str, Any]], list[Fill]]:
        """Submit ``(client_id, symbol, qty, kind, limit)`` orders and ask for the fills after
        ``fill_seq``, pipelined in one round trip; the order reports and the fills (those the orders
        made included: the venue answers in order)."""
        reqs: list[dict[str, Any]] = [
            {"op": "submit", "client_id": c, "symbol": s, "qty": q, "kind": k, "limit": lim}
            for c, s, q, k, lim in orders
        ]
        reqs.append({"op": "fills_since", "seq": fill_seq})
        *acks, fills = self.pipeline(reqs)
        return [dict(r["order"]) for r in acks], [Fill.from_dict(f) for f in fills["fills"]]

    def submit(
        self, client_id: str, symbol: str, qty: float, kind: str = "market", limit: float | None = None
    ) -> dict[str, Any]:
        return dict(self.call("submit", client_id=client_id, symbol=symbol, qty=qty, kind=kind, limit=limit)["order"])

    def modify(self, client_id: str, qty: float, limit: float | None) -> dict[str, Any] | None:
        r = self.call("modify", client_id=client_id, qty=qty, limit=limit)
        return None if r["order"] is None else {**r["order"], "updated": r["updated"]}

    def cancel(self, client_id: str) -> dict[str, Any] | None:
        return self.call("cancel", client_id=client_id)["order"]

    def query(self, client_id: str) -> dict[str, Any] | None:
        return self.call("query", client_id=client_id)["order"]

    def open_orders(self) -> list[dict[str, Any]]:
        return list(self.call("open_orders")["orders"])

    def fills_since(self, seq: int) -> list[Fill]:
        return [Fill.from_dict(f) for f in self.call("fills_since", seq=seq)["fills"]]

    def balances(self, account: str | None = None) -> dict[str, Any]:
        r = self.call("balances", account=account)
        return {"cash": r["cash"], "positions": r["positions"], "fill_seq": r["fill_seq"]}

    def quote(self, symbol: str | None = None) -> dict[str, Any]:
        """The venue's quote (it trades one symbol: ``symbol`` is not needed)."""
        return self.call("quote")

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()
