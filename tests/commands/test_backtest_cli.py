"""``t26 backtest``: JSON shape, sweeps, walk-forward, PBO, report, MLflow run, bad input."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

METRIC_KEYS = {
    "total_return",
    "cagr",
    "ann_vol",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_duration",
    "hit_rate",
    "profit_factor",
    "avg_win",
    "avg_loss",
    "turnover",
    "exposure",
    "trade_count",
}


def _json(r: Any) -> Any:
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_single_run_json_and_mlflow(cli: Any, sample_lake: Any) -> None:
    out = _json(
        cli(
            "backtest",
            "sma_cross:fast=10,slow=40",
            "--symbols",
            "AOAT,NOPE",
            "--commission-bps",
            "5",
            "--stop-loss",
            "0.08",
            "--json",
        )
    )
    assert out["strategy"] == "sma_cross" and out["params"] == {"fast": 10, "slow": 40, "short": 0}
    assert out["symbols"] == ["AOAT"]
    assert set(out["metrics"]) >= METRIC_KEYS
    assert {"psr", "dsr", "min_track_record_length", "expected_max_sharpe"} <= set(out["statistics"])
    assert out["statistics"]["n_trials"] == 1
    assert [r["cost_multiplier"] for r in out["robustness"]["cost_sensitivity"]] == [0, 1, 2, 4]
    assert out["robustness"]["bootstrap"]["sharpe_lo"] <= out["robustness"]["bootstrap"]["sharpe_hi"]
    from trade2026.tracking import get_run

    run = get_run(out["run_id"])
    assert run["metrics"]["sharpe"] == pytest.approx(out["metrics"]["sharpe"])


def test_grid_walk_forward_pbo_and_report(cli: Any, sample_lake: Any, tmp_path: Any) -> None:
    report = tmp_path / "bt.html"
    out = _json(
        cli(
            "backtest",
            "sma_cross",
            "--grid",
            "fast=5:20:5,slow=30:60:10",
            "--walk-forward",
            "--train",
            "252",
            "--test",
            "126",
            "--pbo",
            "--partitions",
            "8",
            "--report",
            str(report),
            "--no-track",
            "--json",
        )
    )
    assert out["sweep"]["n_trials"] == 16
    assert out["run_id"] is None
    wf = out["walk_forward"]
    assert len(wf["windows"]) == 4  # 756 bars: tests start at 252, 378, 504, 630
    assert {"params", "is_sharpe", "oos_sharpe", "test_start"} <= set(wf["windows"][0])
    assert METRIC_KEYS - {"trade_count", "turnover", "exposure"} <= set(wf["oos_metrics"])
    assert 0.0 <= out["pbo"]["pbo"] <= 1.0 and out["pbo"]["n_splits"] == 70
    assert out["robustness"]["neighborhood"]["neighbors"] >= 1
    html = report.read_text()
    assert html.count("Plotly.newPlot") >= 8 and "<script src" not in html  # interactive, self-contained
    assert "Basis: stitched out-of-sample returns of the walk-forward" in html and "Walk-forward windows" in html
    for fig in ("equity", "pbo_logits", "sweep_heatmap", "is_vs_oos", "monthly", "drawdowns", "walk_forward"):
        assert (tmp_path / f"bt_{fig}.png").exists(), fig


def test_signal_strategy_from_a_lake_table(cli: Any, sample_lake: Any) -> None:
    bars = sample_lake.read("bars_1d")
    sig = bars.select("symbol", "ts", (pl.col("close").pct_change().over("symbol") > 0).cast(pl.Float64).alias("p"))
    sample_lake.write("my_signals", sig, mode="overwrite")
    out = _json(cli("backtest", "signal:p", "--signal-table", "my_signals", "--no-track", "--json"))
    assert out["metrics"]["trade_count"] > 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "unknown strategy"),
        (["sma_cross:speed=3"], "unknown parameter"),
        (["sma_cross", "--symbols", "NOPE"], "no bars"),
        (["sma_cross", "--grid", "fast=5|10,slow=20", "--walk-forward", "--train", "5000"], "walk-forward needs"),
        (["sma_cross", "--pbo"], "needs a parameter grid"),
        (["sma_cross", "--grid", "fast=5,slow=20", "--pbo"], "at least 2 trials"),
        (["sma_cross", "--fill", "vwap"], "fill must be"),
        (["sma_cross", "--objective", "luck"], "unknown objective"),
        (["signal:p"], "--signal-table"),
        (["sma_cross", "--table", "nope"], "nope"),
    ],
)
def test_bad_input_exits_2(cli: Any, sample_lake: Any, args: list[str], message: str) -> None:
    r = cli("backtest", *args, "--no-track")
    assert r.exit_code == 2, r.output
    assert message in r.stderr
    assert "Traceback" not in r.output


def test_one_point_grid_is_a_plain_run(cli: Any, sample_lake: Any) -> None:
    out = _json(cli("backtest", "ema_cross", "--grid", "fast=5,slow=20", "--no-track", "--json"))
    assert out["params"]["fast"] == 5 and "sweep" not in out


@pytest.mark.parametrize(
    ("args", "kw"),
    [
        (["sma_cross:fast=10,slow=40", "--commission-bps", "5"], {"commission_bps": 5.0}),
        (
            ["sma_cross:fast=10,slow=40", "--benchmark", "equal", "--risk-free", "0.03"],
            {"benchmark": "equal", "risk_free": 0.03},
        ),
        (
            ["mean_reversion", "--grid", "window=10:30:10,entry=1.5|2", "--objective", "sortino"],
            {"grid": "window=10:30:10,entry=1.5|2", "objective": "sortino"},
        ),
        (
            [
                "sma_cross",
                "--grid",
                "fast=5:20:5,slow=30:60:10",
                "--walk-forward",
                "--train",
                "252",
                "--test",
                "126",
                "--anchored",
                "--pbo",
                "--partitions",
                "8",
                "--sizing",
                "vol_target",
            ],
            {"grid": "fast=5:20:5,slow=30:60:10", "pbo": 8, "sizing": "vol_target", "wf": (252, 126, True)},
        ),
    ],
)
def test_json_is_the_library_report(cli: Any, sample_lake: Any, args: list[str], kw: dict[str, Any]) -> None:
    """A notebook calling trade2026.backtest.evaluate gets exactly the command's --json (run_id aside)."""
    from trade2026._json import dumps
    from trade2026.backtest import WalkForwardSpec, evaluate

    out = _json(cli("backtest", *args, "--symbols", "AOAT,CHM", "--no-track", "--json"))
    assert out.pop("run_id") is None
    wf = kw.pop("wf", None)
    bars = sample_lake.read_bars("bars_1d", symbols=["AOAT", "CHM"])
    rep = evaluate(bars, args[0], walk_forward=WalkForwardSpec(*wf) if wf else None, **kw)
    assert out == json.loads(dumps(rep.to_dict()))
    assert ("sweep" in out) == ("grid" in kw) and ("walk_forward" in out) == (wf is not None)


def test_tracked_run_logs_the_reports_metrics(cli: Any, sample_lake: Any) -> None:
    from trade2026.backtest import evaluate
    from trade2026.tracking import get_run

    out = _json(cli("backtest", "sma_cross", "--grid", "fast=5|10,slow=30|40", "--pbo", "--partitions", "4", "--json"))
    run = get_run(out["run_id"])
    rep = evaluate(sample_lake.read_bars("bars_1d"), "sma_cross", grid="fast=5|10,slow=30|40", pbo=4)
    assert run["metrics"] == pytest.approx(rep.tracking_metrics())
    assert run["params"]["table"] == "bars_1d" and run["params"]["param_fast"] == str(rep.params["fast"])


@pytest.mark.slow
def test_first_run_compile_notice_on_stderr_only(sample_lake: Any, home: Any, tmp_path: Any) -> None:
    """A new install's first run (empty numba cache) says on stderr that kernels compile; --json
    keeps stdout a clean JSON document and stderr quiet; the next run compiles nothing. The run
    imports no plotting, tracking, SQL or scipy.stats module it does not use."""
    import os
    import subprocess
    import sys

    args = ["ema_cross", "--symbols", "AOAT", "--grid", "fast=5|10,slow=20", "--walk-forward", "--train", "300"]
    args += ["--test", "100", "--pbo", "--partitions", "4", "--sizing", "vol_target", "--no-track"]

    def run(*extra: str, cache: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_DEBUG_CACHE"}  # it prints on stdout
        env.update(NUMBA_CACHE_DIR=str(tmp_path / cache), T26_HOME=str(home), **env_extra)
        cmd = [sys.executable, "-X", "importtime", "-m", "commands.main", "backtest", *args, *extra]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)

    quiet = run("--json", cache="a")
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert json.loads(quiet.stdout)["strategy"] == "ema_cross"
    assert "compiling" not in quiet.stderr
    imported = {line.split("|")[-1].strip() for line in quiet.stderr.splitlines() if "|" in line}
    assert not imported & {"matplotlib", "mlflow", "duckdb", "scipy.stats", "sklearn", "statsmodels"}
    loud = run(cache="b")
    assert loud.returncode == 0, loud.stderr[-2000:]
    notices = [line for line in loud.stderr.splitlines() if "compiling" in line]
    assert len(notices) == 1 and "numba kernel(s) for backtest" in notices[0]
    assert "compiling" not in loud.stdout
    # Warm: every kernel loads from the cache (numba's debug output, on stdout, saves nothing).
    warm = run(cache="a", NUMBA_DEBUG_CACHE="1")
    assert warm.returncode == 0, warm.stderr[-2000:]
    assert "[cache] data loaded" in warm.stdout and "[cache] data saved" not in warm.stdout
    assert "compiling" not in warm.stderr


def test_benchmark_symbol_outside_the_backtest_save_and_export(cli: Any, sample_lake: Any, tmp_path: Any) -> None:
    """--benchmark SYMBOL reads that symbol's bars even when it is not backtested; --save writes the
    trade list to the lake (replacing the run's symbols); --export-sweep writes every parameter set."""
    sweep = tmp_path / "sweep.csv"
    args = ["backtest", "sma_cross", "--symbols", "AOAT", "--grid", "fast=5|10,slow=30|40", "--no-track"]
    out = _json(cli(*args, "--benchmark", "CHM", "--save", "bt_trades", "--export-sweep", str(sweep), "--json"))
    assert out["benchmark"]["name"] == "CHM" and {"alpha", "beta", "up_capture"} <= set(out["benchmark"]["metrics"])
    assert len(out["benchmark"]["excess_curve"]) == out["n_bars"]
    table = sample_lake.read("bt_trades")
    assert table.height == len(out["trades"]) == out["saved"]["rows"] and set(table["symbol"]) <= {"AOAT"}
    assert {"mae", "mfe", "size", "entry_price", "exit_price", "duration_days", "exit_reason"} <= set(table.columns)
    assert pl.read_csv(sweep).height == out["sweep"]["n_trials"] == 4
    again = _json(cli(*args, "--save", "bt_trades", "--json"))
    assert again["saved"]["replaced"] == table.height and sample_lake.read("bt_trades").height == len(again["trades"])


def test_unknown_benchmark_and_export_without_grid_exit_2(cli: Any, sample_lake: Any) -> None:
    r = cli("backtest", "sma_cross", "--symbols", "AOAT", "--benchmark", "NOPE", "--no-track")
    assert r.exit_code == 2 and "NOPE" in r.stderr
    r = cli("backtest", "sma_cross", "--symbols", "AOAT", "--export-sweep", "x.csv", "--no-track")
    assert r.exit_code == 2 and "--export-sweep needs a parameter grid" in r.stderr


def test_a_fanned_out_sweep_ships_a_lake_slice_not_the_bars(
    cli: Any, sample_lake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --executor processes|ray the workers read the bars from the lake (issue 16): every task
    carries a pinned LakeSlice and no panel, and the result equals the serial run's."""
    import pickle

    import trade2026.parallel as parallel
    from trade2026.lake import LakeSlice

    shipped: list[Any] = []
    real = parallel.run_tasks

    def spy(fn: Any, tasks: Any, **kw: Any) -> Any:
        shipped.extend(tasks)
        return real(fn, tasks, **kw)

    monkeypatch.setattr(parallel, "run_tasks", spy)
    args = ["backtest", "sma_cross", "--grid", "fast=5:20:5,slow=30:60:10", "--no-track", "--json"]
    fanned = cli(*args, "--executor", "processes")
    assert fanned.exit_code == 0, fanned.output
    chunks = [t for t in shipped if hasattr(t, "source")]
    assert chunks and all(isinstance(t.source, LakeSlice) and t.panel is None for t in chunks)
    assert all(t.source.version is not None for t in chunks)  # pinned: workers read the same rows
    assert max(len(pickle.dumps(t)) for t in chunks) < 20_000
    serial = cli(*args)
    a, b = json.loads(fanned.stdout), json.loads(serial.stdout)
    a.pop("run_id", None), b.pop("run_id", None)
    assert a == b
