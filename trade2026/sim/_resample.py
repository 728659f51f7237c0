"""Alternative orders of a strategy's own history: trade reshuffling and the risk of ruin.

The stationary bootstrap of a returns series is :func:`trade2026.core.stationary_bootstrap` (one
sampler for the toolkit). Everything here draws from a :class:`numpy.random.Generator` seeded by the
caller and never touches numpy's global random state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trade2026.core import as_array
from trade2026.errors import InputError

# Rows of (paths x horizon) draws held at once by :func:`risk_of_ruin`: about 8 MB of float64.
_RUIN_BLOCK = 1 << 20


def reshuffle_trades(trade_returns: Any, n_paths: int, *, seed: int | np.random.Generator = 0) -> np.ndarray:
    """Random permutations of per-trade returns.

    Parameters
    ----------
    trade_returns : array-like of shape (n_trades,)
        Simple returns of the closed round trips (NaN entries dropped); at least two.
    n_paths : int
        Permutations to draw.
    seed : int or numpy.random.Generator

    Returns
    -------
    ndarray of shape (n_paths, n_trades)
        Every row holds the same trades, so every path ends at the same wealth; only the order, and
        with it the drawdowns, differ.
    """
    t = as_array(trade_returns, ndim=1, name="trade_returns")
    t = t[np.isfinite(t)]
    if t.size < 2:
        msg = f"trade reshuffling needs at least 2 closed trades, got {t.size}"
        raise InputError(msg)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return rng.permuted(np.broadcast_to(t, (int(n_paths), t.size)).copy(), axis=1)


def trades_per_year(periods_per_year: float, n_trades: int, n_bars: int) -> float:
    """The annualisation of a path of per-trade returns: ``periods_per_year * n_trades / n_bars``.

    A reshuffled path has ``n_trades`` observations that stand for the ``n_bars`` bars the trades
    were made over. Annualising them at the bar frequency would squeeze those bars into
    ``n_trades`` of them: CAGR would compound over a span ``n_bars / n_trades`` times too short and
    the Sharpe ratio would grow by ``sqrt(n_bars / n_trades)``. At ``n_trades / n_bars`` trades per
    bar, a path spans the backtest's ``n_bars / periods_per_year`` years, so its CAGR is the CAGR the
    trades earned over the backtest.
    """
    if n_trades < 1 or n_bars < 1:
        msg = f"trades per year needs at least one trade and one bar, got {n_trades} trades over {n_bars} bars"
        raise InputError(msg)
    return float(periods_per_year) * n_trades / n_bars


def risk_of_ruin_closed_form(p: float, capital: int) -> float:
    """Gambler's ruin with unit bets paying 1:1, win probability ``p``, ``capital`` units, no horizon.

    Notes
    -----
    ``((1 - p) / p) ** capital`` for ``p > 1/2``, else 1 (Feller 1968, *An Introduction to
    Probability Theory and Its Applications*, vol. 1, ch. XIV.2).
    """
    if not 0 <= p <= 1:
        msg = f"p must be in [0, 1], got {p}"
        raise InputError(msg)
    if p <= 0.5:
        return 1.0
    return float(((1.0 - p) / p) ** capital)


def risk_of_ruin(
    pnls: Any,
    *,
    capital: float,
    n_paths: int = 10_000,
    horizon: int = 1_000,
    seed: int | np.random.Generator = 0,
) -> float:
    """Probability that ``capital`` plus a running sum of i.i.d. draws from ``pnls`` reaches zero.

    Parameters
    ----------
    pnls : array-like of shape (n,)
        Additive P&L per bet, in units of ``capital`` (NaN entries dropped).
    capital : float
        Starting capital (> 0).
    n_paths, horizon : int
        Simulated bettors and bets per bettor.
    seed : int or numpy.random.Generator

    Returns
    -------
    float
        The share of paths whose equity is <= 0 after some bet within ``horizon`` bets. With bets of
        +1/-1 won with probability ``p`` it converges to :func:`risk_of_ruin_closed_form` as the
        horizon grows.
    """
    x = as_array(pnls, ndim=1, name="pnls")
    x = x[np.isfinite(x)]
    if x.size == 0 or not capital > 0:
        msg = "risk of ruin needs P&L values and a positive capital"
        raise InputError(msg)
    if n_paths < 1 or horizon < 1:
        msg = f"n_paths and horizon must be >= 1, got {n_paths} and {horizon}"
        raise InputError(msg)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    block = max(1, _RUIN_BLOCK // horizon)
    hits = 0
    for start in range(0, n_paths, block):
        k = min(block, n_paths - start)
        steps = np.empty((k, horizon + 1))
        steps[:, 0] = capital
        steps[:, 1:] = x[rng.integers(0, x.size, (k, horizon))]
        equity = np.cumsum(steps, axis=1)  # the same sums, in the same order, as a bet-by-bet loop
        hits += int(np.count_nonzero((equity[:, 1:] <= 0).any(axis=1)))
    return hits / n_paths
