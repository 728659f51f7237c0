"""numba kernels: indicator/strategy state machines and the fill engine.

Everything here takes and returns numpy arrays; the Python glue lives in ``_strategies.py`` and
``_engine.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from trade2026.core._sizing import target_shares_nb as _target_shares

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
def book_returns_nb(equity: np.ndarray, init: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Write into ``out`` the simple returns of book equity (n_bars, n_books) from starting equity
    ``init`` (n_books,); 0 where the previous equity is not positive (a wiped-out book earns
    nothing). ``out`` may be ``equity`` itself (rows are walked last to first)."""
    t, b = equity.shape
    for i in range(t - 1, -1, -1):
        for j in range(b):
            prev = init[j] if i == 0 else equity[i - 1, j]
            out[i, j] = equity[i, j] / prev - 1.0 if prev > 0.0 else 0.0


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
    a book sums the equity of its groups. Recorded fills come in bar order (then group, then column).
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

    # State of every group (cash account) and column, so that bars are the outer loop: each bar
    # reads one row of ``target`` and writes one row of ``book_equity`` (memory order), and the
    # groups of a bar are independent of each other.
    cash = np.full(n_groups, init_cash)
    turnover = np.zeros(n_groups)
    exposure = np.zeros(n_groups)
    shares = np.zeros(n_cols)
    mark = np.full(n_cols, np.nan)
    entry = np.zeros(n_cols)
    extreme = np.zeros(n_cols)
    last_target = np.zeros(n_cols)
    pending = np.zeros(n_cols, dtype=np.bool_)
    pend_w = np.zeros(n_cols)
    for t in range(n_bars):
        for g in range(n_groups):
            c0 = group_start[g]
            c1 = group_start[g + 1]
            b = group_book[g]
            for phase in range(2):
                # phase 0: open fills (then stops); phase 1: stops (then close fills)
                do_fills = (phase == 0 and not fill_close) or (phase == 1 and fill_close)
                if do_fills:
                    orders = False
                    for c in range(c0, c1):
                        if pending[c]:
                            orders = True
                            break
                    if not orders:
                        continue
                    equity = cash[g]
                    for c in range(c0, c1):
                        if shares[c] != 0.0:
                            k = col_symbol[c]
                            px = close[t, k] if fill_close else open_[t, k]
                            equity += shares[c] * (px if np.isfinite(px) else mark[c])
                    for c in range(c0, c1):
                        if not pending[c]:
                            continue
                        k = col_symbol[c]
                        base = close[t, k] if fill_close else open_[t, k]
                        if not np.isfinite(base):
                            continue
                        pending[c] = False
                        sl = _slip(base, high[t, k], low[t, k], slip_bps, slip_range)
                        s0 = shares[c]
                        s1 = _target_shares(
                            pend_w[c],
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
                        cash[g] -= dq * price + cost
                        shares[c] = s1
                        if s0 == 0.0 or s0 * s1 < 0.0:
                            entry[c] = base
                            extreme[c] = base
                        elif abs(s1) > abs(s0):
                            entry[c] = (s0 * entry[c] + dq * base) / s1
                        if equity > 0.0:
                            turnover[g] += abs(dq) * price / equity
                        book_fills[b] += 1
                        if record:
                            f_bar[n_f] = t
                            f_col[n_f] = c
                            f_qty[n_f] = dq
                            f_price[n_f] = price
                            f_cost[n_f] = cost
                            f_reason[n_f] = REASON_SIGNAL
                            n_f += 1
                elif use_stops:
                    for c in range(c0, c1):
                        s0 = shares[c]
                        if s0 == 0.0:
                            continue
                        k = col_symbol[c]
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
                                stop = entry[c] * (1.0 - stop_loss)
                            if trailing > 0.0:
                                tr = extreme[c] * (1.0 - trailing)
                                if tr > stop:
                                    stop = tr
                                    sreason = REASON_TRAILING
                            tp = entry[c] * (1.0 + take_profit) if take_profit > 0.0 else np.inf
                            if o <= stop:
                                level, reason = o, sreason
                            elif o >= tp:
                                level, reason = o, REASON_TAKE_PROFIT
                            elif lo <= stop:
                                level, reason = stop, sreason
                            elif h >= tp:
                                level, reason = tp, REASON_TAKE_PROFIT
                            else:
                                extreme[c] = max(extreme[c], h)
                        else:
                            stop = np.inf
                            sreason = REASON_STOP_LOSS
                            if stop_loss > 0.0:
                                stop = entry[c] * (1.0 + stop_loss)
                            if trailing > 0.0:
                                tr = extreme[c] * (1.0 + trailing)
                                if tr < stop:
                                    stop = tr
                                    sreason = REASON_TRAILING
                            tp = entry[c] * (1.0 - take_profit) if take_profit > 0.0 else -np.inf
                            if o >= stop:
                                level, reason = o, sreason
                            elif o <= tp:
                                level, reason = o, REASON_TAKE_PROFIT
                            elif h >= stop:
                                level, reason = stop, sreason
                            elif lo <= tp:
                                level, reason = tp, REASON_TAKE_PROFIT
                            else:
                                extreme[c] = min(extreme[c], lo)
                        if reason < 0:
                            continue
                        sl = _slip(level, h, lo, slip_bps, slip_range)
                        dq = -s0
                        price = level + sl if dq > 0.0 else level - sl
                        cost = c_rate * abs(dq) * price + c_share * abs(dq) + c_fixed
                        eq_now = cash[g]
                        for q in range(c0, c1):
                            if shares[q] != 0.0:
                                eq_now += shares[q] * (mark[q] if np.isfinite(mark[q]) else 0.0)
                        cash[g] -= dq * price + cost
                        shares[c] = 0.0
                        if eq_now > 0.0:
                            turnover[g] += abs(dq) * price / eq_now
                        book_fills[b] += 1
                        if record:
                            f_bar[n_f] = t
                            f_col[n_f] = c
                            f_qty[n_f] = dq
                            f_price[n_f] = price
                            f_cost[n_f] = cost
                            f_reason[n_f] = reason
                            n_f += 1
            # close: borrow on shorts, mark to market, then the new targets become orders for t+1
            equity = cash[g]
            gross = 0.0
            for c in range(c0, c1):
                k = col_symbol[c]
                px = close[t, k]
                if np.isfinite(px):
                    mark[c] = px
                if shares[c] != 0.0:
                    if shares[c] < 0.0 and borrow_per_bar > 0.0:
                        cash[g] -= -shares[c] * mark[c] * borrow_per_bar
                        equity -= -shares[c] * mark[c] * borrow_per_bar
                    equity += shares[c] * mark[c]
                    gross += abs(shares[c] * mark[c])
            if gross != 0.0 and equity > 0.0:
                exposure[g] += gross / equity
            book_equity[t, b] += equity
            for c in range(c0, c1):
                w = target[t, c]
                if not np.isfinite(w):
                    w = 0.0
                if w != last_target[c]:
                    last_target[c] = w
                    pending[c] = True
                    pend_w[c] = w
    for g in range(n_groups):
        book_turnover[group_book[g]] += turnover[g]
        book_exposure[group_book[g]] += exposure[g]
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
