"""The event-driven clock: one simulated session in a single numba loop.

Agents wake at Poisson times (rate ``P_RATE`` per second, scaled by the market's activity level
at that second), look at the book and send messages that reach the exchange ``P_LATENCY`` seconds
later. One priority queue ordered by (time, sequence number) holds both wake-ups and messages in
flight, so the run is deterministic for a given seed. Every trade moves cash (in ticks x shares)
and shares between its buyer and seller, so their totals over agents never change.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from trade2026.sim.prism import _book as B
from trade2026.sim.prism._agents import (
    K_CANCEL,
    K_LIMIT,
    K_MARKET,
    K_WAKE,
    MAX_SLOTS,
    MOMENTUM,
    NOISE,
    P_LATENCY,
    P_RATE,
    Q_AGENT,
    Q_KIND,
    Q_PRICE,
    Q_QTY,
    Q_SIDE,
    Q_SLOT,
    Q_TIF,
    QF,
    decide,
    q_pop,
    q_push,
)

NS = 1_000_000_000
# quote columns: time ns, bid, bid size, ask, ask size
QUOTE_F = 5
# agent statistics columns
S_SUBMITTED, S_FILLED, S_SLIP, S_SLIP_QTY, S_ORDERS, S_TRADES = range(6)
SF = 6


@njit(cache=True)
def _grow1(a, need):
    if need <= a.shape[0]:
        return a
    m = a.shape[0] * 2
    while m < need:
        m *= 2
    b = np.zeros(m, dtype=a.dtype)
    for i in range(a.shape[0]):
        b[i] = a[i]
    return b


@njit(cache=True)
def _grow_queue(qt, qd, need):
    if need <= qt.shape[0]:
        return qt, qd
    return _grow1(qt, need), B.grow_rows(qd, need)


def run_session(
    seed: int,
    session_s: int,
    n_levels: int,
    atypes: np.ndarray,
    prm: np.ndarray,
    pos: np.ndarray,
    cash: np.ndarray,
    fund: np.ndarray,
    activity: np.ndarray,
    ref_price: float,
    n_depth: int,
    snapshot_s: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Simulate one session; ``pos`` and ``cash`` (int64 per agent) are updated in place.

    Parameters
    ----------
    seed : int
        Seed of numba's generator for this session.
    session_s : int
        Session length in seconds.
    atypes : int64 (n_agents,)
        Agent type codes; ``prm`` float64 (n_agents, N_PARAMS) their parameters.
    fund : float64 (session_s + 1,)
        The fundamental value in ticks at each second; ``activity`` the rate multiplier.
    ref_price : float
        The mid used while the book is empty (the previous close).

    Returns
    -------
    trades (n, 8) int64, quotes (m, 5) int64, depth (k, n_depth, 4) int64 snapshots every
    ``snapshot_s`` seconds, mid (session_s + 1,) float64 mid per second, agent stats (n_agents, 6)
    float64 and the number of messages processed.

    Notes
    -----
    The arrays are allocated here, in numpy, and the kernel :func:`_session` fills them (growing the
    book, queue and quote arrays when they fill up): numba then compiles no array constructors.
    """
    n_agents = atypes.shape[0]
    orders, levels, meta, trades = B.new_book(n_levels, 4096, 4096)
    mid_hist = np.zeros(session_s + 1, dtype=np.float64)
    mid_hist[0] = ref_price
    depth = np.zeros((session_s // snapshot_s + 1, n_depth, 4), dtype=np.int64)
    stats = np.zeros((n_agents, SF), dtype=np.float64)
    trades, quotes, nq, ns, n_msgs = _session(
        np.int64(seed),
        np.int64(session_s),
        np.int64(n_levels),
        atypes,
        prm,
        pos,
        cash,
        fund,
        activity,
        float(ref_price),
        np.int64(snapshot_s),
        orders,
        levels,
        meta,
        trades,
        np.zeros(256, dtype=np.float64),
        np.zeros((256, QF), dtype=np.int64),
        np.zeros((2 * MAX_SLOTS + 2, 6), dtype=np.int64),
        np.full((n_agents, MAX_SLOTS), -1, dtype=np.int64),
        np.zeros((4096, QUOTE_F), dtype=np.int64),
        depth,
        mid_hist,
        stats,
        np.zeros(QF, dtype=np.int64),
        np.zeros(n_agents, dtype=np.int64),
        np.zeros(n_agents, dtype=np.float64),
        np.zeros(n_agents, dtype=np.float64),
    )
    n_trades = int(meta[B.M_NTR])
    return trades[:n_trades].copy(), quotes[:nq].copy(), depth[:ns].copy(), mid_hist, stats, int(n_msgs)


@njit(cache=True)
def _session(
    seed,
    session_s,
    n_levels,
    atypes,
    prm,
    pos,
    cash,
    fund,
    activity,
    ref_price,
    snapshot_s,
    orders,
    levels,
    meta,
    trades,
    qt,
    qd,
    msgs,
    slots,
    quotes,
    depth,
    mid_hist,
    stats,
    row,
    ring,
    look,
    bias,
):
    """The session loop of :func:`run_session` over its preallocated arrays; returns the (possibly
    regrown) trades and quotes arrays, the numbers of quotes and depth snapshots written and of
    messages processed."""
    np.random.seed(seed)
    n_agents = atypes.shape[0]
    qn = 0
    seq = 0
    for a in range(n_agents):
        if atypes[a] == MOMENTUM:
            look[a] = np.floor(prm[a, 4] + np.random.random() * (prm[a, 5] - prm[a, 4]))
        if atypes[a] == 2:
            bias[a] = 0.5 * prm[a, 4] * 1e-4 * np.random.standard_normal()
        rate = prm[a, P_RATE] * activity[0]
        if rate > 0:
            qt, qd = _grow_queue(qt, qd, qn + 1)
            qn = q_push(qt, qd, qn, seq, np.random.exponential(1.0 / rate), K_WAKE, a, 0, 0, 0, 0, 0)
            seq += 1
    nq = 0
    n_snap = depth.shape[0]
    ns = 0
    next_sec = 1
    last_mid = ref_price
    last_bid = last_bsz = last_ask = last_asz = -2  # the last quote written
    n_msgs = 0
    while qn > 0:
        t, qn = q_pop(qt, qd, qn, row)
        if t >= session_s:
            break
        bid = meta[B.M_BID]
        ask = meta[B.M_ASK]
        mid = 0.5 * (bid + ask) if bid >= 0 and ask < n_levels else last_mid
        while next_sec <= t:
            mid_hist[next_sec] = mid
            if next_sec % snapshot_s == 0 and ns < n_snap:
                B.depth_into(levels, meta, depth[ns])
                ns += 1
            next_sec += 1
        s = next_sec - 1
        a = row[Q_AGENT]
        kind = row[Q_KIND]
        if kind == K_WAKE:
            ty = atypes[a]
            lk = float(ring[a]) if ty == NOISE else look[a]
            nm = decide(a, ty, prm[a], pos, slots, bid, ask, mid, n_levels, s, mid_hist, fund[s], lk, bias[a], msgs)
            tarr = t + prm[a, P_LATENCY]
            qt, qd = _grow_queue(qt, qd, qn + nm + 1)
            for i in range(nm):
                qn = q_push(
                    qt,
                    qd,
                    qn,
                    seq,
                    tarr,
                    msgs[i, 0],
                    a,
                    msgs[i, 1],
                    msgs[i, 2],
                    msgs[i, 3],
                    msgs[i, 4],
                    msgs[i, 5],
                )
                seq += 1
                if ty == NOISE and msgs[i, 0] == K_LIMIT:
                    ring[a] = (ring[a] + 1) % MAX_SLOTS
            rate = prm[a, P_RATE] * activity[s]
            if rate > 0:
                qn = q_push(qt, qd, qn, seq, t + np.random.exponential(1.0 / rate), K_WAKE, a, 0, 0, 0, 0, 0)
                seq += 1
            continue
        # a message reaches the exchange
        n_msgs += 1
        tns = np.int64(t * NS)
        slot = row[Q_SLOT]
        if kind == K_CANCEL:
            if slot >= 0:
                B.cancel(orders, levels, meta, slots[a, slot])
                slots[a, slot] = -1
        else:
            if slot >= 0 and slots[a, slot] >= 0:
                B.cancel(orders, levels, meta, slots[a, slot])
                slots[a, slot] = -1
            orders = B.grow_rows(orders, meta[B.M_NORD] + 1)
            trades = B.grow_rows(trades, meta[B.M_NTR] + meta[B.M_LIVE] + 2)
            k0 = meta[B.M_NTR]
            side = row[Q_SIDE]
            market = kind == K_MARKET
            oid = B.submit(orders, levels, meta, trades, tns, side, row[Q_PRICE], row[Q_QTY], a, market, row[Q_TIF])
            if oid >= 0:
                stats[a, S_SUBMITTED] += row[Q_QTY]
                stats[a, S_ORDERS] += 1
                if slot >= 0 and orders[oid, B.O_STATUS] == B.ST_RESTING:
                    slots[a, slot] = oid
            for k in range(k0, meta[B.M_NTR]):
                px = trades[k, B.T_PRICE]
                q = trades[k, B.T_QTY]
                buyer = trades[k, B.T_BUYER]
                seller = trades[k, B.T_SELLER]
                pos[buyer] += q
                pos[seller] -= q
                cash[buyer] -= px * q
                cash[seller] += px * q
                stats[buyer, S_FILLED] += q
                stats[seller, S_FILLED] += q
                stats[a, S_SLIP] += side * (px - mid) * q
                stats[a, S_SLIP_QTY] += q
                stats[buyer, S_TRADES] += 1
                stats[seller, S_TRADES] += 1
            if meta[B.M_NTR] > k0:
                last_mid = float(trades[meta[B.M_NTR] - 1, B.T_PRICE])
        bid = meta[B.M_BID]
        ask = meta[B.M_ASK]
        if bid >= 0 and ask < n_levels:
            last_mid = 0.5 * (bid + ask)
        bsz = levels[bid, B.L_QTY] if bid >= 0 else 0
        asz = levels[ask, B.L_QTY] if ask < n_levels else 0
        if bid != last_bid or bsz != last_bsz or ask != last_ask or asz != last_asz:
            quotes = B.grow_rows(quotes, nq + 1)
            quotes[nq, 0] = tns
            quotes[nq, 1] = bid
            quotes[nq, 2] = bsz
            quotes[nq, 3] = ask
            quotes[nq, 4] = asz
            nq += 1
            last_bid, last_bsz, last_ask, last_asz = bid, bsz, ask, asz
    bid = meta[B.M_BID]
    ask = meta[B.M_ASK]
    mid = 0.5 * (bid + ask) if (bid >= 0 and ask < n_levels) else last_mid
    while next_sec <= session_s:
        mid_hist[next_sec] = mid
        if next_sec % snapshot_s == 0 and ns < n_snap:
            B.depth_into(levels, meta, depth[ns])
            ns += 1
        next_sec += 1
    return trades, quotes, nq, ns, n_msgs


# The kernels a session compiles on first use (the queue helpers and ``_snapshot`` are typed
# eagerly, so they compile when this module is first imported).
KERNELS = (_session, _grow_queue, _grow1, decide, B.grow_rows, B.submit, B.cancel, B.depth_into)
