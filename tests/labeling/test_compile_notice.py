"""A new install's first fracdiff / label call says (once) that numba kernels compile; the FFT path needs none."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl
import pytest

import trade2026._jit as jit
from trade2026.features import fracdiff
from trade2026.labeling import label_bars


@pytest.fixture
def notices(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The messages a new install would see: every kernel counts as not compiled yet."""
    got: list[str] = []
    monkeypatch.setattr(jit, "is_cached", lambda kernel: False)
    jit.set_compile_listener(got.append)
    yield got
    jit.set_compile_listener(None)


def test_fracdiff_and_label_announce_their_kernels_once(notices: list[str]) -> None:
    x = np.cumsum(np.random.default_rng(0).normal(size=20_000))
    fracdiff(x, 0.4)  # 1,458 weights: the FFT path, no kernel
    assert notices == []
    fracdiff(x[:500], 0.4, window=20)
    fracdiff(x[:500], 0.3, window=20)
    ts = pl.datetime_range(pl.datetime(2020, 1, 1), pl.datetime(2021, 8, 22), "1d", eager=True, time_zone="UTC")
    close = 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, len(ts))))
    label_bars(pl.DataFrame({"symbol": "A", "ts": ts, "close": close}))
    assert notices == [
        "compiling 1 numba kernel(s) for fractional differences: first run only, cached afterwards",
        "compiling 5 numba kernel(s) for triple-barrier labels: first run only, cached afterwards",
    ]
