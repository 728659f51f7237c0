"""The order state machine: the table, illegal transitions, fills, the canceled-then-filled race."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trade2026.errors import T26Error
from trade2026.live import STATUSES, TERMINAL, TRANSITIONS, ClientIds, Order, is_legal_path, transition
from trade2026.live import _orders as O


def test_table_covers_every_status_and_terminal_states_only_take_the_race() -> None:
    sources = {s for s, _ in TRANSITIONS}
    assert sources == set(STATUSES) - {O.FILLED, O.REJECTED, O.EXPIRED}
    # the only exits from a terminal status are late fills of a canceled order
    assert {(s, e) for s, e in TRANSITIONS if s in TERMINAL} == {(O.CANCELED, O.FILL), (O.CANCELED, O.FILL_FINAL)}


@pytest.mark.parametrize(
    ("path", "legal"),
    [
        ([O.INITIALIZED, O.SUBMITTED, O.ACCEPTED, O.PARTIALLY_FILLED, O.FILLED], True),
        ([O.INITIALIZED, O.SUBMITTED, O.ACCEPTED, O.PENDING_CANCEL, O.CANCELED, O.FILLED], True),
        ([O.INITIALIZED, O.REJECTED], True),
        ([O.INITIALIZED, O.FILLED], False),
        ([O.INITIALIZED, O.SUBMITTED, O.FILLED, O.CANCELED], False),
        ([O.SUBMITTED, O.ACCEPTED], False),
    ],
)
def test_legal_paths(path: list[str], legal: bool) -> None:
    assert is_legal_path(path) is legal


def test_canceled_then_filled_race() -> None:
    o = Order("r-1", "AAA", 10.0)
    for ev in (O.SUBMIT, O.ACCEPT, O.CANCEL_REQUEST, O.CANCELED_EV):
        o.apply(ev)
    assert o.status == O.CANCELED
    assert o.apply_fill(4.0) == O.CANCELED  # a partial fill executed before the cancel: applied, still canceled
    assert o.apply_fill(6.0) == O.FILLED
    assert o.filled == 10.0
    with pytest.raises(T26Error, match="illegal order transition"):
        o.apply(O.CANCEL_REQUEST)


def test_cancel_reject_returns_to_working_with_its_fills() -> None:
    o = Order("r-1", "AAA", -10.0)
    o.apply(O.SUBMIT)
    o.apply(O.ACCEPT)
    o.apply(O.CANCEL_REQUEST)
    o.apply_fill(-3.0)
    assert o.status == O.PENDING_CANCEL
    assert o.apply(O.CANCEL_REJECT) == O.PARTIALLY_FILLED


def test_fill_that_overfills_or_has_the_wrong_sign_is_refused() -> None:
    o = Order("r-1", "AAA", 5.0)
    o.apply(O.SUBMIT)
    with pytest.raises(T26Error):
        o.apply_fill(6.0)
    with pytest.raises(T26Error):
        o.apply_fill(-1.0)
    assert o.status == O.SUBMITTED and o.filled == 0.0


@given(st.lists(st.tuples(st.sampled_from(O.EVENTS), st.integers(1, 4)), max_size=30))
def test_any_event_sequence_follows_the_table_or_raises_without_change(events: list[tuple[str, int]]) -> None:
    """Property: a step is applied exactly when the table has it (an illegal one raises and changes
    nothing), and an order is filled exactly when its filled quantity reaches its quantity."""
    o = Order("r-1", "AAA", 8.0)
    for ev, q in events:
        before = (o.status, o.filled, len(o.history))
        if ev in (O.FILL, O.FILL_FINAL):
            qty = o.open_qty if ev == O.FILL_FINAL else min(float(q), o.open_qty)
            eff = O.FILL_FINAL if qty == o.open_qty else O.FILL
            legal = qty > 0 and (o.status, eff) in TRANSITIONS
        else:
            legal = (o.status, ev) in TRANSITIONS
        try:
            if ev in (O.FILL, O.FILL_FINAL):
                o.apply_fill(qty)
            else:
                o.apply(ev)
        except T26Error:
            assert not legal
            assert (o.status, o.filled, len(o.history)) == before
            continue
        assert legal
        assert (o.status == O.FILLED) == (o.filled == o.qty)
    assert is_legal_path(o.history)


@given(st.sampled_from(STATUSES), st.sampled_from(O.EVENTS))
def test_transition_is_the_table(status: str, event: str) -> None:
    nxt = TRANSITIONS.get((status, event))
    if nxt is None:
        with pytest.raises(T26Error):
            transition(status, event)
    elif nxt == O.WORKING:
        assert transition(status, event, filled=0.0) == O.ACCEPTED
        assert transition(status, event, filled=1.0) == O.PARTIALLY_FILLED
    else:
        assert transition(status, event) == nxt


def test_client_ids_are_deterministic_and_resume() -> None:
    a = ClientIds("run7")
    ids = [a.next() for _ in range(3)]
    assert ids == ["run7-0000000001", "run7-0000000002", "run7-0000000003"]
    b = ClientIds("run7", start=ClientIds.seq_of(ids[-1]))
    assert b.next() == "run7-0000000004"
    with pytest.raises(T26Error):
        ClientIds("bad-id")
