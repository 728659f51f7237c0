from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trade2026 import tracking
from trade2026.config import load_settings
from trade2026.errors import NotFoundError


def test_run_logged_to_sqlite_under_home(home: Path) -> None:
    s = load_settings()
    with tracking.start_run("unit", settings=s, params={"a": 1, "b": "x"}) as run:
        run.log_metrics({"sharpe": 1.5, "bad": float("nan"), "text": "skip"})
        run.log_dict({"k": [1, 2]}, "out/result.json")
    assert (home / "mlflow.db").exists()
    runs = tracking.list_runs(s)
    assert [r["run_id"] for r in runs] == [run.run_id]
    got = tracking.get_run(run.run_id, s)
    assert got["status"] == "FINISHED"
    assert got["params"] == {"a": "1", "b": "x"}
    assert got["metrics"] == {"sharpe": 1.5}
    assert got["artifacts"] == ["out"]
    assert got["artifact_uri"].startswith((home / "mlartifacts").as_uri())


def test_failed_block_marks_run_failed(home: Path) -> None:
    s = load_settings()
    with pytest.raises(RuntimeError), tracking.start_run("boom", settings=s):
        raise RuntimeError("x")
    assert tracking.list_runs(s)[0]["status"] == "FAILED"
    with pytest.raises(NotFoundError, match="t26 runs ls"):
        tracking.get_run("0" * 32, s)


def test_cli_runs_ls_show_and_no_track(cli: Any, home: Path) -> None:
    r = cli("runs", "ls", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout) == []
    r = cli("demo", "--symbols", "4", "--years", "1", "--json")
    assert r.exit_code == 0, r.output
    run_id = json.loads(r.stdout)["run_id"]
    r = cli("runs", "ls", "--json")
    assert [x["run_id"] for x in json.loads(r.stdout)] == [run_id]
    r = cli("runs", "show", run_id, "--json")
    shown = json.loads(r.stdout)
    assert shown["params"]["symbols"] == "4" and shown["metrics"]["n_dollar_bars"] > 0
    r = cli("demo", "--no-track", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["run_id"] is None
    assert len(json.loads(cli("runs", "ls", "--json").stdout)) == 1
    r = cli("runs", "show", "nope")
    assert r.exit_code == 2


def test_unreachable_tracking_server_fails_in_seconds_naming_the_setting(
    cli: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import time

    from trade2026.errors import ConfigError

    with socket.socket() as s:  # bound, never listening: connections are refused at once
        s.bind(("127.0.0.1", 0))
        monkeypatch.setenv("T26_MLFLOW_URI", f"http://127.0.0.1:{s.getsockname()[1]}")
        t0 = time.monotonic()
        with (
            pytest.raises(ConfigError, match="does not answer.*T26_MLFLOW_URI") as info,
            tracking.start_run("x", settings=load_settings()),
        ):
            pass
        assert info.value.option == "no_track"
        r = cli("data", "sample", "--symbols", "2", "--years", "1", "--intraday-symbols", "0")
        assert r.exit_code == 0  # untracked commands do not care
        r = cli("backtest", "sma_cross:fast=5,slow=20")
        assert r.exit_code == 2 and "does not answer" in r.output and "--no-track" in r.output, r.output
        assert cli("backtest", "sma_cross:fast=5,slow=20", "--no-track").exit_code == 0
        assert time.monotonic() - t0 < 60  # MLflow alone retries for minutes (a bound, not a timing claim)


def test_home_that_cannot_hold_the_database_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trade2026.errors import ConfigError

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("T26_HOME", str(blocker / "home"))
    monkeypatch.delenv("T26_MLFLOW_URI", raising=False)
    with pytest.raises(ConfigError, match="cannot create the home") as info, tracking.start_run("x"):
        pass
    assert info.value.option == "home"


def test_model_not_found_messages_point_at_the_listing_of_their_kind(cli: Any, home: Path, tmp_path: Path) -> None:
    s = load_settings()
    with pytest.raises(NotFoundError, match="no MLflow store yet.*t26 metalabel` or `t26 rl train"):
        tracking.get_model_version("m", s)
    with pytest.raises(NotFoundError, match=r"train one with `t26 rl train`\)"):
        tracking.get_model_version("m", s, kind="rl")
    art = tmp_path / "art"
    art.mkdir()
    (art / "f.txt").write_text("x")
    with tracking.start_run("unit", settings=s) as run:
        run.log_artifacts(art, "model")
    tracking.register_model(run.run_id, "model", "meta_x", aliases=("champion",), model_tags={"t26.kind": "metalabel"})
    tracking.register_model(run.run_id, "model", "rl_x", model_tags={"t26.kind": "rl"})
    with pytest.raises(NotFoundError, match=r"'meta_x' has versions 1 \(champion\)\); `t26 models ls`") as exc:
        tracking.get_model_version("meta_x@newest", s, kind="metalabel")
    assert "rl ls" not in str(exc.value)
    with pytest.raises(NotFoundError, match=r"\(registered: rl_x\); `t26 rl ls` lists the RL models"):
        tracking.get_model_version("nosuch", s, kind="rl")
    with pytest.raises(NotFoundError, match=r"registered: meta_x, rl_x\); `t26 models ls`"):
        tracking.get_model_version("nosuch/2", s)
    # the commands those messages name exist
    for args in (("models", "ls"), ("rl", "ls")):
        r = cli(*args, "--json")
        assert r.exit_code == 0 and {x["name"] for x in json.loads(r.stdout)} <= {"meta_x", "rl_x"}
    r = cli("rl", "eval", "meta_y", "--start", "2024-01-01", "--no-track")
    assert r.exit_code == 2 and "t26 rl ls" in r.stderr
    r = cli("models", "predict", "rl_y", "--no-track")
    assert r.exit_code == 2 and "t26 models ls" in r.stderr
