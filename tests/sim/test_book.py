"""The numba order book: hand-checked cases and hypothesis properties against the reference book."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trade2026.sim.prism import ReferenceBook, depth, resting_queues, run_stream
from trade2026.sim.prism import _book as B

N_LEVELS = 24


def _stream(rows: list[dict[str, int]]) -> dict[str, np.ndarray]:
    keys = ("etype", "side", "price", "qty", "agent", "tif", "target")
    return {k: np.array([r.get(k, -1 if k in ("agent", "target") else 0) for r in rows], dtype=np.int64) for k in keys}


def limit(side: int, price: int, qty: int, agent: int = -1, tif: int = B.GTC) -> dict[str, int]:
    return {"etype": B.EV_LIMIT, "side": side, "price": price, "qty": qty, "agent": agent, "tif": tif}


def market(side: int, qty: int, agent: int = -1) -> dict[str, int]:
    return {"etype": B.EV_MARKET, "side": side, "qty": qty, "agent": agent}


def test_price_time_priority_and_partial_fill() -> None:
    rows = [
        limit(B.SELL, 12, 5, agent=1),  # oid 0
        limit(B.SELL, 11, 3, agent=2),  # oid 1 best
        limit(B.SELL, 11, 4, agent=3),  # oid 2 same price, later
        market(B.BUY, 6, agent=9),  # oid 3: 3 from oid1, 3 from oid2
    ]
    res = run_stream(_stream(rows), n_levels=N_LEVELS)
    trades = res["trades"]
    assert trades[:, B.T_SELL_OID].tolist() == [1, 2]
    assert trades[:, B.T_QTY].tolist() == [3, 3]
    assert trades[:, B.T_PRICE].tolist() == [11, 11]
    assert (trades[:, B.T_SIDE] == B.BUY).all()
    assert res["orders"][2, B.O_QTY] == 1
    book = depth(res["levels"], res["meta"], 3)
    assert book[:, 2].tolist() == [11, 12, -1]
    assert book[:, 3].tolist() == [1, 5, 0]


def test_ioc_remainder_cancelled_and_gtc_rests() -> None:
    rows = [limit(B.SELL, 10, 2), limit(B.BUY, 10, 5, tif=B.IOC), limit(B.BUY, 10, 5)]
    res = run_stream(_stream(rows), n_levels=N_LEVELS)
    o = res["orders"]
    assert o[1, B.O_FILLED] == 2 and o[1, B.O_CANCELLED] == 3 and o[1, B.O_STATUS] == B.ST_CANCELLED
    assert o[2, B.O_STATUS] == B.ST_RESTING and o[2, B.O_QTY] == 5
    assert res["meta"][B.M_BID] == 10 and res["meta"][B.M_ASK] == N_LEVELS


def test_self_trade_cancels_resting() -> None:
    rows = [limit(B.SELL, 10, 2, agent=4), limit(B.SELL, 10, 2, agent=5), limit(B.BUY, 10, 3, agent=4)]
    res = run_stream(_stream(rows), n_levels=N_LEVELS)
    o = res["orders"]
    assert o[0, B.O_STATUS] == B.ST_CANCELLED and o[0, B.O_CANCELLED] == 2
    assert res["trades"][:, B.T_SELLER].tolist() == [5]
    assert o[2, B.O_QTY] == 1  # the remainder rests


def test_reduce_keeps_priority_and_rejects() -> None:
    rows = [
        limit(B.BUY, 5, 4),
        limit(B.BUY, 5, 4),
        {"etype": B.EV_REDUCE, "target": 0, "qty": 3},
        limit(B.BUY, 30, 1),  # outside the grid: rejected
        limit(B.BUY, 5, 0),  # size 0: rejected
        market(B.SELL, 2),
    ]
    res = run_stream(_stream(rows), n_levels=N_LEVELS)
    assert res["result"][3, 0] == -1 and res["result"][4, 0] == -1
    assert res["trades"][:, B.T_BUY_OID].tolist() == [0, 1]
    assert res["trades"][:, B.T_QTY].tolist() == [1, 1]


# -- properties ------------------------------------------------------------------------------


@st.composite
def event_streams(draw: st.DrawFn) -> list[dict[str, int]]:
    n = draw(st.integers(1, 120))
    rows: list[dict[str, int]] = []
    n_orders = 0
    for _ in range(n):
        kind = draw(st.sampled_from(["limit"] * 6 + ["market"] + ["cancel"] * 2 + ["reduce"]))
        agent = draw(st.integers(-1, 4))
        side = draw(st.sampled_from([B.BUY, B.SELL]))
        qty = draw(st.integers(0, 9))
        if kind == "limit":
            rows.append(
                limit(side, draw(st.integers(-1, N_LEVELS)), qty, agent, draw(st.sampled_from([B.GTC, B.GTC, B.IOC])))
            )
            n_orders += 1
        elif kind == "market":
            rows.append(market(side, qty, agent))
            n_orders += 1
        else:
            target = draw(st.integers(-1, n_orders + 1))
            etype = B.EV_CANCEL if kind == "cancel" else B.EV_REDUCE
            rows.append({"etype": etype, "target": target, "qty": qty})
    return rows


def _run_reference(rows: list[dict[str, int]]) -> ReferenceBook:
    ref = ReferenceBook(N_LEVELS)
    for i, row in enumerate(rows):
        ref.apply(row, i)
    return ref


@settings(max_examples=150, deadline=None)
@given(event_streams())
def test_equals_reference_book(rows: list[dict[str, int]]) -> None:
    res = run_stream(_stream(rows), n_levels=N_LEVELS)
    ref = _run_reference(rows)
    assert [tuple(int(x) for x in t) for t in res["trades"]] == ref.trades
    assert resting_queues(res["orders"], res["levels"]) == ref.queues()
    o = res["orders"]
    assert len(o) == len(ref.orders)
    for got, want in zip(o, ref.orders, strict=True):
        assert (got[B.O_FILLED], got[B.O_CANCELLED], got[B.O_QTY]) == (want.filled, want.cancelled, want.qty)
    assert res["meta"][B.M_BID] == ref.best_bid() and res["meta"][B.M_ASK] == ref.best_ask()


@settings(max_examples=150, deadline=None)
@given(event_streams())
def test_never_crossed_and_quantity_conserved(rows: list[dict[str, int]]) -> None:
    res = run_stream(_stream(rows), n_levels=N_LEVELS)
    after = res["result"]
    assert (after[:, 1] < after[:, 2]).all()  # best bid < best ask after every event
    o = res["orders"]
    assert (o[:, B.O_ORIG] == o[:, B.O_FILLED] + o[:, B.O_QTY] + o[:, B.O_CANCELLED]).all()
    submitted = int(o[:, B.O_ORIG].sum())
    assert submitted == int(o[:, B.O_FILLED].sum() + o[:, B.O_QTY].sum() + o[:, B.O_CANCELLED].sum())
    # every trade fills a buy and a sell: filled quantity on each side equals traded size
    traded = int(res["trades"][:, B.T_QTY].sum())
    assert int(o[o[:, B.O_SIDE] == B.BUY, B.O_FILLED].sum()) == traded
    assert int(o[o[:, B.O_SIDE] == B.SELL, B.O_FILLED].sum()) == traded
    # level totals agree with the orders resting there
    levels = res["levels"]
    for p, ids in resting_queues(o, levels).items():
        assert levels[p, B.L_QTY] == o[ids, B.O_QTY].sum() > 0


@settings(max_examples=150, deadline=None)
@given(event_streams())
def test_fifo_at_each_price(rows: list[dict[str, int]]) -> None:
    res = run_stream(_stream(rows), n_levels=N_LEVELS)
    for ids in resting_queues(res["orders"], res["levels"]).values():
        assert ids == sorted(ids)  # the queue is in arrival order
    trades = res["trades"]
    for k in range(1, len(trades)):
        a, b = trades[k - 1], trades[k]
        same_aggressor = a[B.T_TIME] == b[B.T_TIME] and a[B.T_PRICE] == b[B.T_PRICE]
        if same_aggressor:
            col = B.T_SELL_OID if a[B.T_SIDE] == B.BUY else B.T_BUY_OID
            assert a[col] < b[col]  # older resting orders fill first
