"""Statistics of returns: realised and range volatility, z-score, skewness, kurtosis, beta and
correlation to a benchmark."""

from __future__ import annotations

import math

import polars as pl

from trade2026.features._indicators_base import ANNUAL, BENCH_RET, _c, _daily_ret, _div, _g, _mean, _shift, _std, _sum


def vol(n: int = 21) -> pl.Expr:
    """Realised volatility: sample standard deviation of the last ``n`` daily log returns,
    annualised by ``sqrt(252)``."""
    lr = (_c() / _shift(_c())).log()
    return _std(lr, n) * math.sqrt(ANNUAL)


def parkinson(n: int = 21) -> pl.Expr:
    """Parkinson (1980) range volatility: ``sqrt(sum ln(H/L)^2 / (4 n ln 2))`` over ``n`` bars,
    annualised by ``sqrt(252)``."""
    hl = (_c("high") / _c("low")).log() ** 2
    return (_sum(hl, n) / (4.0 * n * math.log(2.0))).sqrt() * math.sqrt(ANNUAL)


def retz(n: int = 20) -> pl.Expr:
    """Return z-score: ``(r_t - mean_n(r)) / std_n(r)`` of daily returns over the last ``n`` bars
    including today (sample standard deviation)."""
    r = _daily_ret()
    return _div(r - _mean(r, n), _std(r, n))


def skew(n: int = 63) -> pl.Expr:
    """Rolling skewness of daily returns: the Fisher-Pearson coefficient ``g1 = m3 / m2^1.5``
    (population moments) over the last ``n`` bars."""
    return _g(_daily_ret().rolling_skew(n, bias=True))


def kurt(n: int = 63) -> pl.Expr:
    """Rolling excess kurtosis of daily returns: ``g2 = m4 / m2^2 - 3`` (population moments)."""
    return _g(_daily_ret().rolling_kurtosis(n, fisher=True, bias=True))


def beta(n: int = 63) -> pl.Expr:
    """Rolling beta to the benchmark: ``cov_n(r, r_b) / var_n(r_b)`` of daily simple returns (the
    benchmark is a symbol or the equal-weight universe, see :func:`compute`)."""
    r, b = _daily_ret(), pl.col(BENCH_RET)
    return _div(_g(pl.rolling_cov(r, b, window_size=n)), _g(b.rolling_var(n)))


def corr(n: int = 63) -> pl.Expr:
    """Rolling Pearson correlation of daily simple returns with the benchmark's."""
    return _g(pl.rolling_corr(_daily_ret(), pl.col(BENCH_RET), window_size=n))
