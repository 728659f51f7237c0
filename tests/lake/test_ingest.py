"""Ingest from CSV/Parquet: mapping, time zones, validation, merge semantics, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from trade2026.errors import DataError
from trade2026.lake import IngestOptions, Lake, ingest, read_files

GOOD = """date,ticker,open,high,low,close,volume
2024-01-02,AAA,10.0,10.5,9.8,10.2,1000
2024-01-03,AAA,10.2,10.9,10.1,10.8,1200
2024-01-02,BBB,50.0,51.0,49.5,50.5,300
2024-01-03,BBB,50.5,50.9,49.0,49.2,350
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def test_ingest_csv_then_reingest_is_noop_and_correction_updates(lake: Lake, tmp_path: Path) -> None:
    f = write(tmp_path, "p.csv", GOOD)
    res = ingest(lake, [f])
    assert (res.rows, res.inserted, res.updated) == (4, 4, 0)
    df = lake.read("bars_1d").sort("symbol", "ts")
    assert df.columns[:7] == ["symbol", "ts", "open", "high", "low", "close", "volume"]
    assert df.schema["ts"] == pl.Datetime("us", "UTC")
    assert df["ts"].dt.hour().to_list() == [0, 0, 0, 0]
    again = ingest(lake, [f])
    assert (again.inserted, again.updated, again.version) == (0, 0, res.version)
    fixed = write(
        tmp_path, "fixed.csv", GOOD.replace("10.8,1200", "10.7,1250") + "2024-01-04,AAA,10.7,11,10.5,10.9,900\n"
    )
    res2 = ingest(lake, [fixed])
    assert (res2.inserted, res2.updated) == (1, 1)
    row = lake.read("bars_1d", filters=[("symbol", "=", "AAA")]).sort("ts").row(1, named=True)
    assert (row["close"], row["volume"]) == (10.7, 1250.0)


def test_mapping_symbol_option_timezone_and_format(lake: Lake, tmp_path: Path) -> None:
    text = "When,Px Open,Px High,Px Low,Adj Close,Vol\n02/01/2024 09:30,10,11,9,10.5,5\n02/01/2024 09:31,10.5,10.6,10.4,10.6,7\n"
    f = write(tmp_path, "one.csv", text)
    opts = IngestOptions(
        columns={
            "ts": "When",
            "open": "Px Open",
            "high": "Px High",
            "low": "Px Low",
            "close": "Adj Close",
            "volume": "Vol",
        },
        symbol="SPY",
        tz="America/New_York",
        date_format="%d/%m/%Y %H:%M",
    )
    res = ingest(lake, [f], table="bars_1m", options=opts)
    assert res.inserted == 2
    df = lake.read("bars_1m").sort("ts")
    assert df["symbol"].to_list() == ["SPY", "SPY"]
    # 09:30 New York in January is 14:30 UTC
    assert df["ts"][0].isoformat() == "2024-01-02T14:30:00+00:00"


def test_parquet_and_folder_input(lake: Lake, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    src = pl.read_csv(GOOD.encode())
    src.filter(pl.col("ticker") == "AAA").write_parquet(folder / "a.parquet")
    src.filter(pl.col("ticker") == "BBB").write_csv(folder / "b.csv")
    res = ingest(lake, [folder])
    assert (res.files, res.inserted) == (2, 4)


def test_ticks_ingest_replaces_symbol_days(lake: Lake, tmp_path: Path) -> None:
    text = "ts,symbol,price,size,side\n2024-01-02 14:30:00.1,AAA,10,5,1\n2024-01-02 14:30:00.2,AAA,10.01,3,-1\n2024-01-03 14:30:00,AAA,10.2,1,0\n"
    f = write(tmp_path, "t.csv", text)
    r1 = ingest(lake, [f], table="ticks")
    assert r1.inserted == 3
    r2 = ingest(lake, [f], table="ticks")
    assert (r2.inserted, r2.replaced) == (3, 3)
    assert lake.count("ticks") == 3
    assert lake.info("ticks")["partition_by"] == ["date"]


BAD_CASES: dict[str, tuple[bytes | str, str]] = {
    "missing column": (
        "date,ticker,open,high,low,volume\n2024-01-02,AAA,1,2,0.5,10\n",
        "missing required column.*close",
    ),
    "unparseable date": (
        GOOD.replace("2024-01-03,BBB", "2024-13-45,BBB"),
        "cannot be parsed.*2024-13-45.*--date-format",
    ),
    "negative price": (GOOD.replace("50.0,51.0,49.5,50.5", "-50.0,51.0,49.5,50.5"), "price <= 0"),
    "high below low": (GOOD.replace("10.0,10.5,9.8,10.2", "10.0,9.0,9.8,10.2"), "high < max"),
    "duplicate keys": (GOOD + "2024-01-02,AAA,10.0,10.5,9.8,10.2,1000\n", "share a key"),
    "empty file": ("", "empty"),
    "wrong delimiter": (GOOD.replace(",", ";"), "looks ';'-delimited.*--delimiter"),
    "non-utf8": (GOOD.encode().replace(b"AAA", b"A\xe9A", 1), "not valid utf-8.*--encoding"),
    "header only": ("date,ticker,open,high,low,close,volume\n", "no data rows"),
    "text in number": (GOOD.replace("1200", "lots"), "volume='lots' is not a number"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_csv_exits_2_and_leaves_table_unchanged(case: str, cli: Any, lake: Lake, tmp_path: Path) -> None:
    good = write(tmp_path, "good.csv", GOOD)
    assert cli("data", "ingest", str(good)).exit_code == 0
    before = lake.read("bars_1d").sort("symbol", "ts")
    version = lake.history("bars_1d")[0]["version"]
    text, pattern = BAD_CASES[case]
    bad = write(tmp_path, "bad.csv", text)
    result = cli("data", "ingest", str(bad))
    assert result.exit_code == 2, result.output
    import re

    assert re.search(pattern, result.output, re.IGNORECASE | re.DOTALL), result.output
    assert "Traceback" not in result.output
    assert lake.history("bars_1d")[0]["version"] == version
    assert lake.read("bars_1d").sort("symbol", "ts").equals(before)


def test_bad_file_among_good_writes_nothing(lake: Lake, tmp_path: Path) -> None:
    good = write(tmp_path, "good.csv", GOOD)
    bad = write(tmp_path, "bad.csv", GOOD.replace("10.2,1000", "10.2,-5").replace("AAA", "CCC").replace("BBB", "DDD"))
    with pytest.raises(DataError, match="(?s)negative volume.*bad.csv line 2"):
        ingest(lake, [good, bad])
    assert not lake.exists("bars_1d")


def test_cli_ingest_reports_counts_as_json(cli: Any, lake: Lake, tmp_path: Path) -> None:
    f = write(tmp_path, "p.csv", GOOD.replace("ticker", "Sym").replace("date", "Day"))
    r = cli("data", "ingest", str(f), "--map", "symbol=Sym", "--map", "ts=Day", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["inserted"] == 4 and out["table"] == "bars_1d"
    assert lake.count("bars_1d") == 4
    r = cli("data", "ingest", str(f), "--map", "bogus")
    assert r.exit_code == 2 and "FIELD=SOURCE_COLUMN" in r.output
    r = cli("data", "ingest", str(f), "--tz", "Mars/Olympus")
    assert r.exit_code == 2 and "unknown time zone" in r.output
    r = cli("data", "ingest", str(tmp_path / "nope.csv"))
    assert r.exit_code == 2 and "no such file" in r.output
    r = cli("data", "ingest", str(f), "--table", "weird")
    assert r.exit_code == 2 and "neither a bars_* nor a ticks* table" in r.output


@pytest.mark.parametrize(
    ("case", "option"),
    [("unparseable date", "date_format"), ("wrong delimiter", "delimiter"), ("non-utf8", "encoding")],
)
def test_library_errors_name_the_parameter_not_the_flag(case: str, option: str, tmp_path: Path) -> None:
    text, _ = BAD_CASES[case]
    bad = write(tmp_path, "bad.csv", text)
    with pytest.raises(DataError) as info:
        read_files([bad])
    assert info.value.option == option
    assert "--" not in str(info.value)  # the CLI adds its flag; the library speaks in parameters


EURO = "Date;Symbol;Open;High;Low;Close;Volume\n2024-01-02;EU;10,5;11,0;10,0;10,75;1.200\n"


def test_decimal_commas_are_an_error_not_thousands(cli: Any, lake: Lake, tmp_path: Path) -> None:
    # Reproduction: a ';'-delimited file with decimal commas ingested 10,5 as 105 with exit 0.
    f = write(tmp_path, "euro.csv", EURO)
    r = cli("data", "ingest", str(f), "--delimiter", ";")
    assert r.exit_code == 2 and "open='10,5'" in r.output and "--decimal" in r.output, r.output
    assert "bars_1d" not in lake.tables()
    r = cli("data", "ingest", str(f), "--delimiter", ";", "--decimal", ",")
    assert r.exit_code == 0, r.output
    row = lake.read("bars_1d").row(0, named=True)
    assert (row["open"], row["close"], row["volume"]) == (10.5, 10.75, 1200.0)


def test_thousands_groups_still_read_in_comma_files(tmp_path: Path) -> None:
    f = write(tmp_path, "us.csv", 'date,symbol,open,high,low,close,volume\n2024-01-02,US,10.5,11,10,10.75,"1,200"\n')
    assert read_files([f])["volume"].to_list() == [1200.0]
    odd = write(tmp_path, "odd.csv", 'date,symbol,open,high,low,close,volume\n2024-01-02,US,"10,5",11,10,10.75,1\n')
    with pytest.raises(DataError, match="not a thousands grouping") as info:
        read_files([odd])
    assert info.value.option == "decimal"


@pytest.mark.parametrize(
    ("field", "value", "pattern"),
    [
        ("close", "inf", "infinite price or volume"),
        ("volume", "inf", "infinite price or volume"),
        ("close", "1e307", "price above"),
        ("date", "200000000000", "timestamp outside 1800-2200"),
    ],
)
def test_non_finite_and_absurd_values_are_refused(field: str, value: str, pattern: str, tmp_path: Path) -> None:
    row = {"date": "1704153600", "symbol": "X", "open": "10", "high": "1e308", "low": "9", "close": "10", "volume": "5"}
    row["high"] = "11" if value != "1e307" else "1e307"
    row[field] = value
    f = write(tmp_path, "x.csv", ",".join(row) + "\n" + ",".join(row.values()) + "\n")
    with pytest.raises(DataError, match=pattern):
        read_files([f], options=IngestOptions(date_format="epoch_s"))


def test_non_finite_ticks_are_refused(tmp_path: Path) -> None:
    for price, size in (("nan", "1"), ("inf", "1"), ("10", "inf")):
        f = write(tmp_path, "t.csv", f"ts,symbol,price,size,side\n2024-01-02T10:00:00,X,{price},{size},1\n")
        with pytest.raises(DataError, match="missing price or size|infinite price or size"):
            read_files([f], kind="ticks")
