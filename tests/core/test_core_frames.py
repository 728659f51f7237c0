"""Frames in and out: one conversion for every public function that takes pandas or polars."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from trade2026.core import like_input, to_polars
from trade2026.errors import DataError


def _pandas() -> pd.DataFrame:
    ts = pd.to_datetime(["2020-01-01", "2020-01-02"], utc=True).tz_convert("America/New_York")
    return pd.DataFrame(
        {
            "symbol": ["A", "B"],
            "ts": ts,
            "close": [1.0, 2.0],
            "n": pd.array([1, None], dtype="Int64"),
            "label": pd.Series(["a", None], dtype="string"),
        }
    )


def test_pandas_in_keeps_time_zones_and_nulls_without_warnings() -> None:
    df, was_pandas = to_polars(_pandas())  # warnings are errors in this suite
    assert was_pandas
    assert df.schema["ts"] == pl.Datetime("us", "America/New_York")
    assert df["ts"].dt.convert_time_zone("UTC").to_list()[0].isoformat() == "2020-01-01T00:00:00+00:00"
    assert df["n"].to_list() == [1, None] and df["label"].to_list() == ["a", None]


def test_named_index_becomes_columns_unnamed_index_is_dropped() -> None:
    p = _pandas()
    assert to_polars(p.set_index(["symbol", "ts"]))[0].columns == ["symbol", "ts", "close", "n", "label"]
    assert to_polars(p[p["close"] > 1])[0].columns == ["symbol", "ts", "close", "n", "label"]


def test_other_kinds_and_the_way_back() -> None:
    pl_df = pl.DataFrame({"a": [1, 2]})
    assert to_polars(pl_df) == (pl_df, False)
    assert to_polars(pl_df.lazy())[0].equals(pl_df)
    assert to_polars(pa.table({"a": [1, 2]}))[0].equals(pl_df)
    assert to_polars({"a": [1, 2]})[0].equals(pl_df)
    back = like_input(to_polars(_pandas())[0], True)
    assert isinstance(back, pd.DataFrame) and list(back.columns) == ["symbol", "ts", "close", "n", "label"]
    with pytest.raises(DataError, match="polars or pandas DataFrame"):
        to_polars([1, 2, 3])
