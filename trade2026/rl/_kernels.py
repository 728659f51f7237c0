"""numba kernels of the trading environments: one call steps every env of a batch.

The account follows the backtest engine's conventions (``trade2026.backtest``, module docstring):
a target weight decided on bar t's close becomes an order only when it differs from the previous
target, fills on bar t+1 at the open (or the close with ``fill="close"``) sized as a fraction of the
equity at that price net of the order's own costs, pays commission (bps, per share, fixed) and
slippage (bps plus a share of the bar's range) against the trade, a bar with no price delays the
order, and shorts pay borrow on their market value at every close. The tests replay the
environments' targets through ``run_backtest`` and compare the equity to 1e-9.

State of env e (float64 row of ``fstate``): cash, equity at the last close, the differential Sharpe
ratio's moments A and B, the starting equity, then per symbol: shares, mark, last target, pending
weight and pending flag. ``istate`` rows: current bar, last bar of the episode, first bar.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# fstate columns
CASH, EQUITY, DSR_A, DSR_B, INIT = 0, 1, 2, 3, 4
N_HEAD = 5
# per-symbol blocks after the head: shares, mark, last target, pending weight, pending flag
N_BLOCKS = 5

# params vector
P_FILL_CLOSE, P_C_RATE, P_C_SHARE, P_C_FIXED, P_SLIP_BPS, P_SLIP_RANGE, P_BORROW = 0, 1, 2, 3, 4, 5, 6
P_INIT, P_REWARD, P_ETA, P_RISK, P_FLOOR, P_SCALE, P_ACTION, P_GROSS, P_INV_K = 7, 8, 9, 10, 11, 12, 13, 14, 15
N_PARAMS = 16

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
def map_action_nb(
    a: np.ndarray, params: np.ndarray, positions: np.ndarray, close_t: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """Target weights (k,) from one env's action row; a symbol with no price at the decision bar gets 0."""
    k = out.shape[0]
    kind = int(params[P_ACTION])
    inv_k = params[P_INV_K]
    if kind == ACTION_DISCRETE:
        n_pos = positions.shape[0]
        for i in range(k):
            x = a[i]
            idx = int(x) if np.isfinite(x) else 0
            idx = min(max(idx, 0), n_pos - 1)
            out[i] = positions[idx] * inv_k
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
def _target_shares(
    w: float,
    equity: float,
    s0: float,
    p_buy: float,
    p_sell: float,
    base: float,
    c_rate: float,
    c_share: float,
    c_fixed: float,
) -> float:  # pragma: no cover - compiled
    """Shares after rebalancing to weight w of equity, net of the order's own costs: s*p = w*(E - cost)."""
    if w == 0.0 or not np.isfinite(w) or equity <= 0.0:
        return 0.0
    want = w * equity / base
    if abs(want - s0) <= 1e-9 * abs(s0):
        return s0
    if want > s0:
        s = w * (equity - c_fixed + s0 * (c_rate * p_buy + c_share)) / (p_buy * (1.0 + w * c_rate) + w * c_share)
        return s if s > s0 else s0
    if want < s0:
        s = w * (equity - c_fixed - s0 * (c_rate * p_sell + c_share)) / (p_sell * (1.0 - w * c_rate) - w * c_share)
        return s if s < s0 else s0
    return s0


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
    close: np.ndarray,
    feat: np.ndarray,
    window: int,
    params: np.ndarray,
    istate: np.ndarray,
    fstate: np.ndarray,
    e: int,
    start: int,
    end: int,
    obs: np.ndarray,
    obs_dim: int,
) -> None:  # pragma: no cover - compiled
    """Flat book with the starting cash at bar ``start``'s close; episode ends at bar ``end``."""
    k = close.shape[1]
    fs = fstate[e]
    fs[:] = 0.0
    fs[CASH] = params[P_INIT]
    fs[EQUITY] = params[P_INIT]
    fs[INIT] = params[P_INIT]
    for i in range(k):
        c = close[start, i]
        fs[N_HEAD + k + i] = c if np.isfinite(c) else np.nan
    istate[e, 0] = start
    istate[e, 1] = end
    istate[e, 2] = start
    write_obs_nb(feat, window, fs, start, k, obs, e * obs_dim)


@njit(cache=True)
def step_nb(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    feat: np.ndarray,
    window: int,
    params: np.ndarray,
    positions: np.ndarray,
    istate: np.ndarray,
    fstate: np.ndarray,
    actions: np.ndarray,
    next_start: np.ndarray,
    next_end: np.ndarray,
    obs: np.ndarray,
    term_obs: np.ndarray,
    reward: np.ndarray,
    flags: np.ndarray,
    weights: np.ndarray,
    equity_out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Step every env one bar: register the targets decided at bar t's close, fill them on bar t+1,
    mark to t+1's close, write the reward, the done flags and the observation at t+1.

    A done env with ``next_start[e] >= 0`` is reset there (episode to ``next_end[e]``) and its last
    observation goes to ``term_obs``; ``weights[e]`` receives the targets registered this step and
    ``equity_out[e]`` the equity at t+1's close (before any reset).
    """
    n_envs = istate.shape[0]
    k = close.shape[1]
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
        t = istate[e, 0]
        map_action_nb(actions[e], params, positions, close[t], weights[e])
        for i in range(k):
            w = weights[e, i]
            if w != fs[lt + i]:
                fs[lt + i] = w
                fs[pf + i] = 1.0
                fs[pw + i] = w
        t1 = t + 1
        px = close[t1] if fill_close else open_[t1]
        cash = fs[CASH]
        equity = cash
        for i in range(k):
            s = fs[sh + i]
            if s != 0.0:
                equity += s * (px[i] if np.isfinite(px[i]) else fs[mk + i])
        for i in range(k):
            if fs[pf + i] == 0.0:
                continue
            base = px[i]
            if not np.isfinite(base):
                continue
            fs[pf + i] = 0.0
            sl = base * slip_bps * 1e-4 + slip_range * (high[t1, i] - low[t1, i])
            s0 = fs[sh + i]
            s1 = _target_shares(fs[pw + i], equity, s0, base + sl, base - sl, base, c_rate, c_share, c_fixed)
            dq = s1 - s0
            if dq == 0.0:
                continue
            price = base + sl if dq > 0.0 else base - sl
            cost = c_rate * abs(dq) * price + c_share * abs(dq) + c_fixed
            cash -= dq * price + cost
            fs[sh + i] = s1
        equity = cash
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
                    equity -= fee
                equity += s * m
        eq_old = fs[EQUITY]
        fs[CASH] = cash
        fs[EQUITY] = equity
        equity_out[e] = equity
        ratio = equity / eq_old if eq_old > 0.0 else 0.0
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
        reward[e] = rew * params[P_SCALE]
        istate[e, 0] = t1
        flag = 0
        if equity <= 0.0 or equity < params[P_FLOOR] * fs[INIT]:
            flag = TERMINATED
        elif t1 >= istate[e, 1]:
            flag = TRUNCATED
        flags[e] = flag
        if flag != 0 and next_start[e] >= 0:
            write_obs_nb(feat, window, fs, t1, k, term_obs, e * obs_dim)
            reset_nb(close, feat, window, params, istate, fstate, e, next_start[e], next_end[e], obs, obs_dim)
        else:
            write_obs_nb(feat, window, fs, t1, k, obs, e * obs_dim)
