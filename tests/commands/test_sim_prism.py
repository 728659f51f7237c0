"""``t26 sim prism``: runs written to the lake, facts of any bars table, configuration errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from commands.main import app
from trade2026._json import dumps
from trade2026.lake import Lake

runner = CliRunner()
SMALL = ["--agents", "mm=2,noise=6,value=3,momentum=2", "--session", "30m", "--days", "2"]


def t26(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout


def test_prism_writes_tables_and_reruns_idempotently(tmp_path: Path) -> None:
    home = str(tmp_path)
    code, out = t26("sim", "prism", *SMALL, "--seed", "5", "--json", "--no-track", "--home", home)
    assert code == 0, out
    data = json.loads(out)
    assert data["run_id"] is None
    summary = data["runs"][0]
    assert summary["symbol"] == "PRISM" and summary["n_trades"] > 0
    lake = Lake(tmp_path)
    bars = lake.read("bars_1m_prism")
    assert bars.height == summary["n_bars"] == data["tables"]["bars_1m_prism"]
    assert set(bars["run_id"].unique().to_list()) == {summary["prism_run"]}
    assert lake.read("prism_trades").height == lake.read("ticks_prism").height == summary["n_trades"]
    assert lake.read("prism_runs")["symbol"].to_list() == ["PRISM"]
    assert lake.read("prism_agents")["position"].sum() == 0
    # same command again: replaces the symbol's rows, byte-identical data
    code, out = t26("sim", "prism", *SMALL, "--seed", "5", "--json", "--no-track", "--home", home)
    assert code == 0
    again = lake.read("bars_1m_prism").sort("ts")
    assert again.equals(bars.sort("ts"))
    assert lake.read("prism_runs").height == 1


def _timeless(data: dict[str, Any]) -> dict[str, Any]:
    """The JSON without the wall-clock ``sim_seconds`` of each run (the one value that varies)."""
    return {**data, "runs": [{k: v for k, v in r.items() if k != "sim_seconds"} for r in data["runs"]]}


def test_prism_json_is_the_library_result(tmp_path: Path) -> None:
    from trade2026.sim.prism import load_config, parse_agents, parse_duration_hours, parse_seeds, simulate_runs

    code, out = t26("sim", "prism", *SMALL, "--seeds", "3-4", "--json", "--no-track", "--home", str(tmp_path / "a"))
    assert code == 0, out
    agents = parse_agents("mm=2,noise=6,value=3,momentum=2")
    cfg = load_config(agents=agents, session_hours=parse_duration_hours("30m"), days=2)
    lake = Lake(tmp_path / "b")
    report = simulate_runs(cfg, parse_seeds("3-4"), lake=lake)
    assert _timeless(json.loads(out)) == _timeless(json.loads(dumps(report.to_dict())))
    assert (
        lake.read("bars_1m_prism")
        .sort("symbol", "ts")
        .equals(Lake(tmp_path / "a").read("bars_1m_prism").sort("symbol", "ts"))
    )


def test_prism_many_seeds_and_facts_on_the_result(tmp_path: Path) -> None:
    home = str(tmp_path)
    code, out = t26(
        "sim", "prism", *SMALL, "--session", "90m", "--seeds", "1-2", "--json", "--no-track", "--home", home
    )
    assert code == 0, out
    assert [r["symbol"] for r in json.loads(out)["runs"]] == ["PRISM_1", "PRISM_2"]
    lake = Lake(tmp_path)
    assert sorted(lake.read("bars_1m_prism")["symbol"].unique().to_list()) == ["PRISM_1", "PRISM_2"]
    code, out = t26("sim", "prism", "facts", "bars_1m_prism", "--json", "--home", home, "--no-track")
    assert code == 0, out
    rep = json.loads(out)
    assert rep["table"] == "bars_1m_prism" and rep["n_segments"] == 4  # 2 symbols x 2 days
    assert {f["name"] for f in rep["facts"]} >= {"heavy_tails", "volatility_clustering", "tail_index"}


def test_facts_on_a_real_bars_table(tmp_path: Path) -> None:
    from trade2026.datasets import generate, write_sample
    from trade2026.sim import stylized_facts

    lake = Lake(tmp_path)
    write_sample(lake, generate(symbols=4, years=1, seed=0, intraday_symbols=1, intraday_days=1))
    code, out = t26("sim", "prism", "facts", "bars_1d", "--home", str(tmp_path), "--json", "--no-track")
    assert code == 0, out
    rep = json.loads(out)
    assert rep["n_returns"] > 200 and len(rep["facts"]) == 9
    assert rep == json.loads(dumps({"table": "bars_1d", **stylized_facts(lake.read_bars("bars_1d")).to_dict()}))
    some = sorted(lake.read_bars("bars_1d")["symbol"].unique().to_list())[:2]
    code, out = t26("sim", "prism", "facts", "bars_1d", "--symbols", ",".join(some), "--home", str(tmp_path), "--json")
    assert code == 0, out
    assert json.loads(out)["n_segments"] == 2
    res = runner.invoke(app, ["sim", "prism", "facts", "bars_1d", "--symbols", "NOPE", "--home", str(tmp_path)])
    assert res.exit_code == 2 and "NOPE" in res.stderr


def test_tracked_run_prints_its_id(tmp_path: Path) -> None:
    code, out = t26("sim", "prism", *SMALL, "--days", "1", "--home", str(tmp_path), "--no-write")
    assert code == 0, out
    assert "MLflow run " in out
    assert not Lake(tmp_path).exists("bars_1m_prism")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--agents", "mm=0,noise=3"], "agents.mm"),
        (["--agents", "whale=3"], "whale"),
        (["--tick-size", "0"], "tick_size"),
        (["--session", "0h"], "session_hours"),
        (["--days", "0"], "days"),
        (["facts"], "needs a bars table"),
        (["facts", "nosuch"], "t26 data ls"),
        (["--seeds", "1,x"], "not a list of integers"),
        (["bogus"], "unknown action"),
    ],
)
def test_bad_input_exits_2(tmp_path: Path, args: list[str], needle: str) -> None:
    res = runner.invoke(app, ["sim", "prism", *args, "--home", str(tmp_path), "--no-track"])
    assert res.exit_code == 2
    assert needle in res.stderr


def test_unknown_toml_field_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "prism.toml"
    cfg.write_text("[agents]\nmm = 2\n[mm]\nspreed = 3\n")
    res = runner.invoke(app, ["sim", "prism", "--config", str(cfg), "--home", str(tmp_path), "--no-track"])
    assert res.exit_code == 2 and "mm.spreed" in res.stderr


@pytest.mark.slow
def test_first_run_compiles_quietly_under_json(tmp_path: Path) -> None:
    """With no numba cache (a new install), --json keeps stdout pure JSON and says nothing on stderr
    about compiling; without --json one stderr line says the kernels compile."""
    small = ["--agents", "mm=1,noise=4,value=2", "--session", "6m", "--days", "1", "--no-write", "--no-track"]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "NUMBA_CACHE_DIR": str(tmp_path / f"numba{len(extra)}"),
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
        cmd = [sys.executable, "-m", "commands.main", "sim", "prism", *small, "--home", str(tmp_path), *extra]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=600)

    quiet = run("--json")
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["runs"][0]["n_trades"] > 0
    assert "compiling" not in quiet.stderr
    loud = run()
    assert loud.returncode == 0, loud.stderr
    notes = [line for line in loud.stderr.splitlines() if "compiling" in line]
    assert len(notes) == 1 and "PRISM" in notes[0] and "first run only" in notes[0]
    assert "compiling" not in loud.stdout
