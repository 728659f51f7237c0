"""Dataset recipes: sample, files and yfinance (on a recorded response) sources."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

from trade2026.datasets import build_recipe, from_yfinance_frame, load_recipe
from trade2026.errors import ConfigError, DataError
from trade2026.lake import Lake

DATA = Path(__file__).resolve().parents[1] / "data"


def recorded_download() -> pd.DataFrame:
    """A response in the shape of yfinance.download(["SPY", "QQQ"], group_by="ticker", auto_adjust=True):
    MultiIndex (Ticker, Price) columns and a naive Date index, stored as JSON (no network in tests)."""
    rec = json.loads((DATA / "yfinance_download.json").read_text())
    cols = pd.MultiIndex.from_tuples([tuple(c) for c in rec["columns"]], names=["Ticker", "Price"])
    idx = pd.DatetimeIndex(pd.to_datetime(rec["index"]), name="Date")
    return pd.DataFrame(rec["data"], index=idx, columns=cols)


def test_yfinance_recorded_response_converts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    def download(**kw: Any) -> pd.DataFrame:
        calls.append(kw)
        return recorded_download()

    monkeypatch.setitem(sys.modules, "yfinance", types.SimpleNamespace(download=download))
    recipe = tmp_path / "etfs.toml"
    recipe.write_text(
        '[[sources]]\nkind = "yfinance"\nsymbols = ["SPY", "QQQ"]\nstart = "2024-01-02"\nend = "2024-01-06"\n'
    )
    lake = Lake(tmp_path / "home")
    rows = build_recipe(lake, recipe)
    assert calls[0]["tickers"] == ["SPY", "QQQ"] and calls[0]["auto_adjust"] is True
    assert rows[0]["table"] == "bars_1d" and rows[0]["inserted"] == 6
    df = lake.read("bars_1d").sort("symbol", "ts")
    assert df.filter(pl.col("symbol") == "SPY")["close"].to_list() == pytest.approx([472.65, 468.79, 467.28])
    assert df["ts"][0].isoformat() == "2024-01-02T00:00:00+00:00"


def test_yfinance_missing_symbol_is_a_data_error() -> None:
    with pytest.raises(DataError, match="nothing for 'IWM'"):
        from_yfinance_frame(recorded_download(), ["IWM"])


def test_files_recipe_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "x.csv").write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,10\n")
    recipe = tmp_path / "mine.toml"
    recipe.write_text('name = "mine"\n[[sources]]\nkind = "files"\npath = "raw"\nsymbol = "XYZ"\ntable = "bars_1d"\n')
    lake = Lake(tmp_path / "home")
    rows = build_recipe(lake, recipe)
    assert rows == [{"table": "bars_1d", "source": "bars", "rows": 1, "inserted": 1, "updated": 0, "version": 0}]


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("name = 'x'\n", "at least one"),
        ("[[sources]]\nkind = 'ftp'\n", "kind 'ftp'"),
        ("[[sources]]\nkind = 'sample'\nsymbolz = 3\n", "unknown field.*symbolz"),
        ("[[sources]]\nkind = 'files'\n", "needs path"),
        ("[[sources]\n", "not valid TOML"),
    ],
)
def test_bad_recipes(tmp_path: Path, text: str, pattern: str) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=pattern):
        load_recipe(p)


def test_cli_build_sample_recipe(cli: Any, lake: Lake, tmp_path: Path) -> None:
    recipe = tmp_path / "small.toml"
    recipe.write_text(
        "[[sources]]\nkind = 'sample'\nsymbols = 4\nyears = 1\nintraday_symbols = 1\nintraday_days = 1\nticks_per_day = 200\n"
    )
    r = cli("data", "build", str(recipe), "--json")
    assert r.exit_code == 0, r.output
    assert {row["table"] for row in json.loads(r.stdout)} == {"bars_1d", "bars_1m", "ticks", "symbols"}
    assert lake.read("bars_1d")["symbol"].n_unique() == 4
    r = cli("data", "build", str(tmp_path / "missing.toml"))
    assert r.exit_code == 2 and "does not exist" in r.output


def test_a_later_invalid_source_writes_nothing(cli: Any, lake: Lake, tmp_path: Path) -> None:
    """Reproduction (issue 18): the files source was written, then the sample source after it refused
    to replace that table; now the clash is found before the first write."""
    (tmp_path / "x.csv").write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,10\n")
    recipe = tmp_path / "mixed.toml"
    recipe.write_text(
        "[[sources]]\nkind = 'files'\npath = 'x.csv'\nsymbol = 'XYZ'\n"
        "[[sources]]\nkind = 'sample'\nsymbols = 3\nyears = 1\nintraday_symbols = 0\n"
    )
    r = cli("data", "build", str(recipe))
    assert r.exit_code == 2 and "source 2 (sample) would replace bars_1d (source 1)" in r.output, r.output
    assert "--force" in r.output
    assert lake.tables() == []


def test_a_rebuild_that_finds_nothing_new_exits_0_and_says_so(cli: Any, lake: Lake, tmp_path: Path) -> None:
    """The nightly cron job of the README: the second run of the same files changes nothing."""
    import json

    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "x.csv").write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,10\n")
    recipe = tmp_path / "r.toml"
    recipe.write_text('name = "mine"\n[[sources]]\nkind = "files"\npath = "raw"\nsymbol = "XYZ"\ntable = "bars_1d"\n')
    first = cli("data", "build", str(recipe), "--json")
    assert first.exit_code == 0 and json.loads(first.stdout)[0]["inserted"] == 1
    assert "nothing new" not in first.stderr
    again = cli("data", "build", str(recipe), "--json")  # what a cron job parses: no row inserted or updated
    assert again.exit_code == 0, again.output
    row = json.loads(again.stdout)[0]
    assert (row["inserted"], row["updated"]) == (0, 0)
    human = cli("data", "build", str(recipe))  # and a person reads it on stderr
    assert human.exit_code == 0 and "nothing new" in human.stderr
