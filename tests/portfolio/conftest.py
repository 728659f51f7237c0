"""Small seeded return panels for the portfolio tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_returns(n_obs: int = 300, n_assets: int = 6, seed: int = 0, market: float = 0.006) -> pd.DataFrame:
    """Daily-like returns: one market factor plus idiosyncratic noise of different sizes."""
    rng = np.random.default_rng(seed)
    vol = np.linspace(0.006, 0.018, n_assets)
    drift = np.linspace(0.0008, 0.0016, n_assets)
    x = drift + rng.normal(0.0, 1.0, (n_obs, n_assets)) * vol + rng.normal(0, market, (n_obs, 1))
    return pd.DataFrame(x, columns=[f"S{i}" for i in range(n_assets)])


def orthogonal_returns(n_obs: int = 200, scales: tuple[float, ...] = (0.01, 0.02, 0.015, 0.03, 0.008)) -> pd.DataFrame:
    """Returns whose sample covariance is exactly diagonal (orthogonal, mean-zero columns)."""
    rng = np.random.default_rng(3)
    a = rng.normal(size=(n_obs, len(scales)))
    a -= a.mean(axis=0)
    q, _ = np.linalg.qr(a)
    x = q * np.array(scales) * np.sqrt(n_obs - 1)
    return pd.DataFrame(x, columns=[f"D{i}" for i in range(len(scales))])


@pytest.fixture
def returns() -> pd.DataFrame:
    return make_returns()
