"""The indicator names: the registry of families and the ``family_param1_param2`` grammar.

:data:`INDICATORS` maps each family to its function, parameters and defaults; :func:`parse_name`
splits a name into its family and parameters (checking their number and range), :func:`suggest`
finds close names for a typo.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from trade2026.errors import InputError, NotFoundError
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
from trade2026.features._indicators_base import FIELDS, MAX_WINDOW
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
