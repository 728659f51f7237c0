"""The client side of the PRISM venue protocol (JSON lines over loopback TCP).

See ``trade2026.sim.prism.PrismVenue`` for the protocol; :class:`PrismClient` implements the
engine's venue interface over it, one request and one response line at a time.
"""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlparse

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
        try:
            self.sock.sendall(json.dumps({"op": op, **fields}, separators=(",", ":")).encode() + b"\n")
            line = self.rfile.readline()
        except OSError as exc:
            msg = f"venue {self.url}: {op} failed ({exc})"
            raise T26Error(msg) from None
        if not line:
            msg = f"venue {self.url} closed the connection during {op}"
            raise T26Error(msg)
        resp = json.loads(line)
        if not resp.get("ok"):
            msg = f"venue {self.url}: {op} failed: {resp.get('error')}"
            raise T26Error(msg)
        return dict(resp)

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
