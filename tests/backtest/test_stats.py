"""Backtest statistics against the papers' worked examples and hand-checkable cases."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from trade2026.backtest import (
    bootstrap_ci,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    min_track_record_length,
    optimal_block_length,
    pbo,
    probabilistic_sharpe_ratio,
    returns_metrics,
)
from trade2026.errors import InputError


def test_dsr_paper_example():
    # Bailey & Lopez de Prado (2014), "The Deflated Sharpe Ratio", numerical example: annualised SR 2.5
    # over 1250 daily observations, 100 trials with annualised SR variance 0.5, skew -3, kurtosis 10
    # -> E[max SR] = 0.1132 per day and DSR = 0.9004.
    sr = 2.5 / math.sqrt(250)
    var = 0.5 / 250
    assert expected_max_sharpe(100, var) == pytest.approx(0.1132, abs=5e-5)
    assert deflated_sharpe_ratio(sr, 100, var, 1250, -3.0, 10.0) == pytest.approx(0.9004, abs=5e-4)


def test_psr_and_min_trl_agree():
    # MinTRL is the n at which PSR reaches the confidence level (Bailey & Lopez de Prado 2012, eq. 11).
    sr, bench, skew, kurt = 0.12, 0.02, -0.8, 6.0
    n = min_track_record_length(sr, bench, skew, kurt, confidence=0.95)
    assert probabilistic_sharpe_ratio(sr, bench, n, skew, kurt) == pytest.approx(0.95, abs=1e-9)
    # Normal returns by hand: 1 + (1 + 2/4 * 0.01) * (1.644854 / 0.1)^2 = 272.907
    assert min_track_record_length(0.1) == pytest.approx(1 + 1.005 * (1.6448536 / 0.1) ** 2, rel=1e-6)
    assert min_track_record_length(0.0, 0.1) == math.inf
    assert probabilistic_sharpe_ratio(0.1, 0.1, 100) == pytest.approx(0.5)


def test_psr_penalises_negative_skew_and_fat_tails():
    base = probabilistic_sharpe_ratio(0.1, 0.0, 250)
    assert probabilistic_sharpe_ratio(0.1, 0.0, 250, -2.0, 9.0) < base


def test_expected_max_sharpe_grows_with_trials():
    vals = [expected_max_sharpe(n, 1.0) for n in (1, 2, 10, 100, 1000)]
    assert vals[0] == 0.0
    assert all(a < b for a, b in itertools.pairwise(vals))
    with pytest.raises(InputError):
        expected_max_sharpe(0, 1.0)


def test_pbo_noise_is_near_half():
    # One noise matrix can land anywhere in (0, 1); over many matrices PBO averages 1/2.
    vals = [pbo(np.random.default_rng(s).normal(0, 0.01, size=(400, 30)), n_partitions=10).pbo for s in range(20)]
    assert 0.4 <= float(np.mean(vals)) <= 0.6
    res = pbo(np.random.default_rng(0).normal(0, 0.01, size=(400, 30)), n_partitions=10)
    assert res.n_splits == math.comb(10, 5)
    assert res.logits.shape == (res.n_splits,)


def test_pbo_always_winner_is_zero():
    rng = np.random.default_rng(2)
    r = rng.normal(0, 0.01, size=(640, 20))
    r[:, 7] = np.abs(r[:, 7]) + 0.02  # wins in every block, in and out of sample
    res = pbo(r, n_partitions=16, max_splits=2000)
    assert res.pbo == 0.0
    assert res.prob_loss == 0.0


def test_pbo_bad_input():
    with pytest.raises(InputError, match="at least 2 trials"):
        pbo(np.zeros((100, 1)))
    with pytest.raises(InputError, match="even"):
        pbo(np.zeros((100, 3)), n_partitions=5)
    with pytest.raises(InputError, match="observations"):
        pbo(np.zeros((10, 3)), n_partitions=16)


def test_returns_metrics_hand_checked():
    r = np.array([0.1, -0.05, 0.02, 0.0, -0.1, 0.03])
    m = returns_metrics(r, periods_per_year=252)
    assert m["total_return"] == pytest.approx(np.prod(1 + r) - 1)
    assert m["max_drawdown"] == pytest.approx((1.1 * 0.95 * 1.02 * 0.9) / (1.1) - 1)
    assert m["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(252))
    assert m["hit_rate"] == pytest.approx(3 / 5)
    assert m["profit_factor"] == pytest.approx(0.15 / 0.15)
    assert m["max_drawdown_duration"] == 5
    assert set(m) >= {"total_return", "cagr", "ann_vol", "sharpe", "sortino", "calmar", "max_drawdown"}
    empty = returns_metrics([])
    assert empty["n_obs"] == 0 and empty["total_return"] == 0.0


def test_bootstrap_ci_brackets_the_estimate():
    rng = np.random.default_rng(3)
    r = rng.normal(0.0005, 0.01, 500)
    ci = bootstrap_ci(r, n_boot=300, seed=1)
    sr = returns_metrics(r)["sharpe"]
    assert ci["sharpe_lo"] < sr < ci["sharpe_hi"]
    assert ci["max_drawdown_lo"] <= ci["max_drawdown_hi"] <= 0
    assert ci["block_length"] >= 1
    # a strongly autocorrelated series asks for longer blocks than white noise
    ar = np.zeros(2000)
    e = rng.normal(size=2000)
    for i in range(1, 2000):
        ar[i] = 0.9 * ar[i - 1] + e[i]
    assert optimal_block_length(ar) > optimal_block_length(e)
