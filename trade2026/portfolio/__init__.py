"""Portfolio construction: estimators, a registry of methods (riskfolio-lib behind one name each),
rebalancing backtests and efficient frontiers.

riskfolio-lib (and cvxpy) are imported only inside the functions that solve something.
"""

from trade2026.portfolio._blacklitterman import Views, parse_views, posterior
from trade2026.portfolio._constraints import Constraints, Resolved, resolve
from trade2026.portfolio._estimators import (
    COV_ESTIMATORS,
    MEAN_ESTIMATORS,
    covariance,
    denoise_cov,
    expected_returns,
)
from trade2026.portfolio._methods import METHODS, Method, Param, get_method, list_methods
from trade2026.portfolio._optimize import OptimizeResult, optimize, risk_contributions

__all__ = [
    "COV_ESTIMATORS",
    "MEAN_ESTIMATORS",
    "METHODS",
    "Constraints",
    "Method",
    "OptimizeResult",
    "Param",
    "Resolved",
    "Views",
    "covariance",
    "denoise_cov",
    "expected_returns",
    "get_method",
    "list_methods",
    "optimize",
    "parse_views",
    "posterior",
    "resolve",
    "risk_contributions",
]
