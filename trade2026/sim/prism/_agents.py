"""Agent behaviours: what each agent type sends to the exchange when it wakes (numba).

Agents see the book at their wake time and send messages that reach the exchange after their
latency (see :mod:`trade2026.sim.prism._clock`). A limit message names a *slot*: the agent's
order last placed in that slot is cancelled when the new one arrives (a cancel/replace), so an
agent never has more than ``MAX_SLOTS`` resting orders.

Types and the per-type parameter columns (``P_*``) they read:

* market maker (``MM``): quotes ``levels`` price levels a side around the mid, half spread
  ``half_spread + vol_widen * sigma_1m`` (sigma_1m = realised 1-minute mid volatility in ticks),
  centred ``-skew * inventory / size`` ticks away from the mid; stops quoting the side that would
  grow its inventory past ``max_position``;
* noise trader (``NOISE``): a market order with probability ``p_market``, otherwise a limit order
  a geometric number of ticks (mean ``offset``) behind the best price of its side; sizes are
  log-normal (median ``size``, log-sd ``size_sigma``); cancels one of its orders with
  probability ``p_cancel``; past ``max_position`` it only trades to reduce its inventory;
* value trader (``VALUE``): sees the fundamental with noise (``obs_noise`` bps per look plus a
  per-agent bias) and trades when the edge passes ``threshold`` bps: an aggressive IOC order with
  probability ``p_aggressive``, a passive limit one tick inside the spread otherwise;
* momentum trader (``MOMENTUM``): buys (sells) at market when the mid moved up (down) more than
  ``threshold`` bps over its lookback (drawn per agent in ``[lookback_min, lookback_max]`` s).
"""

from __future__ import annotations

import numpy as np
from numba import njit

MM, NOISE, VALUE, MOMENTUM = 0, 1, 2, 3
AGENT_TYPES = ("mm", "noise", "value", "momentum")
MAX_SLOTS = 8

# common parameter columns
P_RATE, P_LATENCY, P_SIZE, P_MAXPOS = 0, 1, 2, 3
# market maker
P_HALF, P_VOLW, P_SKEW, P_LEVELS, P_GAP = 4, 5, 6, 7, 8
# noise
P_PMKT, P_OFFSET, P_PCANCEL, P_SIZESIG = 4, 5, 6, 7
# value
P_OBS, P_VTHRESH, P_PAGGR = 4, 5, 6
# momentum
P_LOOKMIN, P_LOOKMAX, P_MTHRESH = 4, 5, 6
N_PARAMS = 10

# message kinds carried by the clock's queue
K_WAKE, K_LIMIT, K_MARKET, K_CANCEL = 0, 1, 2, 3
# queue columns
Q_SEQ, Q_KIND, Q_AGENT, Q_SIDE, Q_PRICE, Q_QTY, Q_TIF, Q_SLOT = range(8)
QF = 8


# The queue helpers are typed eagerly: called with literal constants (0, K_WAKE) and with int64
# variables, a lazily typed helper compiles once per combination (five times for q_push).
_QT, _QD = "float64[::1]", "int64[:, ::1]"


@njit(f"void({_QT}, {_QD}, int64, int64)", cache=True)
def _swap(qt, qd, i, j):
    t = qt[i]
    qt[i] = qt[j]
    qt[j] = t
    for c in range(QF):
        v = qd[i, c]
        qd[i, c] = qd[j, c]
        qd[j, c] = v


@njit(f"int64({_QT}, {_QD}, int64, int64, float64, int64, int64, int64, int64, int64, int64, int64)", cache=True)
def q_push(qt, qd, n, seq, t, kind, agent, side, price, qty, tif, slot):
    """Push onto the binary min-heap ordered by (time, seq); returns the new size."""
    i = n
    qt[i] = t
    qd[i, Q_SEQ] = seq
    qd[i, Q_KIND] = kind
    qd[i, Q_AGENT] = agent
    qd[i, Q_SIDE] = side
    qd[i, Q_PRICE] = price
    qd[i, Q_QTY] = qty
    qd[i, Q_TIF] = tif
    qd[i, Q_SLOT] = slot
    while i > 0:
        p = (i - 1) // 2
        if qt[p] < qt[i] or (qt[p] == qt[i] and qd[p, Q_SEQ] < qd[i, Q_SEQ]):
            break
        _swap(qt, qd, i, p)
        i = p
    return n + 1


@njit(f"Tuple((float64, int64))({_QT}, {_QD}, int64, int64[::1])", cache=True)
def q_pop(qt, qd, n, out):
    """Pop the earliest entry into ``out`` (QF int64); returns (time, new size)."""
    t = qt[0]
    for c in range(QF):
        out[c] = qd[0, c]
    n -= 1
    if n > 0:
        qt[0] = qt[n]
        for c in range(QF):
            qd[0, c] = qd[n, c]
        i = 0
        while True:
            left = 2 * i + 1
            if left >= n:
                break
            m = left
            r = left + 1
            if r < n and (qt[r] < qt[left] or (qt[r] == qt[left] and qd[r, Q_SEQ] < qd[left, Q_SEQ])):
                m = r
            if qt[m] < qt[i] or (qt[m] == qt[i] and qd[m, Q_SEQ] < qd[i, Q_SEQ]):
                _swap(qt, qd, i, m)
                i = m
            else:
                break
    return t, n


@njit(cache=True)
def lognormal_size(median, sigma):
    s = median * np.exp(sigma * np.random.standard_normal())
    return max(1, round(s))  # half to even, as np.round, without compiling np.round


@njit(cache=True)
def realized_vol(mid_hist, s, window):
    """Realised volatility of the mid over the last ``window`` seconds, in ticks."""
    lo = max(1, s - window + 1)
    acc = 0.0
    for j in range(lo, s + 1):
        d = mid_hist[j] - mid_hist[j - 1]
        acc += d * d
    return np.sqrt(acc)


@njit(cache=True)
def decide(a, atype, prm, pos, slots, bid, ask, mid, nlev, s, mid_hist, fund, look, bias, out):
    """The messages agent ``a`` sends now, written as rows of ``out`` (kind, side, price, qty,
    tif, slot); returns how many."""
    n = 0
    size = prm[P_SIZE]
    maxpos = prm[P_MAXPOS]
    if atype == MM:
        levels = int(prm[P_LEVELS])
        sig = realized_vol(mid_hist, s, 60)
        half = prm[P_HALF] + prm[P_VOLW] * sig
        center = mid - prm[P_SKEW] * pos[a] / size
        qty = max(1, int(size))
        for k in range(levels):
            pb = int(np.floor(center - half)) - k * int(prm[P_GAP])
            pa = int(np.ceil(center + half)) + k * int(prm[P_GAP])
            if pa <= pb:
                pa = pb + 1
            if pos[a] < maxpos and 0 <= pb < nlev:
                out[n, 0] = K_LIMIT
                out[n, 1] = 1
                out[n, 2] = pb
                out[n, 3] = qty
                out[n, 4] = 0
                out[n, 5] = k
                n += 1
            elif slots[a, k] >= 0:
                out[n, 0] = K_CANCEL
                out[n, 5] = k
                n += 1
            if pos[a] > -maxpos and 0 <= pa < nlev:
                out[n, 0] = K_LIMIT
                out[n, 1] = -1
                out[n, 2] = pa
                out[n, 3] = qty
                out[n, 4] = 0
                out[n, 5] = levels + k
                n += 1
            elif slots[a, levels + k] >= 0:
                out[n, 0] = K_CANCEL
                out[n, 5] = levels + k
                n += 1
        return n
    if atype == NOISE:
        side = 1 if np.random.random() < 0.5 else -1
        if pos[a] >= maxpos:
            side = -1
        elif pos[a] <= -maxpos:
            side = 1
        qty = lognormal_size(size, prm[P_SIZESIG])
        if np.random.random() < prm[P_PCANCEL]:
            k = np.random.randint(0, MAX_SLOTS)
            if slots[a, k] >= 0:
                out[n, 0] = K_CANCEL
                out[n, 5] = k
                n += 1
        if np.random.random() < prm[P_PMKT]:
            out[n, 0] = K_MARKET
            out[n, 1] = side
            out[n, 3] = qty
            out[n, 5] = -1
            return n + 1
        off = np.random.geometric(1.0 / (1.0 + prm[P_OFFSET])) - 1
        if side == 1:
            ref = bid if bid >= 0 else int(np.floor(mid)) - 1
            price = ref - off
            if price >= ask:
                price = ask - 1
        else:
            ref = ask if ask < nlev else int(np.ceil(mid)) + 1
            price = ref + off
            if price <= bid:
                price = bid + 1
        # the oldest slot is replaced: slots are used round-robin
        k = int(look)  # the ring position is kept in ``look`` for noise traders
        out[n, 0] = K_LIMIT
        out[n, 1] = side
        out[n, 2] = price
        out[n, 3] = qty
        out[n, 4] = 0
        out[n, 5] = k
        return n + 1
    if atype == VALUE:
        view = fund * (1.0 + bias + prm[P_OBS] * 1e-4 * np.random.standard_normal())
        thr = prm[P_VTHRESH] * 1e-4 * mid
        best_ask = ask if ask < nlev else int(np.ceil(mid))
        best_bid = bid if bid >= 0 else int(np.floor(mid))
        if view - best_ask > thr and pos[a] < maxpos:
            side = 1
            edge = (view - best_ask) / thr
        elif best_bid - view > thr and pos[a] > -maxpos:
            side = -1
            edge = (best_bid - view) / thr
        else:
            if slots[a, 0] >= 0:
                out[0, 0] = K_CANCEL
                out[0, 5] = 0
                return 1
            return 0
        qty = max(1, int(size * min(edge, 3.0)))
        out[0, 1] = side
        out[0, 3] = qty
        if np.random.random() < prm[P_PAGGR]:
            out[0, 0] = K_LIMIT
            out[0, 2] = best_ask + 1 if side == 1 else best_bid - 1
            out[0, 4] = 1
            out[0, 5] = -1
        else:
            out[0, 0] = K_LIMIT
            price = best_bid + 1 if side == 1 else best_ask - 1
            if side == 1 and price >= best_ask:
                price = best_bid
            if side == -1 and price <= best_bid:
                price = best_ask
            out[0, 2] = price
            out[0, 4] = 0
            out[0, 5] = 0
        return 1
    # momentum
    lag = int(look)
    if s - lag < 0:
        return 0
    past = mid_hist[s - lag]
    ret = (mid - past) / past * 1e4
    if ret > prm[P_MTHRESH] and pos[a] < maxpos:
        side = 1
    elif ret < -prm[P_MTHRESH] and pos[a] > -maxpos:
        side = -1
    else:
        return 0
    out[0, 0] = K_MARKET
    out[0, 1] = side
    out[0, 3] = max(1, int(size))
    out[0, 5] = -1
    return 1
