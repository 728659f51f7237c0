"""Meta-labeling under CPCV (AFML 12.4): every path an out-of-sample history, any executor the serial result."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from trade2026._json import dumps
from trade2026.errors import ConfigError
from trade2026.labeling import metalabel, metalabel_cpcv


@pytest.fixture(scope="module")
def bars() -> pl.DataFrame:
    from trade2026.datasets import generate

    d = generate(symbols=2, years=4, seed=1, intraday_symbols=0)
    return d.bars_1d.filter(pl.col("symbol") == d.bars_1d["symbol"][0])


def test_paths_are_the_splits_fits_reassembled(bars: pl.DataFrame) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from trade2026.labeling._meta import prepare_bets
    from trade2026.validation import CombinatorialPurgedCV

    res = metalabel_cpcv(bars, "sma_cross:fast=10,slow=40", model="logit", n_groups=5, n_test_groups=2)
    assert res.n_splits == math.comb(5, 2) and res.n_paths == math.comb(4, 1)
    assert res.probabilities.shape == (4, res.n_bets) and np.isfinite(res.probabilities).all()
    # an independent loop: fit a scaled logistic regression on each split, place its test predictions by group
    b = prepare_bets(bars, "sma_cross:fast=10,slow=40", pt=1.0, sl=1.0, vertical=10, cusum=1.0, n_splits=5)
    cv = CombinatorialPurgedCV(5, 2, t1=b.events, embargo=0.01)
    groups = np.array_split(np.arange(len(b.y)), 5)
    seen = np.zeros((5,), dtype=int)  # how many paths have taken each group so far
    expected = np.full((4, len(b.y)), np.nan)
    for train, test in cv.split(b.X):
        est = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=1000))
        est.fit(b.X[train], b.y[train], logisticregression__sample_weight=b.w[train])
        p = est.predict_proba(b.X[test])[:, 1]
        for g, idx in enumerate(groups):
            if np.isin(idx, test).all():
                expected[seen[g], idx] = p[np.searchsorted(test, idx)]
                seen[g] += 1
    np.testing.assert_allclose(res.probabilities, expected, rtol=1e-9)
    for row in res.paths:
        assert 0 <= row["accuracy"] <= 1 and 0 <= row["bets"] <= res.n_bets
    assert res.summary["sharpe"]["min"] <= res.summary["sharpe"]["mean"] <= res.summary["sharpe"]["max"]
    # the primary alone does not depend on the cut: metalabel's primary returns
    one = metalabel(bars, "sma_cross:fast=10,slow=40", model="logit")
    assert res.primary == one.returns["primary"]


def test_every_executor_gives_the_serial_result(bars: pl.DataFrame) -> None:
    kw = {"model": "rf", "n_groups": 4, "n_test_groups": 2, "model_params": {"n_estimators": 20}}
    a = metalabel_cpcv(bars, "sma_cross:fast=10,slow=40", **kw)
    b = metalabel_cpcv(bars, "sma_cross:fast=10,slow=40", executor="processes", max_workers=2, **kw)
    assert dumps(a.to_dict()) == dumps(b.to_dict())
    np.testing.assert_array_equal(a.probabilities, b.probabilities)


def test_bad_groups_fail_before_the_work(bars: pl.DataFrame) -> None:
    with pytest.raises(ConfigError, match="n_test_groups"):
        metalabel_cpcv(bars.head(10), "sma_cross", n_groups=3, n_test_groups=3)
