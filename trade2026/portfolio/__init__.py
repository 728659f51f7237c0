"""Portfolio construction: estimators, a registry of methods (riskfolio-lib behind one name each),
rebalancing backtests and efficient frontiers.

``optimize_report``, ``backtest_report`` and ``frontier_report`` run them over the lake (what
``t26 portfolio`` does; their ``to_dict()`` is its ``--json``); ``parse_weights`` reads weights given
as ``SYM=w,...``, a JSON file, ``latest`` or ``equal`` wherever a command takes them.

riskfolio-lib (and cvxpy) are imported only inside the functions that solve something.
"""

from trade2026.portfolio._backtest import PortfolioBacktest, backtest, metrics_table, parse_methods, plot_backtest
from trade2026.portfolio._blacklitterman import Views, parse_views, posterior
from trade2026.portfolio._constraints import Constraints, Resolved, resolve
from trade2026.portfolio._estimators import (
    COV_ESTIMATORS,
    MEAN_ESTIMATORS,
    covariance,
    denoise_cov,
    expected_returns,
)
from trade2026.portfolio._frontier import Frontier, efficient_frontier, plot_frontier
from trade2026.portfolio._inputs import (
    ReturnsWindow,
    load_groups,
    load_prices,
    load_returns,
    returns_window,
    to_returns,
)
from trade2026.portfolio._methods import METHODS, Method, Param, get_method, list_methods
from trade2026.portfolio._optimize import OptimizeResult, optimize, risk_contributions
from trade2026.portfolio._reports import (
    BacktestReport,
    FrontierReport,
    OptimizeReport,
    backtest_report,
    complete_constraints,
    frontier_report,
    optimize_report,
)
from trade2026.portfolio._weights import parse_pairs, parse_weights

__all__ = [
    "COV_ESTIMATORS",
    "MEAN_ESTIMATORS",
    "METHODS",
    "BacktestReport",
    "Constraints",
    "Frontier",
    "FrontierReport",
    "Method",
    "OptimizeReport",
    "OptimizeResult",
    "Param",
    "PortfolioBacktest",
    "Resolved",
    "ReturnsWindow",
    "Views",
    "backtest",
    "backtest_report",
    "complete_constraints",
    "covariance",
    "denoise_cov",
    "efficient_frontier",
    "expected_returns",
    "frontier_report",
    "get_method",
    "list_methods",
    "load_groups",
    "load_prices",
    "load_returns",
    "metrics_table",
    "optimize",
    "optimize_report",
    "parse_methods",
    "parse_pairs",
    "parse_views",
    "parse_weights",
    "plot_backtest",
    "plot_frontier",
    "posterior",
    "resolve",
    "returns_window",
    "risk_contributions",
    "to_returns",
]
