"""Backtesting: strategies, the numba fill engine, sweeps, walk-forward, statistics and reports.

:func:`evaluate` runs the whole research workflow of ``t26 backtest`` (sweep or search, pick, walk
forward, PBO, robustness, benchmark comparison, trade list, report on :mod:`trade2026.reports`) and
returns a :class:`BacktestReport` whose ``.to_dict()`` is the command's ``--json``.

Sharpe ratios passed to the PSR/DSR/MinTRL family are per observation and kurtosis is Pearson
(normal = 3), as in Bailey and Lopez de Prado's papers.
"""

from trade2026.backtest._benchmark import BENCHMARKS, benchmark_returns
from trade2026.backtest._engine import BacktestConfig, BacktestResult, make_config, run_backtest
from trade2026.backtest._evaluate import BacktestReport, WalkForwardSpec, evaluate
from trade2026.backtest._search import SEARCHES, SearchResult, SearchSpec, run_search
from trade2026.backtest._signals import entry_exit_positions, join_signal
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
    DEFAULT_SENSITIVITY_COSTS,
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
from trade2026.backtest._trades import TRADE_COLUMNS, save_trades, trade_excursions, trade_summary

__all__ = [
    "BENCHMARKS",
    "BacktestConfig",
    "BacktestReport",
    "BacktestResult",
    "DEFAULT_SENSITIVITY_COSTS",
    "OBJECTIVES",
    "PBOResult",
    "SEARCHES",
    "STRATEGIES",
    "SearchResult",
    "SearchSpec",
    "SweepResult",
    "TRADE_COLUMNS",
    "WalkForwardResult",
    "WalkForwardSpec",
    "benchmark_returns",
    "bootstrap_ci",
    "cost_sensitivity",
    "deflated_sharpe_ratio",
    "describe_strategies",
    "entry_exit_positions",
    "evaluate",
    "expected_max_sharpe",
    "get_strategy",
    "join_signal",
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
    "run_search",
    "run_sweep",
    "save_trades",
    "selection_statistics",
    "sharpe_ratio",
    "strategy_positions",
    "trade_excursions",
    "trade_summary",
    "walk_forward",
]
