"""Monte Carlo validation: closed-form risk of ruin, bootstrap, reshuffling, synthetic paths."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026.errors import InputError
from trade2026.sim import _mc


@pytest.mark.parametrize(("p", "capital"), [(0.55, 5), (0.6, 3), (0.52, 10)])
def test_risk_of_ruin_matches_gamblers_ruin(p: float, capital: int) -> None:
    # Gambler's ruin with 1:1 unit bets: ((1 - p) / p) ** capital (Feller, vol. 1, ch. XIV)
    pnls = np.array([1.0] * round(p * 100) + [-1.0] * round((1 - p) * 100))
    want = _mc.risk_of_ruin_closed_form(p, capital)
    got = _mc.risk_of_ruin(pnls, capital=capital, n_paths=20_000, horizon=4_000, seed=1)
    se = np.sqrt(want * (1 - want) / 20_000)
    assert abs(got - want) < 4 * se + 0.01
    assert _mc.risk_of_ruin_closed_form(0.5, 4) == 1.0


def test_stationary_bootstrap_keeps_values_and_block_structure() -> None:
    rng = np.random.default_rng(0)
    r = rng.normal(0.001, 0.01, 500)
    paths, b = _mc.stationary_bootstrap(r, 50, block_length=10.0, seed=3)
    assert paths.shape == (50, 500) and b == 10.0
    assert np.isin(paths, r).all()
    # consecutive values continue a block (next observation) about 1 - 1/b of the time
    pos = {v: i for i, v in enumerate(r)}
    idx = np.vectorize(pos.get)(paths)
    cont = np.mean((idx[:, 1:] - idx[:, :-1]) % 500 == 1)
    assert cont == pytest.approx(0.9, abs=0.02)
    again, _ = _mc.stationary_bootstrap(r, 50, block_length=10.0, seed=3)
    assert (again == paths).all()
    _auto, b_auto = _mc.stationary_bootstrap(r, 5, seed=0)
    assert 1.0 <= b_auto < 500


def test_reshuffle_keeps_final_wealth_and_summary_fields() -> None:
    trades = np.array([0.1, -0.05, 0.02, -0.2, 0.15, 0.03])
    paths = _mc.reshuffle_trades(trades, 200, seed=0)
    growth = np.prod(1 + paths, axis=1)
    assert np.allclose(growth, np.prod(1 + trades))
    s = _mc.summarize("reshuffle", paths, periods_per_year=6, ruin_limit=0.2).summary()
    assert s["prob_loss"] == 0.0
    assert set(s["sharpe"]) == {"p5", "p25", "p50", "p75", "p95", "mean"}
    assert 0 < s["prob_drawdown_breach"] < 1  # the -20% trade breaches only in some orders
    with pytest.raises(InputError):
        _mc.reshuffle_trades(np.array([0.1]), 10)


@pytest.mark.parametrize("model", _mc.MODELS)
def test_synthetic_models_match_the_input_scale(model: str) -> None:
    rng = np.random.default_rng(5)
    r = rng.standard_t(5, 1500) * 0.01
    syn = _mc.synthetic_returns(model, r, 20, 1500, seed=2)
    assert syn.shape == (20, 1500)
    assert syn.std() == pytest.approx(r.std(), rel=0.25)


def test_validate_strategy_on_sample_bars() -> None:
    from trade2026.datasets import generate

    d = generate(symbols=2, years=3, seed=0, intraday_symbols=1, intraday_days=1)
    bars = d.bars_1d.filter(d.bars_1d["symbol"] == d.bars_1d["symbol"][0])
    observed, res = _mc.validate_strategy(bars, "sma_cross:fast=10,slow=30", n_paths=100, synthetic_paths=4)
    assert [r.method for r in res] == ["bootstrap", "reshuffle", "gbm", "garch", "regime"]
    assert {"sharpe", "cagr", "max_drawdown"} <= set(observed)
    for r in res:
        s = r.summary()
        assert 0 <= s["prob_loss"] <= 1 and 0 <= s["risk_of_ruin"] <= 1
    with pytest.raises(InputError, match="one symbol"):
        _mc.validate_strategy(d.bars_1d, "sma_cross", n_paths=20)
    with pytest.raises(InputError, match="unknown Monte Carlo"):
        _mc.validate_strategy(bars, "sma_cross", methods=("jackknife",))


# -- prism: synthetic paths from PRISM runs ------------------------------------------------------

_SMALL = {"mm": 1, "noise": 4, "value": 2}  # a tiny market so a path of short sessions takes ~0.1 s


@pytest.fixture(scope="module")
def sample() -> Any:
    from trade2026.datasets import generate

    return generate(symbols=2, years=3, seed=0, intraday_symbols=1, intraday_days=1)


def _one(bars: pl.DataFrame) -> pl.DataFrame:
    return bars.filter(pl.col("symbol") == bars["symbol"][0]).sort("ts")


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
    _obs, res = _mc.validate_strategy(bars, "sma_cross:fast=5,slow=20", seed=4, **kw)
    gbm, prism = (r.summary() for r in res)
    assert prism["method"] == "prism" and prism["n_paths"] == 3
    assert set(gbm) - {"underlying_model"} <= set(prism)
    assert prism["prism_days"] == 60 and prism["prism_bar"] == "session" and prism["prism_agents"] == _SMALL
    assert res[1].metrics["total_return"].shape == (3,)
    assert len(set(res[1].metrics["total_return"])) > 1  # each path has its own seed
    _obs, again = _mc.validate_strategy(bars, "sma_cross:fast=5,slow=20", seed=4, **kw)
    assert again[1].summary() == prism
    for m in ("total_return", "max_drawdown"):
        assert np.array_equal(again[1].metrics[m], res[1].metrics[m], equal_nan=True)
    _obs, other = _mc.validate_strategy(bars, "sma_cross:fast=5,slow=20", seed=5, **kw)
    assert not np.array_equal(other[1].metrics["total_return"], res[1].metrics["total_return"])


def test_prism_plan_matches_the_observed_bars(sample: Any) -> None:
    from dataclasses import replace

    daily = _one(sample.bars_1d)
    closes = daily["close"].to_numpy()
    obs_sd = np.diff(np.log(closes)).std()
    plan = _mc.prism_plan(daily, _mc.prism_base_config(session_hours=0.1), days=None)
    assert plan.every is None and plan.config.days == _mc.PRISM_MAX_DAYS == plan.n_bars  # 756 bars, capped
    assert plan.config.fundamental.kappa == 0.0 and 0.5 * obs_sd < plan.sigma_daily <= obs_sd
    plan = replace(plan, config=replace(plan.config, days=120), n_bars=120)
    rets = []
    for s in _mc.prism_seeds(1, 2):
        b = _mc.prism_bars(
            replace(plan.config, seed=s), None, plan.n_bars, symbol="X", ts=daily["ts"], scale=plan.scale
        )
        assert b.height == 120 and b["ts"].to_list() == daily["ts"].head(120).to_list()
        assert (b["high"] >= b[["open", "close"]].max_horizontal()).all() and (b["volume"] > 0).all()
        assert b["open"][0] == pytest.approx(closes[0], rel=0.05)  # rescaled to the observed start
        rets.append(np.diff(np.log(b["close"].to_numpy())))
    # daily volatility of the simulated closes near the observed one (default 40 agents)
    assert 0.6 < np.concatenate(rets).std() / obs_sd < 1.4
    # intraday bars: the sessions' trades bucketed at the observed spacing (1 minute)
    minute = _one(sample.bars_1m)
    plan = _mc.prism_plan(minute, _mc.prism_base_config(agents=_SMALL, session_hours=0.5))
    assert plan.every == "60s" and plan.config.days == 13 and plan.n_bars == minute.height == 390
    b = _mc.prism_bars(plan.config, plan.every, plan.n_bars, symbol="X", scale=plan.scale)
    assert 0 < b.height <= 390 and b["ts"].is_sorted()
    assert b["ts"].diff().drop_nulls().min().total_seconds() >= 60


def test_prism_bad_settings(sample: Any) -> None:
    from trade2026.errors import ConfigError

    bars = _one(sample.bars_1d)
    with pytest.raises(InputError, match="prism-days"):
        _mc.prism_base_config(days=0)
    with pytest.raises(ConfigError, match=r"agents\.mm"):
        _mc.prism_base_config(agents={"mm": 0})
    with pytest.raises(ConfigError, match="session_hours"):
        _mc.prism_base_config(session_hours=0.0)
    with pytest.raises(InputError, match="only with the prism method"):
        _mc.validate_strategy(bars, "sma_cross", methods=("gbm",), prism_days=5)
    with pytest.raises(InputError, match="seed"):
        _mc.prism_seeds(-1, 3)
