"""Annualisation follows the bars' spacing and calendar, not a hard-wired 252 (issue 18)."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trade2026.backtest import run_backtest
from trade2026.core import bar_calendar, periods_per_year
from trade2026.errors import ConfigError

SUNDAY_OPEN = dt.datetime(2024, 1, 7, 22, tzinfo=dt.UTC)  # the FX week opens Sunday 22:00 UTC


def fx_hours(n: int) -> list[dt.datetime]:
    """``n`` hourly stamps of a 24x5 market: Sunday 22:00 to Friday 22:00 UTC, weekends skipped."""
    out, t = [], SUNDAY_OPEN
    while len(out) < n:
        wd, h = t.weekday(), t.hour
        if wd < 4 or (wd == 4 and h < 22) or (wd == 6 and h >= 22):
            out.append(t)
        t += dt.timedelta(hours=1)
    return out


def fx_bars(years: float, total: float, seed: int = 0) -> pl.DataFrame:
    """EURUSD-like hourly bars over ``years`` whose close grows by ``total`` from the first open."""
    n = round(years * 365.25 * 5 / 7 * 24)
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 4e-4, n)
    noise -= noise.mean()
    log_close = np.log(1.10) + np.cumsum(noise + math.log1p(total) / n)
    close = np.exp(log_close)
    open_ = np.r_[1.10, close[:-1]]
    return pl.DataFrame(
        {
            "symbol": "EURUSD",
            "ts": fx_hours(n),
            "open": open_,
            "high": np.maximum(open_, close) * 1.0001,
            "low": np.minimum(open_, close) * 0.9999,
            "close": close,
            "volume": 1.0,
        }
    ).with_columns(pl.col("ts").cast(pl.Datetime("us", "UTC")))


def test_an_hourly_fx_backtest_reports_the_calendar_cagr() -> None:
    """The reproduction: +5.77% over 0.81 years of hourly EURUSD reported a CAGR of 0.28% (252 a year)."""
    bars = fx_bars(0.81, 0.0577)
    res = run_backtest(bars, np.ones((bars.height, 1)), fill="close")
    m = res.metrics
    ts = bars["ts"]
    years = (ts[-1] - ts[0]).total_seconds() / (365.25 * 86_400)
    calendar_cagr = (1 + m["total_return"]) ** (1 / years) - 1  # independent: calendar time, not bar counts
    assert m["total_return"] == pytest.approx(0.0577, abs=0.002)
    assert m["cagr"] == pytest.approx(calendar_cagr, abs=2e-3)
    assert 0.065 < m["cagr"] < 0.08
    assert res.config.periods_per_year == pytest.approx(24 * 365.25 * 5 / 7)
    wrong = run_backtest(bars, np.ones((bars.height, 1)), fill="close", periods_per_year=252).metrics["cagr"]
    assert wrong < 0.004  # what the hard-wired 252 said


def test_the_override_wins_and_is_checked() -> None:
    bars = fx_bars(0.1, 0.01)
    assert run_backtest(bars, np.ones((bars.height, 1)), periods_per_year=1000).config.periods_per_year == 1000
    for bad in (0, -1, math.nan, math.inf):
        with pytest.raises(ConfigError, match="periods_per_year"):
            run_backtest(bars, np.ones((bars.height, 1)), periods_per_year=bad)


def _days(start: dt.date, n: int, weekdays_only: bool) -> list[dt.datetime]:
    out, d = [], start
    while len(out) < n:
        if not weekdays_only or d.weekday() < 5:
            out.append(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC))
        d += dt.timedelta(days=1)
    return out


@pytest.mark.parametrize(
    ("stamps", "calendar", "ppy"),
    [
        (_days(dt.date(2020, 1, 1), 600, True), "exchange", 252.0),  # daily exchange bars
        (_days(dt.date(2020, 1, 1), 600, False), "24x7", 365.25),  # daily crypto bars
        (fx_hours(3000), "24x5", 365.25 * 5 / 7 * 24),  # hourly FX
        (
            [
                d + dt.timedelta(hours=14, minutes=30 + m)
                for d in _days(dt.date(2024, 1, 8), 20, True)
                for m in range(390)
            ],
            "exchange",
            252.0 * 390,
        ),  # 1-minute bars of a 6.5-hour session
        (
            [dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=5 * i) for i in range(5000)],
            "24x7",
            365.25 * 288,
        ),  # 5-minute crypto bars
        ([dt.datetime(2010, 1, 4, tzinfo=dt.UTC) + dt.timedelta(weeks=i) for i in range(300)], "exchange", 365.25 / 7),
    ],
)
def test_calendars_are_recognised(stamps: list[dt.datetime], calendar: str, ppy: float) -> None:
    cal = bar_calendar(pl.Series(stamps))
    assert cal.calendar == calendar
    assert cal.periods_per_year == pytest.approx(ppy)


def test_forms_of_timestamps_agree() -> None:
    import pandas as pd

    stamps = fx_hours(500)
    want = periods_per_year(pl.Series(stamps))
    assert periods_per_year(pd.DatetimeIndex(stamps)) == want
    assert periods_per_year(np.array([s.replace(tzinfo=None) for s in stamps], dtype="datetime64[us]")) == want
    assert periods_per_year(stamps[::-1] * 2) == want  # order and duplicates (one row per symbol) do not matter
    assert periods_per_year(stamps[:1]) == 252.0  # too few to infer: the daily default
    assert periods_per_year(stamps, "24x7") == pytest.approx(8766.0)
    with pytest.raises(ConfigError, match="calendar"):
        periods_per_year(stamps, "24x6")


@settings(max_examples=50)
@given(
    st.integers(min_value=2, max_value=400),
    st.sampled_from([60, 300, 3600, 86_400]),
    st.sampled_from(["24x7", "24x5", "exchange"]),
)
def test_inferred_periods_are_positive_and_finite(n: int, step: int, calendar: str) -> None:
    stamps = [SUNDAY_OPEN + dt.timedelta(seconds=step * i) for i in range(n)]
    for cal in (None, calendar):
        ppy = periods_per_year(stamps, cal)
        assert math.isfinite(ppy) and ppy > 0


@pytest.mark.parametrize(
    "args",
    [
        ["backtest", "sma_cross:fast=5,slow=20"],
        ["regime"],
        ["portfolio", "optimize", "--method", "hrp"],
    ],
)
def test_every_annualising_command_takes_the_one_periods_option(cli: Any, sample_lake: Any, args: list[str]) -> None:
    """The same flag, checked the same way, everywhere metrics are annualised (backtest lacked it)."""
    r = cli(*args, "--periods-per-year", "0", "--no-track")
    assert r.exit_code == 2, r.output
    assert "periods_per_year" in r.output and "--periods-per-year" in r.output
    ok = cli(*args, "--periods-per-year", "12", "--no-track", "--json")
    assert ok.exit_code == 0, ok.output
    if args[0] == "backtest":
        assert json.loads(ok.stdout)["config"]["periods_per_year"] == 12
