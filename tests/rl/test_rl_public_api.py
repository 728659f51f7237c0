"""Pin trade2026.rl's public names (a change to them must be deliberate)."""

from __future__ import annotations

import trade2026.rl


def test_rl_public_names() -> None:
    assert trade2026.rl.__all__ == [
        "ACTIONS",
        "ALGOS",
        "Agent",
        "Baselines",
        "EnvConfig",
        "EvalResult",
        "FeatureScaler",
        "Fold",
        "MarketData",
        "REWARDS",
        "TradingEnv",
        "TradingVecEnv",
        "TrainResult",
        "TrainRun",
        "TrialSpec",
        "WalkForwardResult",
        "baselines",
        "eval_run",
        "evaluate",
        "list_models",
        "load_agent",
        "load_bars",
        "make_env_config",
        "market_data",
        "parse_feature",
        "plot_evaluation",
        "policy_digest",
        "rollout",
        "train",
        "train_run",
        "walk_forward",
        "walk_forward_folds",
        "walk_forward_run",
    ]
    for name in trade2026.rl.__all__:
        assert getattr(trade2026.rl, name) is not None


def test_importing_the_package_loads_no_torch() -> None:
    import subprocess
    import sys

    code = "import sys, trade2026.rl; trade2026.rl.EnvConfig; print('torch' in sys.modules, 'gymnasium' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
