"""Walk-forward folds are purged and embargoed; the test windows never reach training; one stitched backtest."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rl.conftest import synthetic_bars
from trade2026.backtest import deflated_sharpe_ratio, run_backtest
from trade2026.errors import DataError
from trade2026.rl import TrialSpec, make_env_config, market_data, walk_forward, walk_forward_folds
from trade2026.validation import PurgedKFold


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(60, 400),
    first=st.integers(0, 30),
    train=st.integers(2, 80),
    test=st.integers(1, 40),
    embargo=st.integers(0, 10),
    window=st.integers(1, 10),
    anchored=st.booleans(),
)
def test_folds_purge_every_label_reaching_the_test_window(n, first, train, test, embargo, window, anchored) -> None:
    first = max(first, window - 1)
    try:
        folds = walk_forward_folds(n, first, train=train, test=test, window=window, embargo=embargo, anchored=anchored)
    except DataError:
        assert first + train + 1 + embargo > n - 2
        return
    prev_end = None
    for f in folds:
        decisions = np.arange(f.train_start + window - 1, f.train_stop - 1)  # the slice's decision bars
        assert decisions[0] >= first
        # a decision at t is a label spanning [t, t+1]; none may reach the test window's first bar ...
        assert (decisions + 1 < f.test_start).all()
        # ... and the embargo keeps `embargo` more bars between them
        assert f.test_start - (f.train_stop - 1) - 1 == embargo
        assert len(decisions) == (f.train_stop - 1 - first if anchored else train)
        assert f.test_end <= n - 2 and f.test_end - f.test_start + 1 <= test
        if prev_end is not None:
            assert f.test_start == prev_end + 1  # the test windows tile the out-of-sample span
        prev_end = f.test_end


def test_purge_matches_purged_k_fold_before_the_test_block() -> None:
    # Oracle: trade2026.validation.PurgedKFold purges the same training labels (spans [t, t+1])
    # before a test block; our anchored folds keep exactly those that precede it.
    n, test = 120, 20
    t0 = np.arange(n)
    cv = PurgedKFold(n_splits=n // test, t1=(t0, t0 + 1), embargo=0.0)
    folds = walk_forward_folds(n + 1, 0, train=19, test=test, window=1, embargo=0, anchored=True)
    by_start = {f.test_start: f for f in folds}
    checked = 0
    for train_idx, test_idx in cv.split():
        f = by_start.get(int(test_idx[0]))
        if f is None:
            continue
        ours = np.arange(f.train_start, f.train_stop - 1)
        np.testing.assert_array_equal(ours, train_idx[train_idx < test_idx[0]])
        checked += 1
    assert checked >= 4


def _perturb_after(bars: pl.DataFrame, ts) -> pl.DataFrame:
    mult = pl.when(pl.col("ts") >= ts).then(1.7).otherwise(1.0)
    return bars.with_columns(*(pl.col(c) * mult for c in ("open", "high", "low", "close")))


@pytest.mark.slow
def test_walk_forward_never_trains_on_its_test_windows_and_stitches_once() -> None:
    bars = synthetic_bars(420, ("AAA", "BBB"), seed=71)
    kw = {"train": 120, "test": 90, "embargo": 3, "timesteps": 128, "n_envs": 2, "net_arch": (8,), "n_random": 10}
    cfg = make_env_config(commission_bps=3, episode_length=40, features=("ret_10",), window=4)
    hp = (("n_steps", 32), ("batch_size", 32), ("n_epochs", 1))
    specs = [TrialSpec("ppo", cfg, hp), TrialSpec("a2c", cfg, ())]
    res = walk_forward(bars, specs=specs, seeds=[1, 2], **kw)
    assert len(res.trials) == 4 and len(res.folds) >= 3
    # Changing every bar from fold 0's test window on leaves fold 0's trained policies unchanged.
    f0 = res.folds[0]
    later = _perturb_after(bars, market_data(bars, cfg).ts[f0.test_start])
    res2 = walk_forward(later, specs=specs, seeds=[1, 2], **kw)
    d1 = {(o.spec_index, o.seed): o.digest for o in res.outcomes if o.fold == 0}
    d2 = {(o.spec_index, o.seed): o.digest for o in res2.outcomes if o.fold == 0}
    assert d1 == d2
    assert any(
        o.fold == 1 and o.digest != p.digest
        for o, p in zip(res.outcomes, res2.outcomes, strict=True)
        if o.fold == p.fold
    )
    # Each trial is the stitched fold targets backtested once over the out-of-sample span.
    data = market_data(bars, cfg)
    t = res.trials[0]
    w = np.zeros((data.n_bars, 2))
    for o in res.outcomes:
        if o.spec_index == t.spec_index and o.seed == t.seed:
            f = res.folds[o.fold]
            w[f.test_start : f.test_end + 1] = o.targets
    lo, hi = f0.test_start, res.folds[-1].test_end + 1
    bt = run_backtest(
        data.bars(lo, hi + 1), w[lo : hi + 1], config=cfg.backtest, mode="portfolio", cross_sectional=True
    )
    assert bt.metrics["sharpe"] == pytest.approx(t.metrics["sharpe"], rel=1e-12)
    np.testing.assert_array_equal(bt.returns["return"].to_numpy(), t.returns)
    # The deflated Sharpe ratio counts every trial (configurations x seeds).
    sr = np.array([x.metrics["sharpe_per_period"] for x in res.trials])
    from trade2026.core import moments

    _, _, sk, ku = moments(t.returns[1:])
    expect = deflated_sharpe_ratio(sr[0], 4, float(np.var(sr, ddof=1)), hi - lo + 1, sk, ku)
    assert t.dsr == pytest.approx(expect)
    d = res.to_dict()
    assert {r["config"] for r in d["spread"]} == {"ppo/log_return/discrete", "a2c/log_return/discrete"}
    assert d["baselines"]["random"]["policies"] == 10
    assert d["folds"][0]["train_to"] < d["folds"][0]["test_from"]


def test_spread_of_flat_policies_has_no_sharpe_and_no_warning() -> None:
    import warnings

    from trade2026.rl import WalkForwardResult
    from trade2026.rl._walkforward import Trial

    spec = TrialSpec("ppo", make_env_config())
    flat = {"sharpe": float("nan"), "total_return": 0.0}
    trials = [Trial(0, spec, s, flat, np.zeros(5)) for s in (1, 2)]
    trials.append(Trial(1, TrialSpec("a2c", make_env_config()), 1, {"sharpe": 0.5, "total_return": 0.1}, np.zeros(5)))
    res = WalkForwardResult(["A"], [], pl.Series([]), trials, None, [])  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = res.spread()
    assert np.isnan(rows[0]["sharpe_mean"]) and rows[0]["total_return_mean"] == 0.0
    assert rows[1]["sharpe_mean"] == 0.5 and rows[1]["sharpe_std"] == 0.0
