"""``t26 screen``: JSON shapes, exit codes, saved screens written to the lake, --changes, --history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

SCREENS = """
[screens.uptrend]
condition = "close > sma_50"
rank = "zscore(mom_63_5)"
top = 4
"""


def _json(r: Any) -> Any:
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_screen_json_shape(cli: Any, sample_lake: Any) -> None:
    out = _json(cli("screen", "rsi_14 < 60 and close > sma_200", "--rank", "-rsi_14", "--top", "3", "--json"))
    assert set(out) == {"screen", "date", "condition", "rank", "universe", "matched", "rows"}
    assert out["screen"] is None and out["universe"] >= 1
    assert len(out["rows"]) <= 3
    for row in out["rows"]:
        assert set(row) == {"symbol", "score", "close", "rsi_14", "sma_200"}
        assert row["rsi_14"] < 60 and row["close"] > row["sma_200"]
    scores = [r["score"] for r in out["rows"]]
    assert scores == sorted(scores, reverse=True)


def test_screen_universe_and_date(cli: Any, sample_lake: Any) -> None:
    syms = sorted(sample_lake.read("bars_1d")["symbol"].unique().to_list())[:3]
    out = _json(cli("screen", "close > 0", "--universe", ",".join(syms), "--date", "2014-06-30", "--json"))
    assert out["date"] == "2014-06-30"
    assert {r["symbol"] for r in out["rows"]} <= set(syms)
    sector = sample_lake.read("symbols")["sector"][0]
    out = _json(cli("screen", "close > 0", "--universe", f"sector:{sector}", "--json"))
    members = set(sample_lake.read("symbols").filter(pl.col("sector") == sector)["symbol"])
    assert {r["symbol"] for r in out["rows"]} <= members


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["rsi_14 < 30 and clse > sma_200"], "did you mean: close"),
        (["rsi_14 <"], "ends too early"),
        (["rsi_14 + 1"], "must be a condition"),
        (["close > 0", "--rank", "close > 1"], "score is arithmetic"),
        (["close > 0", "--universe", "NOPE1"], "unknown symbol"),
        (["close > 0", "--universe", "sector:Nope"], "no sector"),
        (["close > 0", "--date", "2024-13-45"], "date like"),
        (["close > 0", "--top", "0"], "top must be at least 1"),
        (["close > 0", "--changes"], "--saved"),
        (["close > 0", "--start", "2014-01-01"], "--history"),
        ([], "give a condition"),
        (["--saved", "nope", "--config", "missing.toml"], "does not exist"),
        (["--history", "close > 0", "--horizons", "x"], "--horizons"),
        (["close > 0", "--table", "nope"], "no table"),
    ],
)
def test_bad_input_exits_2(cli: Any, sample_lake: Any, args: list[str], text: str) -> None:
    r = cli("screen", *args)
    assert r.exit_code == 2, r.output
    assert text in r.output
    assert "Traceback" not in r.output


def test_saved_screen_records_and_shows_changes(cli: Any, sample_lake: Any, tmp_path: Path) -> None:
    cfg = tmp_path / "screens.toml"
    cfg.write_text(SCREENS, encoding="utf-8")
    first = _json(
        cli("screen", "--saved", "uptrend", "--config", str(cfg), "--date", "2014-06-02", "--changes", "--json")
    )
    assert first["screen"] == "uptrend" and first["changes"]["previous_date"] is None
    assert first["written"]["table"] == "screens"
    second = _json(cli("screen", "--saved", "uptrend", "--date", "2014-09-02", "--changes", "--json"))  # ./screens.toml
    table = sample_lake.read("screens")
    assert set(table["screen"]) == {"uptrend"}
    got = {str(d): sorted(g["symbol"].to_list()) for (d,), g in table.group_by("date")}
    before = sorted(r["symbol"] for r in first["rows"])
    after = sorted(r["symbol"] for r in second["rows"])
    assert got == {"2014-06-02": before, "2014-09-02": after}
    ch = second["changes"]
    assert ch["previous_date"] == "2014-06-02"
    assert ch["entered"] == sorted(set(after) - set(before))
    assert ch["left"] == sorted(set(before) - set(after))
    listed = _json(cli("screen", "--list", "--json"))
    assert listed[0]["name"] == "uptrend"


def test_history_json_and_human(cli: Any, sample_lake: Any) -> None:
    out = _json(
        cli(
            "screen", "--history", "rsi_14 < 40", "--start", "2014-01-01", "--end", "2014-12-31", "--no-track", "--json"
        )
    )
    assert out["run_id"] is None
    assert [s["horizon"] for s in out["summary"]] == [1, 5, 21]
    assert set(out["summary"][0]) == {
        "horizon",
        "days",
        "mean_matched",
        "mean_universe",
        "excess",
        "hit_rate",
        "t_stat",
    }
    assert out["daily"][0]["date"] >= "2014-01-01"
    assert set(out["daily"][0]) == {
        "date",
        "universe",
        "matched",
        "fwd_1_matched",
        "fwd_1_universe",
        "fwd_5_matched",
        "fwd_5_universe",
        "fwd_21_matched",
        "fwd_21_universe",
    }
    r = cli("screen", "--history", "rsi_14 < 40", "--start", "2014-01-01", "--end", "2014-03-31", "--horizons", "1")
    assert r.exit_code == 0, r.output
    assert "MLflow run" in r.output


def test_list_indicators(cli: Any, home: Path) -> None:
    out = _json(cli("screen", "--list-indicators", "--json"))
    assert len(out) >= 30
    assert {"rsi_14", "sma_20", "mom_252", "macd_hist_12_26_9"} <= {r["name"] for r in out}


def _twin(lake: Any, to: Path) -> Any:
    import shutil

    from trade2026.lake import Lake

    return Lake(shutil.copytree(Path(lake.root).parent, to))


def test_json_is_the_library_report(cli: Any, sample_lake: Any, tmp_path: Path) -> None:
    """A notebook calling the library on the same lake gets exactly the CLI's --json."""
    from trade2026._json import dumps
    from trade2026.screener import get_screen, screen_history_report, screen_report

    cfg = tmp_path / "screens.toml"
    cfg.write_text(SCREENS, encoding="utf-8")
    syms = sorted(sample_lake.read("bars_1d")["symbol"].unique().to_list())
    twin = _twin(sample_lake, tmp_path / "twin")

    def same(args: list[str], report: Any) -> None:
        out = _json(cli("screen", *args, "--json", "--no-track"))
        out.pop("run_id", None)
        assert out == json.loads(dumps(report.to_dict()))

    same(
        ["rsi_14 < 70", "--rank", "zscore(mom_63_5) + beta_63", "--universe", ",".join(syms[:5]), "--benchmark",
         syms[6], "--top", "3"],
        screen_report(twin, "rsi_14 < 70", rank="zscore(mom_63_5) + beta_63", universe=syms[:5], benchmark=syms[6],
                      top=3),
    )  # fmt: skip
    spec = get_screen(cfg, "uptrend")
    for day in ("2014-06-02", "2014-09-02"):  # the second run reports changes against the first
        same(
            ["--saved", "uptrend", "--config", str(cfg), "--date", day, "--changes"],
            screen_report(twin, saved=spec, date=day, changes=True).save(twin),
        )
    same(
        ["--history", "close > sma_50", "--start", "2014-01-01", "--end", "2014-06-30", "--horizons", "1,5"],
        screen_history_report(twin, "close > sma_50", start="2014-01-01", end="2014-06-30", horizons=[1, 5]),
    )


def test_date_used_is_said_and_list_without_file(cli: Any, sample_lake: Any, tmp_path: Path) -> None:
    import datetime as dt

    ts = sample_lake.read("bars_1d")["ts"]
    days = {t.date() for t in ts.to_list()}
    holiday = next(d for d in (min(days) + dt.timedelta(i) for i in range(10, 40)) if d not in days)
    before = max(d for d in days if d < holiday)
    r = cli("screen", "close > 0", "--date", holiday.isoformat())
    assert r.exit_code == 0, r.output
    assert f"--date {holiday} has no bars: screened the last bar before it, {before}" in r.stdout
    out = _json(cli("screen", "close > 0", "--date", holiday.isoformat(), "--json"))
    assert out["date"] == before.isoformat()
    late = cli("screen", "close > 0", "--date", (max(days) + dt.timedelta(days=5)).isoformat())
    assert late.exit_code == 2  # after the last bar: refused, never the last bar in silence
    missing = tmp_path / "none.toml"
    r = cli("screen", "--list", "--config", str(missing))
    assert r.exit_code == 0 and "no saved screens" in r.stdout and str(missing) in r.stdout.replace("\n", "")
    assert _json(cli("screen", "--list", "--config", str(missing), "--json")) == []


def test_shipped_example_screens_run(cli: Any, sample_lake: Any, tmp_path: Path) -> None:
    from trade2026.screener import EXAMPLE_SCREENS, load_screens, write_example_screens

    path = tmp_path / "screens.toml"
    assert write_example_screens(path) == path and write_example_screens(path) is None  # never overwritten
    assert path.read_text() == EXAMPLE_SCREENS.read_text()
    listed = _json(cli("screen", "--list", "--config", str(path), "--json"))
    assert [s["name"] for s in listed] == list(load_screens(EXAMPLE_SCREENS)) and "momentum" in load_screens(path)
    out = _json(cli("screen", "--saved", "momentum", "--config", str(path), "--changes", "--json"))
    assert out["screen"] == "momentum" and out["written"]["table"] == "screens"
