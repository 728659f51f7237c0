"""The limit order book: numba kernels over plain integer arrays.

One book is four arrays (see :func:`new_book`):

* ``orders`` (capacity, ``NF``) int64: one row per accepted order, indexed by its order id;
  fields ``O_*`` (side, price in ticks, remaining resting quantity, agent, FIFO links, status,
  original quantity, filled, cancelled, submission time).
* ``levels`` (n_levels, 4) int64: per price tick, the head and tail of its FIFO queue, the resting
  quantity and the number of orders. Prices are integers in ``[0, n_levels)``.
* ``meta`` (8,) int64: best bid (-1 when empty), best ask (``n_levels`` when empty), number of
  orders, number of trades, number of levels, number of live resting orders.
* ``trades`` (capacity, ``TF``) int64: the trade log (time, price, size, aggressor side, buyer and
  seller agent, buy and sell order id).

Rules (the same as the plain-Python :class:`~trade2026.sim.prism.ReferenceBook`):

* price-time priority: the best price first, and at one price the oldest order first; a size
  reduction keeps the order's place in the queue, a new order always joins the tail;
* a limit order matches against the opposite side up to its limit price; a GTC remainder rests,
  an IOC remainder is cancelled; a market order matches until filled or the opposite side is
  empty and its remainder is cancelled;
* self-trade prevention, "cancel resting": when an incoming order meets a resting order of the same
  agent (agent >= 0), the resting order is cancelled and matching continues. Agent ``-1`` is
  anonymous and never self-matches;
* orders with a size <= 0, or a limit price outside ``[0, n_levels)``, are rejected (no order id);
  a cancel or reduction of an order that is not resting does nothing.

Every accepted order keeps ``orig == filled + resting + cancelled``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# order fields
O_SIDE, O_PRICE, O_QTY, O_AGENT, O_NEXT, O_PREV, O_STATUS, O_ORIG, O_FILLED, O_CANCELLED, O_TIME = range(11)
NF = 11
# level fields
L_HEAD, L_TAIL, L_QTY, L_COUNT = range(4)
# meta fields
M_BID, M_ASK, M_NORD, M_NTR, M_NLEV, M_LIVE = range(6)
# trade fields
T_TIME, T_PRICE, T_QTY, T_SIDE, T_BUYER, T_SELLER, T_BUY_OID, T_SELL_OID = range(8)
TF = 8
# order status
ST_DONE, ST_RESTING, ST_FILLED, ST_CANCELLED = 0, 1, 2, 3
# event types and time in force
EV_LIMIT, EV_MARKET, EV_CANCEL, EV_REDUCE = 0, 1, 2, 3
GTC, IOC = 0, 1
BUY, SELL = 1, -1


def new_book(n_levels: int, order_capacity: int, trade_capacity: int) -> tuple[np.ndarray, ...]:
    """Empty book arrays ``(orders, levels, meta, trades)`` for prices ``0 .. n_levels - 1``.

    Plain numpy (the kernels take the arrays): allocating outside numba spares the first run the
    compilation of numba's array constructors.
    """
    orders = np.zeros((max(order_capacity, 1), NF), dtype=np.int64)
    levels = np.zeros((n_levels, 4), dtype=np.int64)
    levels[:, L_HEAD] = -1
    levels[:, L_TAIL] = -1
    meta = np.zeros(8, dtype=np.int64)
    meta[M_BID] = -1
    meta[M_ASK] = n_levels
    meta[M_NLEV] = n_levels
    trades = np.zeros((max(trade_capacity, 1), TF), dtype=np.int64)
    return orders, levels, meta, trades


# Element loops, not slice assignment, in every PRISM kernel: a slice assignment pulls numba's
# broadcasting and shape-error formatting into the compile (about 2 s of a first run).
@njit(cache=True)
def grow_rows(a, need):
    """``a`` with at least ``need`` rows (doubling), the old rows copied."""
    n = a.shape[0]
    if need <= n:
        return a
    m = n * 2
    while m < need:
        m *= 2
    b = np.zeros((m, a.shape[1]), dtype=a.dtype)
    for i in range(n):
        for j in range(a.shape[1]):
            b[i, j] = a[i, j]
    return b


@njit(cache=True)
def _unlink(orders, levels, meta, oid):
    """Take a resting order out of its level's queue and fix the best price if it emptied."""
    p = orders[oid, O_PRICE]
    nxt = orders[oid, O_NEXT]
    prv = orders[oid, O_PREV]
    if prv >= 0:
        orders[prv, O_NEXT] = nxt
    else:
        levels[p, L_HEAD] = nxt
    if nxt >= 0:
        orders[nxt, O_PREV] = prv
    else:
        levels[p, L_TAIL] = prv
    orders[oid, O_NEXT] = -1
    orders[oid, O_PREV] = -1
    levels[p, L_QTY] -= orders[oid, O_QTY]
    levels[p, L_COUNT] -= 1
    meta[M_LIVE] -= 1
    if levels[p, L_COUNT] == 0:
        if orders[oid, O_SIDE] == BUY:
            if p == meta[M_BID]:
                q = p - 1
                while q >= 0 and levels[q, L_COUNT] == 0:
                    q -= 1
                meta[M_BID] = q
        elif p == meta[M_ASK]:
            nlev = meta[M_NLEV]
            q = p + 1
            while q < nlev and levels[q, L_COUNT] == 0:
                q += 1
            meta[M_ASK] = q


@njit(cache=True)
def _rest(orders, levels, meta, oid):
    p = orders[oid, O_PRICE]
    tail = levels[p, L_TAIL]
    orders[oid, O_PREV] = tail
    orders[oid, O_NEXT] = -1
    if tail >= 0:
        orders[tail, O_NEXT] = oid
    else:
        levels[p, L_HEAD] = oid
    levels[p, L_TAIL] = oid
    levels[p, L_QTY] += orders[oid, O_QTY]
    levels[p, L_COUNT] += 1
    meta[M_LIVE] += 1
    orders[oid, O_STATUS] = ST_RESTING
    if orders[oid, O_SIDE] == BUY:
        if p > meta[M_BID]:
            meta[M_BID] = p
    elif p < meta[M_ASK]:
        meta[M_ASK] = p


@njit(cache=True)
def cancel(orders, levels, meta, oid):
    """Cancel a resting order; returns the quantity cancelled (0 if it was not resting)."""
    if oid < 0 or oid >= meta[M_NORD] or orders[oid, O_STATUS] != ST_RESTING:
        return 0
    q = orders[oid, O_QTY]
    _unlink(orders, levels, meta, oid)
    orders[oid, O_CANCELLED] += q
    orders[oid, O_QTY] = 0
    orders[oid, O_STATUS] = ST_CANCELLED
    return q


@njit(cache=True)
def reduce(orders, levels, meta, oid, by):
    """Reduce a resting order by ``by`` (keeping its priority); to zero cancels it."""
    if by <= 0 or oid < 0 or oid >= meta[M_NORD] or orders[oid, O_STATUS] != ST_RESTING:
        return 0
    q = orders[oid, O_QTY]
    if by >= q:
        return cancel(orders, levels, meta, oid)
    orders[oid, O_QTY] = q - by
    orders[oid, O_CANCELLED] += by
    levels[orders[oid, O_PRICE], L_QTY] -= by
    return by


@njit(cache=True)
def submit(orders, levels, meta, trades, t, side, price, qty, agent, market, tif):
    """Submit a limit (``market=False``) or market order; returns its order id, -1 if rejected.

    ``orders`` must have a free row and ``trades`` room for ``meta[M_LIVE] + 1`` more trades
    (callers grow them with :func:`grow_rows`).
    """
    nlev = meta[M_NLEV]
    if qty <= 0 or (side != BUY and side != SELL):
        return -1
    if not market and (price < 0 or price >= nlev):
        return -1
    oid = meta[M_NORD]
    meta[M_NORD] = oid + 1
    orders[oid, O_SIDE] = side
    orders[oid, O_PRICE] = price if not market else -1
    orders[oid, O_QTY] = 0
    orders[oid, O_AGENT] = agent
    orders[oid, O_NEXT] = -1
    orders[oid, O_PREV] = -1
    orders[oid, O_STATUS] = ST_DONE
    orders[oid, O_ORIG] = qty
    orders[oid, O_FILLED] = 0
    orders[oid, O_CANCELLED] = 0
    orders[oid, O_TIME] = t
    rem = qty
    if side == BUY:
        limit = nlev - 1 if market else price
        while rem > 0 and meta[M_ASK] <= limit:
            p = meta[M_ASK]
            r = levels[p, L_HEAD]
            if agent >= 0 and orders[r, O_AGENT] == agent:
                cancel(orders, levels, meta, r)
                continue
            fill = min(rem, orders[r, O_QTY])
            k = meta[M_NTR]
            trades[k, T_TIME] = t
            trades[k, T_PRICE] = p
            trades[k, T_QTY] = fill
            trades[k, T_SIDE] = BUY
            trades[k, T_BUYER] = agent
            trades[k, T_SELLER] = orders[r, O_AGENT]
            trades[k, T_BUY_OID] = oid
            trades[k, T_SELL_OID] = r
            meta[M_NTR] = k + 1
            rem -= fill
            orders[r, O_FILLED] += fill
            if fill == orders[r, O_QTY]:
                _unlink(orders, levels, meta, r)
                orders[r, O_QTY] = 0
                orders[r, O_STATUS] = ST_FILLED
            else:
                orders[r, O_QTY] -= fill
                levels[p, L_QTY] -= fill
    else:
        limit = 0 if market else price
        while rem > 0 and meta[M_BID] >= limit and meta[M_BID] >= 0:
            p = meta[M_BID]
            r = levels[p, L_HEAD]
            if agent >= 0 and orders[r, O_AGENT] == agent:
                cancel(orders, levels, meta, r)
                continue
            fill = min(rem, orders[r, O_QTY])
            k = meta[M_NTR]
            trades[k, T_TIME] = t
            trades[k, T_PRICE] = p
            trades[k, T_QTY] = fill
            trades[k, T_SIDE] = SELL
            trades[k, T_BUYER] = orders[r, O_AGENT]
            trades[k, T_SELLER] = agent
            trades[k, T_BUY_OID] = r
            trades[k, T_SELL_OID] = oid
            meta[M_NTR] = k + 1
            rem -= fill
            orders[r, O_FILLED] += fill
            if fill == orders[r, O_QTY]:
                _unlink(orders, levels, meta, r)
                orders[r, O_QTY] = 0
                orders[r, O_STATUS] = ST_FILLED
            else:
                orders[r, O_QTY] -= fill
                levels[p, L_QTY] -= fill
    orders[oid, O_FILLED] = qty - rem
    if rem > 0:
        if market or tif == IOC:
            orders[oid, O_CANCELLED] = rem
            orders[oid, O_STATUS] = ST_CANCELLED
        else:
            orders[oid, O_QTY] = rem
            _rest(orders, levels, meta, oid)
    else:
        orders[oid, O_STATUS] = ST_FILLED
    return oid


@njit(cache=True)
def process_events(orders, levels, meta, trades, etype, side, price, qty, agent, tif, target, t):
    """Apply a stream of events in order; the arrays must be large enough (see :func:`run_stream`).

    Returns an (n_events, 3) int64 array: the order id (-1 for rejects, cancels and reductions),
    and the best bid and best ask after the event.
    """
    n = etype.shape[0]
    out = np.empty((n, 3), dtype=np.int64)
    for i in range(n):
        e = etype[i]
        oid = -1
        if e == EV_LIMIT:
            oid = submit(orders, levels, meta, trades, t[i], side[i], price[i], qty[i], agent[i], False, tif[i])
        elif e == EV_MARKET:
            oid = submit(orders, levels, meta, trades, t[i], side[i], 0, qty[i], agent[i], True, IOC)
        elif e == EV_CANCEL:
            cancel(orders, levels, meta, target[i])
        elif e == EV_REDUCE:
            reduce(orders, levels, meta, target[i], qty[i])
        out[i, 0] = oid
        out[i, 1] = meta[M_BID]
        out[i, 2] = meta[M_ASK]
    return out


@njit(cache=True)
def depth_into(levels, meta, out):
    """Write the top ``n`` levels per side into ``out`` (n, 4) int64: bid price, bid size, ask
    price, ask size; missing levels have price -1 and size 0."""
    n = out.shape[0]
    for k in range(n):
        out[k, 0] = -1
        out[k, 1] = 0
        out[k, 2] = -1
        out[k, 3] = 0
    nlev = meta[M_NLEV]
    k = 0
    p = meta[M_BID]
    while k < n and p >= 0:
        if levels[p, L_COUNT] > 0:
            out[k, 0] = p
            out[k, 1] = levels[p, L_QTY]
            k += 1
        p -= 1
    k = 0
    p = meta[M_ASK]
    while k < n and p < nlev:
        if levels[p, L_COUNT] > 0:
            out[k, 2] = p
            out[k, 3] = levels[p, L_QTY]
            k += 1
        p += 1


def depth(levels: np.ndarray, meta: np.ndarray, n: int) -> np.ndarray:
    """Top ``n`` levels per side: (n, 4) int64 of bid price, bid size, ask price, ask size.

    Missing levels have price -1 and size 0.
    """
    out = np.empty((n, 4), dtype=np.int64)
    depth_into(levels, meta, out)
    return out


def run_stream(events: dict[str, np.ndarray], *, n_levels: int) -> dict[str, np.ndarray]:
    """Run an event stream through a fresh book and return its final state and logs.

    ``events`` holds equal-length arrays ``etype`` (``EV_*``), ``side`` (+1/-1), ``price`` (ticks),
    ``qty``, ``agent``, ``tif`` (``GTC``/``IOC``), ``target`` (order id for cancels/reductions)
    and optionally ``t`` (int64 time; the event index by default).
    """
    etype = np.ascontiguousarray(events["etype"], dtype=np.int64)
    n = etype.shape[0]

    def col(name: str, default: int = 0) -> np.ndarray:
        if name in events:
            return np.ascontiguousarray(events[name], dtype=np.int64)
        return np.full(n, default, dtype=np.int64)

    t = col("t") if "t" in events else np.arange(n, dtype=np.int64)
    orders, levels, meta, trades = new_book(n_levels, n + 1, 2 * n + 1)
    out = process_events(
        orders,
        levels,
        meta,
        trades,
        etype,
        col("side", BUY),
        col("price"),
        col("qty"),
        col("agent", -1),
        col("tif", GTC),
        col("target", -1),
        t,
    )
    return {
        "orders": orders[: meta[M_NORD]].copy(),
        "trades": trades[: meta[M_NTR]].copy(),
        "levels": levels,
        "meta": meta,
        "result": out,
    }


def resting_queues(orders: np.ndarray, levels: np.ndarray) -> dict[int, list[int]]:
    """Price -> resting order ids in queue order (head first), for inspection and tests."""
    queues: dict[int, list[int]] = {}
    for p in np.nonzero(levels[:, L_COUNT] > 0)[0]:
        ids = []
        o = int(levels[p, L_HEAD])
        while o >= 0:
            ids.append(o)
            o = int(orders[o, O_NEXT])
        queues[int(p)] = ids
    return queues
