"""evaluate(): the workflow against its building blocks, its report object, join_signal and errors."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from trade2026.backtest import (
    BacktestReport,
    WalkForwardSpec,
    evaluate,
    join_signal,
    pbo,
    run_backtest,
    run_sweep,
    strategy_positions,
    walk_forward,
)
from trade2026.errors import ConfigError, DataError

KW = {"commission_bps": 3.0, "slippage_bps": 1.0}
GRID = "fast=5:15:5,slow=20:40:10"


def test_single_run_is_run_backtest_of_the_spec(bars):
    rep = evaluate(bars, "sma_cross:fast=5,slow=20", **KW)
    one = run_backtest(bars, strategy_positions("sma_cross:fast=5,slow=20", bars), **KW)
    assert isinstance(rep, BacktestReport) and rep.sweep is None
    assert rep.params == {"fast": 5, "slow": 20, "short": 0}
    assert rep.result.metrics == one.metrics
    assert rep.statistics["n_trials"] == 1
    d = rep.to_dict()
    assert "sweep" not in d and "walk_forward" not in d and "pbo" not in d and "report" not in d
    assert d["n_bars"] == bars["ts"].n_unique() and d["symbols"] == sorted(bars["symbol"].unique())


def test_sweep_picks_the_sweeps_best_and_deflates_by_its_trials(bars):
    rep = evaluate(bars, "sma_cross", grid=GRID, objective="sortino", **KW)
    sw = run_sweep(bars, "sma_cross", GRID, **KW)
    best = int(np.nanargmax(sw.metrics()["sortino"]))
    assert rep.params == sw.params[best]
    assert rep.statistics == sw.selection_statistics(best)
    top = rep.to_dict()["sweep"]["top"]
    assert len(top) == 9 and {k: top[0][k] for k in rep.params} == rep.params
    assert [r["sortino"] for r in top] == sorted((r["sortino"] for r in top), reverse=True)
    assert rep.result.metrics["total_return"] == pytest.approx(sw.table()["total_return"][best], abs=1e-12)


def test_nan_objective_ranks_last(bars):
    # slow=5000 never has a moving average on 756 bars: flat, zero volatility, NaN Sharpe.
    rep = evaluate(bars, "sma_cross", grid="fast=5,slow=20|5000")
    top = rep.to_dict()["sweep"]["top"]
    assert [r["slow"] for r in top] == [20, 5000]
    assert math.isnan(top[1]["sharpe"])
    assert rep.params["slow"] == 20


def test_walk_forward_and_pbo_are_the_library_functions(bars):
    spec = WalkForwardSpec(train=300, test=100, anchored=True)
    rep = evaluate(bars, "sma_cross", grid=GRID, walk_forward=spec, pbo=8, **KW)
    wf = walk_forward(bars, "sma_cross", GRID, train=300, test=100, anchored=True, **KW)
    assert rep.to_dict()["walk_forward"] == wf.to_dict()
    assert rep.returns.equals(wf.returns)
    sw = run_sweep(bars, "sma_cross", GRID, **KW)
    assert rep.to_dict()["pbo"] == pbo(sw.returns, n_partitions=8).to_dict()
    flat = rep.tracking_metrics()
    assert flat["pbo"] == rep.pbo.pbo and flat["oos_sharpe"] == wf.metrics["sharpe"]
    assert all(isinstance(v, int | float) and math.isfinite(v) for v in flat.values())
    # robustness describes the out-of-sample returns: their bootstrap, the chosen set's neighbours
    assert rep.robustness["neighborhood"]["neighbors"] >= 1
    assert rep.robustness["bootstrap"]["block_length"] > 0
    titles = [t for t, _ in rep.tables()]
    # the headline of a walk-forward is its out-of-sample result; the in-sample full period comes second
    assert titles[0] == "Performance: walk-forward out-of-sample, stitched" and "Walk-forward windows" in titles
    assert titles[1].startswith("Full-period backtest") and "in-sample" in titles[1]
    assert rep.tables()[0][1] == [{"metric": k, "value": v} for k, v in wf.metrics.items()]


def test_grid_as_parameter_sets_equals_grid_syntax(bars):
    a = evaluate(bars, "sma_cross", grid="fast=5|10,slow=20|40")
    b = evaluate(bars, "sma_cross", grid=[{"fast": f, "slow": s} for f in (5, 10) for s in (20, 40)])
    assert a.params == b.params and a.result.metrics == b.result.metrics
    assert a.tracking_params()["grid"] == "fast=5|10,slow=20|40"
    assert b.tracking_params()["grid"] == "4 parameter sets"


def test_cross_sectional_strategy_trades_one_book(bars):
    rep = evaluate(bars, "xsmom:lookback=40,rebalance=10", mode="per_symbol")
    assert rep.config.mode == "portfolio"
    one = run_backtest(bars, strategy_positions("xsmom:lookback=40,rebalance=10", bars), cross_sectional=True)
    assert rep.result.metrics == one.metrics


def test_report_files(bars, tmp_path):
    rep = evaluate(bars, "sma_cross", grid="fast=5|10,slow=20|40", pbo=4, report=tmp_path / "r.html")
    assert rep.report_files[0] == tmp_path / "r.html" and all(p.exists() for p in rep.report_files)
    assert rep.to_dict()["report"] == str(tmp_path / "r.html")


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"pbo": 8}, ConfigError, "pbo needs a parameter grid"),
        ({"walk_forward": WalkForwardSpec(300, 100)}, ConfigError, "walk_forward needs a parameter grid"),
        ({"grid": "fast=5,slow=20", "pbo": 8}, ConfigError, "at least 2 trials"),
        ({"grid": "fast=5|10,slow=20", "pbo": 7}, ConfigError, "even number"),
        ({"grid": "fast=5|10,slow=20", "walk_forward": WalkForwardSpec(700, 100)}, DataError, "train \\+ test"),
        ({"walk_forward": (300, 100), "grid": "fast=5|10,slow=20"}, ConfigError, "WalkForwardSpec"),
        ({"objective": "luck"}, ConfigError, "unknown objective"),
        ({"grid": [{"fast": 30, "slow": 20}]}, ConfigError, "fast \\(30\\) must be smaller"),
    ],
)
def test_errors_name_parameters_not_flags(bars, kw, error, match):
    with pytest.raises(error, match=match) as info:
        evaluate(bars, "sma_cross", **kw)
    assert "--" not in str(info.value)


def test_walk_forward_spec_checks_its_windows():
    with pytest.raises(ConfigError, match="train >= 2"):
        WalkForwardSpec(train=1, test=10)


def _one(bars):
    return bars.filter(pl.col("symbol") == bars["symbol"].min())


def test_join_signal_left_joins_and_replaces(bars):
    one = _one(bars)
    sig = one.select("symbol", "ts", (pl.col("close").pct_change() > 0).cast(pl.Int8).alias("up")).tail(300)
    out = join_signal(one.with_columns(up=pl.lit(9.0)), sig, "up")
    assert out.columns == [*one.columns, "up"] and out.height == one.height
    assert out["up"].dtype == pl.Float64
    assert out["up"].head(one.height - 300).null_count() == one.height - 300  # no signal row: null, not 9
    np.testing.assert_array_equal(out["up"].tail(300).to_numpy(), sig["up"].cast(pl.Float64).to_numpy())
    # pandas in, pandas out
    pd_out = join_signal(one.to_pandas(), sig.to_pandas(), "up")
    assert type(pd_out).__module__.startswith("pandas") and list(pd_out.columns) == out.columns


def test_join_signal_errors(bars):
    one = _one(bars)
    with pytest.raises(DataError, match="signal table 'x' is missing column"):
        join_signal(one, one.select("symbol", "ts"), "p", what="signal table 'x'")
    dup = pl.concat([one.select("symbol", "ts", p=pl.lit(1.0))] * 2)
    with pytest.raises(DataError, match="duplicate"):
        join_signal(one, dup, "p")


def test_signal_strategy_through_join_signal_equals_its_positions(bars):
    one = _one(bars)
    sig = one.select("symbol", "ts", p=(pl.col("close").pct_change() > 0).cast(pl.Float64))
    joined = join_signal(one, sig, "p")
    rep = evaluate(joined, "signal:p", **KW)
    pos = sig.rename({"p": "position"}).with_columns(pl.col("position").fill_null(0.0))
    assert rep.result.metrics == run_backtest(one, pos, **KW).metrics
