"""Synthetic price paths fitted to an underlying's returns: GBM, GARCH(1,1) and two-regime switching."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from trade2026.core import as_array
from trade2026.errors import InputError

MODELS = ("gbm", "garch", "regime")


def fit_regimes(log_returns: np.ndarray, window: int = 20) -> dict[str, np.ndarray]:
    """Two volatility regimes split at the median of the rolling standard deviation.

    Parameters
    ----------
    log_returns : ndarray of shape (n,)
        Finite log returns, at least ``3 * window``.
    window : int
        Rolling window (observations) of the volatility that labels each observation.

    Returns
    -------
    dict
        ``mu`` and ``sd`` (2,): mean and standard deviation per regime (0 calm, 1 volatile);
        ``trans`` (2, 2): the Markov transition matrix of the regime sequence, with add-one smoothing.
    """
    r = np.asarray(log_returns, dtype=np.float64)
    n = r.size
    if n < 3 * window:
        msg = f"the regime model needs at least {3 * window} returns, got {n}; use a longer history or another method"
        raise InputError(msg)
    vol = np.array([r[max(0, i - window + 1) : i + 1].std() for i in range(n)])
    hi = (vol > np.median(vol)).astype(np.int64)
    mu = np.array([r[hi == k].mean() for k in (0, 1)])
    sd = np.array([r[hi == k].std(ddof=1) for k in (0, 1)])
    trans = np.ones((2, 2))
    for a, b in itertools.pairwise(hi):
        trans[a, b] += 1
    trans /= trans.sum(axis=1, keepdims=True)
    return {"mu": mu, "sd": sd, "trans": trans}


def synthetic_returns(model: str, returns: Any, n_paths: int, n_obs: int, *, seed: int = 0) -> np.ndarray:
    """Simple-return paths from a model fitted to an underlying's returns.

    Parameters
    ----------
    model : {"gbm", "garch", "regime"}
        ``gbm``: i.i.d. normal log returns with the sample mean and standard deviation; ``garch``:
        GARCH(1,1) by Gaussian QMLE (:func:`trade2026.sim.fit_garch`, at least 50 returns) simulated
        with normal innovations; ``regime``: the two regimes of :func:`fit_regimes` (at least 60
        returns) with a Markov switch, normal log returns within a regime.
    returns : array-like of shape (n,)
        The underlying's simple returns (NaN entries dropped).
    n_paths, n_obs : int
        Paths to draw and returns per path.
    seed : int

    Returns
    -------
    ndarray of shape (n_paths, n_obs)
        Simple returns.
    """
    from trade2026.sim._garch import fit_garch

    r = np.log1p(as_array(returns, ndim=1))
    r = r[np.isfinite(r)]
    rng = np.random.default_rng(seed)
    if model == "gbm":
        logr = rng.normal(r.mean(), r.std(ddof=1), (n_paths, n_obs))
    elif model == "garch":
        g = fit_garch(r)
        logr = np.vstack([g.simulate(n_obs, rng) for _ in range(n_paths)])
    elif model == "regime":
        fit = fit_regimes(r)
        state = np.empty(n_paths, dtype=np.int64)
        u = np.empty((n_paths, n_obs))
        z = np.empty((n_paths, n_obs))
        for k in range(n_paths):  # each path's draws in turn: its start, switches, innovations
            state[k] = rng.integers(0, 2)
            u[k] = rng.random(n_obs)
            z[k] = rng.standard_normal(n_obs)
        stay = np.diag(fit["trans"])
        logr = np.empty((n_paths, n_obs))
        for t in range(n_obs):  # the chains step together
            logr[:, t] = fit["mu"][state] + fit["sd"][state] * z[:, t]
            state = np.where(u[:, t] < stay[state], state, 1 - state)
    else:
        msg = f"unknown price model {model!r}; use {', '.join(MODELS)}"
        raise InputError(msg)
    return np.expm1(logr)


def bars_from_returns(returns: np.ndarray, ts: Any, symbol: str, start_price: float) -> Any:
    """Canonical bars whose closes follow simple ``returns`` from ``start_price`` (open = previous
    close, high/low = the larger/smaller of the two, volume 1), stamped ``ts``."""
    import polars as pl

    close = start_price * np.cumprod(1.0 + returns)
    open_ = np.concatenate([[start_price], close[:-1]])
    return pl.DataFrame(
        {
            "symbol": symbol,
            "ts": ts,
            "open": open_,
            "high": np.maximum(open_, close),
            "low": np.minimum(open_, close),
            "close": close,
            "volume": np.ones(close.size),
        }
    )
