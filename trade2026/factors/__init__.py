"""Factor models: PCA and Barra-like style models, Fama-MacBeth, risk attribution, factor evaluation.

- :class:`PCAFactorModel`: statistical factors of standardised returns; the count from explained
  variance or the Marchenko-Pastur edge (:func:`marchenko_pastur_edge`).
- :class:`StyleFactorModel`: daily cross-sectional WLS of returns on a market intercept, sector
  dummies and standardised style exposures (beta, momentum, reversal, volatility, liquidity, size);
  EWMA + Newey-West factor covariance, EWMA specific risk.
- :func:`fama_macbeth`, :func:`time_series_regression`: Newey-West inference.
- :func:`risk_attribution`, :func:`return_attribution`: x-sigma-rho risk decomposition, active risk.
- :func:`evaluate_factor`: alphalens-style IC, quantile returns, spread, turnover, IC decay.
- :func:`batched_wls`: the per-day WLS kernel under the style model; :func:`design_cube` its regressors.
- Workflows over the lake (what ``t26 factors`` runs; each report's ``to_dict()`` is the command's
  ``--json`` and ``save(lake)`` writes its tables): :func:`pca_report`, :func:`style_report`,
  :func:`fmb_report`, :func:`attribution_report`, :func:`evaluation_report`, :func:`regression_report`.
"""

from trade2026.factors._attribution import AttributionReport, attribution_report, stored_design
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
from trade2026.factors._reports import (
    EvaluationReport,
    FamaMacBethReport,
    PCAReport,
    RegressionReport,
    StyleReport,
    evaluation_report,
    factor_stats,
    fmb_report,
    long_factor_returns,
    pca_report,
    regression_report,
    style_report,
    write_factor_returns,
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
    design_cube,
    standardize_exposures,
)

__all__ = [
    "ALL_STYLE_FACTORS",
    "STYLE_FACTORS",
    "AttributionReport",
    "BatchedWLS",
    "EvaluationReport",
    "FactorEvaluation",
    "FamaMacBethReport",
    "FamaMacBethResult",
    "PCAFactorModel",
    "PCAReport",
    "RegressionReport",
    "RiskAttribution",
    "StyleFactorModel",
    "StyleReport",
    "StyleResult",
    "TimeSeriesRegression",
    "attribution_report",
    "batched_wls",
    "design_cube",
    "evaluate_factor",
    "evaluation_report",
    "factor_covariance",
    "factor_rank_autocorrelation",
    "factor_stats",
    "fama_macbeth",
    "fmb_report",
    "forward_returns",
    "long_factor_returns",
    "long_run_covariance",
    "marchenko_pastur_edge",
    "newey_west_lags",
    "pca_report",
    "plot_evaluation",
    "quantile_turnover",
    "quantize",
    "rank_ic",
    "regression_report",
    "return_attribution",
    "risk_attribution",
    "specific_variance",
    "standardize_exposures",
    "stored_design",
    "style_report",
    "time_series_regression",
    "tracy_widom_edge",
    "write_factor_returns",
]
