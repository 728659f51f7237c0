"""The stationary bootstrap (Politis and Romano 1994) and its automatic block length.

One sampler for the whole toolkit (backtest confidence intervals, Monte Carlo paths, RL baselines):
it draws from a :class:`numpy.random.Generator` only, so a seed resamples the same way in every
command, and never touches numpy's global random state.

Notes
-----
A path starts at a uniform random index; at every later step it starts a new block at a uniform
random index with probability ``p = 1 / block_length`` and otherwise moves to the next observation,
wrapping from the last to the first (the circular version of Politis and Romano 1994, sec. 2).
Block lengths are geometric with mean ``block_length``.

The automatic block length is Politis and White (2004), "Automatic Block-Length Selection for the
Dependent Bootstrap", Econometric Reviews 23(1), with the correction of Patton, Politis and White
(2009), Econometric Reviews 28(4): the flat-top lag window, ``K_N = max(5, sqrt(log10 n))``,
``c = 2``, and ``b_opt = (2 G^2 / D_SB)^(1/3) n^(1/3)`` capped at ``min(3 sqrt(n), n / 3)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trade2026.core._metrics import as_array
from trade2026.errors import InputError


def optimal_block_length(returns: Any) -> float:
    """Expected block length for the stationary bootstrap (Politis and White 2004, corrected 2009).

    Parameters
    ----------
    returns : array-like of shape (n_obs,)
        The series to resample (NaN entries are dropped).
    """
    x = as_array(returns, ndim=1)
    x = x[np.isfinite(x)]
    n = x.size
    if n < 8:
        return 1.0
    x = x - x.mean()
    var = float(np.dot(x, x)) / n
    if var <= 0:
        return 1.0
    kn = max(5, math.ceil(math.sqrt(math.log10(n))))
    m_max = math.ceil(math.sqrt(n)) + kn
    b_max = math.ceil(min(3 * math.sqrt(n), n / 3))
    acov = np.array([float(np.dot(x[: n - k], x[k:])) / n for k in range(m_max + 1)])
    rho = acov / acov[0]
    thresh = 2.0 * math.sqrt(math.log10(n) / n)
    m_hat = None
    for m in range(1, m_max - kn + 1):
        if np.all(np.abs(rho[m + 1 : m + kn + 1]) < thresh):
            m_hat = m
            break
    if m_hat is None:
        big = np.nonzero(np.abs(rho[1:]) > thresh)[0]
        m_hat = int(big[-1] + 1) if big.size else 1
    mm = min(2 * m_hat, m_max)
    g = 0.0
    g0 = acov[0]
    for k in range(1, mm + 1):
        t = k / mm
        lam = 1.0 if t <= 0.5 else 2.0 * (1.0 - t)
        g += 2.0 * lam * k * acov[k]
        g0 += 2.0 * lam * acov[k]
    d_sb = 2.0 * g0 * g0
    if d_sb <= 0 or g == 0:
        return 1.0
    b = (2.0 * g * g / d_sb) ** (1.0 / 3.0) * n ** (1.0 / 3.0)
    return float(min(max(b, 1.0), b_max))


def stationary_bootstrap_indices(n: int, block_length: float, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Index paths of shape (n_boot, n) into a series of length ``n`` (see the module notes).

    Draws, in this order, from ``rng``: the ``n_boot`` starting indices, an (n_boot, n) matrix of
    uniforms deciding the block starts, and an (n_boot, n) matrix of fresh indices.
    """
    if n < 1 or n_boot < 0:
        msg = f"the bootstrap needs n >= 1 and n_boot >= 0, got n={n}, n_boot={n_boot}"
        raise InputError(msg)
    p = 1.0 / max(float(block_length), 1.0)
    first = rng.integers(0, n, n_boot)
    restart = rng.random((n_boot, n)) < p
    fresh = rng.integers(0, n, (n_boot, n))
    restart[:, 0] = True
    fresh[:, 0] = first
    steps = np.arange(n)
    start = np.maximum.accumulate(np.where(restart, steps, 0), axis=1)
    return (np.take_along_axis(fresh, start, axis=1) + (steps - start)) % n


def stationary_bootstrap(
    returns: Any,
    n_paths: int,
    *,
    block_length: float | None = None,
    seed: int | np.random.Generator = 0,
    min_obs: int = 10,
) -> tuple[np.ndarray, float]:
    """Resampled paths of shape (n_paths, n_obs) of a series, and the mean block length used.

    ``block_length`` defaults to :func:`optimal_block_length`; ``seed`` is an integer or a
    :class:`numpy.random.Generator`. NaN entries are dropped first.
    """
    r = as_array(returns, ndim=1)
    r = r[np.isfinite(r)]
    if r.size < min_obs:
        msg = f"the stationary bootstrap needs at least {min_obs} returns, got {r.size}"
        raise InputError(msg)
    b = optimal_block_length(r) if block_length is None else float(block_length)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return r[stationary_bootstrap_indices(r.size, b, int(n_paths), rng)], b
