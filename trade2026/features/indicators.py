"""Technical and statistical indicators as polars expressions over a bars panel.

Every indicator is a function returning a :class:`polars.Expr` that works on a long frame of bars
(``symbol, ts, open, high, low, close, volume``) **sorted by (symbol, ts)**: windows and recursions
run per symbol (``.over("symbol")``), vectorised across the whole universe in one query. Values on a
row use only that row and earlier rows of the same symbol, so nothing looks ahead.

Indicators are named ``family_param1_param2`` (``rsi_14``, ``sma_200``, ``mom_252_21``,
``macd_hist_12_26_9``, ``bb_pctb_20_2``); trailing parameters may be left out to take the
defaults (``rsi`` is ``rsi_14``, ``macd_12_26`` is ``macd_12_26_9``). Parameters are integers.
:func:`compute` adds named indicators to a bars frame; :func:`expr` gives one as an expression;
:data:`INDICATORS` is the registry and :func:`suggest` finds close names for a typo.

Conventions shared by the recursive indicators:

* Wilder smoothing (RSI, ATR, ADX; Wilder 1978) is the recursion ``s_t = s_{t-1} + (x_t - s_{t-1})/n``
  seeded with the simple mean of the first ``n`` available inputs.
* Exponential moving averages (EMA, MACD) use ``alpha = 2/(n+1)``, likewise seeded with the simple
  mean of the first ``n`` inputs; values before the seed are null.
* Daily returns are simple returns ``close_t/close_{t-1} - 1`` unless a docstring says log returns;
  volatilities are annualised with ``sqrt(252)``.
* Where a denominator is zero (a flat window) the indicator is null rather than infinite.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy.signal import lfilter

from trade2026.errors import DataError, InputError, NotFoundError

SYMBOL = "symbol"
TS = "ts"
BENCH_RET = "_bench_ret"
FIELDS = ("open", "high", "low", "close", "volume")
ANNUAL = 252
MAX_WINDOW = 5000

__all__ = [
    "FIELDS",
    "INDICATORS",
    "Indicator",
    "adv",
    "adx",
    "amihud",
    "atr",
    "bb_lower",
    "bb_pctb",
    "bb_upper",
    "bb_width",
    "beta",
    "cci",
    "compute",
    "corr",
    "dist_high",
    "dist_low",
    "drawdown",
    "ema",
    "expr",
    "gap",
    "hh",
    "kurt",
    "ll",
    "lookback",
    "macd",
    "macd_hist",
    "macd_signal",
    "mfi",
    "minus_di",
    "mom",
    "names",
    "natr",
    "obv",
    "parkinson",
    "parse_name",
    "plus_di",
    "ppo",
    "ret",
    "retz",
    "roc",
    "rsi",
    "skew",
    "sma",
    "stoch_d",
    "stoch_k",
    "suggest",
    "vol",
    "volz",
    "vwap",
    "willr",
    "wma",
]


# -- per-symbol building blocks -------------------------------------------------------------------
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


# -- moving averages ------------------------------------------------------------------------------
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


# -- oscillators ----------------------------------------------------------------------------------
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


# -- bands and trend ------------------------------------------------------------------------------
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


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.size, np.nan)
    ok = den != 0
    out[ok] = num[ok] / den[ok]
    return out


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


# -- volume ---------------------------------------------------------------------------------------
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


# -- statistics -----------------------------------------------------------------------------------
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


# -- registry -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Indicator:
    """One indicator family: its parameters, defaults and the function building its expression."""

    family: str
    fn: Callable[..., pl.Expr]
    params: tuple[str, ...] = ()
    defaults: tuple[int | None, ...] = ()
    needs_benchmark: bool = False

    @property
    def summary(self) -> str:
        doc = (self.fn.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(doc.split())

    @property
    def example(self) -> str:
        vals = [v for v in self.defaults if v is not None]
        while vals and vals[-1] == 0:
            vals.pop()
        return "_".join([self.family, *map(str, vals)])

    def lookback(self, values: Sequence[int]) -> int:
        """Bars of history needed before the first value (a bound; recursions converge later)."""
        vals = [v for v in values if v is not None]
        base = sum(vals) if vals else 0
        return base + 1


def _reg(fn: Callable[..., pl.Expr], params: str = "", defaults: tuple[int | None, ...] = (), **kw: Any) -> Indicator:
    return Indicator(fn.__name__, fn, tuple(p for p in params.split(",") if p), defaults, **kw)


INDICATORS: dict[str, Indicator] = {
    i.family: i
    for i in [
        _reg(sma, "n", (20,)),
        _reg(ema, "n", (20,)),
        _reg(wma, "n", (20,)),
        _reg(ppo, "fast,slow", (12, 26)),
        _reg(rsi, "n", (14,)),
        _reg(macd, "fast,slow,signal", (12, 26, 9)),
        _reg(macd_signal, "fast,slow,signal", (12, 26, 9)),
        _reg(macd_hist, "fast,slow,signal", (12, 26, 9)),
        _reg(stoch_k, "n", (14,)),
        _reg(stoch_d, "n,m", (14, 3)),
        _reg(willr, "n", (14,)),
        _reg(cci, "n", (20,)),
        _reg(mfi, "n", (14,)),
        _reg(roc, "n", (10,)),
        _reg(mom, "n,skip", (252, 0)),
        _reg(ret, "n", (1,)),
        _reg(gap),
        _reg(bb_upper, "n,k", (20, 2)),
        _reg(bb_lower, "n,k", (20, 2)),
        _reg(bb_pctb, "n,k", (20, 2)),
        _reg(bb_width, "n,k", (20, 2)),
        _reg(atr, "n", (14,)),
        _reg(natr, "n", (14,)),
        _reg(plus_di, "n", (14,)),
        _reg(minus_di, "n", (14,)),
        _reg(adx, "n", (14,)),
        _reg(hh, "n", (20,)),
        _reg(ll, "n", (20,)),
        _reg(dist_high, "n", (252,)),
        _reg(dist_low, "n", (252,)),
        _reg(drawdown, "n", (None,)),
        _reg(obv),
        _reg(vwap, "n", (20,)),
        _reg(volz, "n", (20,)),
        _reg(adv, "n", (20,)),
        _reg(amihud, "n", (21,)),
        _reg(vol, "n", (21,)),
        _reg(parkinson, "n", (21,)),
        _reg(retz, "n", (20,)),
        _reg(skew, "n", (63,)),
        _reg(kurt, "n", (63,)),
        _reg(beta, "n", (63,), needs_benchmark=True),
        _reg(corr, "n", (63,), needs_benchmark=True),
    ]
}

# Parameters that are windows (>= 1 bar, capped); the others (skip, k) may be 0.
_WINDOW_LIMITS: dict[str, tuple[int, int]] = {"skip": (0, MAX_WINDOW), "k": (0, 10)}
# Parameters below these floors make a statistic meaningless (a 1-bar standard deviation).
_MIN_N: dict[str, int] = {
    "vol": 2,
    "retz": 2,
    "volz": 2,
    "skew": 3,
    "kurt": 4,
    "beta": 2,
    "corr": 2,
    "parkinson": 1,
}
_CCI_MAX = 250

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def names() -> list[str]:
    """Example names of every indicator family with its default parameters (``rsi_14``, ...)."""
    return [i.example for i in INDICATORS.values()]


def parse_name(name: str) -> tuple[Indicator, tuple[int, ...]]:
    """Split ``"mom_252_21"`` into its family and integer parameters, defaults filled in.

    Raises
    ------
    NotFoundError
        When no family matches (the message lists close names).
    InputError
        When the parameters are wrong in number or range.
    """
    if not _NAME_RE.match(name):
        msg = f"{name!r} is not an indicator name; names look like rsi_14, sma_200, mom_252_21"
        raise InputError(msg)
    parts = name.split("_")
    i = len(parts)
    while i > 1 and parts[i - 1].isdigit():
        i -= 1
    family = "_".join(parts[:i])
    given = [int(p) for p in parts[i:]]
    ind = INDICATORS.get(family)
    if ind is None:
        close = suggest(name)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `t26 screen --list-indicators`"
        msg = f"unknown indicator {name!r}{hint}"
        raise NotFoundError(msg)
    if len(given) > len(ind.params):
        want = "no parameters" if not ind.params else f"parameters {', '.join(ind.params)}"
        msg = f"{name!r}: {family} takes {want} (e.g. {ind.example}), got {len(given)} numbers"
        raise InputError(msg)
    values: list[int] = []
    for pname, default, pos in zip(ind.params, ind.defaults, range(len(ind.params)), strict=True):
        v = given[pos] if pos < len(given) else default
        if v is None:
            values.append(v)  # type: ignore[arg-type]
            continue
        lo, hi = _WINDOW_LIMITS.get(pname, (1, MAX_WINDOW))
        if pname == "n":
            lo = max(lo, _MIN_N.get(family, 1))
            if family == "cci":
                hi = _CCI_MAX
        if not lo <= v <= hi:
            msg = f"{name!r}: parameter {pname} must be between {lo} and {hi}, got {v}"
            raise InputError(msg)
        values.append(v)
    if family == "mom" and values[1] >= values[0]:
        msg = f"{name!r}: the skip ({values[1]}) must be shorter than the lookback ({values[0]})"
        raise InputError(msg)
    if family in ("ppo", "macd", "macd_signal", "macd_hist") and values[0] >= values[1]:
        msg = f"{name!r}: the fast period ({values[0]}) must be shorter than the slow one ({values[1]})"
        raise InputError(msg)
    while values and values[-1] is None:
        values.pop()
    return ind, tuple(values)


def expr(name: str) -> pl.Expr:
    """The expression computing indicator ``name``, aliased to ``name``."""
    ind, values = parse_name(name)
    return ind.fn(*values).alias(name)


def lookback(name: str) -> int:
    """A bound on the bars of history ``name`` needs before its first value."""
    ind, values = parse_name(name)
    return ind.lookback(values)


def suggest(word: str, *, n: int = 5, extra: Iterable[str] = ()) -> list[str]:
    """Indicator names (and ``extra`` words) close to ``word``, for "did you mean" messages."""
    pool = list(dict.fromkeys([*FIELDS, *extra, *names(), *INDICATORS]))
    parts = word.split("_")
    i = len(parts)
    while i > 1 and parts[i - 1].isdigit():
        i -= 1
    family = "_".join(parts[:i])
    glued = re.match(r"^([a-z_]*[a-z])(\d+)$", family)
    if glued:  # "sma200" -> family "sma", parameter 200
        family = glued.group(1)
        parts = [family, glued.group(2), *parts[i:]]
        i = 1
    hits = difflib.get_close_matches(word, pool, n=n, cutoff=0.6)
    # A mistyped family with the right parameters: suggest the family with those parameters.
    fam_hits = []
    for fam in difflib.get_close_matches(family, list(INDICATORS), n=3, cutoff=0.6):
        cand = "_".join([fam, *parts[i:]])
        try:
            parse_name(cand)
        except InputError:
            cand = INDICATORS[fam].example
        fam_hits.append(cand)
    hits = fam_hits + hits
    out = [h for h in dict.fromkeys(hits) if h != word and (h not in INDICATORS or INDICATORS[h].example == h)]
    return out[:n]


def _with_benchmark(bars: pl.DataFrame, benchmark: str | None) -> pl.DataFrame:
    r = (pl.col("close") / pl.col("close").shift(1).over(SYMBOL) - 1.0).alias(BENCH_RET)
    if benchmark is None:
        bench = bars.select(TS, r).group_by(TS).agg(pl.col(BENCH_RET).mean())
    else:
        sub = bars.filter(pl.col(SYMBOL) == benchmark)
        if sub.height == 0:
            msg = f"benchmark symbol {benchmark!r} has no bars; pick a symbol in the data or omit it"
            raise NotFoundError(msg)
        bench = sub.select(TS, r)
    return bars.join(bench, on=TS, how="left")


def _from_pandas(df: Any) -> pl.DataFrame:
    import warnings

    with warnings.catch_warnings():
        # pandas 3.1 deprecates Series.values on tz-aware columns, which pyarrow's converter
        # still calls; the conversion itself is correct.
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        return pl.from_pandas(df, include_index=False)


def compute(
    bars: Any,
    indicators: Iterable[str],
    *,
    benchmark: str | None = None,
    keep: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Add the named indicators to a bars panel.

    Parameters
    ----------
    bars : polars or pandas DataFrame
        Long bars with ``symbol, ts`` and the fields the indicators use (``open, high, low, close,
        volume``); any order, sorted here by ``(symbol, ts)``.
    indicators : iterable of str
        Names such as ``"rsi_14"``, ``"sma_200"``, ``"mom_252_21"``.
    benchmark : str, optional
        Symbol whose daily returns ``beta_n``/``corr_n`` use; default the equal-weight mean daily
        return of all symbols in ``bars``.
    keep : sequence of str, optional
        Columns of ``bars`` to keep (default: all of them).

    Returns
    -------
    DataFrame of the kind given: the bars columns (or ``keep``) plus one float column per indicator,
    sorted by ``(symbol, ts)``.
    """
    is_pandas = type(bars).__module__.startswith("pandas")
    frame = _from_pandas(bars) if is_pandas else bars
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    wanted = list(dict.fromkeys(indicators))
    parsed = [(n, *parse_name(n)) for n in wanted]
    missing = [c for c in (SYMBOL, TS) if c not in frame.columns]
    if missing:
        msg = f"bars need columns symbol and ts; missing {', '.join(missing)}"
        raise DataError(msg)
    frame = frame.sort(SYMBOL, TS)
    base = list(keep) if keep is not None else list(frame.columns)
    if any(ind.needs_benchmark for _, ind, _ in parsed):
        frame = _with_benchmark(frame, benchmark)
    exprs = [ind.fn(*vals).cast(pl.Float64).alias(n) for n, ind, vals in parsed]
    try:
        out = frame.with_columns(exprs)
    except pl.exceptions.ColumnNotFoundError as exc:
        msg = f"bars lack a column an indicator needs ({exc}); bars have {', '.join(frame.columns)}"
        raise DataError(msg) from exc
    out = out.select([*base, *[n for n in wanted if n not in base]])
    return out.to_pandas() if is_pandas else out
