"""Ingest into generic tables (signals, return series, factor returns) and Yahoo's adjusted closes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from trade2026.errors import DataError, InputError
from trade2026.lake import IngestOptions, Lake, ingest


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _days(n: int) -> list[dt.date]:
    return [dt.date(2021, 1, 4) + dt.timedelta(days=i) for i in range(n)]


def test_returns_and_factor_tables_merge_on_ts(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "home")
    r = np.round(np.random.default_rng(0).normal(0, 0.01, 50), 6)
    f = _write(tmp_path / "r.csv", "Date,return,label", [f"{d},{x},a b" for d, x in zip(_days(50), r, strict=True)])
    res = ingest(lake, [f], table="my_returns", kind="returns")
    assert (res.rows, res.inserted, res.updated) == (50, 50, 0)
    back = lake.read("my_returns").sort("ts")
    assert back.schema["ts"] == pl.Datetime("us", "UTC") and back.schema["return"] == pl.Float64
    assert back["return"].to_list() == r.tolist() and back["label"].to_list() == ["a b"] * 50  # text stays text
    again = ingest(lake, [f], table="my_returns", kind="returns")
    assert (again.inserted, again.updated) == (0, 0)  # merged on ts: a rerun changes nothing
    g = _write(tmp_path / "f.csv", "date,market,momentum", [f"{d},0.01,-0.002" for d in _days(10)])
    assert ingest(lake, [g], table="ext_factors", kind="factors").rows == 10
    assert lake.read("ext_factors").columns == ["ts", "market", "momentum"]


def test_explicit_keys_hold_several_series_and_refuse_duplicates(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "home")
    rows = [f"{m},{d},0.001" for m in ("hrp", "ew") for d in _days(5)]
    f = _write(tmp_path / "long.csv", "method,ts,return", rows)
    assert ingest(lake, [f], table="long_returns", keys=["method", "ts"]).rows == 10
    with pytest.raises(DataError, match="repeat a key"):
        ingest(lake, [f], table="long_returns2", kind="returns")  # ts alone repeats across methods
    assert not lake.exists("long_returns2")
    s = _write(tmp_path / "sig.csv", "ticker,date,signal", [f"ACC,{d},1" for d in _days(3)])
    assert ingest(lake, [s], table="signals", kind="signals").rows == 3
    assert lake.read("signals")["symbol"].to_list() == ["ACC"] * 3


@pytest.mark.parametrize(
    ("kw", "exc", "needle"),
    [
        ({}, InputError, "kind"),
        ({"kind": "weird"}, InputError, "unknown table kind"),
        ({"kind": "returns", "options": IngestOptions(columns={"return": "nope"})}, DataError, "no column 'nope'"),
    ],
)
def test_generic_table_errors(tmp_path: Path, kw: dict, exc: type, needle: str) -> None:
    f = _write(tmp_path / "x.csv", "ts,value", ["2021-01-04,1"])
    with pytest.raises(exc, match=needle):
        ingest(Lake(tmp_path / "home"), [f], table="things", **kw)


def test_returns_kind_needs_a_return_column(tmp_path: Path) -> None:
    f = _write(tmp_path / "x.csv", "ts,value", ["2021-01-04,1"])
    with pytest.raises(DataError, match="'return' column"):
        ingest(Lake(tmp_path / "home"), [f], table="things", kind="returns")
    with pytest.raises(InputError, match="canonical keys"):
        ingest(Lake(tmp_path / "home"), [f], table="bars_1d", kind="returns")


def test_adjust_scales_open_high_low_by_the_adjusted_close(tmp_path: Path) -> None:
    rows, want = [], []
    for i, d in enumerate(_days(20)):
        o, h, lo, c = 100 + i, 102 + i, 98 + i, 101 + i
        adj = c * (0.8 + i / 100)  # a dividend history: adjusted below the close
        rows.append(f"{d},{o},{h},{lo},{c},{adj},{1000 + i}")
        k = adj / c
        want.append((o * k, h * k, lo * k, adj, 1000.0 + i))
    f = _write(tmp_path / "spy.csv", "Date,Open,High,Low,Close,Adj Close,Volume", rows)
    lake = Lake(tmp_path / "home")
    with pytest.raises(DataError, match="set adjust"):  # the adjusted close alone breaks low <= close
        ingest(lake, [f], options=IngestOptions(columns={"close": "Adj Close"}, symbol="SPY"))
    ingest(lake, [f], options=IngestOptions(symbol="SPY", adjust=True))
    got = lake.read("bars_1d").sort("ts").select("open", "high", "low", "close", "volume").rows()
    assert np.allclose(np.array(got), np.array(want), rtol=1e-12)
    plain = _write(tmp_path / "plain.csv", "Date,Open,High,Low,Close,Volume", ["2021-01-04,1,1,1,1,1"])
    with pytest.raises(DataError, match="adjusted close column"):
        ingest(lake, [plain], options=IngestOptions(symbol="SPY", adjust=True))


def test_cli_ingest_kind_and_adjust(cli, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    f = _write(tmp_path / "r.csv", "date,return", [f"{d},0.001" for d in _days(30)])
    out = cli("data", "ingest", str(f), "--table", "my_returns", "--kind", "returns", "--json")
    assert out.exit_code == 0 and json.loads(out.stdout)["rows"] == 30
    bad = cli("data", "ingest", str(f), "--table", "my_returns")
    assert bad.exit_code == 2 and "--kind" in bad.stderr
    keyed = cli("data", "ingest", str(f), "--table", "keyed", "--keys", "ts", "--json")
    assert keyed.exit_code == 0 and Lake(home).read("keyed").height == 30
