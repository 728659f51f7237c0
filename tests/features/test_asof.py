"""asof_join: each label gets its symbol's last feature row at or before t0, never a later one."""

from __future__ import annotations

import datetime as dt

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import given, settings

from trade2026.errors import DataError
from trade2026.features import asof_join

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _frame(rows: list[tuple[str, int]], value: bool) -> pl.DataFrame:
    df = pl.DataFrame(
        {"symbol": [s for s, _ in rows], "ts": [T0 + dt.timedelta(days=d) for _, d in rows]},
        schema={"symbol": pl.String, "ts": pl.Datetime("us", "UTC")},
    )
    if value:
        df = df.unique(["symbol", "ts"], maintain_order=True).with_columns(
            f=pl.col("ts").dt.day().cast(pl.Float64) + pl.col("symbol").str.len_chars()
        )
    return df


rows = st.lists(st.tuples(st.sampled_from(["A", "BB", "CCC"]), st.integers(0, 40)), max_size=40)


@settings(max_examples=150)
@given(labels=rows, features=rows)
def test_the_join_takes_the_last_row_at_or_before_t0(labels: list, features: list) -> None:
    lab = _frame(labels, value=False).with_columns(label=pl.int_range(pl.len()))
    feat = _frame(features, value=True)
    out = asof_join(lab, feat)
    assert out["label"].to_list() == lab["label"].to_list()  # the labels' order is kept
    for row in out.iter_rows(named=True):
        known = feat.filter((pl.col("symbol") == row["symbol"]) & (pl.col("ts") <= row["ts"]))
        if known.height == 0:
            assert row["f"] is None
        else:
            assert row["f"] == known.sort("ts")["f"][-1]  # the latest, never one after t0


def test_pandas_in_pandas_out_and_other_time_column() -> None:
    lab = _frame([("A", 5), ("A", 1)], value=False).rename({"ts": "t0"})
    feat = _frame([("A", 0), ("A", 3), ("A", 6)], value=True)
    out = asof_join(lab.to_pandas(), feat, on="t0")
    assert list(out["f"]) == [feat["f"][1], feat["f"][0]]


def test_duplicate_features_and_clashing_columns_are_refused() -> None:
    feat = _frame([("A", 0)], value=True)
    with pytest.raises(DataError, match="duplicate"):
        asof_join(_frame([("A", 1)], value=False), pl.concat([feat, feat]))
    with pytest.raises(DataError, match="already have"):
        asof_join(_frame([("A", 1)], value=False).with_columns(f=pl.lit(1.0)), feat)
