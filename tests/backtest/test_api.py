"""The public names of trade2026.backtest (a change to them is deliberate: other areas import them)."""

from __future__ import annotations

import trade2026.backtest as bt


def test_public_names_are_pinned():
    assert bt.__all__ == sorted(bt.__all__)
    assert set(bt.__all__) == {
        "BENCHMARKS",
        "DEFAULT_SENSITIVITY_COSTS",
        "OBJECTIVES",
        "STRATEGIES",
        "TRADE_COLUMNS",
        "BacktestConfig",
        "BacktestReport",
        "BacktestResult",
        "PBOResult",
        "SEARCHES",
        "SearchResult",
        "SearchSpec",
        "SweepResult",
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
    }
    for name in bt.__all__:
        assert getattr(bt, name) is not None
