"""Fault injection for the crash-safety test: SIGKILL this process at a named point of the order path.

``T26_LIVE_FAULT=<point>:<n>`` (read once, at import) kills the process the n-th time it reaches
``point``: ``after_intent`` (intents journaled, not sent), ``after_send`` (sent, acknowledgement not
journaled), ``partial_fill`` (a partial fill applied, not journaled), ``pending_cancel`` (cancel
request journaled, not sent) or ``journal_write`` (half of a group commit written). Unset, every
check is one comparison.
"""

from __future__ import annotations

import os
import signal

POINTS = ("after_intent", "after_send", "partial_fill", "pending_cancel", "journal_write")


def _parse(spec: str) -> tuple[str | None, int]:
    point, _, n = spec.partition(":")
    if point not in POINTS:
        return None, 0
    return point, int(n or 1)


_POINT, _AT = _parse(os.environ.get("T26_LIVE_FAULT", ""))
_seen = 0


def reached(point: str) -> bool:
    """True when the process must die at ``point`` now (counts the visits of the armed point)."""
    global _seen
    if point != _POINT:
        return False
    _seen += 1
    return _seen == _AT


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def hit(point: str) -> None:
    if reached(point):
        die()
