"""Periods per year from the bars themselves: their spacing and their trading calendar.

Annualising (CAGR, volatility, Sharpe) needs the number of bars in a year. 252 is right only for
daily bars of an exchange; hourly FX bars have about 6,261 a year and 1-minute bars of a 6.5-hour
session 98,280. :func:`periods_per_year` infers the number from the timestamps, and every command
that annualises takes an override.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from trade2026.errors import ConfigError

CALENDARS = ("24x7", "24x5", "exchange")
TRADING_DAYS = 252  # exchange sessions a year (the daily default, also for too few bars to infer)
DAYS_PER_YEAR = 365.25
WEEKDAYS_PER_YEAR = DAYS_PER_YEAR * 5 / 7  # 260.89: a 24x5 market (FX) trades every weekday
_DAY_US = 86_400_000_000
_WEEKEND_SHARE = 0.15  # 24x7 bars put 2/7 of themselves on weekends; 24x5 (UTC) at most ~2%
_ROUND_THE_CLOCK_HOURS = 20.0  # a trading day covering this much is a 24-hour market


@dataclass(frozen=True)
class BarCalendar:
    """What the timestamps say: ``calendar`` (one of :data:`CALENDARS`), the median bar spacing
    ``bar_seconds``, ``bars_per_session`` (bars in a median trading day; 1 for daily bars) and the
    resulting ``periods_per_year``."""

    calendar: str
    bar_seconds: float
    bars_per_session: float
    periods_per_year: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar,
            "bar_seconds": self.bar_seconds,
            "bars_per_session": self.bars_per_session,
            "periods_per_year": self.periods_per_year,
        }


def _micros(ts: Any) -> Any:
    """Sorted unique UTC epoch microseconds (int64 ndarray) of timestamps in any frame-ish form."""
    import numpy as np
    import polars as pl

    if hasattr(ts, "asi8") and hasattr(ts, "as_unit"):  # pandas DatetimeIndex
        return np.unique(ts.as_unit("us").asi8)
    if hasattr(ts, "dt") and hasattr(ts, "array") and not isinstance(ts, pl.Series):  # pandas Series
        import pandas as pd

        return _micros(pd.DatetimeIndex(ts))
    if not isinstance(ts, pl.Series):
        a = np.asarray(ts)
        if a.dtype.kind == "M":
            return np.unique(a.astype("datetime64[us]").astype(np.int64))
        if a.dtype.kind in "iu":
            return np.unique(a.astype(np.int64))
        ts = pl.Series("ts", list(a.ravel()))
    if ts.dtype == pl.Date:
        ts = ts.cast(pl.Datetime("us"))
    if not isinstance(ts.dtype, pl.Datetime):
        msg = f"periods per year are inferred from timestamps; got values of type {ts.dtype}"
        raise ConfigError(msg, option="periods_per_year")
    return np.unique(ts.drop_nulls().dt.epoch("us").to_numpy().astype(np.int64))


def bar_calendar(ts: Any, calendar: str | None = None) -> BarCalendar:
    """Infer the bars' calendar and periods per year from their timestamps.

    Parameters
    ----------
    ts : array-like of timestamps
        The bars' times (polars/pandas Series, numpy datetime64, datetimes, or epoch microseconds);
        duplicates (one per symbol) and order do not matter. Read as UTC.
    calendar : {"24x7", "24x5", "exchange"}, optional
        Force the calendar instead of inferring it: ``24x7`` (crypto: 365.25 days a year),
        ``24x5`` (FX: every weekday around the clock, 260.89 days), ``exchange`` (252 sessions of
        the observed length).

    Returns
    -------
    BarCalendar

    Notes
    -----
    The bar is the median spacing of consecutive timestamps. The calendar is ``24x7`` when more
    than 15% of the bars fall on a Saturday or Sunday (UTC), else ``24x5`` when intraday bars
    cover at least 20 hours of a median trading day, else ``exchange``. Periods per year are then
    ``365.25 days / bar`` (24x7), ``260.89 days / bar`` (24x5) and ``252 x bars per session``
    (exchange; a session is the median span of a day's bars plus one bar). Bars a day or more apart
    on weekdays count 252 a year when daily and ``365.25 days / bar`` when weekly or longer. Fewer
    than two distinct timestamps give the daily default, 252.
    """
    import numpy as np

    if calendar is not None and calendar not in CALENDARS:
        msg = f"unknown calendar {calendar!r}; use one of {', '.join(CALENDARS)}"
        raise ConfigError(msg, option="calendar")
    t = _micros(ts)
    if t.size < 2:
        return BarCalendar(calendar or "exchange", 86_400.0, 1.0, float(TRADING_DAYS))
    bar_us = float(np.median(np.diff(t)))
    bar_s = bar_us / 1e6
    day = t // _DAY_US
    weekend = ((day + 3) % 7) >= 5  # 1970-01-01 was a Thursday: (day + 3) % 7 is Monday = 0
    if calendar is None:
        calendar = "24x7" if weekend.mean() > _WEEKEND_SHARE else None
    if bar_s >= _ROUND_THE_CLOCK_HOURS * 3600:  # daily or longer bars
        if calendar == "24x7":
            return BarCalendar("24x7", bar_s, 1.0, DAYS_PER_YEAR * 86_400 / bar_s)
        if calendar == "24x5":
            return BarCalendar("24x5", bar_s, 1.0, WEEKDAYS_PER_YEAR * 86_400 / bar_s)
        if bar_s < 2 * 86_400:  # one bar per session
            return BarCalendar("exchange", bar_s, 1.0, float(TRADING_DAYS))
        return BarCalendar("exchange", bar_s, 1.0, DAYS_PER_YEAR * 86_400 / bar_s)
    # Intraday: a session is a day's first to last bar plus one bar (missing bars inside do not count).
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
    ends = np.r_[starts[1:], t.size] - 1
    span_us = float(np.median(t[ends] - t[starts])) + bar_us
    per_session = float(max(1, round(span_us / bar_us)))
    if calendar is None:
        calendar = "24x5" if span_us >= _ROUND_THE_CLOCK_HOURS * 3600e6 else "exchange"
    if calendar == "24x7":
        return BarCalendar("24x7", bar_s, 86_400 / bar_s, DAYS_PER_YEAR * 86_400 / bar_s)
    if calendar == "24x5":
        return BarCalendar("24x5", bar_s, 86_400 / bar_s, WEEKDAYS_PER_YEAR * 86_400 / bar_s)
    return BarCalendar("exchange", bar_s, per_session, TRADING_DAYS * per_session)


def periods_per_year(ts: Any, calendar: str | None = None, *, override: float | None = None) -> float:
    """Bars per year for annualising metrics of bars stamped ``ts`` (see :func:`bar_calendar`).

    ``override``, when given, is returned as is after a check (a finite number > 0; a ConfigError
    naming ``periods_per_year`` otherwise): the one way every command's ``periods_per_year`` option
    reaches the metrics.
    """
    if override is not None:
        return check_periods_per_year(override)
    return bar_calendar(ts, calendar).periods_per_year


def check_periods_per_year(value: float) -> float:
    """``value`` as a float when it is a finite number > 0, else a ConfigError naming ``periods_per_year``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and v > 0) or isinstance(value, bool):
        msg = f"periods_per_year must be a finite number > 0 (bars per year, e.g. 252 for daily bars), got {value!r}"
        raise ConfigError(msg, option="periods_per_year")
    return v
