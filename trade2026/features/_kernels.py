"""numba kernels for fractional differentiation (AFML ch. 5)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, fastmath={"reassoc", "contract"})
def ffd_columns(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Fixed-width-window fractional differences of every column of ``x``.

    ``x`` has shape (n_obs, n_cols), ``w`` holds the weights w_0..w_{K-1} (w_0 = 1 applies to the
    newest observation). Row ``i`` of the result is ``sum_k w_k * x[i - k]`` for ``i >= K - 1`` and
    NaN before (the warm-up). Reassociation is allowed so the dot product vectorises (sums differ
    from a strict left-to-right loop by rounding only, ~1e-15 relative).
    """
    n, m = x.shape
    width = w.shape[0]
    out = np.full((n, m), np.nan)
    wr = w[::-1].copy()  # oldest weight first, so the inner loop reads x forwards
    for j in range(m):
        col = np.ascontiguousarray(x[:, j])
        for i in range(width - 1, n):
            start = i - width + 1
            acc = 0.0
            for k in range(width):
                acc += wr[k] * col[start + k]
            out[i, j] = acc
    return out


@njit(cache=True)
def expanding_columns(x: np.ndarray, w: np.ndarray, skip: int) -> np.ndarray:
    """Expanding-window fractional differences: row ``i`` uses weights w_0..w_i (all history).

    Rows before ``skip`` (where the weight loss exceeds the threshold) are NaN.
    """
    n, m = x.shape
    out = np.full((n, m), np.nan)
    for j in range(m):
        for i in range(skip, n):
            acc = 0.0
            for k in range(i + 1):
                acc += w[k] * x[i - k, j]
            out[i, j] = acc
    return out
