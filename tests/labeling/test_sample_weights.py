"""Concurrency, uniqueness, return attribution, time decay, sequential bootstrap (AFML ch. 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from trade2026.errors import ConfigError, DataError
from trade2026.labeling import (
    average_uniqueness,
    concurrent_events,
    return_attribution,
    sequential_bootstrap,
    time_decay,
    triple_barrier,
)
from trade2026.labeling._kernels import seq_bootstrap_kernel

# AFML 4.5.3: three labels over six bars: {0, 1, 2}, {2, 3}, {4, 5}
CLOSE = np.array([100.0, 101.0, 99.0, 102.0, 103.0, 101.0])
EVENTS = (np.array([0, 2, 4]), np.array([2, 3, 5]))


def test_book_example_concurrency_and_uniqueness() -> None:
    assert concurrent_events(CLOSE, EVENTS).tolist() == [1, 1, 2, 1, 1, 1]
    np.testing.assert_allclose(average_uniqueness(CLOSE, EVENTS), [5 / 6, 3 / 4, 1.0])


def test_book_example_sequential_bootstrap_probabilities() -> None:
    # after drawing label 1 the book gives draw probabilities {5/14, 3/14, 6/14}
    start, end = EVENTS
    for u2, want in ((5 / 14 - 1e-9, 0), (5 / 14 + 1e-9, 1), (8 / 14 - 1e-9, 1), (8 / 14 + 1e-9, 2)):
        draws = seq_bootstrap_kernel(start, end, 6, 2, np.array([0.5, u2]))  # first draw: uniform -> 1
        assert draws.tolist() == [1, want]


def test_sequential_bootstrap_favours_unique_labels() -> None:
    # 20 labels stacked on the same 10 bars and 20 labels alone on their own bar
    start = np.concatenate([np.zeros(20, int), np.arange(10, 30)])
    end = np.concatenate([np.full(20, 9), np.arange(10, 30)])
    close = 100 + np.arange(30.0)
    draws = sequential_bootstrap(close, (start, end), n_samples=4000, random_state=0)
    assert draws.shape == (4000,) and draws.min() >= 0 and draws.max() < 40
    # drawn in proportion to uniqueness given the draws so far: the lone labels win most draws
    assert (draws >= 20).mean() > 0.75
    again = sequential_bootstrap(close, (start, end), n_samples=4000, random_state=0)
    np.testing.assert_array_equal(draws, again)


def test_return_attribution_and_frames() -> None:
    idx = pd.bdate_range("2022-01-03", periods=6, tz="UTC")
    close = pd.Series(CLOSE, index=idx)
    events = pd.DataFrame({"t1": idx[[2, 3, 5]]}, index=pd.DatetimeIndex(idx[[0, 2, 4]], name="t0"))
    w = return_attribution(close, events)
    r = np.diff(np.log(CLOSE))  # r[k] is the return into bar k+1
    conc = np.array([1, 1, 2, 1, 1, 1])
    raw = np.array(
        [
            abs(r[0] / conc[1] + r[1] / conc[2]),
            abs(r[2] / conc[3]),  # the return into t0 (bar 2) is not the label's
            abs(r[4] / conc[5]),
        ]
    )
    np.testing.assert_allclose(w.to_numpy(), raw * 3 / raw.sum())
    assert w.index.equals(events.index)
    u = average_uniqueness(close, events)
    assert isinstance(u, pd.Series)
    np.testing.assert_allclose(u.to_numpy(), [5 / 6, 3 / 4, 1.0])
    pl_close = pl.DataFrame(
        {"ts": pl.Series(idx.tz_convert(None).to_numpy()).dt.replace_time_zone("UTC"), "close": CLOSE}
    )
    pl_events = pl.DataFrame({"t0": pl_close["ts"].gather([0, 2, 4]), "t1": pl_close["ts"].gather([2, 3, 5])})
    np.testing.assert_allclose(average_uniqueness(pl_close, pl_events).to_numpy(), [5 / 6, 3 / 4, 1.0])
    assert concurrent_events(pl_close, pl_events)["concurrency"].to_list() == [1, 1, 2, 1, 1, 1]


def test_on_triple_barrier_output() -> None:
    close = 100 * np.exp(np.cumsum(np.random.default_rng(3).normal(0, 0.01, 300)))
    tb = triple_barrier(close, np.arange(0, 290, 3), pt=1, sl=1, vertical=15, target=0.015)
    u = average_uniqueness(close, tb)
    assert isinstance(u, pl.Series) and len(u) == tb.height
    assert ((u > 0) & (u <= 1)).all()


def test_time_decay() -> None:
    u = np.array([0.5, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(time_decay(u, last=1.0), np.ones(4))
    lin = time_decay(u, last=0.0)  # linear in cumulative uniqueness, newest weight 1
    np.testing.assert_allclose(lin, np.cumsum(u) / u.sum())
    neg = time_decay(u, last=-0.5)  # the oldest half of the uniqueness gets zero weight
    assert neg[0] == 0.0 and neg[-1] == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="last must be"):
        time_decay(u, last=-1.0)


def test_bad_events() -> None:
    with pytest.raises(DataError, match="ends \\(t1\\) before"):
        average_uniqueness(CLOSE, (np.array([3]), np.array([1])))
    with pytest.raises(DataError, match="t0, t1"):
        average_uniqueness(CLOSE, np.array([1, 2, 3]))
    with pytest.raises(ConfigError, match="n_samples"):
        sequential_bootstrap(CLOSE, EVENTS, n_samples=0)
