"""``t26 rl``: train (tracked, registered), ls, eval by name, walk-forward, and the library's JSON."""

from __future__ import annotations

import json

import polars as pl
import pytest

pytest.importorskip("stable_baselines3")

from trade2026._json import dumps

FAST = ["--timesteps", "256", "--n-envs", "2", "--net-arch", "8", "--n-random", "5", "--episode-length", "60"]
FAST += ["--param", "n_steps=32", "--param", "batch_size=32", "--param", "n_epochs=1", "--commission-bps", "5"]


def _symbols(lake, n: int) -> list[str]:
    b = lake.read_bars("bars_1d")
    full = b.group_by("symbol").len().filter(pl.col("len") == pl.col("len").max())["symbol"].sort()
    return full.to_list()[:n]


def _train_end(lake) -> str:
    ts = lake.read_bars("bars_1d")["ts"].unique().sort()
    return f"{ts[int(len(ts) * 0.7)]:%Y-%m-%d}"


@pytest.mark.slow
def test_train_registers_a_model_that_eval_loads_by_name(cli, sample_lake, tmp_path) -> None:
    syms = _symbols(sample_lake, 2)
    end = _train_end(sample_lake)
    first = f"{sample_lake.read_bars('bars_1d')['ts'].unique().sort()[40]:%Y-%m-%d}"  # history read from here
    r = cli(
        "rl", "train", "--symbols", ",".join(syms), "--start", first, "--train-end", end, "--seed", "3", "--name", "m1",
        *FAST, "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["model"]["name"] == "m1" and d["model"]["aliases"] == ["newest"]
    assert d["source"]["table"] == "bars_1d" and d["source"]["table_version"] == 0
    assert d["out_of_sample"]["in_sample"] is False and d["out_of_sample"]["start"] > d["train_end"]
    # the run holds the learning curve (with steps), the OOS metrics and the agent artifact
    from trade2026 import tracking

    run = tracking.get_run(d["run_id"])
    assert "oos_sharpe" in run["metrics"] and "oos_buy_and_hold_sharpe" in run["metrics"]
    assert run["params"]["config_hash"] == d["config_hash"] and run["params"]["table_version"] == "0"
    assert "agent" in run["artifacts"] and run["tags"]["t26.kind"] == "rl"
    from trade2026.config import load_settings

    hist = tracking._client(load_settings()).get_metric_history(d["run_id"], "train_episode_reward")
    assert len(hist) == d["training"]["episodes"] and all(h.step > 0 for h in hist)
    # registered with its signature: observations in, actions out, the shapes of the policy's spaces
    import mlflow

    from trade2026.rl import load_agent

    mlflow.set_tracking_uri(load_settings().tracking_uri)
    info = mlflow.models.get_model_info("models:/m1/1")
    agent = load_agent("m1@newest")
    (obs_spec,) = info.signature.inputs.inputs
    (act_spec,) = info.signature.outputs.inputs
    assert obs_spec.name == "observation" and obs_spec.shape == (-1, *agent.model.observation_space.shape)
    assert act_spec.name == "action" and act_spec.shape == (-1, *agent.model.action_space.shape)

    r = cli("rl", "ls", "--json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert [(x["name"], x["version"], x["aliases"]) for x in rows] == [("m1", 1, ["newest"])]

    # eval by name over the training's own out-of-sample window reproduces its numbers exactly (it reads
    # the bars from where the training's history began, so the features are the same)
    plot = tmp_path / "rl.png"
    oos = d["out_of_sample"]
    r = cli(
        "rl",
        "eval",
        "m1@newest",
        "--start",
        oos["start"][:10],
        "--n-random",
        "5",
        "--seed",
        "3",
        "--plot",
        str(plot),
        "--json",
    )
    assert r.exit_code == 0, r.output
    e = json.loads(r.stdout)
    assert e["metrics"] == oos["metrics"] and e["model"]["version"] == 1
    assert plot.stat().st_size > 10_000
    # a window inside the training period is refused unless asked for
    r = cli("rl", "eval", "m1", "--start", end, "--json")
    assert r.exit_code == 2 and "not out of" in r.stderr
    r = cli("rl", "eval", "m1", "--start", end, "--in-sample", "--no-track", "--n-random", "5", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["in_sample"] is True


@pytest.mark.slow
def test_no_track_json_is_the_librarys(cli, sample_lake, home) -> None:
    syms = _symbols(sample_lake, 1)
    end = _train_end(sample_lake)
    r = cli("rl", "train", "--symbols", syms[0], "--train-end", end, "--seed", "2", *FAST, "--no-track", "--json")
    assert r.exit_code == 0, r.output
    from commands._cli import parse_date
    from trade2026.lake import Lake
    from trade2026.rl import load_bars, train_run

    bars, source = load_bars(Lake(home), syms, features="ret_20")  # the CLI passes its --features default
    res = train_run(
        bars, train_end=parse_date(end, "--train-end", end_of_day=True), seed=2, timesteps=256, n_envs=2,
        net_arch=(8,), n_random=5, episode_length=60, commission_bps=5, source=source, track=False,
        hyperparams={"n_steps": 32, "batch_size": 32, "n_epochs": 1},
    )  # fmt: skip
    assert json.loads(r.stdout) == json.loads(dumps(res.to_dict()))


@pytest.mark.slow
def test_walk_forward_nests_one_registered_run_per_training(cli, sample_lake) -> None:
    syms = _symbols(sample_lake, 1)
    r = cli(
        "rl", "walk-forward", "--symbols", syms[0], "--train", "200", "--test", "200", "--seeds", "1-2",
        "--reward", "log_return,dsr", "--name", "wf", *FAST, "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    n_folds = len(d["folds"])
    assert n_folds >= 2 and d["n_trials"] == 4 and len(d["trials"]) == 4
    assert len(d["registered"]) == 4 * n_folds
    assert all(t["dsr"] is None or 0 <= t["dsr"] <= 1 for t in d["trials"])
    deploy = [x for x in d["registered"] if "walk-forward" in x["aliases"]]
    assert len(deploy) == 1 and deploy[0]["tags"]["fold"] == str(n_folds - 1)
    from trade2026 import tracking

    child = tracking.get_run(d["registered"][0]["run_id"])
    assert child["name"] == "rl-train"


def test_bad_input_exits_2(cli, sample_lake) -> None:
    syms = _symbols(sample_lake, 2)
    r = cli("rl", "train", "--symbols", ",".join(syms), "--algo", "dqn", "--no-track", *FAST)
    assert r.exit_code == 2 and "dqn needs" in r.stderr
    r = cli("rl", "train", "--symbols", syms[0], "--features", "rsii_14", "--no-track", *FAST)
    assert r.exit_code == 2 and "did you mean" in r.stderr
    r = cli("rl", "walk-forward", "--symbols", syms[0], "--seeds", "one", "--no-track")
    assert r.exit_code == 2 and "--seeds" in r.stderr
    r = cli("rl", "train", "--symbols", syms[0], "--algo", "a2c", "--no-track", *FAST)  # PPO's batch_size
    assert r.exit_code == 2 and "a2c has no setting(s) batch_size" in r.stderr
    r = cli("rl", "eval", "nosuchmodel", "--start", "2020-01-01", "--no-track")
    assert r.exit_code == 2


def test_ls_with_no_models_is_an_empty_list(cli, home) -> None:
    r = cli("rl", "ls", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout) == []
