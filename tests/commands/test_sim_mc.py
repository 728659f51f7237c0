"""``t26 sim mc`` over the lake: the library's numbers, strategy and returns-table modes, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from commands.main import app
from trade2026._json import dumps
from trade2026.lake import Lake

runner = CliRunner()


def library_json(report: Any) -> Any:
    """A library result rendered the way the CLI renders ``--json``."""
    return json.loads(dumps(report.to_dict()))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from trade2026.datasets import generate, write_sample

    h = tmp_path_factory.mktemp("mc")
    lake = Lake(h)
    write_sample(lake, generate(symbols=2, years=3, seed=0, intraday_symbols=1, intraday_days=1))
    rng = np.random.default_rng(0)
    lake.write("my_returns", pl.DataFrame({"ts": list(range(300)), "return": rng.normal(0.0005, 0.01, 300)}))
    short = lake.read_bars("bars_1d").sort("symbol", "ts").head(40)
    lake.write("bars_short", short)
    return h


def t26(home: Path, *args: str) -> Any:
    return runner.invoke(app, ["sim", "mc", *args, "--home", str(home), "--no-track"])


def test_mc_strategy_is_the_library_result(home: Path, tmp_path: Path) -> None:
    from trade2026.backtest import run_backtest, strategy_positions
    from trade2026.core import returns_metrics
    from trade2026.sim import monte_carlo

    lake = Lake(home)
    sym = lake.read("bars_1d")["symbol"][0]
    png = tmp_path / "mc.png"
    args = ["--strategy", "sma_cross:fast=10,slow=30", "--symbol", sym, "--paths", "100", "--synthetic-paths", "3"]
    args += ["--methods", "bootstrap,reshuffle,garch", "--seed", "11", "--plot", str(png), "--json"]
    res = t26(home, *args)
    assert res.exit_code == 0, res.stdout + res.stderr
    data = json.loads(res.stdout)
    assert [m["method"] for m in data["methods"]] == ["bootstrap", "reshuffle", "garch"]
    assert png.stat().st_size > 0
    # a notebook calling the library on the same bars gets exactly the same JSON
    bars = lake.read_bars("bars_1d", symbols=[sym])
    kw: dict[str, Any] = {"methods": ["bootstrap", "reshuffle", "garch"], "n_paths": 100, "synthetic_paths": 3}
    report = monte_carlo(bars, "sma_cross:fast=10,slow=30", seed=11, table="bars_1d", **kw)
    assert data == library_json(report)
    assert data["symbol"] == sym and data["table"] == "bars_1d"
    # observed: the core metrics of the engine's returns on those bars
    bt = run_backtest(bars, strategy_positions("sma_cross", bars, fast=10, slow=30))
    want = returns_metrics(bt.returns["return"].to_numpy(), 252)
    assert data["observed"] == pytest.approx({k: want[k] for k in data["observed"]}, rel=1e-12)
    # reshuffle: every path ends at the product of the trade returns, so all percentiles are equal
    reshuffle = data["methods"][1]
    total = float(np.prod(1 + bt.trades["return"].to_numpy()) - 1)
    assert reshuffle["n_trades"] == bt.trades.height
    assert reshuffle["total_return"] == pytest.approx(dict.fromkeys(reshuffle["total_return"], total), rel=1e-9)
    # another seed, other resamples
    other = t26(home, *[a if a != "11" else "12" for a in args])
    assert json.loads(other.stdout)["methods"][0] != data["methods"][0]


def test_mc_bootstrap_percentiles_are_the_core_sampler(home: Path) -> None:
    from trade2026.core import metrics_columns, stationary_bootstrap

    res = t26(home, "--returns-table", "my_returns", "--paths", "200", "--seed", "5", "--json")
    assert res.exit_code == 0, res.stdout + res.stderr
    data = json.loads(res.stdout)
    (boot,) = data["methods"]
    r = Lake(home).read("my_returns").sort("ts")["return"].to_numpy()
    paths, b = stationary_bootstrap(r, 200, seed=5)
    m = metrics_columns(paths.T, 252)
    assert boot["method"] == "bootstrap" and boot["n_paths"] == 200 and boot["block_length"] == b
    for k in ("total_return", "cagr", "sharpe", "max_drawdown"):
        for p in (5, 25, 50, 75, 95):
            assert boot[k][f"p{p}"] == pytest.approx(np.percentile(m[k], p), rel=1e-12)
    assert boot["prob_loss"] == pytest.approx(np.mean(m["total_return"] < 0))
    from trade2026.core import returns_metrics

    assert data["observed"]["sharpe"] == pytest.approx(returns_metrics(r, 252)["sharpe"], rel=1e-12)
    assert data["table"] == "my_returns" and data["strategy"] is None and data["symbol"] is None


def test_mc_garch_on_too_few_bars_says_what_to_do(home: Path) -> None:
    res = t26(home, "--table", "bars_short", "--strategy", "sma_cross:fast=5,slow=10", "--methods", "garch")
    assert res.exit_code == 2, res.stdout + res.stderr
    assert "GARCH(1,1) needs at least 50 returns (got 39)" in res.stderr
    assert "longer history or another method" in res.stderr
    assert "unexpected failure" not in res.stderr


_PRISM = ["--prism-agents", "mm=1,noise=4,value=2", "--prism-session", "6m", "--prism-days", "40"]


def test_mc_prism_paths(home: Path) -> None:
    sym = Lake(home).read("bars_1d")["symbol"][0]
    args = ["--strategy", "sma_cross:fast=5,slow=20", "--symbol", sym, "--paths", "20"]
    args += ["--synthetic-paths", "2", "--methods", "gbm,prism", *_PRISM, "--seed", "3", "--json"]
    first = t26(home, *args)
    assert first.exit_code == 0, first.stdout + first.stderr
    data = json.loads(first.stdout)
    gbm, prism = data["methods"]
    assert prism["method"] == "prism" and prism["n_paths"] == 2 and prism["prism_days"] == 40
    assert prism["prism_session_hours"] == pytest.approx(0.1) and prism["prism_bar"] == "session"
    assert set(gbm) - {"underlying_model"} <= set(prism)
    assert set(prism["sharpe"]) == {"p5", "p25", "p50", "p75", "p95", "mean"}
    second = t26(home, *args)
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
    res = t26(home, "--strategy", "sma_cross", "--symbol", sym, "--methods", "prism", *args)
    assert res.exit_code == 2, res.stdout
    assert needle in res.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([], "exactly one"),
        (["--strategy", "sma_cross", "--symbol", "{sym}", "--prism-days", "5"], "apply only with the prism method"),
        (["--strategy", "sma_cross"], "pick one with --symbol"),
        (["--strategy", "sma_cross", "--symbol", "NOPE"], "NOPE"),
        (["--strategy", "sma_cross", "--table", "nosuch"], "t26 data ls"),
        (["--returns-table", "nosuch"], "does not exist"),
        (["--returns-table", "my_returns", "--column", "x"], "no column"),
        (["--returns-table", "my_returns", "--ruin-limit", "2"], "ruin-limit"),
        (["--returns-table", "my_returns", "--paths", "5"], "--paths"),
        (["--returns-table", "my_returns", "--methods", "garch"], "only the bootstrap"),
    ],
)
def test_mc_bad_input(home: Path, args: list[str], needle: str) -> None:
    sym = Lake(home).read("bars_1d")["symbol"][0]
    res = t26(home, *[a.replace("{sym}", sym) for a in args])
    assert res.exit_code == 2, res.stdout
    assert needle in res.stderr


def test_mc_long_returns_table_needs_one_series(home: Path) -> None:
    """Stacked series (portfolio_backtest_returns' methods) are never compounded as one series."""
    import datetime as dt

    from trade2026.sim import monte_carlo

    rng = np.random.default_rng(1)
    ts = [dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=i) for i in range(120)]
    series = {"hrp": rng.normal(0.001, 0.01, 120), "ew": rng.normal(-0.001, 0.02, 120)}
    frame = pl.concat(
        pl.DataFrame({"backtest_id": "bt1", "method": m, "ts": ts, "return": r}) for m, r in series.items()
    )
    Lake(home).write("long_returns", frame)
    res = t26(home, "--returns-table", "long_returns", "--paths", "20")
    assert res.exit_code == 2, res.stdout
    assert "several series" in res.stderr and "method" in res.stderr and "--where" in res.stderr
    assert "backtest_id" not in res.stderr.split("pick one")[0]  # constant across rows: not a key
    picked = t26(home, "--returns-table", "long_returns", "--where", "method=hrp", "--paths", "20", "--json")
    assert picked.exit_code == 0, picked.stdout + picked.stderr
    data = json.loads(picked.stdout)
    assert data["observed"]["total_return"] == pytest.approx(float(np.prod(1 + series["hrp"]) - 1), rel=1e-12)
    want = monte_carlo(returns=series["hrp"], ts=pl.Series(ts), n_paths=20, table="long_returns")
    assert data == library_json(want)
    for args, needle in [(["--where", "method=nope"], "no row"), (["--where", "nosuch=1"], "no column 'nosuch'")]:
        bad = t26(home, "--returns-table", "long_returns", *args)
        assert bad.exit_code == 2 and needle in bad.stderr, bad.stderr


def test_mc_reports_progress_per_stage(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The library calls progress(stage, done, total) as it goes; the CLI draws it only on a terminal."""
    from commands import _cli
    from trade2026.sim import monte_carlo

    bars = Lake(home).read_bars("bars_1d", symbols=[Lake(home).read("bars_1d")["symbol"][0]])
    calls: list[tuple[str, int, int]] = []
    methods = ["bootstrap", "gbm", "reshuffle"]
    kw: dict[str, Any] = {"methods": methods, "n_paths": 20, "synthetic_paths": 2}
    quiet = monte_carlo(bars, "sma_cross:fast=5,slow=20", **kw)
    report = monte_carlo(bars, "sma_cross:fast=5,slow=20", progress=lambda *a: calls.append(a), **kw)
    assert [c[0] for c in calls] == ["backtest", "bootstrap", "reshuffle", "gbm"]
    assert [c[1] for c in calls] == [1, 2, 3, 4] and {c[2] for c in calls} == {4}
    assert library_json(report) == library_json(quiet)  # progress changes nothing in the result
    sym = str(bars["symbol"][0])
    args = ["--strategy", "sma_cross:fast=5,slow=20", "--symbol", sym, "--paths", "20", "--synthetic-paths", "2"]
    monkeypatch.setattr(_cli, "is_terminal", lambda: True)
    drawn: list[str] = []
    real = _cli.Ctx.progress_bar

    def spy(self: Any, description: str, **k: Any) -> Any:
        drawn.append(f"{description} json={self.json}")
        return real(self, description, **k)

    monkeypatch.setattr(_cli.Ctx, "progress_bar", spy)
    assert t26(home, *args, "--methods", "bootstrap").exit_code == 0
    assert t26(home, *args, "--methods", "bootstrap", "--json").exit_code == 0
    assert drawn == ["Monte Carlo json=False", "Monte Carlo json=True"]
    with _cli.Ctx(json=True).progress_bar("x") as advance:
        assert advance is None  # never under --json
    with _cli.Ctx().progress_bar("x") as advance:
        assert callable(advance)
        advance("bootstrap", 1, 2)


def test_fanned_out_reruns_read_the_bars_from_the_lake(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sim mc --executor processes: each rerun task carries a pinned LakeSlice (the bars' times are read
    by the worker), and the report equals the serial one."""
    import trade2026.parallel as parallel
    from trade2026.lake import LakeSlice

    shipped: list[Any] = []
    real = parallel.run_tasks

    def spy(fn: Any, tasks: Any, **kw: Any) -> Any:
        shipped.extend(tasks)
        return real(fn, tasks, **kw)

    monkeypatch.setattr(parallel, "run_tasks", spy)
    sym = Lake(home).read("bars_1d", columns=["symbol"])["symbol"][0]
    args = ["--strategy", "sma_cross:fast=20,slow=50", "--symbol", sym, "--methods", "gbm"]
    args += ["--paths", "100", "--synthetic-paths", "4", "--json"]
    fanned = t26(home, *args, "--executor", "processes")
    assert fanned.exit_code == 0, fanned.output
    assert shipped and all(isinstance(t.source, LakeSlice) and t.ts is None for t in shipped)
    serial = t26(home, *args, "--executor", "serial")
    a, b = json.loads(fanned.stdout), json.loads(serial.stdout)
    a.pop("run_id", None), b.pop("run_id", None)
    assert a == b
