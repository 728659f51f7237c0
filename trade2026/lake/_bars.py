"""Bars from ticks: time, tick, volume and dollar bars (Lopez de Prado, AFML ch. 2).

:func:`build_bars` makes every kind from a ticks frame; :func:`bars_from_trades` is its time bars
for a trade log that carries an arrival sequence and run labels (PRISM's trades). Both bucket
trades with the one time-bar builder here, so the lake's bars and PRISM's bars agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trade2026.errors import InputError
from trade2026.lake._schema import BAR_KEYS, TICK_COLUMNS, check_target_kind, require_columns

if TYPE_CHECKING:
    import polars as pl

    from trade2026.lake._lake import Lake, WriteResult

KINDS = ("time", "tick", "volume", "dollar")
_TIME = re.compile(r"^(\d+)(us|ms|s|m|h|d)$")


@dataclass(frozen=True)
class BarSpec:
    """A bar definition: ``time:1m`` (any polars duration: 30s, 5m, 1h, 1d), ``tick:N``
    (every N trades), ``volume:V`` (every V units traded), ``dollar:D`` (every D of notional)."""

    kind: str
    every: str | None = None
    threshold: float | None = None

    @classmethod
    def parse(cls, text: str) -> BarSpec:
        kind, _, arg = text.partition(":")
        kind = kind.strip().lower()
        if kind not in KINDS or not arg:
            msg = f"bad bar kind {text!r}; use time:1m, tick:N, volume:V or dollar:D"
            raise InputError(msg, option="kind")
        if kind == "time":
            every = arg.strip().replace("min", "m")
            match = _TIME.match(every)
            if not match or int(match.group(1)) == 0 or len(match.group(1)) > 12:
                msg = f"bad time interval {arg!r}; use a positive whole number and a unit, e.g. 30s, 1m, 5m, 1h, 1d"
                raise InputError(msg, option="kind")
            return cls("time", every=every)
        try:
            threshold = float(arg)
        except ValueError:
            msg = f"bad {kind} bar threshold {arg!r}; give a number, e.g. {kind}:1e6"
            raise InputError(msg, option="kind") from None
        if not 0 < threshold < float("inf"):
            msg = f"{kind} bar threshold must be a finite number > 0, got {arg}"
            raise InputError(msg, option="kind")
        if kind == "tick" and threshold != int(threshold):
            msg = f"tick bars take a whole number of ticks, got {arg}"
            raise InputError(msg, option="kind")
        return cls(kind, threshold=threshold)

    def __str__(self) -> str:
        return f"time:{self.every}" if self.kind == "time" else f"{self.kind}:{self.threshold:g}"


def _agg() -> list[Any]:
    import polars as pl

    return [
        pl.col("price").first().alias("open"),
        pl.col("price").max().alias("high"),
        pl.col("price").min().alias("low"),
        pl.col("price").last().alias("close"),
        pl.col("size").sum().alias("volume"),
        ((pl.col("price") * pl.col("size")).sum() / pl.col("size").sum()).alias("vwap"),
        pl.len().cast(pl.Int64).alias("n_ticks"),
    ]


def _time_bars(trades: pl.DataFrame, every: str, keys: tuple[str, ...] = ()) -> pl.DataFrame:
    """OHLCV, vwap and tick count per (symbol, *keys, interval) of trades sorted by time within each
    group; bars are stamped with the start of their interval, intervals without trades are skipped."""
    return trades.group_by_dynamic("ts", every=every, group_by=["symbol", *keys], label="left", closed="left").agg(
        _agg()
    )


def build_bars(ticks: Any, kind: str | BarSpec) -> pl.DataFrame:
    """Aggregate ticks (symbol, ts, price, size[, side]) into bars.

    Time bars are stamped with the start of their interval; tick, volume and dollar bars with the
    time of their last tick, and a trailing bar that has not reached its threshold is dropped (it
    is not a bar yet). Output columns: symbol, ts, open, high, low, close, volume, vwap, n_ticks.
    A bar's vwap is NaN when its volume is zero.
    """
    import numpy as np
    import polars as pl

    from trade2026.lake._lake import _to_polars

    spec = kind if isinstance(kind, BarSpec) else BarSpec.parse(kind)
    df = _to_polars(ticks)
    require_columns(df, TICK_COLUMNS[:4])
    df = df.select("symbol", pl.col("ts").cast(pl.Datetime("us", "UTC")), "price", "size").sort("symbol", "ts")
    if df.height == 0:
        return _empty()
    if spec.kind == "time":
        assert spec.every is not None
        out = _time_bars(df, spec.every)
    else:
        measure = {
            "tick": pl.lit(1.0),
            "volume": pl.col("size").cast(pl.Float64),
            "dollar": (pl.col("price") * pl.col("size")).cast(pl.Float64),
        }[spec.kind]
        m = df.select(measure.alias("m"), pl.col("symbol").rank("dense").cast(pl.Int64).alias("g"))
        from trade2026.lake._kernels import threshold_bar_ids

        assert spec.threshold is not None
        ids, complete = threshold_bar_ids(
            np.ascontiguousarray(m["g"].to_numpy()),
            np.ascontiguousarray(m["m"].to_numpy(), dtype=np.float64),
            float(spec.threshold),
        )
        df = df.with_columns(pl.Series("_bar", ids))
        out = df.group_by("_bar", maintain_order=True).agg(pl.col("symbol").first(), pl.col("ts").last(), *_agg())
        out = out.filter(pl.Series(complete)[out["_bar"]]).drop("_bar")
    return out.select(
        "symbol",
        "ts",
        "open",
        "high",
        "low",
        "close",
        pl.col("volume").cast(pl.Float64),
        pl.col("vwap").fill_null(float("nan")),
        "n_ticks",
    ).sort("symbol", "ts")


def bars_from_trades(trades: pl.DataFrame, every: str = "1m") -> pl.DataFrame:
    """Time bars in the canonical schema from a trade log, one per interval that has trades.

    Parameters
    ----------
    trades : polars DataFrame
        symbol, ts, price, size; optionally ``seq`` (arrival order: trades with the same timestamp
        are taken in ``seq`` order, so open and close are the first and last trade of the interval)
        and ``run_id`` / ``date`` (kept on the bars, bars never span two of them).
    every : str
        A polars duration (``"1m"``, ``"300s"``).

    Returns
    -------
    polars DataFrame
        symbol, ts (interval start), open, high, low, close, volume and the ``run_id`` / ``date``
        columns present in ``trades``, sorted by (symbol, ts).
    """
    if trades.height == 0:
        return _empty().drop("vwap", "n_ticks")
    keep = tuple(c for c in ("run_id", "date") if c in trades.columns)
    ordered = trades.sort("symbol", "ts", "seq" if "seq" in trades.columns else "ts")
    return (
        _time_bars(ordered, every, keep)
        .select("symbol", "ts", "open", "high", "low", "close", "volume", *keep)
        .sort("symbol", "ts")
    )


def _empty() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(
        schema={
            "symbol": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "open": pl.Float64,
            "high": pl.Float64,
            "low": pl.Float64,
            "close": pl.Float64,
            "volume": pl.Float64,
            "vwap": pl.Float64,
            "n_ticks": pl.Int64,
        }
    )


def bars_from_ticks(
    lake: Lake,
    *,
    source: str = "ticks",
    target: str = "bars_1m",
    kind: str | BarSpec = "time:1m",
    symbols: list[str] | None = None,
) -> tuple[pl.DataFrame, WriteResult]:
    """Build bars from a ticks table and merge them into a bars table on (symbol, ts).

    ``source`` must hold ticks (symbol, ts, price, size) and ``target`` be a bars table (``bars_*``,
    with the bars columns when it exists): anything else is a DataError and nothing is written.
    """
    import polars as pl

    spec = kind if isinstance(kind, BarSpec) else BarSpec.parse(kind)
    check_target_kind(target, "bars", lake.scan(target).collect_schema().names() if lake.exists(target) else None)
    lf = lake.scan(source)
    have_cols = lf.collect_schema().names()
    if any(c not in have_cols for c in TICK_COLUMNS[:4]):
        msg = (
            f"table {source!r} is not a ticks table (it has {', '.join(have_cols)}; ticks have "
            f"{', '.join(TICK_COLUMNS[:4])}); name a ticks table as the source"
        )
        raise InputError(msg, option="source")
    if symbols:
        have = set(lf.select("symbol").unique().collect()["symbol"].to_list())
        missing = [s for s in symbols if s not in have]
        if missing:
            raise InputError(f"symbol(s) {', '.join(missing)} not in {source!r}; it has {', '.join(sorted(have))}")
        lf = lf.filter(pl.col("symbol").is_in(symbols))
    ticks = lf.select("symbol", "ts", "price", "size").collect()
    if ticks.height == 0:
        raise InputError(f"table {source!r} has no ticks to build bars from")
    bars = build_bars(ticks, spec)
    # A bars table made by ingest lacks vwap/n_ticks: add them rather than refuse the bars.
    res = lake.write(target, bars, mode="merge", keys=list(BAR_KEYS), add_columns=True)
    return bars, res
