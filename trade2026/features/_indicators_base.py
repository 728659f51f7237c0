"""Building blocks of the indicators: column names, per-symbol windows, the seeded recursions.

Everything here works on a long bars frame sorted by (symbol, ts); windows run per symbol
(``.over("symbol")``). See :mod:`trade2026.features.indicators` for the conventions.
"""

from __future__ import annotations

import numpy as np
import polars as pl

SYMBOL = "symbol"
TS = "ts"
BENCH_RET = "_bench_ret"
FIELDS = ("open", "high", "low", "close", "volume")
ANNUAL = 252
MAX_WINDOW = 5000


def _c(name: str = "close") -> pl.Expr:
    return pl.col(name)


def _g(e: pl.Expr) -> pl.Expr:
    """Evaluate a window/recursive expression per symbol."""
    return e.over(SYMBOL)


def _shift(e: pl.Expr, k: int = 1) -> pl.Expr:
    return _g(e.shift(k))


def _mean(e: pl.Expr, n: int) -> pl.Expr:
    return _g(e.rolling_mean(n))


def _sum(e: pl.Expr, n: int) -> pl.Expr:
    return _g(e.rolling_sum(n))


def _std(e: pl.Expr, n: int, ddof: int = 1) -> pl.Expr:
    return _g(e.rolling_std(n, ddof=ddof))


def _max(e: pl.Expr, n: int) -> pl.Expr:
    return _g(e.rolling_max(n))


def _min(e: pl.Expr, n: int) -> pl.Expr:
    return _g(e.rolling_min(n))


def _div(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """num / den, null where den is zero."""
    return pl.when(den != 0).then(num / den).otherwise(None)


def _daily_ret() -> pl.Expr:
    return _c() / _shift(_c()) - 1.0


def _seeded_run(x: np.ndarray, n: int, alpha: float) -> np.ndarray:
    """The seeded recursion on one symbol's inputs (NaN = missing)."""
    from scipy.signal import lfilter

    out = np.full(x.size, np.nan)
    ok = ~np.isnan(x)
    if x.size < n:
        return out
    # the first row whose trailing n inputs are all present
    run = np.convolve(ok.astype(np.int64), np.ones(n, dtype=np.int64), mode="full")[: x.size]
    full = np.flatnonzero(run == n)
    if full.size == 0:
        return out
    s = int(full[0])
    level = float(x[s - n + 1 : s + 1].mean())
    out[s] = level
    t = s + 1
    while t < x.size:
        # a stretch of present inputs is one linear filter: y_t = alpha x_t + (1 - alpha) y_{t-1}
        stop = t
        while stop < x.size and ok[stop]:
            stop += 1
        if stop > t:
            seg, _ = lfilter([alpha], [1.0, alpha - 1.0], x[t:stop], zi=[(1.0 - alpha) * level])
            out[t:stop] = seg
            level = float(seg[-1])
        t = stop + 1  # a missing input gives a missing value and leaves the level unchanged
    return out


def _seeded_ewm(x: pl.Expr, n: int, alpha: float) -> pl.Expr:
    """``s_t = (1-alpha) s_{t-1} + alpha x_t`` per symbol, seeded with the mean of the first ``n`` inputs.

    Leading nulls in ``x`` (warm-up of an upstream indicator) are skipped: the seed sits on the first
    row whose trailing ``n`` inputs are all present, earlier rows are null. A null input later on
    gives a null value and leaves the level unchanged. Evaluated as one linear filter per symbol
    (the frame must be sorted by symbol, then time), so nested recursions (ADX) stay linear in size.
    """

    def run(batch: pl.Series) -> pl.Series:
        vals = batch.struct.field("x").cast(pl.Float64).fill_null(np.nan).to_numpy()
        keys = batch.struct.field("g").to_numpy()
        out = np.full(vals.size, np.nan)
        if vals.size:
            starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
            ends = np.r_[starts[1:], vals.size]
            for a, b in zip(starts, ends, strict=True):
                out[a:b] = _seeded_run(vals[a:b], n, alpha)
        return pl.Series(out).fill_nan(None)

    packed = pl.struct(x.alias("x"), pl.col(SYMBOL).rle_id().alias("g"))
    return packed.map_batches(run, return_dtype=pl.Float64)


def _wilder(x: pl.Expr, n: int) -> pl.Expr:
    return _seeded_ewm(x, n, 1.0 / n)


def _ema(x: pl.Expr, n: int) -> pl.Expr:
    return _seeded_ewm(x, n, 2.0 / (n + 1.0))


def _typical() -> pl.Expr:
    return (_c("high") + _c("low") + _c("close")) / 3.0


def _true_range() -> pl.Expr:
    prev = _shift(_c())
    tr = pl.max_horizontal(_c("high"), prev) - pl.min_horizontal(_c("low"), prev)
    return pl.when(prev.is_null()).then(None).otherwise(tr)


def _dm() -> tuple[pl.Expr, pl.Expr]:
    up = _c("high") - _shift(_c("high"))
    down = _shift(_c("low")) - _c("low")
    plus = pl.when((up > down) & (up > 0)).then(up).otherwise(0.0)
    minus = pl.when((down > up) & (down > 0)).then(down).otherwise(0.0)
    first = up.is_null()
    return (
        pl.when(first).then(None).otherwise(plus),
        pl.when(first).then(None).otherwise(minus),
    )


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.size, np.nan)
    ok = den != 0
    out[ok] = num[ok] / den[ok]
    return out
