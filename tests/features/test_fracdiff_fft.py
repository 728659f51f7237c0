"""The FFT overlap-save path of fractional differences agrees with the direct definition (to 1e-9)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import binom

from trade2026.features import fracdiff, fracdiff_weights
from trade2026.features._convolve import expanding_fft, ffd_array, ffd_fft, use_fft


def _definition(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(1 - B)^d x_t = sum_k w_k x_{t-k} over the K weights, NaN for the first K - 1 points."""
    out = np.full(len(x), np.nan)
    out[len(w) - 1 :] = sliding_window_view(x, len(w)) @ w[::-1]
    return out


def _prices(n: int, seed: int, level: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return level * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))


@pytest.mark.parametrize(
    ("d", "n", "level"),
    [(0.1, 12_000, 1.0), (0.4, 1_458, 100.0), (0.4, 1_459, 100.0), (0.4, 50_000, 100.0), (0.75, 9_000, 5000.0)],
)
def test_ffd_long_windows_match_the_definition(d: float, n: int, level: float) -> None:
    # thresh 1e-5: 4,076 weights at d=0.1, 1,458 at d=0.4, 293 at d=0.75 (the direct path)
    x = np.log(_prices(n, seed=int(d * 100) + n, level=level)) if level < 1000 else _prices(n, 1, level)
    w = fracdiff_weights(d, thresh=1e-5)
    if len(w) > n:
        w = w[:n]
    want = _definition(x, w)
    got = ffd_fft(x.reshape(-1, 1), w)[:, 0]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    if len(w) == len(fracdiff_weights(d, thresh=1e-5)):  # through the public function too
        np.testing.assert_allclose(fracdiff(x, d), want, rtol=0, atol=1e-9)


def test_public_fracdiff_takes_the_fft_path_on_long_windows() -> None:
    x = np.log(_prices(20_000, seed=3, level=100.0))
    w = fracdiff_weights(0.4)
    assert use_fft(len(x), len(w)) and not use_fft(2_000, 50)
    np.testing.assert_allclose(fracdiff(x, 0.4), _definition(x, w), rtol=0, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    d=st.floats(0.01, 1.99),
    width=st.integers(1, 2_000),
    extra=st.integers(0, 5_000),
    cols=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_fft_matches_definition_for_any_size(d: float, width: int, extra: int, cols: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (width + extra, cols)).cumsum(axis=0) + rng.normal(0, 100, cols)
    w = fracdiff_weights(d, window=width)
    got = ffd_fft(x, w)
    for j in range(cols):
        np.testing.assert_allclose(got[:, j], _definition(x[:, j], w), rtol=0, atol=1e-9)


def test_frames_with_different_spans_and_nans_as_today() -> None:
    n, w = 6_000, fracdiff_weights(0.4)
    base = np.log(_prices(n, seed=5, level=50.0))
    x = np.column_stack([base, 2.0 * base, base + 1.0])
    x[:700, 1] = np.nan  # listed late
    x[-300:, 2] = np.nan  # delisted
    got = fracdiff(x, 0.4)
    np.testing.assert_allclose(got[:, 0], _definition(base, w), rtol=0, atol=1e-9)
    want1 = np.full(n, np.nan)
    want1[700:] = _definition(2.0 * base[700:], w)
    np.testing.assert_allclose(got[:, 1], want1, rtol=0, atol=1e-9)
    want2 = np.full(n, np.nan)
    want2[:-300] = _definition(base[:-300] + 1.0, w)
    np.testing.assert_allclose(got[:, 2], want2, rtol=0, atol=1e-9)


def test_a_nan_inside_stays_inside_its_windows() -> None:
    # ffd_array (used without the span checks by the d search) keeps the direct kernel's NaN reach
    n, w = 5_000, fracdiff_weights(0.4)
    x = np.log(_prices(n, seed=6, level=10.0))
    holed = np.column_stack([x, x])
    holed[3_000, 1] = np.nan
    got = ffd_array(holed, w)
    np.testing.assert_allclose(got[:, 0], _definition(x, w), rtol=0, atol=1e-9)
    reach = np.zeros(n, dtype=bool)
    reach[3_000 : 3_000 + len(w)] = True
    assert np.isnan(got[reach, 1]).all()
    np.testing.assert_allclose(got[~reach, 1], _definition(x, w)[~reach], rtol=0, atol=1e-9)


@pytest.mark.parametrize("n", [383, 384, 2_000])
def test_expanding_window_matches_the_definition(n: int) -> None:
    x = np.log(_prices(n, seed=n, level=100.0))
    d = 0.4
    w = np.array([(-1) ** k * binom(d, k) for k in range(n)])
    want = np.array([w[: t + 1] @ x[t::-1] for t in range(n)])
    np.testing.assert_allclose(expanding_fft(x.reshape(-1, 1), w)[:, 0], want, rtol=0, atol=1e-9)
    got = fracdiff(x, d, method="expanding", thresh=0.01)
    ok = ~np.isnan(got)
    assert ok.sum() > 0 and np.isnan(got[: int(np.argmax(ok))]).all()
    np.testing.assert_allclose(got[ok], want[ok], rtol=0, atol=1e-9)
