from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trade2026.errors import DataError, InputError, NotFoundError
from trade2026.lake import Lake


def bars(symbols: list[str], n: int, start: float = 100.0, day0: int = 0) -> pl.DataFrame:
    rows = []
    for s in symbols:
        for i in range(n):
            px = start + i
            rows.append(
                {
                    "symbol": s,
                    "ts": dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=day0 + i),
                    "open": px,
                    "high": px + 1,
                    "low": px - 1,
                    "close": px + 0.5,
                    "volume": 1000.0,
                }
            )
    return pl.DataFrame(rows).with_columns(pl.col("ts").cast(pl.Datetime("us", "UTC")))


def test_write_read_roundtrip_and_catalogue(lake: Lake) -> None:
    assert lake.tables() == []
    df = bars(["A", "B"], 5)
    res = lake.write("bars_1d", df, mode="merge", keys=["symbol", "ts"])
    assert (res.inserted, res.updated, res.version) == (10, 0, 0)
    assert lake.tables() == ["bars_1d"]
    back = lake.read("bars_1d").sort("symbol", "ts")
    assert back.equals(df)
    assert lake.read("bars_1d", filters=[("symbol", "=", "B")]).height == 5
    assert lake.read("bars_1d", filters=pl.col("close") > 103).height == 4
    assert lake.read("bars_1d", columns=["symbol"]).columns == ["symbol"]
    assert lake.scan("bars_1d").select(pl.len()).collect().item() == 10


def test_merge_is_idempotent_and_updates_changed_rows(lake: Lake) -> None:
    df = bars(["A"], 4)
    lake.write("t", df, mode="merge", keys=["symbol", "ts"])
    again = lake.write("t", df, mode="merge", keys=["symbol", "ts"])
    assert (again.inserted, again.updated, again.version) == (0, 0, 0)  # no new version either
    fixed = df.with_columns(
        pl.when(pl.col("ts") == df["ts"][1]).then(pl.col("close") + 0.25).otherwise(pl.col("close")).alias("close")
    )
    more = pl.concat([fixed, bars(["A"], 2, day0=4)])
    res = lake.write("t", more, mode="merge", keys=["symbol", "ts"])
    assert (res.inserted, res.updated, res.version) == (2, 1, 1)
    back = lake.read("t").sort("ts")
    assert back.height == 6
    assert back["close"][1] == df["close"][1] + 0.25
    # time travel keeps the old value
    assert lake.read("t", version=0).sort("ts")["close"][1] == df["close"][1]


def test_append_overwrite_and_replace_where(lake: Lake) -> None:
    lake.write("t", bars(["A"], 3), mode="append")
    lake.write("t", bars(["B"], 2), mode="append")
    assert lake.count("t") == 5
    res = lake.write("t", bars(["B"], 1, start=7), mode="overwrite", replace_where="symbol = 'B'")
    assert res.deleted == 2
    assert lake.read("t").group_by("symbol").len().sort("symbol").to_dicts() == [
        {"symbol": "A", "len": 3},
        {"symbol": "B", "len": 1},
    ]
    lake.write("t", bars(["C"], 2), mode="overwrite")
    assert lake.read("t")["symbol"].unique().to_list() == ["C"]


def test_pandas_input_accepted(lake: Lake) -> None:
    pdf = bars(["A"], 3).to_pandas()
    assert isinstance(pdf, pd.DataFrame)
    lake.write("t", pdf, mode="append")
    assert lake.count("t") == 3


def test_bad_writes_leave_table_unchanged(lake: Lake) -> None:
    lake.write("t", bars(["A"], 3), mode="merge", keys=["symbol", "ts"])
    dup = pl.concat([bars(["A"], 2), bars(["A"], 1)])
    with pytest.raises(DataError, match="share a key"):
        lake.write("t", dup, mode="merge", keys=["symbol", "ts"])
    nullkey = bars(["A"], 2).with_columns(pl.lit(None, dtype=pl.String).alias("symbol"))
    with pytest.raises(DataError, match="missing key"):
        lake.write("t", nullkey, mode="merge", keys=["symbol", "ts"])
    with pytest.raises(InputError, match="needs keys"):
        lake.write("t", bars(["A"], 1), mode="merge")
    with pytest.raises(DataError, match="invalid table name"):
        lake.write("Bad-Name", bars(["A"], 1))
    with pytest.raises(DataError, match="schema"):
        lake.write("t", pl.DataFrame({"symbol": ["A"], "other": [1]}), mode="append")
    assert lake.history("t")[0]["version"] == 0
    assert lake.count("t") == 3


def test_missing_table_and_version_errors(lake: Lake) -> None:
    with pytest.raises(NotFoundError, match="no table 'nope'.*t26 data sample"):
        lake.read("nope")
    lake.write("t", bars(["A"], 1))
    with pytest.raises(NotFoundError, match="no version 5"):
        lake.read("t", version=5)
    with pytest.raises(InputError, match="no column"):
        lake.read("t", columns=["zzz"])
    with pytest.raises(InputError, match="unknown column"):
        lake.read("t", filters=[("zzz", "=", 1)])


def test_sql_over_tables(lake: Lake) -> None:
    lake.write("bars_1d", bars(["A", "B"], 3), mode="append")
    lake.write("meta", pl.DataFrame({"symbol": ["A", "B"], "sector": ["x", "y"]}), mode="append")
    out = lake.sql("SELECT m.sector, count(*) AS n FROM bars_1d b JOIN meta m USING (symbol) GROUP BY 1 ORDER BY 1")
    assert out.to_dicts() == [{"sector": "x", "n": 3}, {"sector": "y", "n": 3}]
    with pytest.raises(InputError, match="(?s)SQL error.*tables: bars_1d, meta"):
        lake.sql("SELECT * FROM missing_table")
    with pytest.raises(InputError, match="SQL error"):
        lake.sql("SELEC 1")


def test_history_vacuum_compact(lake: Lake) -> None:
    for i in range(3):
        lake.write("t", bars(["A"], 2, day0=10 * i), mode="append")
    hist = lake.history("t")
    assert [h["version"] for h in hist] == [2, 1, 0]
    assert all(h["rows_added"] == 2 for h in hist)
    res = lake.compact("t")
    assert res["files_removed"] == 3 and res["files_added"] == 1
    removed = lake.vacuum("t", retention_hours=0)
    assert len(removed) == 3
    assert lake.count("t") == 6
    assert lake.info("t")["files"] == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 20), st.floats(1, 100)), max_size=30),
    second=st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 20), st.floats(1, 100)), max_size=30),
)
def test_merge_matches_dict_upsert(tmp_path_factory: Any, first: list[Any], second: list[Any]) -> None:
    """Property: a sequence of merges equals a Python dict upsert keyed on (symbol, ts)."""
    lake = Lake(tmp_path_factory.mktemp("h"))
    expected: dict[tuple[str, int], float] = {}

    def frame(rows: list[Any]) -> pl.DataFrame:
        uniq = {(s, d): v for s, d, v in rows}
        return pl.DataFrame(
            {"symbol": [k[0] for k in uniq], "day": [k[1] for k in uniq], "value": list(uniq.values())},
            schema={"symbol": pl.String, "day": pl.Int64, "value": pl.Float64},
        )

    for batch in (first, second):
        f = frame(batch)
        if f.height == 0:
            continue
        res = lake.write("t", f, mode="merge", keys=["symbol", "day"])
        new = sum(1 for r in f.iter_rows() if (r[0], r[1]) not in expected)
        changed = sum(1 for r in f.iter_rows() if (r[0], r[1]) in expected and expected[(r[0], r[1])] != r[2])
        assert res.inserted == new
        assert res.updated == changed
        for r in f.iter_rows():
            expected[(r[0], r[1])] = r[2]
    if expected:
        got = {(r[0], r[1]): r[2] for r in lake.read("t").iter_rows()}
        assert got == expected


def test_creation_race_is_retried_as_a_merge(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer creates the table between our exists() check and our create: retry, merge."""
    lake.write("t", bars(["A"], 2), mode="merge", keys=["symbol", "ts"])  # the other writer won
    real_exists = Lake.exists
    calls = {"n": 0}

    def stale_once(self: Lake, table: str) -> bool:
        calls["n"] += 1
        return False if calls["n"] == 1 else real_exists(self, table)

    monkeypatch.setattr(Lake, "exists", stale_once)
    res = lake.write("t", bars(["A"], 3), mode="merge", keys=["symbol", "ts"])
    assert calls["n"] >= 2
    assert (res.inserted, res.updated) == (1, 0)
    assert lake.count("t") == 3


def test_read_bars_window_symbols_and_errors(lake: Lake) -> None:
    lake.write("bars_1d", bars(["A", "B"], 5).with_columns(pl.lit(1.0).alias("extra")), mode="append")
    t0 = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    t1 = dt.datetime(2024, 1, 4, 23, 59, tzinfo=dt.UTC)
    got = lake.read_bars("bars_1d", symbols=["B"], start=t0, end=t1, columns=["close"])
    assert got.columns == ["symbol", "ts", "open", "high", "low", "close", "volume"]
    assert got["symbol"].unique().to_list() == ["B"] and got.height == 3
    assert lake.read_bars("bars_1d").columns[-1] == "extra"  # all columns by default
    with pytest.raises(NotFoundError, match="symbol\\(s\\) Z .*SELECT DISTINCT symbol"):
        lake.read_bars("bars_1d", symbols=["A", "Z"])
    assert lake.read_bars("bars_1d", symbols=["A", "Z"], missing="ignore")["symbol"].unique().to_list() == ["A"]
    with pytest.raises(DataError, match="no bars in 'bars_1d' for any symbol"):
        lake.read_bars("bars_1d", start=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    lake.write("other", pl.DataFrame({"symbol": ["A"], "ts": [t0], "close": [1.0]}), mode="append")
    with pytest.raises(DataError, match="no column\\(s\\) open, high, low, volume"):
        lake.read_bars("other")


def test_read_bars_universe_sector_list_and_errors(lake: Lake) -> None:
    lake.write("bars_1d", pl.concat([bars(["A", "B", "C"], 5), bars(["D"], 2, day0=3)]), mode="append")
    with pytest.raises(NotFoundError, match="needs the lake table 'symbols'"):
        lake.read_bars("bars_1d", universe="sector:Tech")
    meta = {"symbol": ["A", "B", "C", "D", "Z"], "sector": ["Tech", "Energy", "Tech", "Tech", "Utilities"]}
    lake.write("symbols", pl.DataFrame(meta), mode="overwrite")
    tech = lake.read_bars("bars_1d", universe="sector:tech")  # any case
    assert sorted(tech["symbol"].unique()) == ["A", "C", "D"] and tech.height == 12
    # Members without bars in the window are left out; a listed symbol without any is an error.
    early = lake.read_bars("bars_1d", universe="sector:Tech", end=dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    assert sorted(early["symbol"].unique()) == ["A", "C"]
    with pytest.raises(NotFoundError, match="symbol\\(s\\) D"):
        lake.read_bars("bars_1d", universe=["A", "D"], end=dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    assert lake.resolve_universe(" C, A,C ") == ["C", "A"] == lake.resolve_universe(["C", "A"])
    assert lake.read_bars("bars_1d", universe="C,A")["symbol"].unique(maintain_order=True).to_list() == ["A", "C"]
    assert lake.resolve_universe(None) is None and lake.resolve_universe("") is None
    with pytest.raises(
        NotFoundError, match="no sector 'Nope' in the 'symbols' table; sectors: Energy, Tech, Utilities"
    ):
        lake.read_bars("bars_1d", universe="sector:Nope")
    with pytest.raises(DataError, match="no symbol of sector 'Utilities' has bars"):
        lake.read_bars("bars_1d", universe="sector:Utilities")
    with pytest.raises(NotFoundError, match="unknown symbol.*AA \\(did you mean A"):
        lake.read_bars("bars_1d", universe=["A", "AA"])
    with pytest.raises(InputError, match="not both"):
        lake.read_bars("bars_1d", symbols=["A"], universe="sector:Tech")
    lake.write("symbols", pl.DataFrame({"symbol": ["A"]}), mode="overwrite")
    with pytest.raises(DataError, match="no sector column"):
        lake.read_bars("bars_1d", universe="sector:Tech")
