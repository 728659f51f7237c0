"""The trade list (MAE/MFE, size, prices, duration, lake table), benchmarks, bases, sweep export, cost basis."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from trade2026.backtest import (
    DEFAULT_SENSITIVITY_COSTS,
    TRADE_COLUMNS,
    WalkForwardSpec,
    evaluate,
    run_backtest,
    strategy_positions,
)
from trade2026.core import benchmark_metrics, equal_weight_returns, ffill, simple_returns
from trade2026.errors import ConfigError, DataError

GRID = "fast=5:15:5,slow=20:40:10"


def _excursions_by_loop(trade: dict, bars: pl.DataFrame) -> tuple[float, float]:
    """MAE/MFE of one trade from the bars between its entry and exit (fill at the open), a plain loop."""
    sym = bars.filter(
        (pl.col("symbol") == trade["symbol"]) & pl.col("ts").is_between(trade["entry_ts"], trade["exit_ts"])
    )
    hi = max([*sym["high"].to_list(), trade["entry_price"], trade["exit_price"]])
    lo = min([*sym["low"].to_list(), trade["entry_price"], trade["exit_price"]])
    p0 = trade["entry_price"]
    if trade["side"] > 0:
        return lo / p0 - 1, hi / p0 - 1
    return 1 - hi / p0, 1 - lo / p0


@pytest.mark.parametrize("spec", ["sma_cross:fast=5,slow=20", "sma_cross:fast=5,slow=20,short=1"])
def test_trade_list_columns_and_excursions(bars, spec):
    res = run_backtest(bars, strategy_positions(spec, bars), stop_loss=0.04, commission_bps=2)
    t = res.trades
    assert tuple(t.columns) == TRADE_COLUMNS and t.height > 10
    if "short=1" in spec:
        assert (t["side"] < 0).any()
    assert (t["mae"] <= 0).all() and (t["mfe"] >= 0).all() and (t["size"] > 0).all()
    assert (t["exit_ts"] >= t["entry_ts"]).all() and (t["bars"] >= 0).all()
    for row in t.head(15).to_dicts():
        mae, mfe = _excursions_by_loop(row, bars)
        assert row["mae"] == pytest.approx(mae) and row["mfe"] == pytest.approx(mfe)
        assert row["duration_days"] == pytest.approx((row["exit_ts"] - row["entry_ts"]).total_seconds() / 86400)
    # a stop-loss exit lost about the stop (the stop level fills, or a gap beyond it)
    stops = t.filter(pl.col("exit_reason") == "stop_loss")
    assert stops.height and (stops["mae"] <= -0.04 + 1e-9).all()
    # the entry price of a long is what the fills paid
    first = t.row(0, named=True)
    fill = res.fills.filter((pl.col("symbol") == first["symbol"]) & (pl.col("ts") == first["entry_ts"])).row(
        0, named=True
    )
    assert first["entry_price"] == pytest.approx(fill["price"]) and first["size"] == pytest.approx(abs(fill["qty"]))


def test_walk_forward_headline_is_the_stitched_out_of_sample_backtest(bars):
    rep = evaluate(bars, "sma_cross", grid=GRID, walk_forward=WalkForwardSpec(train=300, test=100))
    n_oos = rep.walk_forward.returns.height
    np.testing.assert_allclose(rep.performance.returns["return"].to_numpy()[-n_oos:], rep.returns["return"].to_numpy())
    first_test = rep.walk_forward.windows[0]["test_start"]
    assert rep.trades.height and (rep.trades["entry_ts"] >= first_test).all()
    d = rep.to_dict()
    assert d["performance"] == rep.walk_forward.metrics
    assert d["bases"]["performance"] == d["bases"]["trades"] == "walk_forward_oos"
    assert d["bases"]["metrics"] == "full_period_chosen_params"
    assert d["risk"]["best_day"] == pytest.approx(rep.returns["return"].max())
    assert len(d["trades"]) == rep.trades.height and d["trade_summary"][-1]["trades"] == rep.trades.height


def test_full_period_headline_without_walk_forward(bars):
    rep = evaluate(bars, "sma_cross:fast=5,slow=20")
    d = rep.to_dict()
    assert d["performance"] == d["metrics"] and d["bases"]["performance"] == "full_period"
    assert d["trades"] == rep.result.trades.to_dicts()
    assert d["drawdowns"][0]["depth"] == pytest.approx(d["metrics"]["max_drawdown"])


def test_benchmarks(bars):
    rep = evaluate(bars, "sma_cross:fast=5,slow=20", benchmark="equal", risk_free=0.02)
    close = ffill(rep.panel.close)
    b = equal_weight_returns(simple_returns(close))
    r = rep.returns["return"].to_numpy()
    assert rep.to_dict()["benchmark"]["metrics"] == benchmark_metrics(r, b, rep.config.annual_periods, risk_free=0.02)
    curve = rep.to_dict()["benchmark"]["excess_curve"]
    assert len(curve) == len(r)
    wealth = np.cumprod(1 + r) / np.cumprod(1 + np.nan_to_num(b))
    assert curve[-1]["excess_return"] == pytest.approx(wealth[-1] - 1)

    sym = rep.symbols[1]
    one = evaluate(bars, "sma_cross:fast=5,slow=20", benchmark=sym)
    k = one.panel.symbols.index(sym)
    np.testing.assert_allclose(one.benchmark_returns, simple_returns(close[:, [k]])[:, 0])
    # the same symbol passed as a frame (ts, close) joins on ts and gives the same numbers
    frame = bars.filter(pl.col("symbol") == sym).select("ts", "close")
    assert evaluate(bars, "sma_cross:fast=5,slow=20", benchmark=frame).benchmark_metrics == pytest.approx(
        one.benchmark_metrics, nan_ok=True
    )
    bh = evaluate(bars, "sma_cross:fast=5,slow=20", benchmark="buy_hold")
    wealth = np.nanmean(close / close[0], axis=1)
    assert bh.benchmark_metrics["benchmark_total_return"] == pytest.approx(wealth[-1] / wealth[0] - 1)


def test_walk_forward_benchmark_is_aligned_with_the_out_of_sample_returns(bars):
    rep = evaluate(bars, "sma_cross", grid=GRID, walk_forward=WalkForwardSpec(train=300, test=100), benchmark="equal")
    assert rep.benchmark_returns.shape == (rep.returns.height,)
    assert rep.benchmark_metrics["n_obs"] == rep.returns.height


@pytest.mark.parametrize(
    ("kw", "err", "match"),
    [
        ({"benchmark": "NOPE"}, DataError, "neither equal nor buy_hold nor a symbol"),
        ({"benchmark": pl.DataFrame({"x": [1]})}, DataError, "needs ts and return"),
        ({"risk_free": 4}, ConfigError, "0.04 = 4%"),
        ({"export_sweep": "s.csv"}, ConfigError, "needs a parameter grid"),
        ({"grid": GRID, "export_sweep": "s.xlsx"}, ConfigError, ".csv or .parquet"),
    ],
)
def test_bad_inputs(bars, kw, err, match):
    with pytest.raises(err, match=match):
        evaluate(bars, "sma_cross:fast=5,slow=20", **kw)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_sweep(bars, tmp_path, suffix):
    path = tmp_path / f"sweep{suffix}"
    rep = evaluate(bars, "sma_cross", grid=GRID, export_sweep=path)
    back = pl.read_csv(path) if suffix == ".csv" else pl.read_parquet(path)
    table = rep.sweep_table()
    assert back.height == rep.sweep.n_trials == table.height
    np.testing.assert_allclose(back["sharpe"].to_numpy(), table["sharpe"].to_numpy())
    assert rep.to_dict()["sweep"]["export"] == str(path)


def test_cost_sensitivity_with_zero_costs_uses_the_default_model(bars):
    rep = evaluate(bars, "sma_cross:fast=5,slow=20")
    rows = rep.robustness["cost_sensitivity"]
    assert rep.robustness["cost_basis"].startswith("default costs")
    assert [r["slippage_bps"] for r in rows] == [DEFAULT_SENSITIVITY_COSTS["slippage_bps"] * m for m in (0, 1, 2, 4)]
    returns = [r["total_return"] for r in rows]
    assert returns == sorted(returns, reverse=True) and returns[0] > returns[-1]  # more cost, less return
    assert rows[0]["total_return"] == pytest.approx(rep.result.metrics["total_return"])  # 0x: the free run
    paid = evaluate(bars, "sma_cross:fast=5,slow=20", commission_bps=4)
    assert paid.robustness["cost_basis"] == "configured costs"
    assert [r["commission_bps"] for r in paid.robustness["cost_sensitivity"]] == [0, 4, 8, 16]


def test_save_trades_replaces_the_runs_symbols(bars, lake):
    syms = sorted(bars["symbol"].unique().to_list())
    rep = evaluate(bars, "sma_cross:fast=5,slow=20")
    first = rep.save_trades(lake, "bt_trades")
    assert first["rows"] == rep.trades.height and first["replaced"] == 0
    again = rep.save_trades(lake, "bt_trades")
    assert again["replaced"] == rep.trades.height and lake.read("bt_trades").height == rep.trades.height
    # a rerun on fewer symbols with other parameters replaces only those symbols' rows
    sub = bars.filter(pl.col("symbol").is_in(syms[:2]))
    other = evaluate(sub, "sma_cross:fast=10,slow=40")
    other.save_trades(lake, "bt_trades")
    table = lake.read("bt_trades")
    mine = table.filter(pl.col("symbol").is_in(syms[:2]))
    assert mine.height == other.trades.height and set(mine["strategy"]) <= {"sma_cross:fast=10,slow=40"}
    rest = table.filter(~pl.col("symbol").is_in(syms[:2]))
    assert rest.height == rep.trades.filter(~pl.col("symbol").is_in(syms[:2])).height
    assert math.isclose(rest["pnl"].sum(), rep.trades.filter(~pl.col("symbol").is_in(syms[:2]))["pnl"].sum())


def test_no_trades_still_reports(bars, tmp_path):
    flat = bars.select("symbol", "ts", pl.lit(0.0).alias("flat"))
    rep = evaluate(bars.join(flat, on=["symbol", "ts"]), "signal:flat", report=tmp_path / "r.html", benchmark="equal")
    assert rep.trades.height == 0 and tuple(rep.trades.columns) == TRADE_COLUMNS
    d = rep.to_dict()
    assert d["trades"] == [] and d["trade_summary"] == [] and d["drawdowns"] == []
    assert "No trades." in rep.report_files[0].read_text()
