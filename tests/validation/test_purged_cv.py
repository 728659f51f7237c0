"""PurgedKFold and CombinatorialPurgedCV: no leakage (hypothesis), sklearn API, CPCV paths."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trade2026.errors import ConfigError, DataError
from trade2026.validation import CombinatorialPurgedCV, PurgedKFold


def _spans(seed: int, n: int, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t0 = np.sort(rng.integers(0, 4 * n, n))
    t1 = t0 + rng.integers(0, max_len + 1, n)
    return t0, t1


def _assert_no_leak(t0, t1, train, test, n_emb) -> None:
    assert len(np.intersect1d(train, test)) == 0
    # contiguous runs of the test positions are the blocks
    cuts = np.flatnonzero(np.diff(test) != 1) + 1
    for block in np.split(np.sort(test), cuts):
        lo, hi = t0[block].min(), t1[block].max()
        # no training label overlaps a test label's span (even one starting before the block)
        for i in block:
            assert not ((t0[train] <= t1[i]) & (t1[train] >= t0[i])).any()
        assert not ((t0[train] <= hi) & (t1[train] >= lo)).any()
        # embargo: the first n_emb labels starting after the block's span are not trained on
        after = np.flatnonzero(t0 > hi)[:n_emb]
        assert len(np.intersect1d(train, after)) == 0


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(20, 200),
    max_len=st.integers(0, 60),
    k=st.integers(2, 8),
    embargo=st.sampled_from([0.0, 0.01, 0.05]),
)
def test_purged_kfold_never_leaks(seed: int, n: int, max_len: int, k: int, embargo: float) -> None:
    t0, t1 = _spans(seed, n, max_len)
    cv = PurgedKFold(n_splits=k, t1=(t0, t1), embargo=embargo)
    tests = []
    for train, test in cv.split(np.zeros((n, 1))):
        _assert_no_leak(t0, t1, train, test, math.ceil(n * embargo))
        tests.append(test)
    assert np.array_equal(np.sort(np.concatenate(tests)), np.arange(n))  # each label tested once


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(30, 150),
    max_len=st.integers(0, 40),
    groups=st.integers(3, 7),
    data=st.data(),
)
def test_cpcv_never_leaks_and_paths_cover(seed: int, n: int, max_len: int, groups: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(1, groups - 1))
    t0, t1 = _spans(seed, n, max_len)
    cv = CombinatorialPurgedCV(n_groups=groups, n_test_groups=k, t1=(t0, t1), embargo=0.02)
    splits = list(cv.split(np.zeros(n)))
    assert len(splits) == math.comb(groups, k) == cv.get_n_splits()
    for train, test in splits:
        _assert_no_leak(t0, t1, train, test, math.ceil(n * 0.02))
    assert cv.n_paths == k * math.comb(groups, k) // groups
    # reassemble: predict each test label's own position; every path must be 0..n-1 exactly once
    preds = [test.astype(float) for _, test in splits]
    paths = cv.reassemble(preds)
    assert paths.shape == (cv.n_paths, n)
    for path in paths:
        np.testing.assert_array_equal(path, np.arange(n))
    # each split supplies each of its test groups to exactly one path
    used = cv.paths()
    for s, combo in enumerate(cv.combinations()):
        for g in combo:
            assert (used[:, g] == s).sum() == 1


def test_label_starting_before_the_test_block_and_ending_inside_is_purged() -> None:
    # 10 one-bar labels and a long label 2 that runs from bar 2 into the middle of fold 2 (bars 5-9)
    t0 = np.arange(10)
    t1 = t0.copy()
    t1[2] = 7
    train, test = list(PurgedKFold(n_splits=2, t1=(t0, t1), embargo=0.0).split())[1]
    assert test.tolist() == [5, 6, 7, 8, 9]
    assert train.tolist() == [0, 1, 3, 4]  # label 2 ends inside the test fold: purged


def test_embargo_after_test_block() -> None:
    t0 = np.arange(100)
    cv = PurgedKFold(n_splits=5, t1=(t0, t0), embargo=0.03)
    train, test = next(iter(cv.split()))
    assert test.tolist() == list(range(20))
    assert train.min() == 23  # labels 20, 21, 22 embargoed
    train, test = list(cv.split())[-1]
    assert train.max() == 79  # nothing after the last fold to embargo


def test_pandas_and_polars_spans_and_sklearn() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, cross_val_score

    rng = np.random.default_rng(0)
    idx = pd.date_range("2020-01-01", periods=200, freq="D", tz="UTC")
    t1 = pd.Series(idx + pd.to_timedelta(rng.integers(0, 10, 200), unit="D"), index=idx)
    X = pd.DataFrame({"f": rng.normal(size=200)}, index=idx)
    y = (X["f"] + rng.normal(scale=0.5, size=200) > 0).astype(int)
    cv = PurgedKFold(n_splits=4, t1=t1, embargo=0.01)
    scores = cross_val_score(LogisticRegression(), X, y, cv=cv)
    assert scores.shape == (4,) and (scores > 0.5).all()
    cpcv = CombinatorialPurgedCV(n_groups=5, n_test_groups=2, t1=t1)
    grid = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=cpcv).fit(X, y)
    assert len(grid.cv_results_["split9_test_score"]) == 2
    frame = pl.DataFrame({"t0": idx.tz_convert(None).to_numpy(), "t1": t1.dt.tz_convert(None).to_numpy()})
    a = [tr.tolist() for tr, _ in PurgedKFold(4, t1=frame).split(X)]
    b = [tr.tolist() for tr, _ in cv.split(X)]
    assert a == b


def test_bad_input() -> None:
    t0 = np.arange(10)
    with pytest.raises(ConfigError, match="needs t1"):
        list(PurgedKFold(3).split(np.zeros(10)))
    with pytest.raises(DataError, match="X has 9 rows"):
        list(PurgedKFold(3, t1=(t0, t0)).split(np.zeros(9)))
    with pytest.raises(DataError, match="sorted by start time"):
        list(PurgedKFold(3, t1=(t0[::-1], t0[::-1])).split())
    with pytest.raises(DataError, match="ends \\(t1\\) before"):
        list(PurgedKFold(3, t1=(t0, t0 - 1)).split())
    with pytest.raises(ConfigError, match="embargo"):
        list(PurgedKFold(3, t1=(t0, t0), embargo=1.5).split())
    with pytest.raises(ConfigError, match="n_test_groups"):
        CombinatorialPurgedCV(4, 4, t1=(t0, t0)).get_n_splits()
    with pytest.raises(DataError, match="cannot make 20 groups"):
        list(CombinatorialPurgedCV(20, 2, t1=(t0, t0)).split())


def test_public_names() -> None:
    import trade2026.validation as validation

    assert validation.__all__ == ["CombinatorialPurgedCV", "PurgedKFold", "label_spans"]
