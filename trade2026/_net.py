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


def silent(url: str, *, timeout: float = CONNECT_TIMEOUT_S) -> str | None:
    """``None`` when an HTTP server at ``url`` answers a GET within ``timeout`` seconds (any status:
    a 404 or 401 is an answer), else why not: a server that accepts connections but never replies
    would otherwise hold a client that retries it for minutes."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason) or type(exc).__name__
