"""Small seeded fixtures for the backtest tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def sample():
    from trade2026.datasets import generate

    return generate(symbols=6, years=3, seed=0, intraday_symbols=1, intraday_days=1)


@pytest.fixture(scope="session")
def bars(sample):
    return sample.bars_1d
