"""The public names of trade2026.live (a change here is deliberate)."""

import trade2026.live


def test_public_names() -> None:
    assert trade2026.live.__all__ == [
        "ApiClient", "ApiServer", "ApiSettings", "CcxtVenue", "ClientIds", "Control", "Denial", "Fill", "Journal", "LakeSink", "ModelStrategy", "Order", "PaperVenue", "Portfolio", "Position", "PrismClient", "REASONS", "Reconciliation", "ReplayResult", "RiskEngine", "RiskLimits", "STATUSES", "ServeResult", "TERMINAL", "TRANSITIONS", "TokenBucket", "TradingEngine", "Venue", "api_settings", "create_app", "is_legal_path", "load_model_strategy", "load_risk", "read_token", "replay_paper", "serve", "target_shares", "transition",
    ]  # fmt: skip
    assert trade2026.live.__all__ == sorted(trade2026.live.__all__)
    assert all(hasattr(trade2026.live, n) for n in trade2026.live.__all__)


def test_importing_live_loads_no_heavy_library() -> None:
    import subprocess
    import sys

    code = "import sys, trade2026.live; print(sorted(m for m in ('numpy', 'polars', 'deltalake') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
