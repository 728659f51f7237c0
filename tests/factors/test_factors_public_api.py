"""The public names of trade2026.factors are pinned: changing them is a deliberate act."""

import trade2026.factors as factors


def test_public_names():
    assert factors.__all__ == sorted(factors.__all__, key=lambda s: (not s.isupper(), s))
    assert set(factors.__all__) == {
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
        "AttributionReport",
        "EvaluationReport",
        "FamaMacBethReport",
        "PCAReport",
        "RegressionReport",
        "StyleReport",
        "attribution_report",
        "design_cube",
        "evaluation_report",
        "factor_stats",
        "fmb_report",
        "long_factor_returns",
        "pca_report",
        "regression_report",
        "stored_design",
        "style_report",
        "write_factor_returns",
    }
    for name in factors.__all__:
        assert getattr(factors, name) is not None
