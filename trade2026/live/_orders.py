"""The order state machine: an explicit transition table, orders, and deterministic client order ids.

Every change of an order's status goes through :func:`transition`, which looks the pair
(status, event) up in :data:`TRANSITIONS`; a pair that is not in the table raises, so an illegal
transition is never applied silently. Statuses and events follow the FIX / nautilus_trader vocabulary.

Notes
-----
The table includes the real-world *canceled-then-filled* race: a venue confirms a cancel, then a
fill that was executed before the cancel reached the matching engine arrives. The fill is applied
(it happened); the order stays ``canceled`` unless the fill completes it, when it is ``filled``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from trade2026.errors import ConfigError, T26Error

# Statuses (strings, so they serialise as they read in the journal and the lake).
INITIALIZED = "initialized"
SUBMITTED = "submitted"
ACCEPTED = "accepted"
PARTIALLY_FILLED = "partially_filled"
FILLED = "filled"
PENDING_CANCEL = "pending_cancel"
PENDING_UPDATE = "pending_update"
CANCELED = "canceled"
REJECTED = "rejected"
EXPIRED = "expired"

STATUSES = (
    INITIALIZED,
    SUBMITTED,
    ACCEPTED,
    PARTIALLY_FILLED,
    FILLED,
    PENDING_CANCEL,
    PENDING_UPDATE,
    CANCELED,
    REJECTED,
    EXPIRED,
)
TERMINAL = frozenset({FILLED, CANCELED, REJECTED, EXPIRED})

# Events. ``fill`` is a fill that leaves quantity open, ``fill_final`` one that completes the order;
# :meth:`Order.apply_fill` picks which from the quantities.
SUBMIT = "submit"
ACCEPT = "accept"
REJECT = "reject"
FILL = "fill"
FILL_FINAL = "fill_final"
CANCEL_REQUEST = "cancel_request"
CANCELED_EV = "canceled"
CANCEL_REJECT = "cancel_reject"
UPDATE_REQUEST = "update_request"
UPDATED = "updated"
UPDATE_REJECT = "update_reject"
EXPIRE = "expire"

EVENTS = (
    SUBMIT,
    ACCEPT,
    REJECT,
    FILL,
    FILL_FINAL,
    CANCEL_REQUEST,
    CANCELED_EV,
    CANCEL_REJECT,
    UPDATE_REQUEST,
    UPDATED,
    UPDATE_REJECT,
    EXPIRE,
)

# "working" resolves to accepted (nothing filled yet) or partially_filled: where a pending request
# ends, the order goes back to working with whatever was filled meanwhile.
WORKING = "working"

_WORKING_EXITS = {
    FILL: PARTIALLY_FILLED,
    FILL_FINAL: FILLED,
    CANCEL_REQUEST: PENDING_CANCEL,
    UPDATE_REQUEST: PENDING_UPDATE,
    CANCELED_EV: CANCELED,  # venue-initiated cancel (e.g. end of session, self-trade prevention)
    EXPIRE: EXPIRED,
}

TRANSITIONS: dict[tuple[str, str], str] = {
    (INITIALIZED, SUBMIT): SUBMITTED,
    (INITIALIZED, REJECT): REJECTED,  # denied by pre-trade risk, never sent
    (SUBMITTED, ACCEPT): ACCEPTED,
    (SUBMITTED, REJECT): REJECTED,
    (SUBMITTED, FILL): PARTIALLY_FILLED,  # a fill can overtake the acknowledgement
    (SUBMITTED, FILL_FINAL): FILLED,
    (SUBMITTED, CANCEL_REQUEST): PENDING_CANCEL,
    (SUBMITTED, CANCELED_EV): CANCELED,
    (SUBMITTED, EXPIRE): EXPIRED,
    **{(ACCEPTED, e): s for e, s in _WORKING_EXITS.items()},
    **{(PARTIALLY_FILLED, e): s for e, s in _WORKING_EXITS.items()},
    (PENDING_CANCEL, CANCELED_EV): CANCELED,
    (PENDING_CANCEL, CANCEL_REJECT): WORKING,
    (PENDING_CANCEL, FILL): PENDING_CANCEL,
    (PENDING_CANCEL, FILL_FINAL): FILLED,
    (PENDING_CANCEL, ACCEPT): PENDING_CANCEL,  # the ack of the order arrives after the cancel request
    (PENDING_CANCEL, EXPIRE): EXPIRED,
    (PENDING_CANCEL, REJECT): REJECTED,  # a cancel sent before the order's own ack; the order is rejected
    (PENDING_UPDATE, UPDATED): WORKING,
    (PENDING_UPDATE, UPDATE_REJECT): WORKING,
    (PENDING_UPDATE, FILL): PENDING_UPDATE,
    (PENDING_UPDATE, FILL_FINAL): FILLED,
    (PENDING_UPDATE, CANCELED_EV): CANCELED,
    (PENDING_UPDATE, CANCEL_REQUEST): PENDING_CANCEL,
    (PENDING_UPDATE, EXPIRE): EXPIRED,
    # the canceled-then-filled race: the fill happened before the cancel took effect
    (CANCELED, FILL): CANCELED,
    (CANCELED, FILL_FINAL): FILLED,
}


def transition(status: str, event: str, *, filled: float = 0.0) -> str:
    """The status after ``event`` in ``status`` (``filled``: signed quantity filled so far, for "working").

    Raises
    ------
    T26Error
        When (status, event) is not in :data:`TRANSITIONS`; nothing is applied.
    """
    nxt = TRANSITIONS.get((status, event))
    if nxt is None:
        msg = f"illegal order transition: event {event!r} in status {status!r}"
        raise T26Error(msg)
    if nxt == WORKING:
        return PARTIALLY_FILLED if filled != 0 else ACCEPTED
    return nxt


def is_legal_path(statuses: list[str]) -> bool:
    """Whether consecutive statuses (starting from ``initialized``) are each one table step apart."""
    if not statuses or statuses[0] != INITIALIZED:
        return False
    reachable: dict[str, set[str]] = {}
    for (s, _e), n in TRANSITIONS.items():
        reachable.setdefault(s, set()).update({ACCEPTED, PARTIALLY_FILLED} if n == WORKING else {n})
    return all(b in reachable.get(a, set()) for a, b in pairwise(statuses))


class ClientIds:
    """Deterministic client order ids: ``<run_id>-<seq>``, seq counting from 1 without gaps.

    After a restart the generator resumes from the journal's last sequence number, so an id is never
    reused for a different intent and a re-sent intent keeps its id (the venue deduplicates on it).
    """

    def __init__(self, run_id: str, start: int = 0) -> None:
        if not run_id or "-" in run_id or not run_id.isascii():
            msg = f"run_id must be a non-empty ASCII word without '-', got {run_id!r}"
            raise ConfigError(msg, option="run_id")
        self.run_id = run_id
        self.seq = start

    def next(self) -> str:
        self.seq += 1
        return f"{self.run_id}-{self.seq:010d}"

    @staticmethod
    def seq_of(client_id: str) -> int:
        return int(client_id.rsplit("-", 1)[1])


@dataclass
class Order:
    """One order and its history of statuses. ``qty`` is signed: positive buys, negative sells."""

    client_id: str
    symbol: str
    qty: float
    kind: str = "market"
    limit: float | None = None
    status: str = INITIALIZED
    filled: float = 0.0
    venue_id: str | None = None
    reason: str | None = None
    history: list[str] = field(default_factory=lambda: [INITIALIZED])
    requested: dict[str, Any] | None = None  # the qty and limit of a pending update

    @property
    def open_qty(self) -> float:
        return self.qty - self.filled

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def apply(self, event: str) -> str:
        """Move to the status the table gives for ``event`` (raises on an illegal one)."""
        self.status = transition(self.status, event, filled=self.filled)
        self.history.append(self.status)
        return self.status

    def apply_fill(self, qty: float) -> str:
        """Record a fill of signed ``qty`` (same sign as the order, at most the open quantity)."""
        if qty == 0 or (qty > 0) != (self.qty > 0) or abs(self.filled + qty) > abs(self.qty) * (1 + 1e-12):
            msg = f"fill of {qty} does not fit order {self.client_id} (qty {self.qty}, filled {self.filled})"
            raise T26Error(msg)
        final = abs(self.qty - self.filled - qty) <= 1e-12 * abs(self.qty)
        status = transition(self.status, FILL_FINAL if final else FILL, filled=self.filled)
        self.filled = self.qty if final else self.filled + qty
        self.status = status
        self.history.append(status)
        return status

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "symbol": self.symbol,
            "qty": self.qty,
            "kind": self.kind,
            "limit": self.limit,
            "status": self.status,
            "filled": self.filled,
            "venue_id": self.venue_id,
            "reason": self.reason,
            "history": list(self.history),
            "requested": self.requested,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Order:
        return cls(**d)
