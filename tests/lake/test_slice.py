"""LakeSlice: a task-sized reference to lake bars that workers resolve themselves (issue 16)."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026._json import dumps
from trade2026.errors import DataError
from trade2026.lake import LakeSlice


def test_a_slice_is_the_read_bars_frame_pinned_at_its_version(sample_lake: Any) -> None:
    syms = sorted(sample_lake.read("bars_1d")["symbol"].unique().to_list())[:2]
    s = LakeSlice.of(sample_lake, "bars_1d", symbols=syms)
    assert s.version == sample_lake.history("bars_1d")[0]["version"]
    expected = sample_lake.read_bars("bars_1d", symbols=syms)
    assert s.read().equals(expected)
    assert s.frame() is s.frame()  # cached in this process
    # a later commit does not move a pinned slice (time travel), and the cache key is the version
    more = expected.with_columns(pl.col("ts").dt.offset_by("10000d"))
    sample_lake.write("bars_1d", more, mode="append")
    assert s.read().equals(expected)
    moved = LakeSlice.of(sample_lake, "bars_1d", symbols=syms)
    assert moved.version == s.version + 1 and moved.read().height == 2 * expected.height


def test_an_empty_slice_is_a_data_error(sample_lake: Any) -> None:
    with pytest.raises(DataError, match="holds no bars"):
        LakeSlice.of(sample_lake, "bars_1d", symbols=["NOPE"]).read()


def _first(sample_lake: Any) -> str:
    return str(sample_lake.read("bars_1d")["symbol"].sort()[0])


def test_a_sweep_of_a_slice_ships_no_bars_and_equals_the_frame_sweep(sample_lake: Any) -> None:
    from trade2026.backtest import WalkForwardSpec, evaluate, run_sweep
    from trade2026.backtest._sweep import SweepChunk

    s = LakeSlice.of(sample_lake, "bars_1d")
    frame = sample_lake.read_bars("bars_1d")
    grid = "fast=5:30:5,slow=20:80:20"
    a = run_sweep(frame, "sma_cross", grid)
    b = run_sweep(s, "sma_cross", grid, executor="processes", max_workers=2)
    np.testing.assert_array_equal(a.returns, b.returns)
    np.testing.assert_array_equal(a.turnover, b.turnover)
    task = SweepChunk(None, "sma_cross", b.params[:1], b.config, False, s)
    assert len(pickle.dumps(task)) < 4000 < frame.estimated_size()  # a reference, not the data

    spec = WalkForwardSpec(train=252, test=63)
    one = evaluate(frame, "sma_cross", grid=grid, walk_forward=spec)
    two = evaluate(s, "sma_cross", grid=grid, walk_forward=spec, executor="processes", max_workers=2)
    assert dumps(one.to_dict()) == dumps(two.to_dict())


def test_monte_carlo_of_a_slice_equals_the_frame_run(sample_lake: Any) -> None:
    from trade2026.sim import monte_carlo

    sym = _first(sample_lake)
    s = LakeSlice.of(sample_lake, "bars_1d", symbols=[sym])
    frame = sample_lake.read_bars("bars_1d", symbols=[sym])
    kw: dict[str, Any] = {"methods": ("gbm", "bootstrap"), "synthetic_paths": 40, "n_paths": 50, "seed": 2}
    a = monte_carlo(frame, "sma_cross:fast=10,slow=40", **kw)
    b = monte_carlo(s, "sma_cross:fast=10,slow=40", executor="processes", **kw)
    assert dumps(a.to_dict()) == dumps(b.to_dict())
