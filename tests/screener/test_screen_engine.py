"""Screens on one date and over history, rule-based regimes, saved screens and the screens table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from trade2026.datasets import generate
from trade2026.errors import ConfigError, DataError, InputError, NotFoundError
from trade2026.features import indicators as ind
from trade2026.screener import _saved
from trade2026.screener._rules import market_index, rule_regimes
from trade2026.screener._screen import screen, screen_history

RANK = "0.5*zscore(mom_252_21) - 0.5*zscore(vol_63)"


@pytest.fixture(scope="module")
def bars() -> pl.DataFrame:
    return generate(symbols=12, years=3, seed=1, intraday_symbols=1, intraday_days=1).bars_1d


def _dates(bars: pl.DataFrame) -> list[dt.datetime]:
    return bars["ts"].unique().sort().to_list()


def test_screen_matches_a_direct_computation(bars: pl.DataFrame) -> None:
    res = screen(bars, "rsi_14 < 50 and close > sma_200")
    last = _dates(bars)[-1]
    direct = ind.compute(bars, ["rsi_14", "sma_200"]).filter(pl.col("ts") == last)
    want = direct.filter((pl.col("rsi_14") < 50) & (pl.col("close") > pl.col("sma_200")))["symbol"].sort()
    assert res.date == last.date()
    assert res.universe == direct.height
    assert res.rows["symbol"].to_list() == want.to_list()
    assert res.matched == len(want)
    assert res.rows.columns == ["symbol", "score", "close", "rsi_14", "sma_200"]


def test_rank_sorts_by_composite_score(bars: pl.DataFrame) -> None:
    res = screen(bars, rank=RANK, top=5)
    assert res.rows.height == 5
    scores = res.rows["score"].to_list()
    assert scores == sorted(scores, reverse=True)
    full = screen(bars, rank=RANK)
    last = _dates(bars)[-1]
    day = ind.compute(bars, ["mom_252_21", "vol_63"]).filter(pl.col("ts") == last)

    def z(s: pl.Series) -> pl.Series:
        return (s - s.mean()) / s.std()

    want = dict(zip(day["symbol"], 0.5 * z(day["mom_252_21"]) - 0.5 * z(day["vol_63"]), strict=True))
    for row in full.rows.iter_rows(named=True):
        if row["score"] is not None:
            assert row["score"] == pytest.approx(want[row["symbol"]], rel=1e-12)
    assert res.rows["symbol"].to_list() == full.rows["symbol"].head(5).to_list()


def test_no_look_ahead(bars: pl.DataFrame) -> None:
    """Changing every bar after D leaves the screen on D unchanged (indicators, ranks, regimes)."""
    dates = _dates(bars)
    day = dates[len(dates) * 2 // 3]
    future = pl.col("ts") > day
    shocked = bars.with_columns(
        [
            pl.when(future).then(pl.col(c) * 3.0).otherwise(pl.col(c)).alias(c)
            for c in ("open", "high", "low", "close", "volume")
        ]
    )
    cond = 'close > sma_50 and regime == "bull" or rsi_14 < 60'
    a = screen(bars, cond, rank=RANK, date=day.date())
    b = screen(shocked, cond, rank=RANK, date=day.date())
    assert a.rows.equals(b.rows)
    assert a.universe == b.universe


def test_dates(bars: pl.DataFrame) -> None:
    dates = _dates(bars)
    friday = next(d for d in dates if d.weekday() == 4)
    res = screen(bars, "close > 0", date=(friday + dt.timedelta(days=1)).date())  # a Saturday
    assert res.date == friday.date()
    with pytest.raises(DataError, match="no bars on or before"):
        screen(bars, "close > 0", date="1990-01-01")
    with pytest.raises(InputError, match="date like"):
        screen(bars, "close > 0", date="yesterday")
    with pytest.raises(InputError, match="condition"):
        screen(bars)
    with pytest.raises(InputError, match="top must be at least 1"):
        screen(bars, "close > 0", top=0)


def test_history_counts_and_forward_returns(bars: pl.DataFrame) -> None:
    dates = _dates(bars)
    start, end = dates[300].date(), dates[400].date()
    res = screen_history(bars, "rsi_14 < 40", start=start, end=end, horizons=[1, 5])
    assert res.daily.height == 101
    panel = ind.compute(bars, ["rsi_14"]).with_columns(
        (pl.col("close").shift(-5).over("symbol") / pl.col("close") - 1).alias("f5")
    )
    for i in (300, 350, 400):
        day = panel.filter(pl.col("ts") == dates[i])
        hits = day.filter(pl.col("rsi_14") < 40)
        row = res.daily.filter(pl.col("date") == dates[i].date()).row(0, named=True)
        assert row["universe"] == day.height
        assert row["matched"] == hits.height
        assert row["fwd_5_universe"] == pytest.approx(day["f5"].mean(), rel=1e-12)
        if hits.height:
            assert row["fwd_5_matched"] == pytest.approx(hits["f5"].mean(), rel=1e-12)
    summary = res.summary.to_dicts()
    assert [r["horizon"] for r in summary] == [1, 5]
    d = res.daily.drop_nulls(["fwd_1_matched", "fwd_1_universe"])
    assert summary[0]["days"] == d.height
    assert summary[0]["excess"] == pytest.approx((d["fwd_1_matched"] - d["fwd_1_universe"]).mean(), rel=1e-9)
    top = screen_history(bars, "close > 0", rank="mom_21", top=3, start=start, end=end, horizons=[1])
    assert top.daily["matched"].max() == 3
    with pytest.raises(InputError, match="after"):
        screen_history(bars, "close > 0", start=end, end=start)
    with pytest.raises(InputError, match="horizons"):
        screen_history(bars, "close > 0", horizons=[0])


def test_rule_regimes_are_causal_and_labelled(bars: pl.DataFrame) -> None:
    idx = market_index(bars)
    reg = rule_regimes(idx)
    assert reg["regime"].head(199).null_count() == 199
    ok = reg.drop_nulls("regime")
    assert (ok.filter(pl.col("regime") == "bull")["close"] >= ok.filter(pl.col("regime") == "bull")["sma"]).all()
    assert set(ok["quadrant"].drop_nulls().unique()) <= {"bull_calm", "bull_volatile", "bear_calm", "bear_volatile"}
    cut = reg["ts"][400]
    short = rule_regimes(idx.filter(pl.col("ts") <= cut))
    assert short.equals(reg.filter(pl.col("ts") <= cut))
    sym = bars["symbol"][0]
    assert market_index(bars, symbol=sym).height == bars.filter(pl.col("symbol") == sym).height
    with pytest.raises(DataError):
        market_index(bars, symbol="NOPE")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_saved_screen_files(tmp_path: Path) -> None:
    good = _write(
        tmp_path / "s.toml",
        '[screens.oversold]\ncondition = "rsi_14 < 30"\nrank = "-rsi_14"\ntop = 5\n'
        '[screens.momentum]\nrank = "zscore(mom_252_21)"\n',
    )
    screens = _saved.load_screens(good)
    assert screens["oversold"].top == 5 and screens["momentum"].condition is None
    with pytest.raises(NotFoundError, match="did you mean oversold"):
        _saved.get_screen(good, "oversld")
    bad = {
        "x = [": "not valid TOML",
        "[other]\na = 1": "no \\[screens",
        '[screens.a]\ncondition = "x"\nfoo = 1': "unknown key",
        "[screens.a]\ntop = 3": "needs a condition or a rank",
        '[screens.a]\ncondition = "x"\ntop = -1': "positive integer",
        '[screens."1bad"]\ncondition = "x"': "must start with a letter",
    }
    for text, match in bad.items():
        with pytest.raises(ConfigError, match=match):
            _saved.load_screens(_write(tmp_path / "b.toml", text))
    with pytest.raises(NotFoundError, match="does not exist"):
        _saved.load_screens(tmp_path / "missing.toml")


def test_record_and_changes(lake: Any) -> None:
    d1, d2 = dt.date(2024, 1, 2), dt.date(2024, 1, 3)
    rows = pl.DataFrame({"symbol": ["A", "B"], "score": [1.0, None]})
    assert _saved.changes(lake, "s", d1, ["A", "B"]) == {
        "previous_date": None,
        "entered": ["A", "B"],
        "left": [],
        "stayed": [],
    }
    _saved.record(lake, "s", d1, rows)
    _saved.record(lake, "other", d1, pl.DataFrame({"symbol": ["Z"], "score": [0.0]}))
    _saved.record(lake, "s", d1, rows)  # idempotent re-run of the same day
    assert lake.read("screens").filter(pl.col("screen") == "s").height == 2
    diff = _saved.changes(lake, "s", d2, ["B", "C"])
    assert diff == {"previous_date": "2024-01-02", "entered": ["C"], "left": ["A"], "stayed": ["B"]}
    _saved.record(lake, "s", d2, pl.DataFrame({"symbol": ["B", "C"], "score": [2.0, 3.0]}))
    table = lake.read("screens").sort("date", "screen", "symbol")
    assert table.columns == ["date", "screen", "symbol", "score"]
    assert table.height == 5
    _saved.record(
        lake, "s", d2, pl.DataFrame({"symbol": [], "score": []}, schema={"symbol": pl.String, "score": pl.Float64})
    )
    assert lake.read("screens").filter(pl.col("date") == d2).height == 0
