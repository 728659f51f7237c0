"""numba kernels of the trading environments: one call steps every env of a batch.

The account follows the backtest engine's conventions (``trade2026.backtest``, module docstring):
a target weight decided on bar t's close becomes an order only when it differs from the previous
target, fills on bar t+1 at the open (or the close with ``fill="close"``) sized as a fraction of the
equity at that price net of the order's own costs, pays commission (bps, per share, fixed) and
slippage (bps plus a share of the bar's range) against the trade, a bar with no price delays the
order, and shorts pay borrow on their market value at every close. The tests replay the
environments' targets through ``run_backtest`` and compare the equity to 1e-9.

State of env e (float64 row of ``fstate``): cash, equity at the last close, the differential Sharpe
ratio's moments A and B, the starting equity, the last step's reward and done flag, then per symbol:
shares, mark, last target, pending weight and pending flag. ``istate`` rows: current bar, last bar
of the episode, first bar, and the first and last bar of the next episode (auto-reset; a negative
next start: no reset). Prices are one
(4, n_bars, n_symbols) array (open, high, low, close) and the settings one float vector (``P_*``,
then the discrete positions), so a step is a call with few arguments.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from trade2026.core import target_shares_nb

# fstate columns (REWARD and FLAG: the last step's reward and done flag)
CASH, EQUITY, DSR_A, DSR_B, INIT, REWARD, FLAG = 0, 1, 2, 3, 4, 5, 6
N_HEAD = 7
# per-symbol blocks after the head: shares, mark, last target, pending weight, pending flag
N_BLOCKS = 5

# params vector
P_FILL_CLOSE, P_C_RATE, P_C_SHARE, P_C_FIXED, P_SLIP_BPS, P_SLIP_RANGE, P_BORROW = 0, 1, 2, 3, 4, 5, 6
P_INIT, P_REWARD, P_ETA, P_RISK, P_FLOOR, P_SCALE, P_ACTION, P_GROSS, P_INV_K = 7, 8, 9, 10, 11, 12, 13, 14, 15
P_WINDOW, P_RECORD, P_N_POS = 16, 17, 18
N_PARAMS = 19  # followed by the P_N_POS discrete positions
# istate columns
I_BAR, I_END, I_START, I_NEXT_START, I_NEXT_END = 0, 1, 2, 3, 4
N_ISTATE = 5

REWARD_LOG, REWARD_DSR, REWARD_RISK = 0, 1, 2
ACTION_DISCRETE, ACTION_CONTINUOUS, ACTION_SIMPLEX, ACTION_LONG_SHORT = 0, 1, 2, 3
TERMINATED, TRUNCATED = 1, 2
# Position weights and the cash share in observations are clipped to this bound (a losing short can
# make them grow without limit as equity shrinks).
OBS_ACCOUNT_BOUND = 1000.0


@njit(cache=True)
def vol_scaled_returns_nb(r: np.ndarray, span: int) -> np.ndarray:  # pragma: no cover - compiled
    """``r_t / sigma_{t-1}`` down each column: sigma^2 is the EWMA (alpha = 2/(span+1)) of squared
    returns, seeded by the mean of the first ``span`` of them; NaN until seeded and where r is NaN."""
    t, k = r.shape
    out = np.full((t, k), np.nan)
    alpha = 2.0 / (span + 1.0)
    for j in range(k):
        n = 0
        acc = 0.0
        var = np.nan
        for i in range(t):
            x = r[i, j]
            if not np.isfinite(x):
                continue
            if n >= span and var > 0.0:
                out[i, j] = x / math.sqrt(var)
            if n < span:
                acc += x * x
                n += 1
                if n == span:
                    var = acc / span
            else:
                var = alpha * x * x + (1.0 - alpha) * var
                n += 1
    return out


@njit(cache=True)
def map_action_nb(a: np.ndarray, params: np.ndarray, close_t: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """Target weights (k,) from one env's action row; a symbol with no price at the decision bar gets 0."""
    k = out.shape[0]
    kind = int(params[P_ACTION])
    inv_k = params[P_INV_K]
    if kind == ACTION_DISCRETE:
        n_pos = int(params[P_N_POS])
        for i in range(k):
            x = a[i]
            idx = int(x) if np.isfinite(x) else 0
            idx = min(max(idx, 0), n_pos - 1)
            out[i] = params[N_PARAMS + idx] * inv_k
    elif kind == ACTION_CONTINUOUS:
        for i in range(k):
            x = a[i]
            out[i] = (min(max(x, -1.0), 1.0) if np.isfinite(x) else 0.0) * inv_k
    elif kind == ACTION_SIMPLEX:
        s = 0.0
        for i in range(k + 1):
            x = a[i]
            s += (min(max(x, -1.0), 1.0) + 1.0) * 0.5 if np.isfinite(x) else 0.0
        for i in range(k):
            x = a[i]
            u = (min(max(x, -1.0), 1.0) + 1.0) * 0.5 if np.isfinite(x) else 0.0
            out[i] = u / s if s > 1e-12 else 0.0
    else:
        g = 0.0
        for i in range(k):
            x = a[i]
            g += abs(min(max(x, -1.0), 1.0)) if np.isfinite(x) else 0.0
        div = g if g > 1.0 else 1.0
        for i in range(k):
            x = a[i]
            u = min(max(x, -1.0), 1.0) if np.isfinite(x) else 0.0
            out[i] = u * params[P_GROSS] / div
    for i in range(k):
        if not np.isfinite(close_t[i]):
            out[i] = 0.0


@njit(cache=True)
def write_obs_nb(
    feat: np.ndarray, window: int, fs: np.ndarray, t: int, k: int, out: np.ndarray, off: int
) -> None:  # pragma: no cover - compiled
    """Observation at bar t: ``window`` rows of features (oldest first), position weights, cash share."""
    nc = feat.shape[1]
    p = off
    for j in range(t - window + 1, t + 1):
        for c in range(nc):
            out[p] = feat[j, c]
            p += 1
    eq = fs[EQUITY]
    for i in range(k):
        s = fs[N_HEAD + i]
        m = fs[N_HEAD + k + i]
        x = s * m / eq if (eq > 0.0 and s != 0.0 and np.isfinite(m)) else 0.0
        out[p] = min(max(x, -OBS_ACCOUNT_BOUND), OBS_ACCOUNT_BOUND)
        p += 1
    x = fs[CASH] / eq if eq > 0.0 else 0.0
    out[p] = min(max(x, -OBS_ACCOUNT_BOUND), OBS_ACCOUNT_BOUND)


@njit(cache=True)
def reset_nb(
    prices: np.ndarray,
    feat: np.ndarray,
    params: np.ndarray,
    istate: np.ndarray,
    fstate: np.ndarray,
    e: int,
    start: int,
    end: int,
    obs: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Flat book with the starting cash at bar ``start``'s close; episode ends at bar ``end``."""
    close = prices[3]
    k = close.shape[1]
    window = int(params[P_WINDOW])
    obs_dim = obs.shape[0] // istate.shape[0]
    fs = fstate[e]
    fs[:] = 0.0
    fs[CASH] = params[P_INIT]
    fs[EQUITY] = params[P_INIT]
    fs[INIT] = params[P_INIT]
    for i in range(k):
        c = close[start, i]
        fs[N_HEAD + k + i] = c if np.isfinite(c) else np.nan
    istate[e, I_BAR] = start
    istate[e, I_END] = end
    istate[e, I_START] = start
    write_obs_nb(feat, window, fs, start, k, obs, e * obs_dim)


@njit(cache=True)
def step_nb(
    prices: np.ndarray,
    feat: np.ndarray,
    params: np.ndarray,
    istate: np.ndarray,
    fstate: np.ndarray,
    actions: np.ndarray,
    obs: np.ndarray,
    term_obs: np.ndarray,
    hist: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Step every env one bar: register the targets decided at bar t's close, fill them on bar t+1,
    mark to t+1's close, write the reward and done flag (``fstate``) and the observation at t+1.

    A done env with a next start ``>= 0`` is reset there and its last observation goes to
    ``term_obs``. ``hist`` (rows, n_symbols + 1) receives the targets registered this step
    (columns :k) and the equity at t+1's close before any reset (column k): at rows t and t+1 (a
    one-env history over the bars) when ``params[P_RECORD]`` is set, else at row e, whose columns
    k+1 and k+2 then accumulate the episode's reward and length (the caller clears them at its end).
    Returns the number of envs whose episode ended.
    """
    n_envs = istate.shape[0]
    open_ = prices[0]
    high = prices[1]
    low = prices[2]
    close = prices[3]
    k = close.shape[1]
    window = int(params[P_WINDOW])
    record = params[P_RECORD] > 0.0
    n_done = 0
    obs_dim = obs.shape[0] // n_envs
    fill_close = params[P_FILL_CLOSE] > 0.0
    c_rate = params[P_C_RATE]
    c_share = params[P_C_SHARE]
    c_fixed = params[P_C_FIXED]
    slip_bps = params[P_SLIP_BPS]
    slip_range = params[P_SLIP_RANGE]
    borrow = params[P_BORROW]
    kind = int(params[P_REWARD])
    sh = N_HEAD
    mk = N_HEAD + k
    lt = N_HEAD + 2 * k
    pw = N_HEAD + 3 * k
    pf = N_HEAD + 4 * k
    for e in range(n_envs):
        fs = fstate[e]
        t = istate[e, I_BAR]
        row = t if record else e
        weights = hist[row, :k]
        map_action_nb(actions[e], params, close[t], weights)
        for i in range(k):
            w = weights[i]
            if w != fs[lt + i]:
                fs[lt + i] = w
                fs[pf + i] = 1.0
                fs[pw + i] = w
        t1 = t + 1
        px = close[t1] if fill_close else open_[t1]
        cash = fs[CASH]
        eq = cash
        for i in range(k):
            s = fs[sh + i]
            if s != 0.0:
                eq += s * (px[i] if np.isfinite(px[i]) else fs[mk + i])
        for i in range(k):
            if fs[pf + i] == 0.0:
                continue
            base = px[i]
            if not np.isfinite(base):
                continue
            fs[pf + i] = 0.0
            sl = base * slip_bps * 1e-4 + slip_range * (high[t1, i] - low[t1, i])
            s0 = fs[sh + i]
            s1 = target_shares_nb(fs[pw + i], eq, s0, base + sl, base - sl, base, 0, 0.0, c_rate, c_share, c_fixed)
            dq = s1 - s0
            if dq == 0.0:
                continue
            price = base + sl if dq > 0.0 else base - sl
            cost = c_rate * abs(dq) * price + c_share * abs(dq) + c_fixed
            cash -= dq * price + cost
            fs[sh + i] = s1
        eq = cash
        for i in range(k):
            c = close[t1, i]
            if np.isfinite(c):
                fs[mk + i] = c
            s = fs[sh + i]
            if s != 0.0:
                m = fs[mk + i]
                if s < 0.0 and borrow > 0.0:
                    fee = -s * m * borrow
                    cash -= fee
                    eq -= fee
                eq += s * m
        eq_old = fs[EQUITY]
        fs[CASH] = cash
        fs[EQUITY] = eq
        hist[t1 if record else e, k] = eq
        ratio = eq / eq_old if eq_old > 0.0 else 0.0
        logr = math.log(ratio) if ratio > 0.0 else -30.0
        if kind == REWARD_LOG:
            rew = logr
        elif kind == REWARD_RISK:
            rew = logr - params[P_RISK] * logr * logr
        else:
            r = ratio - 1.0
            a0 = fs[DSR_A]
            b0 = fs[DSR_B]
            da = r - a0
            db = r * r - b0
            var = b0 - a0 * a0
            rew = (b0 * da - 0.5 * a0 * db) / var**1.5 if var > 1e-18 else 0.0
            fs[DSR_A] = a0 + params[P_ETA] * da
            fs[DSR_B] = b0 + params[P_ETA] * db
        rew *= params[P_SCALE]
        istate[e, I_BAR] = t1
        flag = 0
        if eq <= 0.0 or eq < params[P_FLOOR] * fs[INIT]:
            flag = TERMINATED
        elif t1 >= istate[e, I_END]:
            flag = TRUNCATED
        if flag != 0 and istate[e, I_NEXT_START] >= 0:
            write_obs_nb(feat, window, fs, t1, k, term_obs, e * obs_dim)
            reset_nb(prices, feat, params, istate, fstate, e, istate[e, I_NEXT_START], istate[e, I_NEXT_END], obs)
        else:
            write_obs_nb(feat, window, fs, t1, k, obs, e * obs_dim)
        fs[REWARD] = rew  # after any reset, which clears the row
        fs[FLAG] = flag
        if flag != 0:
            n_done += 1
        if not record:
            hist[e, k + 1] += rew
            hist[e, k + 2] += 1.0
    return n_done
