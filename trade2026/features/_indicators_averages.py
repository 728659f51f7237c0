"""Moving averages: SMA, EMA, WMA and the percentage price oscillator."""

from __future__ import annotations

import polars as pl

from trade2026.features._indicators_base import _c, _div, _ema, _g, _mean


def sma(n: int = 20, *, col: str = "close") -> pl.Expr:
    """Simple moving average: the mean of the last ``n`` closes."""
    return _mean(_c(col), n)


def ema(n: int = 20, *, col: str = "close") -> pl.Expr:
    """Exponential moving average, ``alpha = 2/(n+1)``, seeded with the SMA of the first ``n`` closes
    (the convention of Appel's MACD and most charting references)."""
    return _ema(_c(col), n)


def wma(n: int = 20, *, col: str = "close") -> pl.Expr:
    """Linearly weighted moving average: weights ``1..n``, the newest close weighted ``n``,
    divided by ``n(n+1)/2``."""
    weights = [float(i) for i in range(1, n + 1)]
    total = n * (n + 1) / 2.0
    return _g(_c(col).rolling_sum(n, weights=weights)) / total


def ppo(fast: int = 12, slow: int = 26) -> pl.Expr:
    """Percentage price oscillator: ``100 (EMA_fast - EMA_slow) / EMA_slow`` (Appel's MACD in percent)."""
    slow_e = _ema(_c(), slow)
    return 100.0 * _div(_ema(_c(), fast) - slow_e, slow_e)
