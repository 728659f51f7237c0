"""Backtesting: strategies, the numba fill engine, sweeps, walk-forward, statistics and reports.

Sharpe ratios passed to the PSR/DSR/MinTRL family are per observation and kurtosis is Pearson
(normal = 3), as in Bailey and Lopez de Prado's papers.
"""

from trade2026.backtest._engine import BacktestConfig, BacktestResult, run_backtest
from trade2026.backtest._stats import (
    PBOResult,
    bootstrap_ci,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    max_drawdown,
    min_track_record_length,
    moments,
    optimal_block_length,
    pbo,
    probabilistic_sharpe_ratio,
    returns_metrics,
    sharpe_ratio,
)
from trade2026.backtest._strategies import (
    STRATEGIES,
    describe_strategies,
    parse_grid,
    parse_strategy,
    strategy_positions,
)

__all__ = [
    "STRATEGIES",
    "BacktestConfig",
    "BacktestResult",
    "PBOResult",
    "bootstrap_ci",
    "deflated_sharpe_ratio",
    "describe_strategies",
    "expected_max_sharpe",
    "max_drawdown",
    "min_track_record_length",
    "moments",
    "optimal_block_length",
    "parse_grid",
    "parse_strategy",
    "pbo",
    "probabilistic_sharpe_ratio",
    "returns_metrics",
    "run_backtest",
    "sharpe_ratio",
    "strategy_positions",
]
