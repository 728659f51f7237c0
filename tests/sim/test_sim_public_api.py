"""The public names of trade2026.sim and trade2026.sim.prism (a change here is deliberate)."""

import trade2026.sim
import trade2026.sim.prism


def test_public_names() -> None:
    assert trade2026.sim.__all__ == [
        "ALL_METHODS", "Fact", "FactsReport", "Garch11", "METHODS", "METRICS", "MODELS", "McReport", "McResult",
        "fit_garch", "monte_carlo", "reshuffle_trades", "returns_series", "risk_of_ruin", "risk_of_ruin_closed_form",
        "stylized_facts", "synthetic_returns", "trades_per_year",
    ]  # fmt: skip
    assert trade2026.sim.prism.__all__ == [
        "AgentParams", "FundamentalParams", "PrismConfig", "PrismDay", "PrismReport", "PrismRun", "PrismVenue",
        "ReferenceBook",
        "bars_from_trades", "config_from_mapping", "depth", "iter_days", "load_config", "new_book",
        "parse_agents", "parse_duration_hours", "parse_seeds", "resting_queues", "run_id_for", "run_stream",
        "run_venue", "simulate", "simulate_runs",
    ]  # fmt: skip
    for mod in (trade2026.sim, trade2026.sim.prism):
        assert mod.__all__ == sorted(mod.__all__)
        assert all(hasattr(mod, name) for name in mod.__all__)


def test_prism_bars_from_trades_is_the_lake_builder() -> None:
    from trade2026.lake._bars import bars_from_trades

    assert trade2026.sim.prism.bars_from_trades is bars_from_trades
