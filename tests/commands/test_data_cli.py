"""End-to-end CLI tests: run the command, check the exit code, then read the lake back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trade2026.lake import Lake


def test_sample_writes_the_universe(cli: Any, lake: Lake) -> None:
    r = cli(
        "data",
        "sample",
        "--symbols",
        "6",
        "--years",
        "2",
        "--seed",
        "3",
        "--intraday-symbols",
        "1",
        "--intraday-days",
        "1",
        "--json",
    )
    assert r.exit_code == 0, r.output
    out = {row["table"]: row["rows"] for row in json.loads(r.stdout)}
    assert set(out) == {"bars_1d", "bars_1m", "ticks", "symbols"}
    assert lake.count("bars_1d") == out["bars_1d"] and lake.read("bars_1d")["symbol"].n_unique() == 6
    r = cli("data", "sample", "--symbols", "1")
    assert r.exit_code == 2 and "symbols must be" in r.output


def test_ls_show_history_sql(cli: Any, sample_lake: Lake) -> None:
    r = cli("data", "ls", "--json")
    listed = json.loads(r.stdout)
    assert [t["table"] for t in listed] == sample_lake.tables()
    assert {t["table"]: t["rows"] for t in listed}["bars_1d"] == sample_lake.count("bars_1d")
    sym = sample_lake.read("symbols")["symbol"][0]
    r = cli(
        "data",
        "show",
        "bars_1d",
        "--symbol",
        sym,
        "--start",
        "2014-01-01",
        "--end",
        "2014-01-31",
        "--limit",
        "0",
        "--json",
    )
    rows = json.loads(r.stdout)
    assert rows and all(x["symbol"] == sym and x["ts"].startswith("2014-01") for x in rows)
    r = cli("data", "show", "bars_1d", "--limit", "3", "--tail", "--json")
    assert len(json.loads(r.stdout)) == 3
    r = cli("data", "history", "bars_1d", "--json")
    assert json.loads(r.stdout)[0]["version"] == 0
    r = cli("sql", "SELECT count(*) AS n FROM bars_1d", "--json")
    assert json.loads(r.stdout) == [{"n": sample_lake.count("bars_1d")}]
    r = cli("sql", "SELECT * FROM bars_1d", "--limit", "5")
    assert r.exit_code == 0 and "first 5 rows" in r.output


def test_vacuum_and_compact(cli: Any, lake: Lake, tmp_path: Path) -> None:
    for i in range(3):
        f = tmp_path / f"{i}.csv"
        f.write_text(f"date,symbol,open,high,low,close,volume\n2024-01-0{i + 2},AAA,1,2,0.5,1.5,10\n")
        assert cli("data", "ingest", str(f)).exit_code == 0
    r = cli("data", "compact", "bars_1d", "--json")
    assert json.loads(r.stdout)["files_removed"] == 3
    r = cli("data", "vacuum", "bars_1d", "--retention-hours", "0", "--dry-run", "--json")
    assert json.loads(r.stdout)["files"] == 3
    r = cli("data", "vacuum", "bars_1d", "--retention-hours", "0", "--json")
    assert json.loads(r.stdout)["files"] == 3
    assert lake.count("bars_1d") == 3 and lake.info("bars_1d")["files"] == 1


def test_errors_are_one_line_with_exit_2(cli: Any, lake: Lake) -> None:
    for args, text in [
        (("data", "show", "nope"), "no table 'nope'"),
        (("data", "history", "nope"), "no table 'nope'"),
        (("sql", "SELECT * FROM nope"), "SQL error"),
        (("data", "show", "BAD NAME"), "invalid table name"),
        (("data", "show", "bars_1d", "--start", "someday"), "no table"),
        (("data", "show", "bars_1d", "--limit", "-1"), "--limit must be >= 0"),
        (("data", "history", "bars_1d", "--limit", "0"), "--limit must be >= 1"),
        (("sql", "SELECT 1", "--limit", "-5"), "--limit must be >= 0"),
        (("runs", "ls", "--limit", "0"), "--limit must be >= 1"),
    ]:
        r = cli(*args)
        assert r.exit_code == 2, (args, r.output)
        assert text in r.output and "Traceback" not in r.output
        assert r.output.startswith("error: ")


def test_home_flag_and_root_flags(cli: Any, tmp_path: Path) -> None:
    other = tmp_path / "other"
    r = cli("--home", str(other), "data", "sample", "--symbols", "3", "--years", "1", "--intraday-symbols", "0")
    assert r.exit_code == 0, r.output
    assert Lake(other).count("bars_1d") > 0
    r = cli("data", "ls", "--home", str(other), "--json")
    assert {t["table"] for t in json.loads(r.stdout)} >= {"bars_1d", "symbols"}
    assert cli("--version").output.startswith("t26 ")


def test_demo_end_to_end(cli: Any, lake: Lake) -> None:
    r = cli("demo", "--symbols", "5", "--years", "2", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert {s["sector"] for s in out["sectors"]} and out["dollar_bars"] == lake.count("bars_dollar") > 0
    assert {t["table"] for t in out["tables"]} == set(lake.tables())
    assert out["screen"]["universe"] == 5 and out["screen"]["matched"] <= 5
    bt = out["backtest"]
    assert bt["n_trials"] == 80 and bt["best_params"]["fast"] < bt["best_params"]["slow"]
    assert 0.0 <= bt["dsr"] <= 1.0 and bt["dsr"] <= bt["psr"]  # deflating by 80 trials never helps


def test_runtime_failure_exits_1_with_debug_traceback(cli: Any, lake: Lake, monkeypatch: Any) -> None:
    import trade2026.lake._lake as lake_mod

    def broken(self: Any) -> list[str]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(lake_mod.Lake, "tables", broken)
    r = cli("data", "ls")
    assert r.exit_code == 1
    assert "unexpected failure: RuntimeError: disk on fire" in r.output and "--debug" in r.output
    assert "Traceback" not in r.output
    r = cli("data", "ls", "--debug")
    assert r.exit_code == 1 and "Traceback" in r.output


def test_sample_and_demo_never_replace_your_data_without_force(cli: Any, lake: Lake, tmp_path: Path) -> None:
    f = tmp_path / "mine.csv"
    f.write_text("date,symbol,open,high,low,close,volume\n2024-01-02,MINE,1,2,0.5,1.5,10\n")
    assert cli("data", "ingest", str(f)).exit_code == 0
    for args in (("data", "sample", "--symbols", "3", "--years", "1"), ("demo", "--symbols", "3", "--years", "1")):
        r = cli(*args)
        assert r.exit_code == 2, r.output
        assert "bars_1d" in r.output and "another home" in r.output
        # the library names the setting (force); the CLI adds the flag only where the command has it
        assert ("--force" in r.output) == (args[0] == "data"), r.output
        assert lake.read("bars_1d")["symbol"].to_list() == ["MINE"]
        assert lake.tables() == ["bars_1d"]  # nothing else was written either
    r = cli("data", "sample", "--symbols", "3", "--years", "1", "--intraday-symbols", "0", "--force")
    assert r.exit_code == 0, r.output
    assert "MINE" not in lake.read("bars_1d")["symbol"].to_list()
    assert lake.read("bars_1d", version=0)["symbol"].to_list() == ["MINE"]  # still there by time travel
    # a sample over a sample is fine without --force
    assert cli("data", "sample", "--symbols", "4", "--years", "1", "--intraday-symbols", "0").exit_code == 0


def test_human_tables_print_data_as_text_not_markup(tmp_path: Path) -> None:
    import contextlib
    import io

    from commands._cli import Out, render

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        render(Out([{"symbol": "[/x]", "[b]col": "[red]value"}]), as_json=False)
    assert "[/x]" in buf.getvalue() and "[red]value" in buf.getvalue() and "[b]col" in buf.getvalue()


@pytest.mark.parametrize(
    "args",
    [
        ("data", "show", "bars_1d", "--limit", "99999999999999999999"),
        ("sql", "SELECT 1", "--limit", "-99999999999999999999"),
        ("data", "sample", "--symbols", "3", "--years", "1", "--seed", "123456789012345678901234567890"),
    ],
)
def test_integers_past_int64_exit_2_naming_the_flag(cli: Any, lake: Lake, args: tuple[str, ...]) -> None:
    r = cli(*args)
    assert r.exit_code == 2 and "too large" in r.output and args[-2] in r.output, r.output
    assert lake.tables() == []


def test_non_finite_numbers_exit_2_naming_the_flag(cli: Any, lake: Lake) -> None:
    for value in ("inf", "nan", "-inf"):
        r = cli("backtest", "sma_cross", "--capital", value)
        assert r.exit_code == 2 and "--capital must be a finite number" in r.output, r.output


def test_rust_panics_become_one_line_errors(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    class PanicException(BaseException):  # the shape of pyo3's panic exception
        pass

    from trade2026.lake import Lake as LakeCls

    def boom(self: Any) -> list[str]:
        raise PanicException("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(LakeCls, "tables", boom)
    r = cli("data", "ls")
    assert r.exit_code == 1 and "the storage engine failed: called `Option::unwrap()`" in r.output
    assert "Traceback" not in r.output


def test_show_says_when_rows_are_left_out(cli: Any, sample_lake: Lake) -> None:
    sym = sample_lake.read("symbols")["symbol"][0]
    capped = cli("data", "show", "bars_1d", "--symbol", sym)
    assert capped.exit_code == 0 and "showing the first 20 rows; more match" in capped.stdout
    assert len(json.loads(cli("data", "show", "bars_1d", "--symbol", sym, "--json").stdout)) == 20
    tail = cli("data", "show", "bars_1d", "--symbol", sym, "--limit", "3", "--tail")
    assert "showing the last 3 rows" in tail.stdout
    whole = cli("data", "show", "symbols", "--limit", "0")
    assert whole.exit_code == 0 and "more match" not in whole.stdout
    n = sample_lake.count("symbols")
    exact = cli("data", "show", "symbols", "--limit", str(n))
    assert "more match" not in exact.stdout  # exactly the rows there are: nothing left out
