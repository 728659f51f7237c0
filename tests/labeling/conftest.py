"""Small seeded price factories for the labeling tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest


def price_path(n: int = 500, seed: int = 0, vol: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0.0, vol, n)))


@pytest.fixture
def close_pd() -> pd.Series:
    idx = pd.bdate_range("2021-01-04", periods=500, tz="UTC")
    return pd.Series(price_path(500), index=idx, name="close")


@pytest.fixture
def close_pl(close_pd: pd.Series) -> pl.DataFrame:
    ts = pl.Series("ts", close_pd.index.tz_convert(None).to_numpy()).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return pl.DataFrame({"ts": ts, "close": close_pd.to_numpy()})
