"""numba kernels of the shared numerics (one pass per quantity over (n_obs, n_trials) matrices)."""

from __future__ import annotations

import numpy as np
from numba import njit

# Column outputs of ``metrics_matrix`` (row order of its result).
M_N, M_GROWTH, M_MEAN, M_SD, M_SKEW, M_KURT, M_DOWN, M_MDD, M_MDD_DUR, M_MIN_EQ = range(10)
N_OUT = 10


@njit(cache=True, nogil=True, error_model="numpy")
def metrics_matrix(r):  # pragma: no cover - compiled
    """Sufficient statistics of every column of simple returns ``r`` (n_obs, n_trials), NaN skipped.

    Returns an array (N_OUT, n_trials): count, growth (prod of 1 + r), mean, sd (ddof=1), skewness,
    Pearson kurtosis, downside deviation sqrt(mean(min(r, 0)^2)), max drawdown (<= 0), its longest
    duration in observations, and the minimum equity (at most 1). Rows are walked outer, columns
    inner, so a C-ordered matrix is read once per pass, in memory order.
    """
    t_n, k_n = r.shape
    out = np.zeros((N_OUT, k_n))
    cnt = np.zeros(k_n)
    s1 = np.zeros(k_n)
    for t in range(t_n):
        for k in range(k_n):
            x = r[t, k]
            if np.isfinite(x):
                cnt[k] += 1.0
                s1[k] += x
    mean = np.zeros(k_n)
    for k in range(k_n):
        mean[k] = s1[k] / cnt[k] if cnt[k] > 0 else np.nan
    m2 = np.zeros(k_n)
    m3 = np.zeros(k_n)
    m4 = np.zeros(k_n)
    down = np.zeros(k_n)
    eq = np.ones(k_n)
    peak = np.ones(k_n)
    mdd = np.zeros(k_n)
    min_eq = np.ones(k_n)
    run = np.zeros(k_n)
    longest = np.zeros(k_n)
    for t in range(t_n):
        for k in range(k_n):
            x = r[t, k]
            if not np.isfinite(x):
                continue
            d = x - mean[k]
            d2 = d * d
            m2[k] += d2
            m3[k] += d2 * d
            m4[k] += d2 * d2
            if x < 0.0:
                down[k] += x * x
            e = eq[k] * (1.0 + x)
            eq[k] = e
            if e > peak[k]:
                peak[k] = e
            dd = e / peak[k] - 1.0
            if dd < mdd[k]:
                mdd[k] = dd
            if e < min_eq[k]:
                min_eq[k] = e
            if dd < 0.0:
                run[k] += 1.0
                if run[k] > longest[k]:
                    longest[k] = run[k]
            else:
                run[k] = 0.0
    for k in range(k_n):
        n = cnt[k]
        out[M_N, k] = n
        out[M_GROWTH, k] = eq[k]
        out[M_MEAN, k] = mean[k]
        out[M_SD, k] = np.sqrt(m2[k] / (n - 1.0)) if n > 1 else np.nan
        if n > 1 and m2[k] > 0:
            c2 = m2[k] / n
            out[M_SKEW, k] = (m3[k] / n) / c2**1.5
            out[M_KURT, k] = (m4[k] / n) / (c2 * c2)
        elif n > 1:
            out[M_SKEW, k] = 0.0
            out[M_KURT, k] = 3.0
        else:
            out[M_SKEW, k] = np.nan
            out[M_KURT, k] = np.nan
        out[M_DOWN, k] = np.sqrt(down[k] / n) if n > 0 else np.nan
        out[M_MDD, k] = mdd[k]
        out[M_MDD_DUR, k] = longest[k]
        out[M_MIN_EQ, k] = min_eq[k]
    return out
