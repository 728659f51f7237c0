"""numba kernels for events, barriers, concurrency and the sequential bootstrap (AFML ch. 2-4)."""

from __future__ import annotations

import numpy as np
from numba import njit

BLOCK = 64

#: barrier codes in the kernel's output
TOUCH_NONE = 0  # no future bar: the event cannot be labelled
TOUCH_PT = 1
TOUCH_SL = 2
TOUCH_VERTICAL = 3
TOUCH_END = 4  # the data ended before any barrier


@njit(cache=True)
def cusum_kernel(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Symmetric CUSUM filter (AFML snippet 2.4) on the differences of ``x``.

    Returns a boolean mask: True at ``t`` when the positive or negative run of ``x[t] - x[t-1]``
    since the last event exceeds ``h[t]``. Where ``h`` is NaN (warm-up), the runs restart at zero.
    """
    n = x.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    s_pos = 0.0
    s_neg = 0.0
    for t in range(1, n):
        ht = h[t]
        if np.isnan(ht):
            s_pos = 0.0
            s_neg = 0.0
            continue
        diff = x[t] - x[t - 1]
        s_pos = max(0.0, s_pos + diff)
        s_neg = min(0.0, s_neg + diff)
        if s_neg < -ht:
            s_neg = 0.0
            out[t] = True
        elif s_pos > ht:
            s_pos = 0.0
            out[t] = True
    return out


@njit(cache=True)
def block_extrema(close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    nb = (close.shape[0] + BLOCK - 1) // BLOCK
    bmax = np.empty(nb)
    bmin = np.empty(nb)
    for b in range(nb):
        lo = b * BLOCK
        hi = min(lo + BLOCK, close.shape[0])
        mx = close[lo]
        mn = close[lo]
        for j in range(lo + 1, hi):
            v = close[j]
            if v > mx:
                mx = v
            if v < mn:
                mn = v
        bmax[b] = mx
        bmin[b] = mn
    return bmax, bmin


@njit(cache=True)
def _hits(c: float, c0: float, side: float, upper: float, lower: float) -> int:
    r = (c / c0 - 1.0) * side
    if r >= upper:
        return TOUCH_PT
    if r <= lower:
        return TOUCH_SL
    return 0


@njit(cache=True)
def triple_barrier_kernel(
    close: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    upper: np.ndarray,
    lower: np.ndarray,
    side: np.ndarray,
    vertical_hit: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """First barrier touched by each event.

    For event ``i`` the path is ``r_j = (close[j] / close[start[i]] - 1) * side[i]`` for
    ``start[i] < j <= end[i]``; the profit-taking barrier is touched when ``r_j >= upper[i]`` and the
    stop when ``r_j <= lower[i]`` (``+inf`` / ``-inf`` disable them). ``vertical_hit[i]`` says whether
    ``end[i]`` is the vertical barrier (True) or the end of the data (False).

    Returns the touch bar index and the barrier code of each event. Whole blocks of 64 bars whose
    extremes cannot reach either barrier are skipped, so long horizons cost O(horizon / 64).
    """
    n_ev = start.shape[0]
    touch = np.empty(n_ev, dtype=np.int64)
    code = np.zeros(n_ev, dtype=np.int8)
    bmax, bmin = block_extrema(close)
    for i in range(n_ev):
        s = start[i]
        e = end[i]
        if e <= s:
            touch[i] = s
            code[i] = TOUCH_NONE
            continue
        c0 = close[s]
        sd = side[i]
        up = upper[i]
        lo = lower[i]
        # price levels that could touch a barrier, widened a little so no block is skipped wrongly
        if sd > 0:
            p_hi = c0 * (1.0 + up) if up < np.inf else np.inf
            p_lo = c0 * (1.0 + lo) if lo > -np.inf else -np.inf
        else:
            p_hi = c0 * (1.0 - lo) if lo > -np.inf else np.inf
            p_lo = c0 * (1.0 - up) if up < np.inf else -np.inf
        tol = 1e-9 * abs(c0)
        p_hi -= tol
        p_lo += tol
        found = -1
        kind = 0
        j = s + 1
        while j <= e:
            if j % BLOCK == 0 and j + BLOCK - 1 <= e:
                b = j // BLOCK
                if bmax[b] < p_hi and bmin[b] > p_lo:
                    j += BLOCK
                    continue
            k = _hits(close[j], c0, sd, up, lo)
            if k != 0:
                found = j
                kind = k
                break
            j += 1
        if found >= 0:
            touch[i] = found
            code[i] = kind
        else:
            touch[i] = e
            code[i] = TOUCH_VERTICAL if vertical_hit[i] else TOUCH_END
    return touch, code


@njit(cache=True)
def concurrency_kernel(start: np.ndarray, end: np.ndarray, n_bars: int) -> np.ndarray:
    """Number of events whose span [start, end] (bar positions, inclusive) covers each bar."""
    diff = np.zeros(n_bars + 1, dtype=np.int64)
    for i in range(start.shape[0]):
        diff[start[i]] += 1
        diff[end[i] + 1] -= 1
    out = np.empty(n_bars, dtype=np.int64)
    acc = 0
    for t in range(n_bars):
        acc += diff[t]
        out[t] = acc
    return out


@njit(cache=True)
def uniqueness_kernel(start: np.ndarray, end: np.ndarray, conc: np.ndarray) -> np.ndarray:
    """Average uniqueness of each event: mean of 1 / concurrency over its bars (AFML 4.4)."""
    out = np.empty(start.shape[0])
    for i in range(start.shape[0]):
        acc = 0.0
        for t in range(start[i], end[i] + 1):
            acc += 1.0 / conc[t]
        out[i] = acc / (end[i] - start[i] + 1)
    return out


@njit(cache=True)
def attribution_kernel(start: np.ndarray, end: np.ndarray, conc: np.ndarray, logret: np.ndarray) -> np.ndarray:
    """|sum over the event's bars of log return / concurrency| (AFML snippet 4.10)."""
    out = np.empty(start.shape[0])
    for i in range(start.shape[0]):
        acc = 0.0
        for t in range(start[i], end[i] + 1):
            acc += logret[t] / conc[t]
        out[i] = abs(acc)
    return out


@njit(cache=True)
def seq_bootstrap_kernel(start: np.ndarray, end: np.ndarray, n_bars: int, n_draws: int, u: np.ndarray) -> np.ndarray:
    """Sequential bootstrap (AFML snippet 4.5): draw events with probability proportional to their
    average uniqueness given the events drawn so far. ``u`` holds one uniform draw per step."""
    n = start.shape[0]
    counts = np.zeros(n_bars, dtype=np.float64)
    chosen = np.empty(n_draws, dtype=np.int64)
    avg = np.empty(n)
    for step in range(n_draws):
        total = 0.0
        for i in range(n):
            acc = 0.0
            for t in range(start[i], end[i] + 1):
                acc += 1.0 / (counts[t] + 1.0)
            avg[i] = acc / (end[i] - start[i] + 1)
            total += avg[i]
        target = u[step] * total
        cum = 0.0
        pick = n - 1
        for i in range(n):
            cum += avg[i]
            if cum > target:
                pick = i
                break
        chosen[step] = pick
        for t in range(start[pick], end[pick] + 1):
            counts[t] += 1.0
    return chosen
