"""`t26 sql` / Lake.sql is read-only over the lake's tables unless files are allowed (issue 18)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from trade2026.errors import InputError
from trade2026.lake import Lake


@pytest.fixture
def small(lake: Lake) -> Lake:
    ts = [dt.datetime(2024, 1, d, tzinfo=dt.UTC) for d in range(1, 11)]
    lake.write(
        "bars_1d", pl.DataFrame({"symbol": "A", "ts": ts, "close": [float(i) for i in range(10)]}), mode="append"
    )
    return lake


def test_copy_over_a_delta_log_is_refused_and_the_lake_stays_readable(small: Lake, cli: Any) -> None:
    # Reproduction: COPY ... TO a Delta log file corrupted the lake so that `t26 data ls` failed.
    log = Path(small.path("bars_1d")) / "_delta_log" / "00000000000000000000.json"
    before = log.read_bytes()
    r = cli("sql", f"COPY (SELECT 1) TO '{log}' (FORMAT csv)")
    assert r.exit_code == 2 and "--allow-files" in r.output, r.output
    assert log.read_bytes() == before
    assert cli("data", "ls").exit_code == 0


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "ATTACH '/tmp/t26-attack.db' AS x",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "EXPORT DATABASE '/tmp/t26-export'",
    ],
)
def test_file_and_extension_access_is_off_by_default(small: Lake, query: str) -> None:
    with pytest.raises(InputError, match="SQL error"):
        small.sql(query)


def test_allow_files_is_the_documented_opt_in(small: Lake, tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a\n1\n2\n")
    assert small.sql(f"SELECT sum(a) AS s FROM read_csv('{f}')", allow_files=True)["s"].to_list() == [3]
    assert small.sql("SELECT count(*) AS n FROM bars_1d")["n"].to_list() == [10]  # tables still there


def test_limit_returns_only_the_first_rows(small: Lake, cli: Any) -> None:
    assert small.sql("SELECT * FROM bars_1d ORDER BY ts", limit=3)["close"].to_list() == [0.0, 1.0, 2.0]
    import json

    r = cli("sql", "SELECT close FROM bars_1d ORDER BY ts", "--limit", "4", "--json")
    assert [x["close"] for x in json.loads(r.stdout)] == [0.0, 1.0, 2.0, 3.0]
    r = cli("sql", "SELECT close FROM bars_1d", "--limit", "0", "--json")
    assert len(json.loads(r.stdout)) == 10
