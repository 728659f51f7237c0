"""Expected-return and covariance estimators over a returns matrix.

Every estimator takes returns of shape (n_obs, n_assets) (simple or log returns, one row per period)
and gives per-period moments: a mean vector of shape (n_assets,) or a covariance of shape
(n_assets, n_assets). Annualising is the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trade2026.errors import ConfigError, DataError

# ----------------------------------------------------------------------------------------------
# expected returns


def mean_hist(x: np.ndarray) -> np.ndarray:
    """The sample mean of each column."""
    return np.asarray(x, dtype=float).mean(axis=0)


def mean_ewma(x: np.ndarray, *, halflife: float = 63.0) -> np.ndarray:
    """Exponentially weighted mean, the newest row weighted most (``halflife`` in rows)."""
    x = np.asarray(x, dtype=float)
    w = _ewma_weights(x.shape[0], halflife)
    return w @ x


def mean_james_stein(x: np.ndarray) -> np.ndarray:
    """James-Stein shrinkage of the sample mean towards the grand mean.

    The shrinkage intensity is ``a = (N * mean(l) - 2 * max(l)) / (T * |mu - b|^2)`` with ``l`` the
    eigenvalues of the sample covariance and ``b`` the cross-sectional average of ``mu`` (Meucci,
    *Risk and Asset Allocation*, 2005, sec. 4.3), clipped to [0, 1] (the positive-part estimator).
    """
    x = np.asarray(x, dtype=float)
    t, n = x.shape
    mu = x.mean(axis=0)
    target = np.full(n, mu.mean())
    gap = float((mu - target) @ (mu - target))
    if n < 3 or gap == 0.0:
        return mu
    eig = np.linalg.eigvalsh(np.cov(x, rowvar=False))
    a = (n * eig.mean() - 2.0 * eig.max()) / (t * gap)
    a = float(np.clip(a, 0.0, 1.0))
    return (1.0 - a) * mu + a * target


# ----------------------------------------------------------------------------------------------
# covariance


def cov_sample(x: np.ndarray) -> np.ndarray:
    """The unbiased sample covariance."""
    return np.atleast_2d(np.cov(np.asarray(x, dtype=float), rowvar=False))


def cov_ewma(x: np.ndarray, *, halflife: float = 63.0) -> np.ndarray:
    """Exponentially weighted covariance around the weighted mean (``halflife`` in rows)."""
    x = np.asarray(x, dtype=float)
    w = _ewma_weights(x.shape[0], halflife)
    d = x - w @ x
    cov = (d * w[:, None]).T @ d
    return cov / (1.0 - float(w @ w))  # unbiased for reliability weights


def cov_ledoit_wolf(x: np.ndarray) -> np.ndarray:
    """Ledoit-Wolf (2004) shrinkage towards a scaled identity (scikit-learn's estimator)."""
    from sklearn.covariance import LedoitWolf

    return np.asarray(LedoitWolf().fit(np.asarray(x, dtype=float)).covariance_)


def cov_oas(x: np.ndarray) -> np.ndarray:
    """Oracle approximating shrinkage (Chen, Wiesel, Eldar, Hero 2010; scikit-learn's estimator)."""
    from sklearn.covariance import OAS

    return np.asarray(OAS().fit(np.asarray(x, dtype=float)).covariance_)


def cov_denoised(x: np.ndarray, *, bandwidth: float = 0.01) -> np.ndarray:
    """Sample covariance denoised with the constant residual eigenvalue method.

    The sample correlation's eigenvalues below the Marchenko-Pastur edge (fitted to the
    eigenvalue density by a Gaussian KDE of width ``bandwidth``) are replaced by their average;
    the result is rescaled to a correlation and back to the sample variances (Lopez de Prado,
    *Machine Learning for Asset Managers*, 2020, sec. 2.5).
    """
    x = np.asarray(x, dtype=float)
    return denoise_cov(cov_sample(x), x.shape[0] / x.shape[1], bandwidth=bandwidth)


def cov_detoned(x: np.ndarray, *, bandwidth: float = 0.01, market_components: int = 1) -> np.ndarray:
    """Denoised covariance with the ``market_components`` largest eigen-components removed.

    MLAM sec. 2.6: the detoned correlation is rescaled to unit diagonal. It is singular by
    construction (good for clustering, hrp/herc/nco); a ridge of 1e-6 of the mean variance keeps
    it invertible for the solver-based methods.
    """
    x = np.asarray(x, dtype=float)
    cov = denoise_cov(cov_sample(x), x.shape[0] / x.shape[1], bandwidth=bandwidth, detone=market_components)
    return cov + np.eye(cov.shape[0]) * 1e-6 * float(np.mean(np.diag(cov)))


def mp_pdf(var: float, q: float, pts: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """The Marchenko-Pastur density of eigenvalues for noise variance ``var`` and ``q = T/N``."""
    lo = var * (1 - (1.0 / q) ** 0.5) ** 2
    hi = var * (1 + (1.0 / q) ** 0.5) ** 2
    ev = np.linspace(lo, hi, pts)
    pdf = q / (2 * np.pi * var * ev) * np.sqrt(np.clip((hi - ev) * (ev - lo), 0.0, None))
    return ev, pdf


def _kde(obs: np.ndarray, at: np.ndarray, bandwidth: float) -> np.ndarray:
    z = (at[:, None] - obs[None, :]) / bandwidth
    return np.exp(-0.5 * z * z).sum(axis=1) / (len(obs) * bandwidth * np.sqrt(2 * np.pi))


def mp_edge(eigenvalues: np.ndarray, q: float, *, bandwidth: float = 0.01) -> tuple[float, float]:
    """Fit the Marchenko-Pastur noise variance; return ``(largest noise eigenvalue, variance)``."""
    from scipy.optimize import minimize

    ev = np.asarray(eigenvalues, dtype=float)

    def sse(v: np.ndarray) -> float:
        at, pdf0 = mp_pdf(float(v[0]), q)
        return float(np.sum((_kde(ev, at, bandwidth) - pdf0) ** 2))

    out = minimize(sse, np.array([0.5]), bounds=((1e-5, 1 - 1e-5),))
    var = float(out.x[0]) if out.success else 1.0
    return var * (1 + (1.0 / q) ** 0.5) ** 2, var


def denoise_cov(cov: np.ndarray, q: float, *, bandwidth: float = 0.01, detone: int = 0) -> np.ndarray:
    """Denoise (and optionally detone) a covariance; ``q`` is n_obs / n_assets."""
    cov = np.asarray(cov, dtype=float)
    std = np.sqrt(np.diag(cov))
    corr = cov / np.outer(std, std)
    val, vec = np.linalg.eigh(corr)
    order = np.argsort(val)[::-1]
    val, vec = val[order], vec[:, order]
    edge, _ = mp_edge(val, q, bandwidth=bandwidth)
    n_facts = int(np.sum(val > edge))
    n = len(val)
    if n_facts < n:
        val = val.copy()
        val[n_facts:] = val[n_facts:].sum() / (n - n_facts)
    c1 = _to_corr((vec * val) @ vec.T)
    if detone:
        if detone >= n:
            msg = f"cannot remove {detone} market components from {n} assets"
            raise ConfigError(msg)
        val1, vec1 = np.linalg.eigh(c1)
        order = np.argsort(val1)[::-1][:detone]
        c1 = c1 - (vec1[:, order] * val1[order]) @ vec1[:, order].T
        c1 = _to_corr(c1)
    return c1 * np.outer(std, std)


def _to_corr(m: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.clip(np.diag(m), 1e-300, None))
    c = m / np.outer(d, d)
    np.fill_diagonal(c, 1.0)
    return (c + c.T) / 2


def _ewma_weights(n: int, halflife: float) -> np.ndarray:
    if halflife <= 0:
        msg = f"halflife must be positive, got {halflife}"
        raise ConfigError(msg)
    w = 0.5 ** (np.arange(n)[::-1] / halflife)
    return w / w.sum()


# ----------------------------------------------------------------------------------------------
# registries

MEAN_ESTIMATORS: dict[str, Callable[..., np.ndarray]] = {
    "hist": mean_hist,
    "ewma": mean_ewma,
    "james_stein": mean_james_stein,
}
COV_ESTIMATORS: dict[str, Callable[..., np.ndarray]] = {
    "sample": cov_sample,
    "ewma": cov_ewma,
    "ledoit_wolf": cov_ledoit_wolf,
    "oas": cov_oas,
    "denoised": cov_denoised,
    "detoned": cov_detoned,
}


def expected_returns(x: Any, *, method: str = "hist", **params: Any) -> np.ndarray:
    """Per-period expected returns of shape (n_assets,) by a named estimator.

    ``method``: ``hist`` (sample mean), ``ewma`` (``halflife`` rows, default 63) or
    ``james_stein`` (shrinkage towards the grand mean).
    """
    fn = _pick(MEAN_ESTIMATORS, method, "expected-return estimator")
    return fn(_matrix(x), **params)


def covariance(x: Any, *, method: str = "ledoit_wolf", **params: Any) -> np.ndarray:
    """Per-period covariance of shape (n_assets, n_assets) by a named estimator.

    ``method``: ``sample``, ``ewma`` (``halflife``), ``ledoit_wolf``, ``oas``, ``denoised``
    (``bandwidth``), ``detoned`` (``bandwidth``, ``market_components``).
    """
    fn = _pick(COV_ESTIMATORS, method, "covariance estimator")
    x = _matrix(x)
    if x.shape[0] < 2:
        msg = f"need at least 2 return rows to estimate a covariance, got {x.shape[0]}"
        raise DataError(msg)
    cov = fn(x, **params)
    return (cov + cov.T) / 2


def _pick(table: dict[str, Callable[..., np.ndarray]], name: str, what: str) -> Callable[..., np.ndarray]:
    if name not in table:
        msg = f"unknown {what} {name!r}; choose one of {', '.join(table)}"
        raise ConfigError(msg)
    return table[name]


def _matrix(x: Any) -> np.ndarray:
    if hasattr(x, "to_numpy"):
        x = x.to_numpy()
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        msg = f"returns must be 2-D (n_obs, n_assets), got shape {arr.shape}"
        raise DataError(msg)
    if not np.isfinite(arr).all():
        msg = "returns contain NaN or inf; align the panel on common dates first"
        raise DataError(msg)
    return arr
