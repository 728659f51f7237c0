"""Rule-based market regimes: a trend / volatility quadrant per date, computed causally.

The market is the equal-weight universe index (:func:`trade2026.core.equal_weight_index`: the mean
daily simple return of the symbols trading that day and the day before, compounded) or one symbol's
closes. On each date, using only data up to that date:

* ``regime`` is ``"bull"`` when the index is at or above its ``trend`` -day simple moving average and
  ``"bear"`` below it (the 200-day rule of Faber 2007);
* ``vol_regime`` is ``"volatile"`` when the ``vol`` -day realised volatility of daily log returns is
  above its median over the trailing ``lookback`` days and ``"calm"`` otherwise;
* ``quadrant`` joins them (``"bull_calm"``, ``"bear_volatile"``, ...).

Dates without enough history are null, and a screen testing ``regime`` never matches on them.
"""

from __future__ import annotations

import math

import polars as pl

from trade2026.core import equal_weight_index
from trade2026.errors import DataError

TREND = 200
VOL = 21
LOOKBACK = 252


def market_index(bars: pl.DataFrame, *, symbol: str | None = None) -> pl.DataFrame:
    """The market level per date: ``ts, close``.

    With ``symbol``, that symbol's closes; otherwise the equal-weight index starting at 1.0
    (:func:`trade2026.core.equal_weight_index`: each day's return is the mean simple return of the
    symbols with a bar that day and the day before).
    """
    if symbol is not None:
        sub = bars.filter(pl.col("symbol") == symbol).select("ts", "close").sort("ts")
        if sub.height == 0:
            msg = f"no bars for symbol {symbol!r}; pick a symbol in the bars or omit it for the universe index"
            raise DataError(msg)
        return sub
    return equal_weight_index(bars)


def rule_regimes(index: pl.DataFrame, *, trend: int = TREND, vol: int = VOL, lookback: int = LOOKBACK) -> pl.DataFrame:
    """Classify each date of an index (``ts, close``) into trend and volatility regimes.

    Returns ``ts, close, sma, vol, vol_median, regime, vol_regime, quadrant``.
    """
    for name, v, lo in (("trend", trend, 2), ("vol", vol, 2), ("lookback", lookback, 2)):
        if v < lo:
            msg = f"{name} window must be at least {lo} days, got {v}"
            raise DataError(msg)
    c = pl.col("close")
    lr = (c / c.shift(1)).log()
    out = index.sort("ts").with_columns(
        c.rolling_mean(trend).alias("sma"),
        (lr.rolling_std(vol) * math.sqrt(252)).alias("vol"),
    )
    out = out.with_columns(pl.col("vol").rolling_median(lookback, min_samples=lookback // 2).alias("vol_median"))
    regime = (
        pl.when(pl.col("sma").is_null())
        .then(None)
        .when(c >= pl.col("sma"))
        .then(pl.lit("bull"))
        .otherwise(pl.lit("bear"))
    )
    volr = (
        pl.when(pl.col("vol_median").is_null() | pl.col("vol").is_null())
        .then(None)
        .when(pl.col("vol") > pl.col("vol_median"))
        .then(pl.lit("volatile"))
        .otherwise(pl.lit("calm"))
    )
    out = out.with_columns(regime.alias("regime"), volr.alias("vol_regime"))
    return out.with_columns(pl.concat_str("regime", pl.lit("_"), "vol_regime").alias("quadrant"))


__all__ = ["market_index", "rule_regimes"]
