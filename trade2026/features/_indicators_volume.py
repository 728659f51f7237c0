"""Volume and liquidity: OBV, rolling VWAP, volume z-score, dollar volume, Amihud illiquidity."""

from __future__ import annotations

import polars as pl

from trade2026.features._indicators_base import _c, _daily_ret, _div, _g, _mean, _shift, _std, _sum, _typical


def obv() -> pl.Expr:
    """On-balance volume (Granville 1963): running sum of ``sign(close_t - close_{t-1}) * volume_t``,
    0 on a symbol's first bar."""
    step = (_c() - _shift(_c())).sign() * _c("volume")
    return _g(step.fill_null(0.0).cum_sum())


def vwap(n: int = 20) -> pl.Expr:
    """Rolling volume-weighted average price: ``sum(TP v) / sum(v)`` over the last ``n`` bars, TP the
    typical price ``(H+L+C)/3``."""
    return _div(_sum(_typical() * _c("volume"), n), _sum(_c("volume"), n))


def volz(n: int = 20) -> pl.Expr:
    """Volume z-score: ``(v_t - mean_n(v)) / std_n(v)`` over the last ``n`` bars including today
    (sample standard deviation)."""
    v = _c("volume")
    return _div(v - _mean(v, n), _std(v, n))


def adv(n: int = 20) -> pl.Expr:
    """Average daily dollar volume: mean of ``close * volume`` over the last ``n`` bars."""
    return _mean(_c() * _c("volume"), n)


def amihud(n: int = 21) -> pl.Expr:
    """Amihud (2002) illiquidity: mean over ``n`` bars of ``|r_t| / (close_t volume_t)``, scaled by
    1e6 (return per million of dollar volume)."""
    return 1e6 * _mean(_daily_ret().abs() / (_c() * _c("volume")), n)
