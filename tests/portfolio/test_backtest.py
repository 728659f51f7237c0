"""Rebalancing backtests: the accounting against a hand computation, no look-ahead, costs, universes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trade2026.errors import ConfigError, DataError
from trade2026.portfolio._backtest import backtest, parse_methods, plot_backtest


def _prices(n: int = 160, k: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0005, 0.01, (n, k)) + rng.normal(0, 0.005, (n, 1))
    idx = pd.date_range("2020-01-01", periods=n, freq="B", tz="UTC")
    return pd.DataFrame(100 * np.exp(np.cumsum(r, axis=0)), index=idx, columns=[f"P{i}" for i in range(k)])


def test_equal_weight_accounting_matches_a_hand_computation():
    px = _prices()
    res = backtest(px, "ew", rebalance=20, lookback=40, cost_bps=25, cov="sample")
    simple = (px / px.shift(1) - 1).to_numpy()
    n, k = px.shape
    # decided on row 40's close (the first full 40-return window), earning from row 41
    w = np.full(k, 1 / k)
    pending = 25e-4 * 1.0  # from cash: traded value 1
    expect = []
    for i in range(41, n):
        g = float(w @ simple[i])
        expect.append(g - pending)
        pending = 0.0
        w = w * (1 + simple[i]) / (1 + g)
        if (i - 40) % 20 == 0 and i < n - 1:
            target = np.full(k, 1 / k)
            pending = 25e-4 * np.abs(target - w).sum()
            w = target
    assert res.returns.index[0] == px.index[41]
    np.testing.assert_allclose(res.returns["ew"].to_numpy(), expect, atol=1e-12)
    m = res.metrics[0]
    assert m["n_rebalances"] == len(range(40, n - 1, 20))
    assert m["avg_holdings"] == k


def test_costs_reduce_returns_by_cost_times_traded_value():
    px = _prices()
    free = backtest(px, "inv_vol", rebalance=30, lookback=40, cost_bps=0, cov="sample")
    paid = backtest(px, "inv_vol", rebalance=30, lookback=40, cost_bps=10, cov="sample")
    diff = (free.returns - paid.returns)["inv_vol"].to_numpy()
    assert (diff >= -1e-15).all()
    assert np.count_nonzero(diff > 1e-12) == free.metrics[0]["n_rebalances"]
    # one-way turnover per rebalance * 2 = traded value; the cost is 10 bps of it
    m = free.metrics[0]
    assert diff.sum() == pytest.approx(10e-4 * 2 * m["turnover_per_rebalance"] * m["n_rebalances"], rel=1e-9)


def test_no_look_ahead_future_prices_do_not_change_past_weights():
    px = _prices(200, 5, seed=1)
    base = backtest(px, "hrp,min_var", rebalance=25, lookback=50, cov="sample")
    cut = px.index[120]
    shocked = px.copy()
    shocked.loc[shocked.index > cut] *= np.linspace(0.5, 2.0, 5)
    other = backtest(shocked, "hrp,min_var", rebalance=25, lookback=50, cov="sample")
    a = base.weights.filter(base.weights["ts"] <= cut.to_pydatetime())
    b = other.weights.filter(other.weights["ts"] <= cut.to_pydatetime())
    assert a.height > 0
    assert a.equals(b)


def test_universe_follows_listings_and_delistings():
    px = _prices(200, 4)
    px.iloc[:90, 0] = np.nan  # P0 lists at row 90
    px.iloc[130:, 1] = np.nan  # P1 delists after row 129
    res = backtest(px, "ew", rebalance=20, lookback=40, cov="sample")
    w = res.weights.to_pandas()
    for ts, grp in w.groupby("ts"):
        i = px.index.get_loc(ts)
        assert ("P0" in set(grp["symbol"])) == (i - 40 >= 90)
        assert ("P1" in set(grp["symbol"])) == (i < 130)
    assert np.isfinite(res.returns.to_numpy()).all()


def test_best_method_and_dsr():
    px = _prices(220, 5, seed=2)
    res = backtest(px, "ew,inv_vol,min_var", rebalance=21, lookback=60, cov="sample")
    srs = {m["method"]: m["sharpe_per_period"] for m in res.metrics}
    assert res.best == max(srs, key=srs.get)
    assert 0.0 <= res.dsr <= 1.0
    for m in res.metrics:
        assert {"cagr", "ann_vol", "sharpe", "max_drawdown", "turnover", "avg_holdings"} <= set(m)


def test_processes_executor_gives_the_serial_result():
    px = _prices(120, 4)
    a = backtest(px, "ew,inv_vol", rebalance=20, lookback=40, cov="sample")
    b = backtest(px, "ew,inv_vol", rebalance=20, lookback=40, cov="sample", executor="processes", max_workers=2)
    pd.testing.assert_frame_equal(a.returns, b.returns)


def test_method_specs_and_errors(tmp_path):
    specs = parse_methods("hrp,mean_risk:rm=cvar;objective=sharpe")
    assert specs[1] == ("mean_risk(rm=cvar;objective=sharpe)", "mean_risk", {"rm": "cvar", "objective": "sharpe"})
    with pytest.raises(ConfigError, match="listed twice"):
        parse_methods("hrp,hrp")
    with pytest.raises(ConfigError, match="no parameter"):
        parse_methods("hrp:nope=1")
    px = _prices(100, 3)
    res = backtest(px, "ew,inv_vol", rebalance=20, lookback=40, cov="sample")
    paths = plot_backtest(res, tmp_path, groups={"P0": "a", "P1": "a", "P2": "b"})
    assert paths[0].name == "portfolio_backtest.html"
    assert {p.name for p in paths[1:]} >= {
        "portfolio_backtest_equity.png", "portfolio_backtest_turnover.png", "portfolio_backtest_risk_contribution.png",
        "portfolio_backtest_alloc_ew.png", "portfolio_backtest_alloc_sector_inv_vol.png",
    }  # fmt: skip
    page = paths[0].read_text()
    for title in ("Performance", "Turnover", "Allocation", "Risk contributions", "Basis: out-of-sample"):
        assert title in page


def test_turnover_series_and_risk_contributions_by_hand():
    px = _prices(200, 5, seed=4)
    res = backtest(px, "ew,min_var", rebalance=25, lookback=50, cost_bps=10, cov="sample")
    for m in res.metrics:
        sub = res.turnover.filter(res.turnover["method"] == m["method"])
        assert sub.height == m["n_rebalances"]
        assert sub["turnover"].mean() == pytest.approx(m["turnover_per_rebalance"], rel=1e-12)
        assert sub["turnover"][0] == pytest.approx(0.5)  # from cash: buys 1, one-way half of it
    # Risk contributions at the last rebalance: w_i (S w)_i / w'S w with S the (cov="sample") covariance
    # of the window's simple returns, by a loop over assets.
    last = max(res.rebalance_dates)
    t = list(px.index).index(last)
    window = (px / px.shift(1) - 1).iloc[t - 50 + 1 : t + 1].to_numpy()
    S = np.cov(window, rowvar=False)
    for method in ("ew", "min_var"):
        rows = [r for r in res.risk if r["method"] == method]
        assert {r["ts"] for r in rows} == {last}
        w = np.array([next((r["weight"] for r in rows if r["symbol"] == c), 0.0) for c in px.columns])
        var = sum(w[i] * w[j] * S[i, j] for i in range(5) for j in range(5))
        for r in rows:
            i = list(px.columns).index(r["symbol"])
            assert r["risk_contribution"] == pytest.approx(w[i] * sum(S[i, j] * w[j] for j in range(5)) / var)
        assert sum(r["risk_contribution"] for r in rows) == pytest.approx(1.0)


def test_allocation_folds_small_weights_into_other():
    from trade2026.portfolio._pages import OTHER, fold_weights

    rows = [{"ts": d, "symbol": f"S{i}", "weight": w} for d in (1, 2) for i, w in enumerate([0.4, 0.3, 0.1, 0.1, 0.1])]
    dates, by = fold_weights(rows, top=2)
    assert dates == [1, 2] and list(by) == ["S0", "S1", OTHER]
    np.testing.assert_allclose(by[OTHER], [0.3, 0.3])
    np.testing.assert_allclose(sum(by.values()), [1.0, 1.0])
    _, sectors = fold_weights(rows, groups={"S0": "x", "S1": "y", "S2": "y"})
    np.testing.assert_allclose(sectors["y"], [0.4, 0.4])
    np.testing.assert_allclose(sectors[OTHER], [0.2, 0.2])  # symbols without a sector


def test_benchmark_comparison_by_hand(tmp_path):
    from trade2026.portfolio._reports import _benchmark

    px = _prices(160, 4, seed=8)
    res = backtest(px, "ew,min_var", rebalance=20, lookback=40, cov="sample")
    name, b = _benchmark("equal", px, res.returns.index)
    assert name == "equal-weight universe"
    simple = px / px.shift(1) - 1
    for j, ts in enumerate(res.returns.index):  # the mean of the symbols' returns that day
        assert b[j] == pytest.approx(float(np.mean(simple.loc[ts].to_numpy())), rel=1e-12)
    _, p0 = _benchmark("P0", px, res.returns.index)
    np.testing.assert_allclose(p0, simple["P0"].loc[res.returns.index].to_numpy())
    cmp = res.with_benchmark(name, b, 252)
    assert cmp.to_dict()["benchmark"]["name"] == name
    for row in cmp.benchmark_metrics:
        r = res.returns[row["method"]].to_numpy()
        beta = np.cov(r, b)[0, 1] / np.var(b, ddof=1)
        e = r - b
        assert row["beta"] == pytest.approx(beta, rel=1e-10)
        assert row["alpha"] == pytest.approx((r.mean() - beta * b.mean()) * 252, rel=1e-9)
        assert row["information_ratio"] == pytest.approx(e.mean() / e.std(ddof=1) * np.sqrt(252), rel=1e-10)
        assert row["tracking_error"] == pytest.approx(e.std(ddof=1) * np.sqrt(252), rel=1e-10)
    page = plot_backtest(cmp, tmp_path)[0].read_text()
    assert "Against the benchmark: equal-weight universe" in page
    with pytest.raises(DataError, match="neither"):
        _benchmark("NOPE", px, res.returns.index)
