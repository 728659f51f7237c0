"""The public names of trade2026.sim and trade2026.sim.prism (a change here is deliberate)."""

import trade2026.sim
import trade2026.sim.prism


def test_public_names() -> None:
    assert trade2026.sim.__all__ == ["Fact", "FactsReport", "Garch11", "fit_garch", "stylized_facts"]
    assert trade2026.sim.prism.__all__ == [
        "AgentParams", "FundamentalParams", "PrismConfig", "PrismDay", "PrismRun", "ReferenceBook",
        "bars_from_trades", "config_from_mapping", "depth", "iter_days", "load_config", "new_book",
        "parse_agents", "parse_duration_hours", "resting_queues", "run_id_for", "run_stream", "simulate",
    ]  # fmt: skip
