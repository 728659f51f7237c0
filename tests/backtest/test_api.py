"""The public names of trade2026.backtest (a change to them is deliberate: other areas import them)."""

from __future__ import annotations

import trade2026.backtest as bt


def test_public_names_are_pinned():
    assert bt.__all__ == sorted(bt.__all__)
    assert set(bt.__all__) == {
        "OBJECTIVES",
        "STRATEGIES",
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
        "selection_statistics",
        "sharpe_ratio",
        "strategy_positions",
        "walk_forward",
    }
    for name in bt.__all__:
        assert getattr(bt, name) is not None
