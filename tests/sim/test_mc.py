"""Monte Carlo validation: closed-form risk of ruin, bootstrap, reshuffling, synthetic paths."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026.core import metrics_columns, returns_metrics, stationary_bootstrap
from trade2026.errors import ConfigError, InputError
from trade2026.sim import (
    MODELS,
    monte_carlo,
    reshuffle_trades,
    risk_of_ruin,
    risk_of_ruin_closed_form,
    synthetic_returns,
    trades_per_year,
)
from trade2026.sim._prism_paths import PRISM_MAX_DAYS, prism_bars, prism_base_config, prism_plan, prism_seeds
from trade2026.sim._summary import summarize


@pytest.mark.parametrize(("p", "capital"), [(0.55, 5), (0.6, 3), (0.52, 10)])
def test_risk_of_ruin_matches_gamblers_ruin(p: float, capital: int) -> None:
    # Gambler's ruin with 1:1 unit bets: ((1 - p) / p) ** capital (Feller, vol. 1, ch. XIV)
    pnls = np.array([1.0] * round(p * 100) + [-1.0] * round((1 - p) * 100))
    want = risk_of_ruin_closed_form(p, capital)
    got = risk_of_ruin(pnls, capital=capital, n_paths=20_000, horizon=4_000, seed=1)
    se = np.sqrt(want * (1 - want) / 20_000)
    assert abs(got - want) < 4 * se + 0.01
    assert risk_of_ruin_closed_form(0.5, 4) == 1.0


def test_risk_of_ruin_equals_a_bet_by_bet_loop_over_the_same_draws() -> None:
    pnls = np.array([0.4, -0.5, 0.1, -0.05, 0.3, -0.7])
    n_paths, horizon, capital = 300, 50, 1.5
    idx = np.random.default_rng(9).integers(0, pnls.size, (n_paths, horizon))
    hits = 0
    for row in idx:  # the plain loop: add each bet, stop at the first equity <= 0
        eq = capital
        for i in row:
            eq += pnls[i]
            if eq <= 0:
                hits += 1
                break
    assert risk_of_ruin(pnls, capital=capital, n_paths=n_paths, horizon=horizon, seed=9) == hits / n_paths
    with pytest.raises(InputError):
        risk_of_ruin(pnls, capital=0.0)


def test_monte_carlo_leaves_the_global_rng_alone() -> None:
    # (Where the global RNG may appear at all is tests/test_architecture.py's to check.)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    risk_of_ruin(np.array([1.0, -1.0]), capital=3, n_paths=50, horizon=20, seed=0)
    reshuffle_trades(np.array([0.1, -0.1, 0.2]), 5, seed=0)
    assert np.array_equal(np.random.get_state()[1], before)


def test_reshuffle_keeps_final_wealth_and_summary_fields() -> None:
    trades = np.array([0.1, -0.05, 0.02, -0.2, 0.15, 0.03])
    paths = reshuffle_trades(trades, 200, seed=0)
    assert np.allclose(np.prod(1 + paths, axis=1), np.prod(1 + trades))
    assert np.array_equal(np.sort(paths, axis=1), np.broadcast_to(np.sort(trades), paths.shape))
    s = summarize("reshuffle", paths, periods_per_year=6, ruin_limit=0.2).summary()
    assert s["prob_loss"] == 0.0
    assert set(s["sharpe"]) == {"p5", "p25", "p50", "p75", "p95", "mean"}
    # the -20% trade breaches a 20% drawdown in some orders only (e.g. last, after the +10% and +15%)
    assert 0 < s["prob_drawdown_breach"] < 1
    with pytest.raises(InputError):
        reshuffle_trades(np.array([0.1]), 10)


def test_trades_per_year_spans_the_backtest() -> None:
    # 12 trades over 504 daily bars: 6 trades a year, so a reshuffled path covers the same 2 years
    tpy = trades_per_year(252, 12, 504)
    assert tpy == 6.0
    trades = np.full(12, 0.01)
    m = metrics_columns(trades, tpy)
    assert m["cagr"][0] == pytest.approx(1.01**6 - 1)  # the trades' growth compounded over 2 years
    with pytest.raises(InputError):
        trades_per_year(252, 0, 10)


def test_summary_percentiles_are_the_path_metrics() -> None:
    rng = np.random.default_rng(2)
    paths = rng.normal(0.001, 0.02, (64, 120))
    res = summarize("x", paths, periods_per_year=252, ruin_limit=0.1)
    s = res.summary()
    for i, row in enumerate(paths):  # each path measured alone, through the 1-D entry point
        one = returns_metrics(row, 252)
        for m in ("total_return", "cagr", "sharpe", "max_drawdown"):
            assert res.metrics[m][i] == pytest.approx(one[m], rel=1e-12, abs=1e-15)
    assert s["sharpe"]["p25"] == pytest.approx(np.percentile(res.metrics["sharpe"], 25))
    equity = np.cumprod(1 + paths, axis=1)
    assert s["risk_of_ruin"] == pytest.approx(np.mean(equity.min(axis=1) <= 0.9))
    assert s["prob_loss"] == pytest.approx(np.mean(equity[:, -1] < 1))


@pytest.mark.parametrize("model", MODELS)
def test_synthetic_models_match_the_input_scale(model: str) -> None:
    rng = np.random.default_rng(5)
    r = rng.standard_t(5, 1500) * 0.01
    syn = synthetic_returns(model, r, 20, 1500, seed=2)
    assert syn.shape == (20, 1500)
    assert syn.std() == pytest.approx(r.std(), rel=0.25)
    assert np.array_equal(syn, synthetic_returns(model, r, 20, 1500, seed=2))


def test_regime_paths_follow_their_chain() -> None:
    """The vectorised chains equal a path-by-path loop over the same draws."""
    from trade2026.sim._synthetic import fit_regimes

    r = np.random.default_rng(1).normal(0, 0.01, 400) * np.repeat([1.0, 3.0, 1.0, 3.0], 100)
    logr = np.log1p(r)
    fit = fit_regimes(logr)
    rng = np.random.default_rng(4)
    want = np.empty((3, 50))
    for k in range(3):
        s = int(rng.integers(0, 2))
        u, z = rng.random(50), rng.standard_normal(50)
        for t in range(50):
            want[k, t] = fit["mu"][s] + fit["sd"][s] * z[t]
            s = s if u[t] < fit["trans"][s, s] else 1 - s
    assert np.array_equal(synthetic_returns("regime", r, 3, 50, seed=4), np.expm1(want))
    assert fit["sd"][1] > 2 * fit["sd"][0]  # the volatile regime is found


def test_garch_needs_enough_returns() -> None:
    with pytest.raises(InputError, match="at least 50 returns"):
        synthetic_returns("garch", np.random.default_rng(0).normal(0, 0.01, 39), 2, 39)


@pytest.fixture(scope="module")
def sample() -> Any:
    from trade2026.datasets import generate

    return generate(symbols=2, years=3, seed=0, intraday_symbols=1, intraday_days=1)


def _one(bars: pl.DataFrame) -> pl.DataFrame:
    return bars.filter(pl.col("symbol") == bars["symbol"][0]).sort("ts")


def test_monte_carlo_oracles(sample: Any) -> None:
    from trade2026.backtest import bootstrap_ci, run_backtest, strategy_positions

    bars = _one(sample.bars_1d)
    rep = monte_carlo(bars, "sma_cross:fast=10,slow=30", n_paths=100, synthetic_paths=4, seed=7)
    assert [r.method for r in rep.results] == ["bootstrap", "reshuffle", "gbm", "garch", "regime"]
    res = run_backtest(bars, strategy_positions("sma_cross", bars, fast=10, slow=30))
    rets = res.returns["return"].to_numpy()
    # observed: the core metrics of the backtest's returns
    want = returns_metrics(rets, 252)
    for m in ("total_return", "cagr", "sharpe", "max_drawdown"):
        assert rep.observed[m] == pytest.approx(want[m], rel=1e-12)
    # bootstrap: the core sampler with the same seed, then the core metrics of every path
    boot, reshuffle = rep.results[0], rep.results[1]
    paths, b = stationary_bootstrap(rets, 100, seed=7)
    direct = metrics_columns(paths.T, 252)
    assert boot.info["block_length"] == b
    for m in ("total_return", "sharpe", "max_drawdown"):
        assert np.array_equal(boot.metrics[m], direct[m], equal_nan=True)
        assert boot.summary()[m]["p5"] == np.percentile(direct[m][np.isfinite(direct[m])], 5)
    # ... and the same resamples as the backtest's bootstrap confidence interval
    ci = bootstrap_ci(rets, n_boot=100, seed=7, confidence=0.9)
    assert ci["max_drawdown_lo"] == pytest.approx(np.quantile(boot.metrics["max_drawdown"], 0.05), rel=1e-12)
    assert ci["block_length"] == b
    # reshuffle: every path compounds to the product of the trade returns
    trades = res.trades["return"].to_numpy()
    assert reshuffle.info["n_trades"] == trades.size
    assert reshuffle.info["trades_per_year"] == pytest.approx(252 * trades.size / rets.size)
    assert np.allclose(reshuffle.metrics["total_return"], np.prod(1 + trades) - 1, rtol=1e-12, atol=1e-14)
    for r in rep.results:
        s = r.summary()
        assert 0 <= s["prob_loss"] <= 1 and 0 <= s["risk_of_ruin"] <= 1
    again = monte_carlo(bars, "sma_cross:fast=10,slow=30", n_paths=100, synthetic_paths=4, seed=7)
    assert again.to_dict() == rep.to_dict()


def test_monte_carlo_of_a_returns_series() -> None:
    r = np.random.default_rng(3).normal(0.0005, 0.01, 300)
    rep = monte_carlo(returns=r, n_paths=50, seed=2, table="mine")
    (boot,) = rep.results
    assert rep.observed == returns_metrics(r, 252)
    paths, _ = stationary_bootstrap(r, 50, seed=2)
    assert np.array_equal(boot.metrics["total_return"], np.prod(1 + paths, axis=1) - 1)
    d = rep.to_dict()
    assert d["table"] == "mine" and d["strategy"] is None and [m["method"] for m in d["methods"]] == ["bootstrap"]


def test_periods_per_year_annualises_observed_and_paths_alike(sample: Any) -> None:
    bars = _one(sample.bars_1d)
    rep = monte_carlo(bars, "sma_cross:fast=10,slow=30", methods=["bootstrap"], n_paths=20, periods_per_year=52)
    daily = monte_carlo(bars, "sma_cross:fast=10,slow=30", methods=["bootstrap"], n_paths=20)
    assert rep.observed["sharpe"] == pytest.approx(daily.observed["sharpe"] * math.sqrt(52 / 252))
    assert np.allclose(rep.results[0].metrics["sharpe"], daily.results[0].metrics["sharpe"] * math.sqrt(52 / 252))


def test_monte_carlo_bad_input(sample: Any) -> None:
    bars = _one(sample.bars_1d)
    with pytest.raises(InputError, match="one symbol"):
        monte_carlo(sample.bars_1d, "sma_cross", n_paths=20)
    with pytest.raises(InputError, match="unknown Monte Carlo"):
        monte_carlo(bars, "sma_cross", methods=("jackknife",))
    with pytest.raises(InputError, match="one of the two"):
        monte_carlo(bars, "sma_cross", returns=np.zeros(30))
    with pytest.raises(InputError, match="only the bootstrap"):
        monte_carlo(returns=np.zeros(30), methods=["gbm"])
    with pytest.raises(InputError, match="ruin_limit"):
        monte_carlo(returns=np.zeros(30), ruin_limit=1.5)
    with pytest.raises(InputError, match="n_paths"):
        monte_carlo(returns=np.zeros(30), n_paths=5)
    with pytest.raises(InputError, match="seed"):
        monte_carlo(returns=np.zeros(30), seed=-1)
    with pytest.raises(InputError, match="at least 50 returns"):
        monte_carlo(bars.head(40), "sma_cross:fast=5,slow=10", methods=["garch"], n_paths=20)


# -- prism: synthetic paths from PRISM runs ------------------------------------------------------

_SMALL = {"mm": 1, "noise": 4, "value": 2}  # a tiny market so a path of short sessions takes ~0.1 s


def test_prism_method_is_deterministic_with_the_same_keys(sample: Any) -> None:
    bars = _one(sample.bars_1d)
    kw: dict[str, Any] = {
        "methods": ("gbm", "prism"),
        "n_paths": 20,
        "synthetic_paths": 3,
        "prism_agents": _SMALL,
        "prism_session_hours": 0.1,
        "prism_days": 60,
    }
    res = monte_carlo(bars, "sma_cross:fast=5,slow=20", seed=4, **kw).results
    gbm, prism = (r.summary() for r in res)
    assert prism["method"] == "prism" and prism["n_paths"] == 3
    assert set(gbm) - {"underlying_model"} <= set(prism)
    assert prism["prism_days"] == 60 and prism["prism_bar"] == "session" and prism["prism_agents"] == _SMALL
    assert res[1].metrics["total_return"].shape == (3,)
    assert len(set(res[1].metrics["total_return"])) > 1  # each path has its own seed
    again = monte_carlo(bars, "sma_cross:fast=5,slow=20", seed=4, **kw).results
    assert again[1].summary() == prism
    for m in ("total_return", "max_drawdown"):
        assert np.array_equal(again[1].metrics[m], res[1].metrics[m], equal_nan=True)
    other = monte_carlo(bars, "sma_cross:fast=5,slow=20", seed=5, **kw).results
    assert not np.array_equal(other[1].metrics["total_return"], res[1].metrics["total_return"])


def test_prism_plan_matches_the_observed_bars(sample: Any) -> None:
    from dataclasses import replace

    daily = _one(sample.bars_1d)
    closes = daily["close"].to_numpy()
    obs_sd = np.diff(np.log(closes)).std()
    plan = prism_plan(daily, prism_base_config(session_hours=0.1), days=None)
    assert plan.every is None and plan.config.days == PRISM_MAX_DAYS == plan.n_bars  # 756 bars, capped
    assert plan.config.fundamental.kappa == 0.0 and 0.5 * obs_sd < plan.sigma_daily <= obs_sd
    plan = replace(plan, config=replace(plan.config, days=120), n_bars=120)
    rets = []
    for s in prism_seeds(1, 2):
        b = prism_bars(replace(plan.config, seed=s), None, plan.n_bars, symbol="X", ts=daily["ts"], scale=plan.scale)
        assert b.height == 120 and b["ts"].to_list() == daily["ts"].head(120).to_list()
        assert (b["high"] >= b[["open", "close"]].max_horizontal()).all() and (b["volume"] > 0).all()
        assert b["open"][0] == pytest.approx(closes[0], rel=0.05)  # rescaled to the observed start
        rets.append(np.diff(np.log(b["close"].to_numpy())))
    # daily volatility of the simulated closes near the observed one (default 40 agents)
    assert 0.6 < np.concatenate(rets).std() / obs_sd < 1.4
    # intraday bars: the sessions' trades bucketed at the observed spacing (1 minute)
    minute = _one(sample.bars_1m)
    plan = prism_plan(minute, prism_base_config(agents=_SMALL, session_hours=0.5))
    assert plan.every == "60s" and plan.config.days == 13 and plan.n_bars == minute.height == 390
    b = prism_bars(plan.config, plan.every, plan.n_bars, symbol="X", scale=plan.scale)
    assert 0 < b.height <= 390 and b["ts"].is_sorted()
    assert b["ts"].diff().drop_nulls().min().total_seconds() >= 60


def test_prism_bad_settings(sample: Any) -> None:
    bars = _one(sample.bars_1d)
    with pytest.raises(InputError, match="prism_days"):
        prism_base_config(days=0)
    with pytest.raises(ConfigError, match=r"agents\.mm"):
        prism_base_config(agents={"mm": 0})
    with pytest.raises(ConfigError, match="session_hours"):
        prism_base_config(session_hours=0.0)
    with pytest.raises(InputError, match="only with the prism method"):
        monte_carlo(bars, "sma_cross", methods=("gbm",), prism_days=5)
    with pytest.raises(InputError, match="seed"):
        prism_seeds(-1, 3)
