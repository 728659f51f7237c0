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

This module is the public face; the work lives in private modules, one thing each: the building
blocks (``_indicators_base``), the families (``_indicators_averages``, ``_indicators_oscillators``,
``_indicators_bands``, ``_indicators_volume``, ``_indicators_stats``), the names and registry
(``_names``) and :func:`compute` (``_compute``).
"""

from trade2026.features._compute import compute
from trade2026.features._indicators_averages import ema, ppo, sma, wma
from trade2026.features._indicators_bands import (
    adx,
    atr,
    bb_lower,
    bb_pctb,
    bb_upper,
    bb_width,
    dist_high,
    dist_low,
    drawdown,
    hh,
    ll,
    minus_di,
    natr,
    plus_di,
)

# the column-name and window constants, importable from here as before the split (not in __all__)
from trade2026.features._indicators_base import (  # noqa: F401
    ANNUAL,
    BENCH_RET,
    FIELDS,
    MAX_WINDOW,
    SYMBOL,
    TS,
)
from trade2026.features._indicators_oscillators import (
    cci,
    gap,
    macd,
    macd_hist,
    macd_signal,
    mfi,
    mom,
    ret,
    roc,
    rsi,
    stoch_d,
    stoch_k,
    willr,
)
from trade2026.features._indicators_stats import beta, corr, kurt, parkinson, retz, skew, vol
from trade2026.features._indicators_volume import adv, amihud, obv, volz, vwap
from trade2026.features._names import INDICATORS, Indicator, expr, lookback, names, parse_name, suggest

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
