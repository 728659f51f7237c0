"""Factories for the RL tests: seeded synthetic bars (one or many symbols, with a late listing)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

pytest.importorskip("stable_baselines3")


def synthetic_bars(
    n: int = 300,
    symbols: tuple[str, ...] = ("AAA",),
    *,
    seed: int = 0,
    late: int = 0,
    phi: float = 0.0,
    vol: float = 0.01,
    drift: float = 0.0,
    gaps: bool = True,
) -> pl.DataFrame:
    """Daily bars of a random walk per symbol (AR(1) returns with coefficient ``phi``).

    Opens gap from the previous close when ``gaps``; high/low bracket open and close. The last symbol
    lists ``late`` bars after the first one.
    """
    rng = np.random.default_rng(seed)
    ts = [dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=i) for i in range(n)]
    frames = []
    for j, sym in enumerate(symbols):
        eps = rng.normal(0.0, vol, n)
        r = np.empty(n)
        r[0] = eps[0]
        for i in range(1, n):
            r[i] = phi * r[i - 1] + eps[i]
        close = 100.0 * np.exp(np.cumsum(r + drift))
        prev = np.concatenate([[close[0]], close[:-1]])
        open_ = prev * np.exp(rng.normal(0.0, vol / 4, n)) if gaps else prev
        hi = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, vol / 2, n)))
        lo = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, vol / 2, n)))
        first = late if (late and j == len(symbols) - 1) else 0
        frames.append(
            pl.DataFrame(
                {
                    "symbol": sym,
                    "ts": ts[first:],
                    "open": open_[first:],
                    "high": hi[first:],
                    "low": lo[first:],
                    "close": close[first:],
                    "volume": np.full(n - first, 1000.0),
                }
            )
        )
    return pl.concat(frames).with_columns(pl.col("ts").cast(pl.Datetime("us", "UTC")))


@pytest.fixture
def bars1() -> pl.DataFrame:
    return synthetic_bars(300, ("AAA",), seed=1)


@pytest.fixture
def bars3() -> pl.DataFrame:
    return synthetic_bars(300, ("AAA", "BBB", "CCC"), seed=2, late=60)
