"""Monte Carlo validation: closed-form risk of ruin, bootstrap, reshuffling, synthetic paths."""

from __future__ import annotations

import numpy as np
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
