"""Batched cross-sectional WLS, Newey-West and EWMA covariances over numpy panels.

A panel is a dense ``(n_days, n_assets)`` array with NaN where an asset has no value on a day;
exposures are ``(n_days, n_assets, n_factors)``. Every day's regression is solved at once with
batched matrix products, in chunks of days to bound memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trade2026.errors import DataError

_CHUNK_CELLS = 4_000_000  # days * assets * factors per chunk (~32 MB of float64)


@dataclass(frozen=True)
class BatchedWLS:
    """Per-day WLS results.

    ``coef`` (n_days, n_factors), NaN on skipped days and for factors with no data on a day;
    ``resid`` (n_days, n_assets) residuals ``y - X @ coef`` (NaN where an asset was not used);
    ``fitted_ok`` (n_days,) bool; ``n_obs`` (n_days,) assets used; ``r2`` (n_days,) weighted R^2
    (uncentred when ``has_constant`` is false); ``skipped_few`` / ``skipped_singular`` count the days
    skipped for too few assets and for singular exposures.
    """

    coef: np.ndarray
    resid: np.ndarray
    fitted_ok: np.ndarray
    n_obs: np.ndarray
    r2: np.ndarray
    skipped_few: int
    skipped_singular: int


def batched_wls(
    y: np.ndarray,
    X: np.ndarray,
    w: np.ndarray | None = None,
    *,
    constraint: np.ndarray | None = None,
    min_obs: int | None = None,
    max_cond: float = 1e10,
    has_constant: bool = True,
) -> BatchedWLS:
    """Solve ``min sum_i w_i (y_i - x_i' b)^2`` for every day at once.

    Parameters
    ----------
    y : ndarray of shape (n_days, n_assets)
        Dependent values (e.g. simple returns); NaN = missing.
    X : ndarray of shape (n_days, n_assets, n_factors)
        Regressors; an asset with any NaN regressor is left out of that day's regression.
    w : ndarray of shape (n_days, n_assets), optional
        Positive regression weights (inverse residual variance); missing or <= 0 leaves the asset
        out. Equal weights when omitted.
    constraint : ndarray of shape (n_days, n_factors), optional
        A linear restriction ``a_t' b_t = 0`` per day (e.g. cap-weighted sector returns sum to
        zero). It is imposed exactly by reparametrising around the factor with the largest
        ``|a_t|``; factors with ``a_t = 0`` are unrestricted.
    min_obs : int, optional
        Fewest assets a day needs (default: number of free parameters + 1).
    max_cond : float
        Days whose (diagonally scaled) normal matrix has a larger condition number are skipped as
        singular. A factor whose column is all zero on a day (e.g. an empty sector) is not a
        singularity: its coefficient is NaN that day.
    """
    y = np.asarray(y, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if y.ndim != 2 or X.ndim != 3 or X.shape[:2] != y.shape:
        msg = f"y must be (days, assets) and X (days, assets, factors); got {y.shape} and {X.shape}"
        raise DataError(msg)
    n_days, n_assets, k = X.shape
    if w is None:
        w = np.ones_like(y)
    w = np.asarray(w, dtype=np.float64)
    coef = np.full((n_days, k), np.nan)
    resid = np.full((n_days, n_assets), np.nan)
    ok = np.zeros(n_days, dtype=bool)
    n_obs = np.zeros(n_days, dtype=np.int64)
    r2 = np.full(n_days, np.nan)
    k_free = k - (1 if constraint is not None else 0)
    need = k_free + 1 if min_obs is None else max(min_obs, k_free)
    few = singular = 0
    step = max(1, _CHUNK_CELLS // max(1, n_assets * k))
    for lo in range(0, n_days, step):
        hi = min(n_days, lo + step)
        c = None if constraint is None else np.asarray(constraint[lo:hi], dtype=np.float64)
        out = _solve_chunk(y[lo:hi], X[lo:hi], w[lo:hi], c, need, max_cond, has_constant)
        coef[lo:hi], resid[lo:hi], ok[lo:hi], n_obs[lo:hi], r2[lo:hi], f, s = out
        few += f
        singular += s
    return BatchedWLS(coef, resid, ok, n_obs, r2, few, singular)


def _solve_chunk(
    y: np.ndarray,
    X: np.ndarray,
    w: np.ndarray,
    a: np.ndarray | None,
    need: int,
    max_cond: float,
    has_constant: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    t, _, k = X.shape
    valid = np.isfinite(y) & np.isfinite(X).all(axis=2) & np.isfinite(w) & (w > 0)
    wv = np.where(valid, w, 0.0)
    yv = np.where(valid, y, 0.0)
    Xv = np.where(valid[:, :, None], X, 0.0)
    n_obs = valid.sum(axis=1)
    Xw = Xv * wv[:, :, None]
    A = np.matmul(Xw.transpose(0, 2, 1), Xv)  # (t, k, k)
    b = np.einsum("tnk,tn->tk", Xw, yv)
    diag = np.einsum("tkk->tk", A)
    empty = diag <= 0.0  # factor with no data on this day
    if a is not None:
        # Reparametrise b = R g with R (k x k-1): the reference factor is -sum(a_j g_j)/a_ref.
        a = np.where(empty, 0.0, a)
        ref = np.argmax(np.abs(a), axis=1)
        a_ref = a[np.arange(t), ref]
        bad_ref = a_ref == 0.0
        a_ref = np.where(bad_ref, 1.0, a_ref)
        R = np.zeros((t, k, k))
        R[:, np.arange(k), np.arange(k)] = 1.0
        R[np.arange(t), ref, :] = -a / a_ref[:, None]
        R[np.arange(t), ref, ref] = 0.0
        # Drop the reference column by moving it to be all-zero, then treat it like an empty factor.
        A = np.matmul(np.matmul(R.transpose(0, 2, 1), A), R)
        b = np.einsum("tkj,tk->tj", R, b)
        diag = np.einsum("tkk->tk", A)
        free_empty = diag <= 0.0
        free_empty[np.arange(t), ref] = True
    else:
        R = None
        bad_ref = np.zeros(t, dtype=bool)
        free_empty = empty
    # Empty columns get a unit diagonal so the system stays solvable; their coefficient is 0.
    idx = np.arange(k)
    A = A.copy()
    A[:, idx, idx] = np.where(free_empty, 1.0, A[:, idx, idx])
    b = np.where(free_empty, 0.0, b)
    d = np.sqrt(np.einsum("tkk->tk", A))
    S = A / (d[:, :, None] * d[:, None, :])
    n_free = (~free_empty).sum(axis=1)
    few_mask = (n_obs < need) | (n_obs <= n_free) | bad_ref
    sv = np.linalg.svd(S, compute_uv=False)
    cond = sv[:, 0] / np.maximum(sv[:, -1], 1e-300)
    sing_mask = ~few_mask & ~(cond < max_cond)
    ok = ~few_mask & ~sing_mask
    coef = np.full((t, k), np.nan)
    resid = np.full(y.shape, np.nan)
    r2 = np.full(t, np.nan)
    if ok.any():
        Sok = S[ok]
        g = np.linalg.solve(Sok, (b[ok] / d[ok])[:, :, None])[:, :, 0] / d[ok]
        beta = np.einsum("tkj,tj->tk", R[ok], g) if R is not None else g
        beta = np.where(empty[ok], np.nan, beta)
        coef[ok] = beta
        fitted = np.einsum("tnk,tk->tn", Xv[ok], np.nan_to_num(beta))
        e = np.where(valid[ok], yv[ok] - fitted, np.nan)
        resid[ok] = e
        wo = wv[ok]
        sse = np.nansum(wo * np.nan_to_num(e) ** 2, axis=1)
        yo = yv[ok]
        if has_constant:
            mean = (wo * yo).sum(axis=1) / np.maximum(wo.sum(axis=1), 1e-300)
            tss = (wo * (yo - mean[:, None]) ** 2 * valid[ok]).sum(axis=1)
        else:
            tss = (wo * yo**2).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2[ok] = np.where(tss > 0, 1.0 - sse / tss, np.nan)
    return coef, resid, ok, n_obs, r2, int(few_mask.sum()), int(sing_mask.sum())


def bartlett_weights(lags: int) -> np.ndarray:
    """Newey-West (Bartlett) weights ``1 - l/(lags+1)`` for lags 0..lags."""
    return 1.0 - np.arange(lags + 1) / (lags + 1)


def newey_west_lags(n_obs: int) -> int:
    """Newey and West's (1994) rule of thumb ``floor(4 (n/100)^(2/9))``."""
    return int(np.floor(4.0 * (n_obs / 100.0) ** (2.0 / 9.0)))


def long_run_covariance(z: np.ndarray, lags: int, *, weights: np.ndarray | None = None) -> np.ndarray:
    """Bartlett-kernel long-run covariance of the rows of ``z`` (n_obs, k) about their mean.

    ``Gamma_0 + sum_l (1 - l/(L+1)) (Gamma_l + Gamma_l')`` where ``Gamma_l`` averages
    ``(z_t - mu)(z_{t-l} - mu)'``; with ``weights`` (n_obs,) the averages are weighted
    (EWMA), otherwise each ``Gamma_l`` is divided by ``n_obs``.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 1:
        z = z[:, None]
    n = z.shape[0]
    if weights is None:
        wt = np.full(n, 1.0 / n)
    else:
        wt = np.asarray(weights, dtype=np.float64)
        wt = wt / wt.sum()
    mu = wt @ z
    e = z - mu
    kern = bartlett_weights(lags)
    s = (e * wt[:, None]).T @ e
    for lag in range(1, min(lags, n - 1) + 1):
        g = (e[lag:] * wt[lag:, None]).T @ e[:-lag]
        s += kern[lag] * (g + g.T)
    return s


def ewma_weights(n_obs: int, half_life: float) -> np.ndarray:
    """Exponential weights for ``n_obs`` observations, the newest last, summing to one."""
    lam = 0.5 ** (1.0 / half_life)
    w = lam ** np.arange(n_obs - 1, -1, -1, dtype=np.float64)
    return w / w.sum()


def nearest_psd(cov: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Clip a symmetric matrix's eigenvalues at ``floor`` (Newey-West sums can dip below zero)."""
    sym = 0.5 * (cov + cov.T)
    vals, vecs = np.linalg.eigh(sym)
    if vals.min() >= floor:
        return sym
    vals = np.maximum(vals, floor)
    return (vecs * vals) @ vecs.T
