"""Fractional differentiation (AFML ch. 5): golden weights, identities, kinds, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import binom, gammaln

from trade2026.errors import ConfigError, DataError
from trade2026.features import FracDiff, fracdiff, fracdiff_report, fracdiff_weights, min_d


def _walk(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.log(100.0) + np.cumsum(rng.normal(0.0, 0.01, n))


def _direct_ffd(x: np.ndarray, d: float, width: int) -> np.ndarray:
    """The definition: (1 - B)^d x_t = sum_k (-1)^k C(d, k) x_{t-k}, truncated to `width` terms."""
    w = np.array([(-1) ** k * binom(d, k) for k in range(width)])
    out = np.full(len(x), np.nan)
    for t in range(width - 1, len(x)):
        out[t] = sum(w[k] * x[t - k] for k in range(width))
    return out


def test_weights_match_binomial_series() -> None:
    # (1 - B)^d = sum_k (-1)^k C(d, k) B^k  (AFML eq. 5.1)
    for d in (0.1, 0.4, 0.75, 1.3, 1.9):
        w = fracdiff_weights(d, window=30)
        expected = [(-1) ** k * binom(d, k) for k in range(30)]
        np.testing.assert_allclose(w, expected, rtol=1e-12, atol=1e-15)


def test_weights_first_terms_d04() -> None:
    # AFML 5.4: w = [1, -d, -d(1-d)/2, -d(1-d)(2-d)/6, ...]
    np.testing.assert_allclose(fracdiff_weights(0.4)[:5], [1.0, -0.4, -0.12, -0.064, -0.0416])


@pytest.mark.parametrize(("d", "thresh"), [(0.4, 1e-5), (0.4, 1e-4), (0.1, 1e-5), (0.7, 1e-3), (1.5, 1e-5)])
def test_ffd_width_matches_closed_form(d: float, thresh: float) -> None:
    # |w_k| = Gamma(k - d) / (Gamma(k + 1) |Gamma(-d)|): the window ends at the first |w_k| < thresh
    k = np.arange(1, 20_000)
    log_abs = gammaln(k - d) - gammaln(k + 1) - gammaln(-d) if d < 1 else None
    if log_abs is None:  # gammaln of negative non-integers is log|Gamma|; use the recursion oracle
        w = [1.0]
        while abs(-w[-1] * (d - len(w) + 1) / len(w)) >= thresh:
            w.append(-w[-1] * (d - len(w) + 1) / len(w))
        expected = len(w)
    else:
        expected = int(np.argmax(np.exp(log_abs) < thresh)) + 1
    assert len(fracdiff_weights(d, thresh=thresh)) == expected
    if (d, thresh) == (0.4, 1e-5):
        assert expected == 1458


def test_integer_orders() -> None:
    x = _walk(200)
    np.testing.assert_array_equal(fracdiff(x, 0.0), x)  # d=0: identity
    d1 = fracdiff(x, 1.0)
    assert math.isnan(d1[0])
    np.testing.assert_allclose(d1[1:], np.diff(x), atol=1e-14)  # d=1: first difference
    d2 = fracdiff(x, 2.0)
    np.testing.assert_allclose(d2[2:], np.diff(x, 2), atol=1e-14)
    assert np.isnan(d2[:2]).all()


@pytest.mark.parametrize("d", [0.15, 0.4, 0.83, 1.35])
def test_ffd_matches_direct_definition(d: float) -> None:
    x = _walk(400, seed=3) * 50  # price-like levels
    width = len(fracdiff_weights(d, thresh=1e-3))
    got = fracdiff(x, d, thresh=1e-3)
    want = _direct_ffd(x, d, width)
    assert np.isnan(got[: width - 1]).all()
    np.testing.assert_allclose(got[width - 1 :], want[width - 1 :], rtol=0, atol=1e-10)


def test_fixed_window() -> None:
    x = _walk(100)
    got = fracdiff(x, 0.3, window=10)
    np.testing.assert_allclose(got[9:], _direct_ffd(x, 0.3, 10)[9:], atol=1e-12)
    assert np.isnan(got[:9]).all()


def test_expanding_matches_definition_and_skips_weight_loss() -> None:
    x = _walk(300, seed=1)
    d = 0.4
    got = fracdiff(x, d, method="expanding", thresh=0.01)
    w = np.array([(-1) ** k * binom(d, k) for k in range(len(x))])
    total = np.abs(w).sum()
    loss = 1 - np.cumsum(np.abs(w)) / total  # weight lost when the history stops at l
    skip = int((loss > 0.01).sum())
    assert np.isnan(got[:skip]).all()
    assert not np.isnan(got[skip:]).any()
    for t in (skip, skip + 7, len(x) - 1):
        assert got[t] == pytest.approx(sum(w[k] * x[t - k] for k in range(t + 1)), abs=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    d=st.floats(0.0, 2.0),
    a=st.floats(-5, 5),
    b=st.floats(-5, 5),
    seed=st.integers(0, 2**16),
)
def test_linearity(d: float, a: float, b: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(2, 120)).cumsum(axis=1)
    lhs = fracdiff(a * x + b * y, d, window=20)
    rhs = a * fracdiff(x, d, window=20) + b * fracdiff(y, d, window=20)
    np.testing.assert_allclose(lhs, rhs, atol=1e-9)


def test_kinds_round_trip() -> None:
    x = _walk(120)
    ts = pd.date_range("2020-01-01", periods=120, freq="D", tz="UTC")
    s = pd.Series(x, index=ts, name="close")
    out = fracdiff(s, 0.5, window=15)
    assert isinstance(out, pd.Series) and out.index.equals(ts) and out.name == "close"
    ref = fracdiff(x, 0.5, window=15)
    np.testing.assert_allclose(out.to_numpy(), ref)

    frame = pl.DataFrame(
        {
            "ts": pl.Series("ts", ts.tz_convert(None).to_numpy()).dt.replace_time_zone("UTC"),
            "a": x,
            "b": 2 * x,
            "symbol": ["X"] * 120,
        }
    )
    pout = fracdiff(frame, 0.5, window=15)
    assert isinstance(pout, pl.DataFrame) and pout.columns == frame.columns
    assert pout["ts"].equals(frame["ts"]) and pout["symbol"].equals(frame["symbol"])
    np.testing.assert_allclose(pout["b"].to_numpy(), 2 * ref)

    ps = fracdiff(pl.Series("p", x), 0.5, window=15)
    assert isinstance(ps, pl.Series) and ps.name == "p"

    pdf = fracdiff(pd.DataFrame({"a": x, "b": x}, index=ts), 0.5, window=15)
    assert isinstance(pdf, pd.DataFrame)
    np.testing.assert_allclose(pdf["a"].to_numpy(), ref)
    arr = fracdiff(np.column_stack([x, x]), 0.5, window=15)
    assert arr.shape == (120, 2)


def test_leading_nans_are_a_late_listing() -> None:
    x = _walk(100)
    padded = np.concatenate([np.full(20, np.nan), x, np.full(5, np.nan)])
    out = fracdiff(padded, 0.4, window=10)
    assert np.isnan(out[:29]).all() and np.isnan(out[-5:]).all()
    np.testing.assert_allclose(out[20:-5], fracdiff(x, 0.4, window=10))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"d": 2.5}, "d must be in [0, 2]"),
        ({"d": -0.1}, "d must be in [0, 2]"),
        ({"d": 0.4, "method": "fft"}, "method must be"),
        ({"d": 0.4, "thresh": 0.0}, "thresh must be in (0, 1)"),
        ({"d": 0.4, "window": 0}, "window must be a positive"),
    ],
)
def test_bad_settings(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=None) as err:
        fracdiff(_walk(100), **kwargs)
    assert fragment in str(err.value)


def test_bad_data() -> None:
    x = _walk(100)
    with pytest.raises(DataError, match="shorter than the FFD window of 1458") as err:
        fracdiff(x, 0.4)
    assert "thresh=0.001" in str(err.value)  # suggests a threshold that fits
    holed = x.copy()
    holed[50] = np.nan
    with pytest.raises(DataError, match="NaN inside the series"):
        fracdiff(holed, 0.4, window=5)
    ts = pd.DatetimeIndex(pd.date_range("2020-01-01", periods=100, freq="D"))
    with pytest.raises(DataError, match="duplicate timestamp"):
        fracdiff(pd.Series(x, index=ts.insert(10, ts[10]).delete(12)), 0.4, window=5)
    with pytest.raises(DataError, match="not sorted"):
        fracdiff(pd.Series(x, index=ts[::-1]), 0.4, window=5)
    long = pl.DataFrame({"symbol": ["A", "B"] * 50, "close": x})
    with pytest.raises(DataError, match="several symbols"):
        fracdiff(long, 0.4, window=5)


def test_min_d_random_walk_and_noise() -> None:
    walk = _walk(1500, seed=2)
    res = min_d(walk)
    assert 0.0 < res.d < 1.0
    table = res.table
    assert isinstance(table, pl.DataFrame) and table.height == 101
    row = table.filter(pl.col("d") == res.d).row(0, named=True)
    assert row["pvalue"] <= 0.05 and row["stationary"]
    assert not table.filter(pl.col("d") < res.d)["stationary"].any()
    # memory: the correlation with the original falls as d grows (AFML fig. 5.5)
    corr = table.filter(pl.col("d").is_in([0.0, 0.5, 1.0]))["corr"].to_list()
    assert corr[0] == pytest.approx(1.0) and corr[0] > corr[1] > corr[2]
    noise = np.random.default_rng(0).normal(size=800)
    assert min_d(pd.Series(noise)).d == 0.0
    assert isinstance(min_d(pd.Series(noise)).table, pd.DataFrame)
    assert res.to_dict()["d"] == res.d


def test_min_d_no_pass() -> None:
    with pytest.raises(DataError, match=r"no d in \[0, 0.1\]") as err:
        min_d(_walk(1500, seed=2), d_range=(0.0, 0.1))
    assert "widen d_range" in str(err.value)
    with pytest.raises(DataError, match="too short"):
        min_d(_walk(60), d_range=(0.1, 0.3), thresh=1e-5)
    with pytest.raises(DataError, match="one series"):
        min_d(np.ones((10, 2)))


def test_transformer() -> None:
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X = pd.DataFrame({"a": _walk(1500, seed=2), "b": np.random.default_rng(1).normal(size=1500)})
    fd = FracDiff().fit(X)
    assert fd.d_.shape == (2,) and fd.d_[1] == 0.0 and 0 < fd.d_[0] < 1
    assert fd.d_[0] == min_d(X["a"]).d
    out = fd.transform(X)
    assert isinstance(out, pd.DataFrame)
    np.testing.assert_allclose(out["a"], fracdiff(X["a"], fd.d_[0], thresh=1e-4), equal_nan=True)
    fixed = clone(FracDiff(d=0.5, window=10))
    assert fixed.get_params()["d"] == 0.5
    np.testing.assert_allclose(fixed.fit_transform(X.to_numpy())[:, 0], fracdiff(X["a"].to_numpy(), 0.5, window=10))
    pipe = make_pipeline(FracDiff(d=1.0), FunctionTransformer())
    assert pipe.fit_transform(X.to_numpy()).shape == (1500, 2)
    with pytest.raises(DataError, match="fitted on 2 columns"):
        fd.transform(X[["a"]])


def test_public_names() -> None:
    import trade2026.features as features

    assert features.__all__ == [
        "DEFINITIONS_TABLE",
        "EXPANDING_THRESH",
        "FFD_THRESH",
        "SEARCH_THRESH",
        "FeatureBuildResult",
        "FeatureSet",
        "FracDiff",
        "FracDiffBarsResult",
        "FracDiffReport",
        "MinDResult",
        "asof_join",
        "build_features",
        "compute_features",
        "feature_set_info",
        "feature_sets",
        "fracdiff",
        "fracdiff_bars",
        "fracdiff_report",
        "fracdiff_weights",
        "load_feature_set",
        "min_d",
        "read_features",
    ]
    assert (features.FFD_THRESH, features.SEARCH_THRESH, features.EXPANDING_THRESH) == (1e-5, 1e-4, 1e-2)
    assert all(callable(getattr(features, n)) for n in features.__all__ if not n.isupper())
    assert "fracdiff_bars" in dir(features)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = features.nope


def test_fracdiff_report_matches_min_d_and_fracdiff() -> None:
    """fracdiff_report (behind `t26 fracdiff`) is min_d's choice, its table row and the FFD series."""
    rng = np.random.default_rng(5)
    x = np.cumsum(rng.normal(0, 0.01, 1500)) + 4.0
    auto = fracdiff_report(x, thresh=1e-4)
    res = min_d(x, thresh=1e-4)
    assert auto.d == res.d and auto.search == res.table.to_dicts()
    assert auto.row["stationary"] and auto.row["d"] == res.d
    np.testing.assert_array_equal(auto.series, np.asarray(fracdiff(x, res.d, thresh=1e-4)))
    fixed = fracdiff_report(x, 0.4, thresh=1e-4, pvalue=1e-12)
    assert fixed.search is None and fixed.d == 0.4 and fixed.row["stationary"] is False
    assert fixed.series.shape == x.shape
