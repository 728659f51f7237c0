"""Bands and trend: Bollinger bands, ATR, the directional movement system (+DI, -DI, ADX), channels,
distances from highs and lows, drawdown."""

from __future__ import annotations

import numpy as np
import polars as pl

from trade2026.features._indicators_base import (
    SYMBOL,
    _c,
    _div,
    _dm,
    _g,
    _max,
    _mean,
    _min,
    _safe_div,
    _seeded_run,
    _std,
    _true_range,
    _wilder,
)


def _bands(n: int, k: int) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    mid = _mean(_c(), n)
    sd = _std(_c(), n, ddof=0)
    return mid, mid + k * sd, mid - k * sd


def bb_upper(n: int = 20, k: int = 2) -> pl.Expr:
    """Upper Bollinger band (Bollinger 2001): ``SMA_n + k sigma_n``, sigma the population standard
    deviation of the last ``n`` closes."""
    return _bands(n, k)[1]


def bb_lower(n: int = 20, k: int = 2) -> pl.Expr:
    """Lower Bollinger band (Bollinger 2001): ``SMA_n - k sigma_n`` (population sigma)."""
    return _bands(n, k)[2]


def bb_pctb(n: int = 20, k: int = 2) -> pl.Expr:
    """Bollinger %b: ``(close - lower) / (upper - lower)``; 0 at the lower band, 1 at the upper."""
    _, up, lo = _bands(n, k)
    return _div(_c() - lo, up - lo)


def bb_width(n: int = 20, k: int = 2) -> pl.Expr:
    """Bollinger bandwidth: ``(upper - lower) / middle``."""
    mid, up, lo = _bands(n, k)
    return _div(up - lo, mid)


def atr(n: int = 14) -> pl.Expr:
    """Average true range (Wilder 1978): Wilder smoothing of the true range
    ``max(H_t, C_{t-1}) - min(L_t, C_{t-1})`` (undefined on a symbol's first bar)."""
    return _wilder(_true_range(), n)


def natr(n: int = 14) -> pl.Expr:
    """Normalised ATR: ``100 ATR_n / close``."""
    return 100.0 * atr(n) / _c()


def _dmi(n: int, which: str) -> pl.Expr:
    """+DI, -DI or ADX, computed together per symbol so the nested Wilder smoothings are done once."""
    plus, minus = _dm()

    def run(batch: pl.Series) -> pl.Series:
        cols = {k: batch.struct.field(k).cast(pl.Float64).fill_null(np.nan).to_numpy() for k in ("tr", "p", "m")}
        keys = batch.struct.field("g").to_numpy()
        out = np.full(keys.size, np.nan)
        if keys.size:
            starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
            for a, b in zip(starts, np.r_[starts[1:], keys.size], strict=True):
                atr_ = _seeded_run(cols["tr"][a:b], n, 1.0 / n)
                pdi = 100.0 * _safe_div(_seeded_run(cols["p"][a:b], n, 1.0 / n), atr_)
                mdi = 100.0 * _safe_div(_seeded_run(cols["m"][a:b], n, 1.0 / n), atr_)
                if which == "plus":
                    out[a:b] = pdi
                elif which == "minus":
                    out[a:b] = mdi
                else:
                    dx = 100.0 * _safe_div(np.abs(pdi - mdi), pdi + mdi)
                    out[a:b] = _seeded_run(dx, n, 1.0 / n)
        return pl.Series(out).fill_nan(None)

    packed = pl.struct(_true_range().alias("tr"), plus.alias("p"), minus.alias("m"), pl.col(SYMBOL).rle_id().alias("g"))
    return packed.map_batches(run, return_dtype=pl.Float64)


def plus_di(n: int = 14) -> pl.Expr:
    """+DI (Wilder 1978): ``100`` x Wilder-smoothed +DM / Wilder-smoothed true range; +DM is
    ``H_t - H_{t-1}`` when that up-move exceeds the down-move ``L_{t-1} - L_t`` and is positive."""
    return _dmi(n, "plus")


def minus_di(n: int = 14) -> pl.Expr:
    """-DI (Wilder 1978): ``100`` x Wilder-smoothed -DM / Wilder-smoothed true range."""
    return _dmi(n, "minus")


def adx(n: int = 14) -> pl.Expr:
    """Average directional index (Wilder 1978): Wilder smoothing of
    ``DX = 100 |+DI - -DI| / (+DI + -DI)``, seeded with the mean of the first ``n`` DX values."""
    return _dmi(n, "adx")


def hh(n: int = 20) -> pl.Expr:
    """Highest high of the last ``n`` bars (upper Donchian channel)."""
    return _max(_c("high"), n)


def ll(n: int = 20) -> pl.Expr:
    """Lowest low of the last ``n`` bars (lower Donchian channel)."""
    return _min(_c("low"), n)


def dist_high(n: int = 252) -> pl.Expr:
    """Distance from the ``n``-bar high: ``close / max(high over n) - 1`` (<= 0); ``dist_high_252``
    is the distance from the 52-week high (George & Hwang 2004)."""
    return _c() / _max(_c("high"), n) - 1.0


def dist_low(n: int = 252) -> pl.Expr:
    """Distance from the ``n``-bar low: ``close / min(low over n) - 1`` (>= 0)."""
    return _c() / _min(_c("low"), n) - 1.0


def drawdown(n: int | None = None) -> pl.Expr:
    """Drawdown from peak: ``close / running max(close) - 1``; with ``n``, the peak of the last ``n``
    closes (``drawdown`` alone uses the whole history)."""
    peak = _g(_c().cum_max()) if n is None else _max(_c(), n)
    return _c() / peak - 1.0
