"""Factor models: PCA and Barra-like style models, Fama-MacBeth, risk attribution, factor evaluation.

- :class:`PCAFactorModel`: statistical factors of standardised returns; the count from explained
  variance or the Marchenko-Pastur edge (:func:`marchenko_pastur_edge`).
- :class:`StyleFactorModel`: daily cross-sectional WLS of returns on a market intercept, sector
  dummies and standardised style exposures (beta, momentum, reversal, volatility, liquidity, size);
  EWMA + Newey-West factor covariance, EWMA specific risk.
- :func:`fama_macbeth`, :func:`time_series_regression`: Newey-West inference.
- :func:`risk_attribution`, :func:`return_attribution`: x-sigma-rho risk decomposition, active risk.
- :func:`evaluate_factor`: alphalens-style IC, quantile returns, spread, turnover, IC decay.
- :func:`batched_wls`: the per-day WLS kernel under the style model.
"""

from trade2026.factors._evaluate import (
    FactorEvaluation,
    evaluate_factor,
    factor_rank_autocorrelation,
    forward_returns,
    plot_evaluation,
    quantile_turnover,
    quantize,
    rank_ic,
)
from trade2026.factors._linalg import BatchedWLS, batched_wls, long_run_covariance, newey_west_lags
from trade2026.factors._pca import PCAFactorModel, marchenko_pastur_edge, tracy_widom_edge
from trade2026.factors._regression import (
    FamaMacBethResult,
    TimeSeriesRegression,
    fama_macbeth,
    time_series_regression,
)
from trade2026.factors._risk import (
    RiskAttribution,
    factor_covariance,
    return_attribution,
    risk_attribution,
    specific_variance,
)
from trade2026.factors._style import (
    ALL_STYLE_FACTORS,
    STYLE_FACTORS,
    StyleFactorModel,
    StyleResult,
    standardize_exposures,
)

__all__ = [
    "ALL_STYLE_FACTORS",
    "STYLE_FACTORS",
    "BatchedWLS",
    "FactorEvaluation",
    "FamaMacBethResult",
    "PCAFactorModel",
    "RiskAttribution",
    "StyleFactorModel",
    "StyleResult",
    "TimeSeriesRegression",
    "batched_wls",
    "evaluate_factor",
    "factor_covariance",
    "factor_rank_autocorrelation",
    "fama_macbeth",
    "forward_returns",
    "long_run_covariance",
    "marchenko_pastur_edge",
    "newey_west_lags",
    "plot_evaluation",
    "quantile_turnover",
    "quantize",
    "rank_ic",
    "return_attribution",
    "risk_attribution",
    "specific_variance",
    "standardize_exposures",
    "time_series_regression",
    "tracy_widom_edge",
]
