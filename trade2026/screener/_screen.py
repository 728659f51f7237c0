"""Evaluate screens: conditions and alpha scores over a bars panel, on one date or every date.

A screen on date ``D`` uses only bars up to ``D``: the panel is cut at ``D`` before any indicator is
computed, and cross-sectional functions (``rank``, ``zscore``, ...) compare the symbols that have a
bar on ``D``. Scores are computed over that whole universe, then the condition filters it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from trade2026.core import BAR_COLUMNS
from trade2026.errors import DataError, InputError
from trade2026.features import indicators as ind
from trade2026.screener._expr import BOOL, NUM, Compiled, compile_expression
from trade2026.screener._rules import market_index, rule_regimes

HORIZONS = (1, 5, 21)


def as_date(value: Any, *, what: str = "date") -> dt.date:
    """Parse ``YYYY-MM-DD`` (or accept a date/datetime) into a date; bad input raises InputError."""
    if value is None:
        msg = f"{what} is missing"
        raise InputError(msg)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        msg = f"{what} must be a date like 2024-03-28, got {value!r}"
        raise InputError(msg) from None


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def day_start(value: Any, what: str) -> dt.datetime | None:
    """Midnight UTC of a date given as a date, datetime or ``YYYY-MM-DD`` (None stays None)."""
    return None if value is None else _ts(as_date(value, what=what))


def day_end(value: Any, what: str) -> dt.datetime | None:
    """The last microsecond (UTC) of a date given as a date, datetime or ``YYYY-MM-DD``."""
    return None if value is None else _ts(as_date(value, what=what)) + dt.timedelta(days=1, microseconds=-1)


@dataclass(frozen=True)
class ScreenResult:
    """The symbols matching a screen on one date, best score first.

    ``rows`` has ``symbol``, ``score`` (null without a rank expression), ``close`` and the value of
    every indicator the expressions use.
    """

    date: dt.date
    condition: str | None
    rank: str | None
    universe: int
    matched: int
    rows: pl.DataFrame

    def to_frame(self) -> pl.DataFrame:
        return self.rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "condition": self.condition,
            "rank": self.rank,
            "universe": self.universe,
            "matched": self.matched,
            "rows": self.rows.to_dicts(),
        }


@dataclass(frozen=True)
class HistoryResult:
    """How a screen did day by day: matches and forward returns versus the universe.

    ``daily`` has ``date, universe, matched`` and, per horizon ``h``, ``fwd_h_matched`` and
    ``fwd_h_universe`` (mean simple return from the close of the date to the close ``h`` bars later).
    ``summary`` has one row per horizon: ``horizon, days, mean_matched, mean_universe, excess,
    hit_rate, t_stat`` (``excess`` the mean daily difference; ``t_stat`` treats days as independent,
    which overstates it for overlapping horizons > 1).
    """

    condition: str
    rank: str | None
    top: int | None
    start: dt.date
    end: dt.date
    horizons: tuple[int, ...]
    daily: pl.DataFrame
    summary: pl.DataFrame = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition,
            "rank": self.rank,
            "top": self.top,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "horizons": list(self.horizons),
            "days": self.daily.height,
            "mean_matched_per_day": _mean_or_none(self.daily["matched"]),
            "summary": self.summary.to_dicts(),
            "daily": self.daily.with_columns(pl.col("date").cast(pl.String)).to_dicts(),
        }


def _mean_or_none(s: pl.Series) -> float | None:
    v = s.mean()
    return float(v) if isinstance(v, int | float) else None


def _compile(condition: str | None, rank: str | None) -> tuple[Compiled | None, Compiled | None]:
    if condition is None and rank is None:
        msg = 'give a condition (e.g. "rsi_14 < 30") or a rank expression, or both'
        raise InputError(msg)
    # An empty condition is an error (it would match everything), not "no condition".
    cond = compile_expression(condition, want=BOOL, role="the screen condition") if condition is not None else None
    score = compile_expression(rank, want=NUM, role="the rank expression") if rank is not None else None
    return cond, score


def _panel(
    bars: pl.DataFrame, compiled: Sequence[Compiled | None], benchmark: str | None
) -> tuple[pl.DataFrame, list[str]]:
    """Bars plus every indicator and market column the expressions use."""
    names: list[str] = []
    market = False
    for c in compiled:
        if c is not None:
            names += [n for n in c.indicators if n not in names]
            market = market or bool(c.market)
    frame = ind.compute(bars, names, benchmark=benchmark)
    if market:
        regimes = rule_regimes(market_index(bars)).select("ts", "regime", "vol_regime", "quadrant")
        frame = frame.join(regimes, on="ts", how="left")
    return frame, names


def _check_bars(bars: pl.DataFrame) -> None:
    need = {"symbol", "ts", "close"}
    missing = need - set(bars.columns)
    if missing:
        msg = f"bars lack column(s) {', '.join(sorted(missing))}"
        raise DataError(msg)
    if bars.height == 0:
        msg = "no bars to screen; load some with `t26 data sample` or `t26 data ingest`"
        raise DataError(msg)


def _score_and_match(frame: pl.DataFrame, cond: Compiled | None, score: Compiled | None) -> pl.DataFrame:
    return frame.with_columns(
        (cond.expr if cond else pl.lit(True)).fill_null(False).alias("_match"),
        (score.expr if score else pl.lit(None, dtype=pl.Float64)).cast(pl.Float64).alias("score"),
    ).with_columns(pl.when(pl.col("score").is_finite()).then(pl.col("score")).otherwise(None).alias("score"))


def screen(
    bars: pl.DataFrame,
    condition: str | None = None,
    *,
    rank: str | None = None,
    date: Any = None,
    top: int | None = None,
    benchmark: str | None = None,
    exclude: Sequence[str] = (),
) -> ScreenResult:
    """Evaluate a screen over a bars panel on one date.

    Parameters
    ----------
    bars : polars DataFrame
        Long daily bars (``symbol, ts, open, high, low, close, volume``).
    condition : str, optional
        A condition such as ``"rsi_14 < 30 and close > sma_200"``; all symbols when omitted.
    rank : str, optional
        A score such as ``"0.5*zscore(mom_252_21) - 0.5*zscore(vol_63)"``; results sorted by it,
        highest first (symbols without a score last).
    date : date or "YYYY-MM-DD", optional
        The date to screen; default the latest date in ``bars``. A date without bars (a holiday)
        means the last trading date before it (the result's ``date``); a date after the last bar is
        a DataError.
    top : int, optional
        Keep the best ``top`` matches.
    benchmark : str, optional
        Symbol for ``beta_n``/``corr_n`` (default the equal-weight universe).
    exclude : sequence of str
        Symbols loaded only as the benchmark, left out of the universe.
    """
    _check_bars(bars)
    if top is not None and top < 1:
        msg = f"top must be at least 1, got {top}"
        raise InputError(msg)
    cond, score = _compile(condition, rank)
    last = bars["ts"].max()
    assert isinstance(last, dt.datetime)
    if date is None:
        when = last
    else:
        day = as_date(date)
        if day > last.date():
            msg = (
                f"no bars on {day}: the data ends on {last.date()}; screen a date up to then, or leave the "
                "date out for the latest"
            )
            raise DataError(msg, option="date")
        upto = bars.filter(pl.col("ts") <= _ts(day) + dt.timedelta(days=1) - dt.timedelta(microseconds=1))
        if upto.height == 0:
            first = bars["ts"].min()
            assert isinstance(first, dt.datetime)
            msg = f"no bars on or before {day}; the data starts on {first.date()}"
            raise DataError(msg)
        latest = upto["ts"].max()
        assert isinstance(latest, dt.datetime)
        when = latest
    cut = bars.filter(pl.col("ts") <= when)
    frame, names = _panel(cut, (cond, score), benchmark)
    today = frame.filter((pl.col("ts") == when) & ~pl.col("symbol").is_in(list(exclude)))
    evaluated = _score_and_match(today, cond, score)
    hits = evaluated.filter(pl.col("_match"))
    if score is not None:
        hits = hits.sort(["score", "symbol"], descending=[True, False], nulls_last=True)
    else:
        hits = hits.sort("symbol")
    matched = hits.height
    if top is not None:
        hits = hits.head(top)
    cols = ["symbol", "score", "close", *[n for n in names if n != "close"]]
    extra = [c for c in ("regime", "vol_regime", "quadrant") if c in hits.columns]
    rows = hits.select([*cols, *extra])
    return ScreenResult(when.date(), condition, rank, today.height, matched, rows)


def screen_history(
    bars: pl.DataFrame,
    condition: str,
    *,
    start: Any = None,
    end: Any = None,
    rank: str | None = None,
    top: int | None = None,
    horizons: Sequence[int] = HORIZONS,
    benchmark: str | None = None,
    exclude: Sequence[str] = (),
) -> HistoryResult:
    """Run a screen on every date from ``start`` to ``end`` and measure its matches' forward returns.

    Forward returns look ahead by design (they are the outcome being measured); the matches on each
    date use only bars up to that date. A symbol without a bar ``h`` days later (delisted) drops out
    of that horizon's mean.
    """
    _check_bars(bars)
    if not condition:
        msg = 'history needs a condition, e.g. t26 screen --history "rsi_14 < 30"'
        raise InputError(msg)
    hs = tuple(sorted({int(h) for h in horizons}))
    if not hs or hs[0] < 1 or hs[-1] > 252:
        msg = f"horizons must be between 1 and 252 days, got {list(horizons)}"
        raise InputError(msg)
    if top is not None and top < 1:
        msg = f"top must be at least 1, got {top}"
        raise InputError(msg)
    cond, score = _compile(condition, rank)
    first, last = bars["ts"].min(), bars["ts"].max()
    assert isinstance(first, dt.datetime) and isinstance(last, dt.datetime)
    d0 = as_date(start, what="start") if start is not None else first.date()
    d1 = as_date(end, what="end") if end is not None else last.date()
    if d0 > d1:
        msg = f"start ({d0}) is after end ({d1})"
        raise InputError(msg)
    frame, _ = _panel(bars, (cond, score), benchmark)
    c = pl.col("close")
    frame = frame.with_columns([(c.shift(-h).over("symbol") / c - 1.0).alias(f"fwd_{h}") for h in hs])
    lo, hi = _ts(d0), _ts(d1) + dt.timedelta(days=1)
    window = frame.filter((pl.col("ts") >= lo) & (pl.col("ts") < hi) & ~pl.col("symbol").is_in(list(exclude)))
    if window.height == 0:
        msg = f"no bars between {d0} and {d1}; the data covers {first.date()} to {last.date()}"
        raise DataError(msg)
    ev = _score_and_match(window, cond, score)
    if top is not None:
        order = pl.col("score").rank("ordinal", descending=True).over("ts", "_match")
        if score is None:
            order = pl.col("symbol").rank("ordinal").over("ts", "_match")
        ev = ev.with_columns((pl.col("_match") & (order <= top)).alias("_match"))
    aggs: list[pl.Expr] = [pl.len().alias("universe"), pl.col("_match").sum().cast(pl.Int64).alias("matched")]
    for h in hs:
        f = pl.col(f"fwd_{h}")
        aggs += [f.filter(pl.col("_match")).mean().alias(f"fwd_{h}_matched"), f.mean().alias(f"fwd_{h}_universe")]
    daily = ev.group_by("ts").agg(aggs).sort("ts").with_columns(pl.col("ts").dt.date().alias("date")).drop("ts")
    daily = daily.select("date", *[x for x in daily.columns if x != "date"])
    rows = []
    for h in hs:
        d = daily.select(pl.col(f"fwd_{h}_matched").alias("m"), pl.col(f"fwd_{h}_universe").alias("u")).drop_nulls()
        ex = (d["m"] - d["u"]).to_list()
        n = len(ex)
        mean_ex = sum(ex) / n if n else None
        t = None
        if n > 2 and mean_ex is not None:
            sd = math.sqrt(sum((x - mean_ex) ** 2 for x in ex) / (n - 1))
            t = mean_ex / (sd / math.sqrt(n)) if sd > 0 else None
        rows.append(
            {
                "horizon": h,
                "days": n,
                "mean_matched": _mean_or_none(d["m"]) if n else None,
                "mean_universe": _mean_or_none(d["u"]) if n else None,
                "excess": mean_ex,
                "hit_rate": (sum(1 for x in ex if x > 0) / n) if n else None,
                "t_stat": t,
            }
        )
    schema = {
        "horizon": pl.Int64,
        "days": pl.Int64,
        "mean_matched": pl.Float64,
        "mean_universe": pl.Float64,
        "excess": pl.Float64,
        "hit_rate": pl.Float64,
        "t_stat": pl.Float64,
    }
    summary = pl.DataFrame(rows, schema=schema)
    return HistoryResult(condition, rank, top, d0, d1, hs, daily, summary)


def load_bars(
    lake: Any,
    *,
    table: str = "bars_1d",
    symbols: Sequence[str] | None = None,
    end: Any = None,
) -> pl.DataFrame:
    """Deprecated: use ``lake.read_bars(table, universe=..., end=...)``.

    Bars of ``symbols`` (all when None) up to the end of the day ``end`` (inclusive), through
    :meth:`trade2026.lake.Lake.read_bars`; symbols without bars by then are left out.
    """
    return lake.read_bars(table, symbols=symbols, end=day_end(end, "end"), columns=BAR_COLUMNS, missing="ignore")


def resolve_universe(lake: Any, spec: str | None, *, table: str = "bars_1d") -> list[str] | None:
    """Deprecated: use ``lake.resolve_universe(spec, table=table)`` (or ``read_bars(universe=...)``)."""
    return lake.resolve_universe(spec, table=table)


__all__ = [
    "HORIZONS",
    "HistoryResult",
    "ScreenResult",
    "as_date",
    "load_bars",
    "resolve_universe",
    "screen",
    "screen_history",
]
