"""Backtesting: strategies, the numba fill engine, sweeps, walk-forward, statistics and reports.

Sharpe ratios passed to the PSR/DSR/MinTRL family are per observation and kurtosis is Pearson
(normal = 3), as in Bailey and Lopez de Prado's papers.
"""

from trade2026.backtest._engine import BacktestConfig, BacktestResult, make_config, run_backtest
from trade2026.backtest._signals import entry_exit_positions
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
    get_strategy,
    parse_grid,
    parse_strategy,
    strategy_positions,
)
from trade2026.backtest._sweep import (
    OBJECTIVES,
    SweepResult,
    WalkForwardResult,
    cost_sensitivity,
    neighborhood_stability,
    robustness,
    run_sweep,
    selection_statistics,
    walk_forward,
)

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "OBJECTIVES",
    "PBOResult",
    "STRATEGIES",
    "SweepResult",
    "WalkForwardResult",
    "bootstrap_ci",
    "cost_sensitivity",
    "deflated_sharpe_ratio",
    "describe_strategies",
    "entry_exit_positions",
    "expected_max_sharpe",
    "get_strategy",
    "make_config",
    "max_drawdown",
    "min_track_record_length",
    "moments",
    "neighborhood_stability",
    "optimal_block_length",
    "parse_grid",
    "parse_strategy",
    "pbo",
    "probabilistic_sharpe_ratio",
    "returns_metrics",
    "robustness",
    "run_backtest",
    "run_sweep",
    "selection_statistics",
    "sharpe_ratio",
    "strategy_positions",
    "walk_forward",
]
