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
