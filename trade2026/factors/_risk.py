"""Factor covariance, specific risk and risk/return attribution of a portfolio.

Risk decomposition of a portfolio with weights ``w`` (n_assets,), exposures ``X`` (n_assets,
n_factors), factor covariance ``F`` and specific variances ``d``:

    x = X' w,   var = x' F x + sum_i w_i^2 d_i

and each factor's contribution to total risk is ``x_k (F x)_k / sigma``, which equals the
"x-sigma-rho" product ``x_k * sigma_k * rho(f_k, R_p)`` (Menchero and Davis, "Risk Contribution
Is Exposure Times Volatility Times Correlation", 2011). The contributions and the specific part
``sum_i w_i^2 d_i / sigma`` add up to ``sigma``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trade2026.errors import DataError
from trade2026.factors._linalg import ewma_weights, long_run_covariance, nearest_psd


def factor_covariance(factor_returns: np.ndarray, *, half_life: float | None = 90.0, nw_lags: int = 2) -> np.ndarray:
    """EWMA factor covariance with a Newey-West (Bartlett) adjustment for serial correlation.

    ``factor_returns`` is (n_days, n_factors), oldest first; the result is a daily covariance
    (n_factors, n_factors), made positive semi-definite. ``half_life=None`` weighs days equally.
    """
    f = np.asarray(factor_returns, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        msg = f"factor returns must be (n_days >= 2, n_factors), got shape {f.shape}"
        raise DataError(msg)
    f = f[np.isfinite(f).all(axis=1)]
    if f.shape[0] < 2:
        msg = "fewer than two days with every factor return"
        raise DataError(msg)
    w = ewma_weights(f.shape[0], half_life) if half_life else None
    return nearest_psd(long_run_covariance(f, nw_lags, weights=w))


def specific_variance(specific_returns: np.ndarray, *, half_life: float = 42.0, min_obs: int = 20) -> np.ndarray:
    """EWMA variance (about zero) of each asset's specific returns (n_days, n_assets) -> (n_assets,).

    Gaps are skipped (the weights follow calendar position); assets with fewer than ``min_obs``
    observations get the cross-sectional median.
    """
    e = np.asarray(specific_returns, dtype=np.float64)
    n = e.shape[0]
    w = ewma_weights(n, half_life) if n else np.array([])
    ok = np.isfinite(e)
    wm = np.where(ok, w[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (wm * np.where(ok, e, 0.0) ** 2).sum(axis=0) / wm.sum(axis=0)
    few = ok.sum(axis=0) < min_obs
    var[few] = np.nan
    if np.isfinite(var).any():
        var[few] = np.nanmedian(var)
    return var


@dataclass(frozen=True)
class RiskAttribution:
    """Risk of a portfolio (or of active weights vs a benchmark), daily units unless annualised.

    ``total_risk``, ``factor_risk``, ``specific_risk``: standard deviations (annualised with
    ``periods_per_year``); ``exposures``: factor -> portfolio exposure; ``contributions``: factor ->
    contribution to total risk (same units, sums with ``specific_contribution`` to ``total_risk``);
    ``factor_vol`` and ``correlation``: each factor's volatility and its correlation with the
    portfolio (x-sigma-rho terms).
    """

    total_risk: float
    factor_risk: float
    specific_risk: float
    specific_contribution: float
    exposures: dict[str, float]
    contributions: dict[str, float]
    factor_vol: dict[str, float]
    correlation: dict[str, float]
    active: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_risk": self.total_risk,
            "factor_risk": self.factor_risk,
            "specific_risk": self.specific_risk,
            "specific_contribution": self.specific_contribution,
            "active": self.active,
            "factors": self.rows(),
        }

    def rows(self) -> list[dict[str, Any]]:
        tot = self.total_risk
        return [
            {
                "factor": k,
                "exposure": self.exposures[k],
                "factor_vol": self.factor_vol[k],
                "correlation": self.correlation[k],
                "contribution": self.contributions[k],
                "share": self.contributions[k] / tot if tot > 0 else float("nan"),
            }
            for k in self.exposures
        ]


def risk_attribution(
    weights: np.ndarray,
    exposures: np.ndarray,
    factor_cov: np.ndarray,
    specific_var: np.ndarray,
    *,
    factor_names: list[str] | None = None,
    benchmark: np.ndarray | None = None,
    periods_per_year: float = 252,
) -> RiskAttribution:
    """Decompose the risk of ``weights`` (or of ``weights - benchmark``: active risk and tracking error).

    Parameters
    ----------
    weights, benchmark : (n_assets,) portfolio weights (fractions of capital)
    exposures : (n_assets, n_factors)
    factor_cov : (n_factors, n_factors) daily factor covariance
    specific_var : (n_assets,) daily specific variances
    periods_per_year : annualisation factor for the risks (1 keeps daily units)
    """
    w = np.asarray(weights, dtype=np.float64)
    X = np.asarray(exposures, dtype=np.float64)
    F = np.asarray(factor_cov, dtype=np.float64)
    d = np.asarray(specific_var, dtype=np.float64)
    if benchmark is not None:
        w = w - np.asarray(benchmark, dtype=np.float64)
    n, k = X.shape
    if w.shape != (n,) or d.shape != (n,) or F.shape != (k, k):
        msg = f"shape mismatch: weights {w.shape}, exposures {X.shape}, factor_cov {F.shape}, specific_var {d.shape}"
        raise DataError(msg)
    for name, arr in (("weights", w), ("exposures", X), ("factor covariance", F), ("specific variances", d)):
        if not np.isfinite(arr).all():
            msg = f"{name} contain NaN or infinite values (a held asset without exposures or risk?)"
            raise DataError(msg)
    names = factor_names or [f"f{i}" for i in range(k)]
    x = X.T @ w
    Fx = F @ x
    fvar = float(x @ Fx)
    svar = float(np.sum(w * w * d))
    total_var = fvar + svar
    scale = np.sqrt(periods_per_year)
    sigma = np.sqrt(total_var)
    contrib = x * Fx / sigma if sigma > 0 else np.zeros(k)
    fvol = np.sqrt(np.maximum(np.diag(F), 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(fvol * sigma > 0, Fx / (fvol * sigma), np.nan)
    return RiskAttribution(
        total_risk=float(sigma * scale),
        factor_risk=float(np.sqrt(fvar) * scale),
        specific_risk=float(np.sqrt(svar) * scale),
        specific_contribution=float(svar / sigma * scale) if sigma > 0 else 0.0,
        exposures=dict(zip(names, x.tolist(), strict=True)),
        contributions=dict(zip(names, (contrib * scale).tolist(), strict=True)),
        factor_vol=dict(zip(names, (fvol * scale).tolist(), strict=True)),
        correlation=dict(zip(names, corr.tolist(), strict=True)),
        active=benchmark is not None,
    )


def return_attribution(
    weights: np.ndarray,
    exposures: np.ndarray,
    factor_returns: np.ndarray,
    specific_returns: np.ndarray,
    *,
    factor_names: list[str] | None = None,
) -> dict[str, Any]:
    """Split a fixed-weight portfolio's daily returns into factor and specific parts.

    ``exposures`` (n_days, n_assets, n_factors) are those the model used for each day (known at
    the previous close), ``factor_returns`` (n_days, n_factors), ``specific_returns`` (n_days,
    n_assets), ``weights`` (n_assets,) held (rebalanced daily) over the period. NaN factor returns
    (a factor without data that day) count as zero. Returns arithmetic sums over the period:
    ``{"total", "specific", "factors": {name: contribution}, "days"}``; ``total`` is the sum of
    the parts (= the portfolio's summed daily return on the assets the model covered).
    """
    w = np.asarray(weights, dtype=np.float64)
    X = np.nan_to_num(np.asarray(exposures, dtype=np.float64))
    f = np.nan_to_num(np.asarray(factor_returns, dtype=np.float64))
    u = np.nan_to_num(np.asarray(specific_returns, dtype=np.float64))
    names = factor_names or [f"f{i}" for i in range(f.shape[1])]
    x = np.einsum("tnk,n->tk", X, w)
    contrib = (x * f).sum(axis=0)
    spec = float((u @ w).sum())
    out = dict(zip(names, contrib.tolist(), strict=True))
    return {
        "total": float(contrib.sum() + spec),
        "specific": spec,
        "factors": out,
        "days": int(f.shape[0]),
    }
