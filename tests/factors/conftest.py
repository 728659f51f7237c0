"""Small seeded factories for the factor tests."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest


def synthetic_universe(
    *, n_assets: int = 120, n_days: int = 360, n_sectors: int = 4, seed: int = 0, missing: float = 0.0
) -> dict:
    """Bars built from known factors: market + sector moves + idiosyncratic noise.

    Returns the bars, the metadata and the true factor series, so tests can check what a model
    recovers.
    """
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.010, n_days)
    sector_f = rng.normal(0.0, 0.008, (n_days, n_sectors))
    sector = np.arange(n_assets) % n_sectors
    beta = rng.uniform(0.7, 1.3, n_assets)
    idio = rng.normal(0.0, 0.012, (n_days, n_assets))
    ret = market[:, None] * beta + sector_f[:, sector] + idio
    close = 50.0 * np.cumprod(1.0 + ret, axis=0)
    volume = np.exp(rng.normal(13, 0.3, (n_days, n_assets)))
    shares = np.exp(rng.uniform(16, 20, n_assets))
    dates = pl.datetime_range(
        pl.datetime(2020, 1, 1, time_zone="UTC"),
        pl.datetime(2020, 1, 1, time_zone="UTC") + pl.duration(days=n_days - 1),
        interval="1d",
        eager=True,
    )
    names = [f"S{i:03d}" for i in range(n_assets)]
    frame = pl.DataFrame(
        {
            "symbol": np.repeat(names, n_days),
            "ts": pl.concat([dates] * n_assets),
            "close": close.T.reshape(-1),
            "volume": volume.T.reshape(-1),
        }
    )
    if missing:
        keep = rng.random(frame.height) >= missing
        frame = frame.filter(pl.Series(keep))
    meta = pl.DataFrame({"symbol": names, "sector": [f"sec{s}" for s in sector], "shares_out": shares})
    return {
        "bars": frame,
        "meta": meta,
        "market": market,
        "sector_f": sector_f,
        "sector": sector,
        "beta": beta,
        "ret": ret,
        "dates": dates,
        "names": names,
        "shares": shares,
        "close": close,
    }


@pytest.fixture(scope="session")
def universe() -> dict:
    return synthetic_universe()


@pytest.fixture(scope="session")
def sample():
    from trade2026.datasets import generate

    return generate(symbols=30, years=3, seed=1, intraday_symbols=0)
