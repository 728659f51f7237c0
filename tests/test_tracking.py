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
