"""``t26 sim mc`` over the lake: strategy and returns-table modes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from commands.main import app
from trade2026.lake import Lake

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from trade2026.datasets import generate, write_sample

    h = tmp_path_factory.mktemp("mc")
    lake = Lake(h)
    write_sample(lake, generate(symbols=2, years=3, seed=0, intraday_symbols=1, intraday_days=1))
    rng = __import__("numpy").random.default_rng(0)
    lake.write("my_returns", pl.DataFrame({"ts": list(range(300)), "return": rng.normal(0.0005, 0.01, 300)}))
    return h


def test_mc_strategy(home: Path, tmp_path: Path) -> None:
    sym = Lake(home).read("bars_1d")["symbol"][0]
    png = tmp_path / "mc.png"
    res = runner.invoke(
        app,
        [
            "sim",
            "mc",
            "--strategy",
            "sma_cross:fast=10,slow=30",
            "--symbol",
            sym,
            "--paths",
            "100",
            "--synthetic-paths",
            "3",
            "--methods",
            "bootstrap,reshuffle,garch",
            "--plot",
            str(png),
            "--json",
            "--home",
            str(home),
            "--no-track",
        ],
    )
    assert res.exit_code == 0, res.stdout + res.stderr
    data = json.loads(res.stdout)
    assert [m["method"] for m in data["methods"]] == ["bootstrap", "reshuffle", "garch"]
    assert set(data["observed"]) == {"total_return", "cagr", "sharpe", "max_drawdown"}
    assert png.stat().st_size > 0


def test_mc_returns_table(home: Path) -> None:
    res = runner.invoke(
        app,
        ["sim", "mc", "--returns-table", "my_returns", "--paths", "200", "--json", "--home", str(home), "--no-track"],
    )
    assert res.exit_code == 0, res.stdout + res.stderr
    data = json.loads(res.stdout)
    (boot,) = data["methods"]
    assert boot["method"] == "bootstrap" and boot["n_paths"] == 200 and boot["block_length"] >= 1


_PRISM = ["--prism-agents", "mm=1,noise=4,value=2", "--prism-session", "6m", "--prism-days", "40"]


def test_mc_prism_paths(home: Path) -> None:
    sym = Lake(home).read("bars_1d")["symbol"][0]
    args = ["sim", "mc", "--strategy", "sma_cross:fast=5,slow=20", "--symbol", sym, "--paths", "20"]
    args += ["--synthetic-paths", "2", "--methods", "gbm,prism", *_PRISM, "--seed", "3"]
    args += ["--json", "--home", str(home), "--no-track"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.stdout + first.stderr
    data = json.loads(first.stdout)
    gbm, prism = data["methods"]
    assert prism["method"] == "prism" and prism["n_paths"] == 2 and prism["prism_days"] == 40
    assert prism["prism_session_hours"] == pytest.approx(0.1) and prism["prism_bar"] == "session"
    assert set(gbm) - {"underlying_model"} <= set(prism)
    assert set(prism["sharpe"]) == {"p5", "p25", "p50", "p75", "p95", "mean"}
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.stdout + second.stderr
    assert json.loads(second.stdout)["methods"] == data["methods"]  # same seed, same distribution


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--prism-days", "0"], "prism-days"),
        (["--prism-session", "0m"], "session_hours"),
        (["--prism-session", "soon"], "not a duration"),
        (["--prism-agents", "mm=0"], "agents.mm"),
        (["--prism-agents", "whales=3"], "unknown agent type"),
    ],
)
def test_mc_prism_bad_settings(home: Path, args: list[str], needle: str) -> None:
    sym = Lake(home).read("bars_1d")["symbol"][0]
    cmd = ["sim", "mc", "--strategy", "sma_cross", "--symbol", sym, "--methods", "prism", *args]
    res = runner.invoke(app, [*cmd, "--home", str(home), "--no-track"])
    assert res.exit_code == 2, res.stdout
    assert needle in res.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([], "exactly one"),
        (["--strategy", "sma_cross", "--prism-days", "5"], "apply only with --methods"),
        (["--strategy", "sma_cross"], "pick one with --symbol"),
        (["--returns-table", "nosuch"], "does not exist"),
        (["--returns-table", "my_returns", "--column", "x"], "no column"),
        (["--returns-table", "my_returns", "--ruin-limit", "2"], "ruin-limit"),
        (["--returns-table", "my_returns", "--methods", "garch"], "only the bootstrap"),
    ],
)
def test_mc_bad_input(home: Path, args: list[str], needle: str) -> None:
    res = runner.invoke(app, ["sim", "mc", *args, "--home", str(home), "--no-track"])
    assert res.exit_code == 2, res.stdout
    assert needle in res.stderr
