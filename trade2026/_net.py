"""Reachability checks for the services a command talks to (a Ray cluster, a tracking server).

Client libraries retry an address nobody listens at for minutes; a TCP connect tells within seconds.
"""

from __future__ import annotations

import socket

CONNECT_TIMEOUT_S = 5.0


def unreachable(host: str, port: int, *, timeout: float = CONNECT_TIMEOUT_S) -> str | None:
    """``None`` when a TCP connection to ``host:port`` opens within ``timeout`` seconds, else why not."""
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            return None
    except OSError as exc:
        return exc.strerror or str(exc) or type(exc).__name__
