"""Statistical factor model: PCA of standardised returns.

The number of factors comes from a target explained variance or from the Marchenko-Pastur upper
edge of the eigenvalue spectrum of a random correlation matrix (Laloux, Cizeau, Bouchaud, Potters,
"Noise dressing of financial correlation matrices", PRL 1999; Marchenko and Pastur 1967).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trade2026.errors import ConfigError, DataError


def marchenko_pastur_edge(n_obs: int, n_assets: int, *, variance: float = 1.0) -> float:
    """Upper edge ``variance * (1 + sqrt(n_assets / n_obs))^2`` of the Marchenko-Pastur law.

    Eigenvalues of the sample correlation matrix of ``n_assets`` independent series observed
    ``n_obs`` times fall below this edge (as both grow); larger ones carry signal.
    """
    if n_obs <= 0 or n_assets <= 0:
        msg = f"n_obs and n_assets must be positive, got {n_obs} and {n_assets}"
        raise ConfigError(msg)
    return float(variance * (1.0 + np.sqrt(n_assets / n_obs)) ** 2)


def tracy_widom_edge(n_obs: int, n_assets: int, *, variance: float = 1.0, quantile: float = 0.9793) -> float:
    """The largest noise eigenvalue's 95% bound: Marchenko-Pastur edge plus a Tracy-Widom margin.

    Johnstone (2001), "On the distribution of the largest eigenvalue in principal components
    analysis", Ann. Statist. 29: for white noise the largest eigenvalue of ``X'X`` is about
    ``mu + sigma * TW1`` with ``mu = (sqrt(n-1) + sqrt(p))^2`` and
    ``sigma = (sqrt(n-1) + sqrt(p)) (1/sqrt(n-1) + 1/sqrt(p))^(1/3)``; 0.9793 is TW1's 95%
    quantile. Scaled here to the eigenvalues of the sample correlation (``X'X / (n-1)``).
    """
    if n_obs <= 1 or n_assets <= 0:
        msg = f"n_obs must be > 1 and n_assets positive, got {n_obs} and {n_assets}"
        raise ConfigError(msg)
    a, b = np.sqrt(n_obs - 1.0), np.sqrt(float(n_assets))
    mu = (a + b) ** 2
    sigma = (a + b) * (1.0 / a + 1.0 / b) ** (1.0 / 3.0)
    return float(variance * (mu + quantile * sigma) / (n_obs - 1.0))


class PCAFactorModel:
    """PCA factor model of asset returns (scikit-learn style).

    Parameters
    ----------
    n_factors : int or None
        Fixed number of factors; None chooses it by ``method``.
    method : {"mp", "variance"}
        "mp": keep the eigenvalues above the Marchenko-Pastur edge. The noise variance is fitted
        as in Laloux et al. (2000): the eigenvalues above the pure-noise edge are taken out of
        the total, the noise variance is the mean of the other eigenvalues, and the edge is
        recomputed once. "variance": the fewest factors whose cumulative explained variance
        reaches ``variance_target``.
    variance_target : float
        Target for method="variance", in (0, 1].
    standardize : bool
        Standardise each asset's returns to unit variance first (PCA of the correlation matrix);
        otherwise PCA of the covariance matrix of demeaned returns.
    tracy_widom : bool
        Add the finite-sample margin to the edge (:func:`tracy_widom_edge`). The asymptotic
        edge is a limit: with the noise variance fitted after removing strong factors, the top
        of a finite noise bulk lands right at it, and noise eigenvalues are counted as factors.
    min_coverage : float
        Assets with fewer than this fraction of days observed are dropped; remaining gaps are
        filled with the asset's mean (zero after standardising).

    Attributes (after ``fit``)
    --------------------------
    n_factors_ : int
    assets_ : list of asset names kept (or their integer positions)
    eigenvalues_ : (n_assets,) all eigenvalues of the correlation (or covariance) matrix, descending
    explained_variance_ratio_ : (n_factors_,)
    components_ : (n_factors_, n_assets) unit eigenvectors, signed so that each sums to >= 0
    loadings_ : (n_assets, n_factors_) loadings in return units: ``returns - mean ~= factor_returns_ @ loadings_.T``
    factor_returns_ : (n_obs, n_factors_) factor scores ``z @ components_.T`` (z: standardised or demeaned returns)
    specific_returns_ : (n_obs, n_assets) ``returns - mean - factor_returns_ @ loadings_.T`` (NaN where missing)
    mp_edge_ : float, the edge with the fitted noise variance; noise_variance_ : float
    mean_, scale_ : (n_assets,) per-asset mean and standard deviation used
    """

    def __init__(
        self,
        *,
        n_factors: int | None = None,
        method: str = "mp",
        variance_target: float = 0.5,
        standardize: bool = True,
        tracy_widom: bool = True,
        min_coverage: float = 0.9,
    ) -> None:
        self.tracy_widom = tracy_widom
        self.n_factors = n_factors
        self.method = method
        self.variance_target = variance_target
        self.standardize = standardize
        self.min_coverage = min_coverage

    def _check(self) -> None:
        if self.method not in {"mp", "variance"}:
            msg = f"method must be 'mp' or 'variance', got {self.method!r}"
            raise ConfigError(msg)
        if not 0.0 < self.variance_target <= 1.0:
            msg = f"variance_target must be in (0, 1], got {self.variance_target}"
            raise ConfigError(msg)
        if self.n_factors is not None and self.n_factors < 1:
            msg = f"n_factors must be >= 1, got {self.n_factors}"
            raise ConfigError(msg)
        if not 0.0 <= self.min_coverage <= 1.0:
            msg = f"min_coverage must be in [0, 1], got {self.min_coverage}"
            raise ConfigError(msg)

    def fit(self, returns: Any, assets: list[str] | None = None) -> PCAFactorModel:
        """Fit on ``returns`` of shape (n_obs, n_assets) (numpy, pandas or polars wide frame)."""
        self._check()
        r, names = _as_matrix(returns, assets)
        coverage = np.isfinite(r).mean(axis=0)
        keep = coverage >= self.min_coverage
        if keep.sum() < 2:
            msg = (
                f"PCA needs at least 2 assets observed on {self.min_coverage:.0%} of days; "
                f"{int(keep.sum())} are. Lower min_coverage or use a shorter window."
            )
            raise DataError(msg)
        r = r[:, keep]
        names = [n for n, k in zip(names, keep, strict=True) if k]
        n_obs, n_assets = r.shape
        if n_obs < 3:
            msg = f"PCA needs at least 3 observations, got {n_obs}"
            raise DataError(msg)
        mean = np.nanmean(r, axis=0)
        scale = np.nanstd(r, axis=0, ddof=1) if self.standardize else np.ones(n_assets)
        if np.any(~(scale > 0)):
            bad = [n for n, s in zip(names, scale, strict=True) if not s > 0][:5]
            msg = f"assets with constant returns cannot be standardised: {bad}"
            raise DataError(msg)
        z = np.where(np.isfinite(r), (r - mean) / scale, 0.0)
        _, s, vt = np.linalg.svd(z, full_matrices=False)
        eig = s**2 / (n_obs - 1)
        full = np.zeros(n_assets)
        full[: eig.size] = eig
        total = eig.sum()
        edge, noise = self._mp_edge(full, n_obs, n_assets)
        if self.n_factors is not None:
            k = min(self.n_factors, eig.size)
        elif self.method == "mp":
            k = max(1, int((full > edge).sum()))
        else:
            cum = np.cumsum(eig) / total
            k = int(np.searchsorted(cum, self.variance_target - 1e-12) + 1)
        k = min(k, eig.size)
        comps = vt[:k].copy()
        signs = np.where(comps.sum(axis=1) < 0, -1.0, 1.0)
        comps *= signs[:, None]
        f = z @ comps.T
        loadings = comps.T * scale[:, None]
        spec = np.where(np.isfinite(r), r - mean - f @ loadings.T, np.nan)
        self.assets_ = names
        self.n_factors_ = k
        self.eigenvalues_ = full
        self.explained_variance_ratio_ = eig[:k] / total
        self.components_ = comps
        self.loadings_ = loadings
        self.factor_returns_ = f
        self.specific_returns_ = spec
        self.mp_edge_ = edge
        self.noise_variance_ = noise
        self.mean_ = mean
        self.scale_ = scale
        return self

    def _mp_edge(self, eig: np.ndarray, n_obs: int, n_assets: int) -> tuple[float, float]:
        # Pass 1: the edge of pure noise (variance = mean eigenvalue, 1 for correlations).
        total = eig.sum()
        var = total / n_assets
        edge = self._edge(n_obs, n_assets, var)
        k = int((eig > edge).sum())
        if 0 < k < n_assets:
            # Pass 2: the signal eigenvalues are not noise, so the noise variance is the mean of
            # the others (Laloux et al. 2000 take sigma^2 = 1 - lambda_max / N). One refinement
            # only: iterating lets the edge slide into the bulk.
            var = (total - eig[:k].sum()) / (n_assets - k)
            edge = self._edge(n_obs, n_assets, var)
        return float(edge), float(var)

    def _edge(self, n_obs: int, n_assets: int, var: float) -> float:
        if not self.tracy_widom:
            return marchenko_pastur_edge(n_obs, n_assets, variance=var)
        return tracy_widom_edge(n_obs, n_assets, variance=var)

    def transform(self, returns: Any) -> np.ndarray:
        """Factor scores of new returns (n_obs, n_assets in ``assets_`` order)."""
        r, _ = _as_matrix(returns, None)
        z = np.where(np.isfinite(r), (r - self.mean_) / self.scale_, 0.0)
        return np.asarray(z @ self.components_.T)


def _as_matrix(returns: Any, assets: list[str] | None) -> tuple[np.ndarray, list[str]]:
    cols = getattr(returns, "columns", None)
    if cols is not None:
        names = [str(c) for c in cols]
        arr = returns.to_numpy() if hasattr(returns, "to_numpy") else np.asarray(returns)
    else:
        arr = np.asarray(returns)
        names = list(assets) if assets is not None else [str(i) for i in range(arr.shape[1])]
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim != 2:
        msg = f"returns must be 2-D (n_obs, n_assets), got shape {arr.shape}"
        raise DataError(msg)
    if assets is not None and len(assets) != arr.shape[1]:
        msg = f"{len(assets)} asset names for {arr.shape[1]} columns"
        raise DataError(msg)
    if assets is not None:
        names = list(assets)
    return arr, names
