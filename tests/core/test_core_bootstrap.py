"""The one stationary-bootstrap sampler and its block length, against arch and the theory."""

from __future__ import annotations

import numpy as np
import pytest

from trade2026.core import optimal_block_length, stationary_bootstrap, stationary_bootstrap_indices


def _ar1(phi: float, n: int, seed: int) -> np.ndarray:
    e = np.random.default_rng(seed).standard_normal(n)
    x = np.empty(n)
    x[0] = e[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [1000, 3000])
def test_block_length_equals_arch_on_strongly_dependent_series(seed: int, n: int) -> None:
    # arch.bootstrap.optimal_block_length implements the same Politis-White (2004) / Patton et al.
    # (2009) estimator; it normalises the autocorrelations used to pick the bandwidth slightly
    # differently, so the two agree exactly where the bandwidth choice is clear-cut (phi = 0.95).
    arch = pytest.importorskip("arch.bootstrap")
    x = _ar1(0.95, n, seed)
    assert optimal_block_length(x) == pytest.approx(arch.optimal_block_length(x)["stationary"].iloc[0], rel=1e-9)


@pytest.mark.parametrize("phi", [0.3, 0.5, 0.7])
def test_block_length_tracks_the_ar1_population_value(phi: float) -> None:
    # For AR(1), G / g(0) = 2 phi / (1 - phi^2), so b_opt = (2 phi / (1 - phi^2))^(2/3) n^(1/3)
    # (Politis and White 2004, eq. 6 with D_SB = 2 g(0)^2). The estimator is noisy; its mean over
    # 30 series is within 10% of the population value (it is about 5% low at n = 5000).
    n = 5000
    est = np.mean([optimal_block_length(_ar1(phi, n, s)) for s in range(30)])
    theory = (2 * phi / (1 - phi**2)) ** (2 / 3) * n ** (1 / 3)
    assert est == pytest.approx(theory, rel=0.10)


def test_white_noise_gets_short_blocks() -> None:
    assert optimal_block_length(np.random.default_rng(0).standard_normal(2000)) < 2.0


def test_indices_follow_the_definition() -> None:
    # Re-derive the paths with the documented loop from the same draws.
    n, n_boot, b = 50, 20, 5.0
    got = stationary_bootstrap_indices(n, b, n_boot, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    first = rng.integers(0, n, n_boot)
    restart = rng.random((n_boot, n)) < 1 / b
    fresh = rng.integers(0, n, (n_boot, n))
    want = np.empty((n_boot, n), dtype=np.int64)
    want[:, 0] = first
    for t in range(1, n):
        want[:, t] = np.where(restart[:, t], fresh[:, t], (want[:, t - 1] + 1) % n)
    np.testing.assert_array_equal(got, want)


def test_mean_block_length_and_seeding() -> None:
    idx = stationary_bootstrap_indices(1000, 10.0, 200, np.random.default_rng(1))
    jumps = (np.diff(idx, axis=1) % 1000) != 1
    assert 1 / jumps.mean() == pytest.approx(10.0, rel=0.05)  # geometric blocks, mean 10
    r = np.random.default_rng(2).normal(size=100)
    a, _ = stationary_bootstrap(r, 30, block_length=4, seed=5)
    b, _ = stationary_bootstrap(r, 30, block_length=4, seed=np.random.default_rng(5))
    c, _ = stationary_bootstrap(r, 30, block_length=4, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert set(np.unique(a)) <= set(r)
