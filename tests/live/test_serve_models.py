"""``t26 serve --strategy model:NAME``: registered meta-label and RL models trade the paper venue as
a backtest of the same model's predictions on the same bars does; an unknown name or alias exits 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026.backtest import make_config, run_backtest, strategy_positions


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, small_sample: Any) -> Iterator[dict[str, Any]]:
    """One home with the sample lake, a meta-label model and an RL agent registered in its sqlite MLflow."""
    from trade2026 import tracking
    from trade2026.datasets import write_sample
    from trade2026.labeling import log_metalabel_model, metalabel_bars
    from trade2026.lake import Lake

    home = tmp_path_factory.mktemp("models") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("T26_HOME", str(home))
        mp.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        mp.delenv("T26_MLFLOW_URI", raising=False)
        mp.delenv("T26_LAKE", raising=False)
        lake = Lake(home)
        write_sample(lake, small_sample)
        sym = sorted(lake.read("bars_1d")["symbol"].unique().to_list())[0]
        res = metalabel_bars(lake, sym, model="logit")
        with tracking.start_run("metalabel") as run:
            meta = log_metalabel_model(run, res, name="meta_live")
        tracking.promote_model("meta_live", meta["version"], "champion")
        out: dict[str, Any] = {"home": home, "lake": lake, "sym": sym}
        if _has_rl():
            from trade2026.rl import load_bars, train_run

            bars, source = load_bars(lake, [sym])
            ts = bars["ts"].unique().sort()
            train_run(
                bars,
                train_end=ts[int(len(ts) * 0.6)],
                timesteps=256,
                n_envs=2,
                net_arch=(8,),
                n_random=2,
                hyperparams={"n_steps": 32, "batch_size": 32, "n_epochs": 1},
                episode_length=60,
                commission_bps=5.0,
                source=source,
                name="rl_live",
                seed=1,
            )
        yield out


def _has_rl() -> bool:
    try:
        import stable_baselines3  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture
def cli_home(registry: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    from typer.testing import CliRunner

    from commands.main import app

    monkeypatch.setenv("T26_HOME", str(registry["home"]))
    monkeypatch.delenv("T26_MLFLOW_URI", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def _serve_fills(lake: Any, run_id: str) -> pl.DataFrame:
    return lake.read("live_fills").filter(pl.col("run_id") == run_id).sort("seq")


def _assert_same_trades(fills: pl.DataFrame, bt: Any, out: dict[str, Any]) -> None:
    assert fills.height == bt.fills.height == out["fills"] > 0
    assert fills["symbol"].to_list() == bt.fills["symbol"].to_list()
    assert [t.date() for t in fills["ts"].to_list()] == [t.date() for t in bt.fills["ts"].to_list()]
    np.testing.assert_allclose(fills["qty"].to_numpy(), bt.fills["qty"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(fills["price"].to_numpy(), bt.fills["price"].to_numpy(), rtol=1e-12)
    assert out["equity"] == pytest.approx(bt.equity["equity"][-1], rel=1e-12)


@pytest.mark.slow
def test_a_meta_label_model_trades_as_its_predictions_backtest(cli_home: Any, registry: dict[str, Any]) -> None:
    from trade2026.labeling import predict_bars

    lake, sym = registry["lake"], registry["sym"]
    args = ["--venue", "paper", "--replay", "bars_1d", "--symbols", sym, "--commission-bps", "3"]
    r = cli_home("serve", "--strategy", "model:meta_live@champion", *args, "--run-id", "meta1", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["model"]["kind"] == "metalabel" and out["model"]["name"] == "meta_live"
    # the peer: `t26 models predict` on the same bars, its signal column backtested
    preds = predict_bars(lake, "meta_live@champion", symbols=[sym]).predictions
    bars = lake.read_bars("bars_1d", symbols=[sym]).join(preds.select("symbol", "ts", "signal"), on=["symbol", "ts"])
    bt = run_backtest(bars, strategy_positions("signal:signal", bars), mode="portfolio", commission_bps=3.0)
    _assert_same_trades(_serve_fills(lake, "meta1"), bt, out)


@pytest.mark.slow
def test_an_rl_agent_trades_as_its_rollout_backtest(cli_home: Any, registry: dict[str, Any]) -> None:
    if not _has_rl():
        pytest.skip("the rl extra (stable-baselines3) is not installed")
    from trade2026.rl import TradingEnv, load_agent, market_data

    lake, sym = registry["lake"], registry["sym"]
    r = cli_home("serve", "--strategy", "model:rl_live", "--commission-bps", "5", "--run-id", "rl1", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["model"]["kind"] == "rl"
    # the peer: the agent's deterministic rollout over all the bars (its environment's own account),
    # its target weights backtested as `t26 rl eval` does
    agent = load_agent("rl_live")
    bars = lake.read_bars("bars_1d", symbols=[sym])
    data = market_data(bars, agent.config, scaler=agent.scaler)
    env = TradingEnv(data=data)
    obs, _ = env.reset(options={"start": data.first_start, "end": data.last_bar})
    while True:
        obs, _, terminated, truncated, _ = env.step(agent.act(obs))
        if terminated or truncated:
            break
    targets = env.targets()
    assert np.abs(np.diff(targets[:, 0])).sum() > 0, "the agent never trades: nothing to compare"
    bt = run_backtest(bars, targets, mode="portfolio", cross_sectional=True, commission_bps=5.0)
    _assert_same_trades(_serve_fills(lake, "rl1"), bt, out)


@pytest.mark.slow
@pytest.mark.parametrize("ref", ["model:nosuch", "model:meta_live@nosuch", "model:meta_live/99"])
def test_an_unknown_model_or_alias_exits_2_naming_models_ls(cli_home: Any, ref: str) -> None:
    r = cli_home("serve", "--strategy", ref, "--venue", "paper")
    assert r.exit_code == 2
    assert "t26 models ls" in r.output and "meta_live" in r.output


def test_a_model_sees_only_the_bars_up_to_the_decision(small_sample: Any, tmp_path: Any) -> None:
    from trade2026.live import ModelStrategy, replay_paper

    bars = small_sample.bars_1d.filter(pl.col("symbol").is_in(sorted(small_sample.bars_1d["symbol"].unique())[:2]))
    seen: list[tuple[Any, int, dict[str, float]]] = []

    class Spy(ModelStrategy):
        def weights(self, history: Any, account: dict[str, float] | None = None) -> dict[str, float]:
            seen.append((history["ts"].max(), history.height, dict(account or {})))
            return {s: float(len(seen) % 7 < 3) for s in history["symbol"].unique()}

    spy = Spy("spy", "spy", {"name": "spy", "version": 1, "run_id": None}, False, None, None)
    res, _, _ = replay_paper(bars, spy, run_dir=tmp_path / "spy", config=make_config(mode="portfolio"))
    ts = bars["ts"].unique().sort().to_list()
    assert [s[0] for s in seen] == ts  # asked once per bar, at that bar, never with a later one
    assert [s[1] for s in seen] == [bars.filter(pl.col("ts") <= t).height for t in ts]
    assert res.summary["fills"] > 0
    assert seen[0][2] == {"_cash": 1.0} and any(len(a) > 1 for _, _, a in seen)  # the book as it stood


@pytest.mark.slow
def test_a_notebook_gets_the_cli_json(cli_home: Any, registry: dict[str, Any]) -> None:
    from trade2026._json import clean, dumps
    from trade2026.live import serve

    lake, sym, home = registry["lake"], registry["sym"], registry["home"]
    r = cli_home("serve", "--strategy", "model:meta_live", "--symbols", sym, "--run-id", "nbcli", "--json")
    assert r.exit_code == 0, r.output
    res = serve(
        "model:meta_live", lake=lake, home=home, symbols=[sym], config=make_config(mode="portfolio"), run_id="nb"
    )
    mine, theirs = json.loads(dumps(clean(res.to_dict()))), json.loads(r.stdout)
    for d in (mine, theirs):
        d.pop("run_dir"), d.pop("run_id")
    assert mine == theirs and mine["model"]["kind"] == "metalabel"
