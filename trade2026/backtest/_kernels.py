"""numba kernels: indicator/strategy state machines and the fill engine.

Everything here takes and returns numpy arrays; the Python glue lives in ``_strategies.py`` and
``_engine.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# ---------------------------------------------------------------------------------------------------
# Strategy kernels (positions decided on bar t's close from data up to and including bar t)


@njit(cache=True)
def ema_nb(x: np.ndarray, span: int) -> np.ndarray:  # pragma: no cover - compiled
    """Exponential moving average (alpha = 2/(span+1)) down each column, seeded after ``span`` values
    by their simple mean; NaN inputs hold the previous value; NaN before the seed."""
    t, k = x.shape
    out = np.full((t, k), np.nan)
    alpha = 2.0 / (span + 1.0)
    for j in range(k):
        count = 0
        acc = 0.0
        val = np.nan
        for i in range(t):
            v = x[i, j]
            if np.isfinite(v):
                if count < span:
                    acc += v
                    count += 1
                    if count == span:
                        val = acc / span
                else:
                    val = alpha * v + (1.0 - alpha) * val
            out[i, j] = val
    return out


@njit(cache=True)
def zscore_positions_nb(
    z: np.ndarray, entry: float, exit_: float, short: bool
) -> np.ndarray:  # pragma: no cover - compiled
    """Mean reversion: long when z < -entry until z > -exit; short when z > entry until z < exit."""
    t, k = z.shape
    out = np.zeros((t, k))
    for j in range(k):
        pos = 0.0
        for i in range(t):
            v = z[i, j]
            if not np.isfinite(v):
                pos = 0.0
            elif pos == 0.0:
                if v < -entry:
                    pos = 1.0
                elif short and v > entry:
                    pos = -1.0
            elif pos > 0.0:
                if v > -exit_:
                    pos = 0.0
                    if short and v > entry:
                        pos = -1.0
            else:
                if v < exit_:
                    pos = 0.0
                    if v < -entry:
                        pos = 1.0
            out[i, j] = pos
    return out


@njit(cache=True)
def breakout_positions_nb(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int, exit_window: int, short: bool
) -> np.ndarray:  # pragma: no cover - compiled
    """Donchian breakout: long when the close exceeds the highest high of the previous ``window`` bars,
    out when it falls below the lowest low of the previous ``exit_window`` bars (mirror for shorts)."""
    t, k = close.shape
    out = np.zeros((t, k))
    span = max(window, exit_window)
    for j in range(k):
        pos = 0.0
        valid = 0
        for i in range(t):
            c = close[i, j]
            if not np.isfinite(c):
                out[i, j] = 0.0
                pos = 0.0
                valid = 0
                continue
            if valid >= span:
                hi_e = -np.inf
                lo_e = np.inf
                for q in range(i - window, i):
                    hi_e = max(hi_e, high[q, j])
                    lo_e = min(lo_e, low[q, j])
                hi_x = -np.inf
                lo_x = np.inf
                for q in range(i - exit_window, i):
                    hi_x = max(hi_x, high[q, j])
                    lo_x = min(lo_x, low[q, j])
                if (pos > 0.0 and c < lo_x) or (pos < 0.0 and c > hi_x):
                    pos = 0.0
                if pos == 0.0:
                    if c > hi_e:
                        pos = 1.0
                    elif short and c < lo_e:
                        pos = -1.0
            out[i, j] = pos
            valid += 1
    return out


@njit(cache=True)
def entry_exit_positions_nb(
    long_entry: np.ndarray, long_exit: np.ndarray, short_entry: np.ndarray, short_exit: np.ndarray, live: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """Unit positions (+1, 0, -1) from boolean entry/exit signals of shape (n_bars, n_symbols).

    On each live bar: an entry and an exit of the same side cancel to the exit; a long and a short
    entry cancel each other; exits close their side first, then an entry opens when flat. Bars that
    are not live ignore their signals, keep the state and give 0 (the engine cannot trade there).
    """
    t, k = live.shape
    out = np.zeros((t, k))
    for j in range(k):
        pos = 0.0
        for i in range(t):
            if not live[i, j]:
                continue
            go_long = long_entry[i, j] and not long_exit[i, j]
            go_short = short_entry[i, j] and not short_exit[i, j]
            if go_long and go_short:
                go_long = False
                go_short = False
            if (pos > 0.0 and long_exit[i, j]) or (pos < 0.0 and short_exit[i, j]):
                pos = 0.0
            if pos == 0.0:
                if go_long:
                    pos = 1.0
                elif go_short:
                    pos = -1.0
            out[i, j] = pos
    return out


@njit(cache=True)
def hold_scale_nb(signal: np.ndarray, scale: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Scale a signal by ``scale`` taken when the signal last changed (sizing fixed at entry)."""
    t, k = signal.shape
    out = np.zeros((t, k))
    for j in range(k):
        prev = 0.0
        cur = 0.0
        for i in range(t):
            s = signal[i, j]
            if s != prev:
                sc = scale[i, j]
                cur = s * sc if np.isfinite(sc) else 0.0
                prev = s
            out[i, j] = cur if s != 0.0 else 0.0
    return out


@njit(cache=True)
def book_returns_nb(equity: np.ndarray, init: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Simple returns of book equity (n_bars, n_books) from starting equity ``init`` (n_books,);
    0 where the previous equity is not positive (a wiped-out book earns nothing)."""
    t, b = equity.shape
    out = np.zeros((t, b))
    for i in range(t):
        for j in range(b):
            prev = init[j] if i == 0 else equity[i - 1, j]
            if prev > 0.0:
                out[i, j] = equity[i, j] / prev - 1.0
    return out


# ---------------------------------------------------------------------------------------------------
# The fill engine

REASON_SIGNAL = 0
REASON_STOP_LOSS = 1
REASON_TAKE_PROFIT = 2
REASON_TRAILING = 3


@njit(cache=True)
def _slip(base: float, hi: float, lo: float, slip_bps: float, slip_range: float) -> float:  # pragma: no cover
    return base * slip_bps * 1e-4 + slip_range * (hi - lo)


@njit(cache=True)
def _target_shares(
    w: float,
    equity: float,
    s0: float,
    p_buy: float,
    p_sell: float,
    base: float,
    sizing: int,
    notional: float,
    c_rate: float,
    c_share: float,
    c_fixed: float,
) -> float:  # pragma: no cover - compiled
    """Shares after rebalancing to weight ``w`` (see ``_engine`` for the convention)."""
    if w == 0.0 or not np.isfinite(w):
        return 0.0
    if sizing == 1:  # fixed notional per unit of weight
        want = w * notional / base
        if abs(want - s0) <= 1e-9 * abs(s0):
            return s0
        if want > s0:
            return w * notional / p_buy
        if want < s0:
            return w * notional / p_sell
        return s0
    if equity <= 0.0:
        return 0.0
    # Fraction of equity, net of this order's own costs: s * p = w * (E - cost(s - s0)).
    want = w * equity / base
    if abs(want - s0) <= 1e-9 * abs(s0):
        return s0  # already at the target (re-sent unchanged): no trade, no fixed fee
    if want > s0:
        s = w * (equity - c_fixed + s0 * (c_rate * p_buy + c_share)) / (p_buy * (1.0 + w * c_rate) + w * c_share)
        return s if s > s0 else s0
    if want < s0:
        s = w * (equity - c_fixed - s0 * (c_rate * p_sell + c_share)) / (p_sell * (1.0 - w * c_rate) - w * c_share)
        return s if s < s0 else s0
    return s0


@njit(cache=True)
def simulate_nb(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    target: np.ndarray,
    col_symbol: np.ndarray,
    group_start: np.ndarray,
    group_book: np.ndarray,
    n_books: int,
    init_cash: float,
    fill_close: bool,
    sizing: int,
    notional: float,
    c_bps: float,
    c_share: float,
    c_fixed: float,
    slip_bps: float,
    slip_range: float,
    borrow_per_bar: float,
    stop_loss: float,
    take_profit: float,
    trailing: float,
    record: bool,
):  # pragma: no cover - compiled
    """Simulate every group of columns; returns per-book equity (n_bars, n_books) and accumulators.

    ``target[t, c]`` is column c's target weight decided on bar t's close; it is traded on bar t+1
    (at the open, or at the close when ``fill_close``), only when it differs from the previous target.
    Groups are contiguous column ranges ``group_start[g]:group_start[g+1]`` sharing one cash account;
    a book sums the equity of its groups.
    """
    n_bars = close.shape[0]
    n_cols = target.shape[1]
    n_groups = group_start.shape[0] - 1
    book_equity = np.zeros((n_bars, n_books))
    book_turnover = np.zeros(n_books)
    book_exposure = np.zeros(n_books)
    book_fills = np.zeros(n_books, dtype=np.int64)
    cap = n_bars * n_cols * 2 if record else 1
    f_bar = np.zeros(cap, dtype=np.int64)
    f_col = np.zeros(cap, dtype=np.int64)
    f_qty = np.zeros(cap)
    f_price = np.zeros(cap)
    f_cost = np.zeros(cap)
    f_reason = np.zeros(cap, dtype=np.int64)
    n_f = 0
    c_rate = c_bps * 1e-4
    use_stops = stop_loss > 0.0 or take_profit > 0.0 or trailing > 0.0

    for g in range(n_groups):
        c0 = group_start[g]
        c1 = group_start[g + 1]
        nc = c1 - c0
        b = group_book[g]
        cash = init_cash
        shares = np.zeros(nc)
        mark = np.full(nc, np.nan)
        entry = np.zeros(nc)
        extreme = np.zeros(nc)
        last_target = np.zeros(nc)
        pending = np.zeros(nc, dtype=np.bool_)
        pend_w = np.zeros(nc)
        turnover = 0.0
        exposure = 0.0
        for t in range(n_bars):
            for phase in range(2):
                # phase 0: open fills (then stops); phase 1: stops (then close fills)
                do_fills = (phase == 0 and not fill_close) or (phase == 1 and fill_close)
                if do_fills:
                    equity = cash
                    for i in range(nc):
                        if shares[i] != 0.0:
                            k = col_symbol[c0 + i]
                            px = close[t, k] if fill_close else open_[t, k]
                            equity += shares[i] * (px if np.isfinite(px) else mark[i])
                    for i in range(nc):
                        if not pending[i]:
                            continue
                        k = col_symbol[c0 + i]
                        base = close[t, k] if fill_close else open_[t, k]
                        if not np.isfinite(base):
                            continue
                        pending[i] = False
                        sl = _slip(base, high[t, k], low[t, k], slip_bps, slip_range)
                        s0 = shares[i]
                        s1 = _target_shares(
                            pend_w[i],
                            equity,
                            s0,
                            base + sl,
                            base - sl,
                            base,
                            sizing,
                            notional,
                            c_rate,
                            c_share,
                            c_fixed,
                        )
                        dq = s1 - s0
                        if dq == 0.0:
                            continue
                        price = base + sl if dq > 0.0 else base - sl
                        cost = c_rate * abs(dq) * price + c_share * abs(dq) + c_fixed
                        cash -= dq * price + cost
                        shares[i] = s1
                        if s0 == 0.0 or s0 * s1 < 0.0:
                            entry[i] = base
                            extreme[i] = base
                        elif abs(s1) > abs(s0):
                            entry[i] = (s0 * entry[i] + dq * base) / s1
                        if equity > 0.0:
                            turnover += abs(dq) * price / equity
                        book_fills[b] += 1
                        if record:
                            f_bar[n_f] = t
                            f_col[n_f] = c0 + i
                            f_qty[n_f] = dq
                            f_price[n_f] = price
                            f_cost[n_f] = cost
                            f_reason[n_f] = REASON_SIGNAL
                            n_f += 1
                elif use_stops:
                    for i in range(nc):
                        s0 = shares[i]
                        if s0 == 0.0:
                            continue
                        k = col_symbol[c0 + i]
                        o = open_[t, k]
                        h = high[t, k]
                        lo = low[t, k]
                        if not np.isfinite(o):
                            continue
                        # a position entered at this bar's close has no intrabar path yet
                        level = np.nan
                        reason = -1
                        if s0 > 0.0:
                            stop = -np.inf
                            sreason = REASON_STOP_LOSS
                            if stop_loss > 0.0:
                                stop = entry[i] * (1.0 - stop_loss)
                            if trailing > 0.0:
                                tr = extreme[i] * (1.0 - trailing)
                                if tr > stop:
                                    stop = tr
                                    sreason = REASON_TRAILING
                            tp = entry[i] * (1.0 + take_profit) if take_profit > 0.0 else np.inf
                            if o <= stop:
                                level, reason = o, sreason
                            elif o >= tp:
                                level, reason = o, REASON_TAKE_PROFIT
                            elif lo <= stop:
                                level, reason = stop, sreason
                            elif h >= tp:
                                level, reason = tp, REASON_TAKE_PROFIT
                            else:
                                extreme[i] = max(extreme[i], h)
                        else:
                            stop = np.inf
                            sreason = REASON_STOP_LOSS
                            if stop_loss > 0.0:
                                stop = entry[i] * (1.0 + stop_loss)
                            if trailing > 0.0:
                                tr = extreme[i] * (1.0 + trailing)
                                if tr < stop:
                                    stop = tr
                                    sreason = REASON_TRAILING
                            tp = entry[i] * (1.0 - take_profit) if take_profit > 0.0 else -np.inf
                            if o >= stop:
                                level, reason = o, sreason
                            elif o <= tp:
                                level, reason = o, REASON_TAKE_PROFIT
                            elif h >= stop:
                                level, reason = stop, sreason
                            elif lo <= tp:
                                level, reason = tp, REASON_TAKE_PROFIT
                            else:
                                extreme[i] = min(extreme[i], lo)
                        if reason < 0:
                            continue
                        sl = _slip(level, h, lo, slip_bps, slip_range)
                        dq = -s0
                        price = level + sl if dq > 0.0 else level - sl
                        cost = c_rate * abs(dq) * price + c_share * abs(dq) + c_fixed
                        eq_now = cash
                        for q in range(nc):
                            if shares[q] != 0.0:
                                eq_now += shares[q] * (mark[q] if np.isfinite(mark[q]) else 0.0)
                        cash -= dq * price + cost
                        shares[i] = 0.0
                        if eq_now > 0.0:
                            turnover += abs(dq) * price / eq_now
                        book_fills[b] += 1
                        if record:
                            f_bar[n_f] = t
                            f_col[n_f] = c0 + i
                            f_qty[n_f] = dq
                            f_price[n_f] = price
                            f_cost[n_f] = cost
                            f_reason[n_f] = reason
                            n_f += 1
            # close: borrow on shorts, mark to market, then the new targets become orders for t+1
            equity = cash
            gross = 0.0
            for i in range(nc):
                k = col_symbol[c0 + i]
                c = close[t, k]
                if np.isfinite(c):
                    mark[i] = c
                if shares[i] != 0.0:
                    if shares[i] < 0.0 and borrow_per_bar > 0.0:
                        cash -= -shares[i] * mark[i] * borrow_per_bar
                        equity -= -shares[i] * mark[i] * borrow_per_bar
                    equity += shares[i] * mark[i]
                    gross += abs(shares[i] * mark[i])
            if equity > 0.0:
                exposure += gross / equity
            book_equity[t, b] += equity
            for i in range(nc):
                w = target[t, c0 + i]
                if not np.isfinite(w):
                    w = 0.0
                if w != last_target[i]:
                    last_target[i] = w
                    pending[i] = True
                    pend_w[i] = w
        book_turnover[b] += turnover
        book_exposure[b] += exposure
    return (
        book_equity,
        book_turnover,
        book_exposure,
        book_fills,
        f_bar[:n_f],
        f_col[:n_f],
        f_qty[:n_f],
        f_price[:n_f],
        f_cost[:n_f],
        f_reason[:n_f],
    )
