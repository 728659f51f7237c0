"""Positions and P&L: FIFO realised against hand numbers, dedup by trade id, the P&L identity."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trade2026.live import Fill, Portfolio


def _f(i: int, qty: float, px: float, fee: float = 0.0, sym: str = "AAA") -> Fill:
    return Fill(f"T{i}", f"r-{i}", sym, qty, px, fee)


def test_fifo_realised_and_average_cost_by_hand() -> None:
    p = Portfolio(10_000.0)
    p.apply_fill(_f(1, 10, 100.0, 1.0))
    p.apply_fill(_f(2, 10, 110.0, 1.0))
    p.apply_fill(_f(3, -15, 120.0, 1.0))  # closes 10 @100 (+200) and 5 @110 (+50)
    pos = p.positions["AAA"]
    assert pos.qty == 5
    assert pos.realised == pytest.approx(250.0)
    assert pos.avg_cost == pytest.approx(110.0)
    assert pos.fees == pytest.approx(3.0)
    p.apply_fill(_f(4, -10, 100.0))  # closes 5 @110 (-50), opens short 5 @100
    assert pos.qty == -5 and pos.avg_cost == pytest.approx(100.0)
    assert pos.realised == pytest.approx(200.0)
    p.mark("AAA", 90.0)
    assert pos.unrealised == pytest.approx(50.0)
    assert p.cash == pytest.approx(10_000 - 1000 - 1100 + 1800 + 1000 - 3)
    assert p.equity() == pytest.approx(p.cash - 5 * 90.0)


def test_a_fill_seen_twice_is_applied_once() -> None:
    p = Portfolio(1000.0)
    assert p.apply_fill(_f(1, 2, 10.0, 0.5))
    assert not p.apply_fill(_f(1, 2, 10.0, 0.5))
    assert p.qty("AAA") == 2 and p.cash == pytest.approx(1000 - 20.5)


@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B"]), st.integers(-20, 20).filter(bool), st.floats(1, 200), st.floats(0, 2)),
        max_size=40,
    )
)
def test_pnl_identity_holds_for_any_fills(fills: list[tuple[str, int, float, float]]) -> None:
    """Property: equity - start cash == realised + unrealised - fees (marks at the last fill price),
    and the quantity is the sum of fills."""
    p = Portfolio(1e6)
    last: dict[str, float] = {}
    for i, (sym, q, px, fee) in enumerate(fills):
        p.apply_fill(_f(i, float(q), px, fee, sym))
        last[sym] = px
    for sym, px in last.items():
        p.mark(sym, px)
    s = p.summary()
    assert math.isclose(p.equity() - 1e6, s["realised"] + s["unrealised"] - s["fees"], abs_tol=1e-6)
    for sym in last:
        assert p.qty(sym) == pytest.approx(sum(q for s_, q, _, _ in fills if s_ == sym))
