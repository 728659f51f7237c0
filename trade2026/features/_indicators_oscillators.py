"""Oscillators and returns: RSI, MACD, stochastics, Williams %R, CCI, MFI, ROC, momentum, returns, gap."""

from __future__ import annotations

import polars as pl

from trade2026.errors import InputError
from trade2026.features._indicators_base import _c, _div, _ema, _max, _mean, _min, _shift, _sum, _typical, _wilder


def rsi(n: int = 14) -> pl.Expr:
    """Relative strength index (Wilder 1978): ``100 - 100/(1 + RS)``, ``RS`` the ratio of the
    Wilder-smoothed average gain to average loss of close-to-close changes (first average the simple
    mean of the first ``n`` changes). 100 when there are no losses."""
    d = _c() - _shift(_c())
    gain = _wilder(pl.when(d > 0).then(d).when(d.is_null()).then(None).otherwise(0.0), n)
    loss = _wilder(pl.when(d < 0).then(-d).when(d.is_null()).then(None).otherwise(0.0), n)
    total = gain + loss
    return pl.when(total == 0).then(None).otherwise(100.0 * gain / total)


def macd(fast: int = 12, slow: int = 26, signal: int = 9) -> pl.Expr:
    """MACD line (Appel): ``EMA_fast(close) - EMA_slow(close)``. ``signal`` is unused by the line."""
    del signal
    return _ema(_c(), fast) - _ema(_c(), slow)


def macd_signal(fast: int = 12, slow: int = 26, signal: int = 9) -> pl.Expr:
    """MACD signal line (Appel): the ``signal``-period EMA of the MACD line."""
    return _ema(macd(fast, slow), signal)


def macd_hist(fast: int = 12, slow: int = 26, signal: int = 9) -> pl.Expr:
    """MACD histogram (Appel): MACD line minus its signal line."""
    line = macd(fast, slow)
    return line - _ema(line, signal)


def stoch_k(n: int = 14) -> pl.Expr:
    """Fast stochastic %K (Lane): ``100 (close - LL_n) / (HH_n - LL_n)``, HH/LL the highest high and
    lowest low of the last ``n`` bars."""
    hh_, ll_ = _max(_c("high"), n), _min(_c("low"), n)
    return 100.0 * _div(_c() - ll_, hh_ - ll_)


def stoch_d(n: int = 14, m: int = 3) -> pl.Expr:
    """Stochastic %D (Lane): the ``m``-period simple average of %K."""
    return _mean(stoch_k(n), m)


def willr(n: int = 14) -> pl.Expr:
    """Williams %R: ``-100 (HH_n - close) / (HH_n - LL_n)``, in [-100, 0]."""
    hh_, ll_ = _max(_c("high"), n), _min(_c("low"), n)
    return -100.0 * _div(hh_ - _c(), hh_ - ll_)


def cci(n: int = 20) -> pl.Expr:
    """Commodity channel index (Lambert 1980): ``(TP - SMA_n(TP)) / (0.015 MD)``, TP the typical
    price ``(H+L+C)/3`` and MD the mean absolute deviation of the last ``n`` TPs from their SMA."""
    tp = _typical()
    mid = _mean(tp, n)
    md = pl.sum_horizontal([(_shift(tp, k) - mid).abs() for k in range(n)]) / n
    md = pl.when(mid.is_null()).then(None).otherwise(md)
    return _div(tp - mid, 0.015 * md)


def mfi(n: int = 14) -> pl.Expr:
    """Money flow index (Quong & Soudack): ``100 PMF / (PMF + NMF)`` over ``n`` bars, where the raw
    money flow ``TP * volume`` counts as positive when TP rose and negative when it fell."""
    tp = _typical()
    prev = _shift(tp)
    flow = tp * _c("volume")
    pos = pl.when(prev.is_null()).then(None).when(tp > prev).then(flow).otherwise(0.0)
    neg = pl.when(prev.is_null()).then(None).when(tp < prev).then(flow).otherwise(0.0)
    p, q = _sum(pos, n), _sum(neg, n)
    return 100.0 * _div(p, p + q)


def roc(n: int = 10) -> pl.Expr:
    """Rate of change in percent: ``100 (close_t / close_{t-n} - 1)``."""
    return 100.0 * (_c() / _shift(_c(), n) - 1.0)


def mom(n: int = 252, skip: int = 0) -> pl.Expr:
    """Momentum: ``close_{t-skip} / close_{t-n} - 1``; ``mom_252_21`` is the 12-1 month momentum of
    Jegadeesh & Titman (1993) as used by Carhart (1997), skipping the most recent month."""
    if skip >= n:
        msg = f"mom_{n}_{skip}: the skip ({skip}) must be shorter than the lookback ({n})"
        raise InputError(msg)
    return _shift(_c(), skip) / _shift(_c(), n) - 1.0


def ret(n: int = 1) -> pl.Expr:
    """Simple return over the last ``n`` bars: ``close_t / close_{t-n} - 1``."""
    return _c() / _shift(_c(), n) - 1.0


def gap() -> pl.Expr:
    """Overnight gap: ``open_t / close_{t-1} - 1``."""
    return _c("open") / _shift(_c()) - 1.0
