"""Indicators added to a bars frame, all in one polars query."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from trade2026.core import like_input, to_polars
from trade2026.errors import DataError, NotFoundError
from trade2026.features._indicators_base import BENCH_RET, SYMBOL, TS
from trade2026.features._names import parse_name


def _with_benchmark(bars: pl.DataFrame, benchmark: str | None) -> pl.DataFrame:
    r = (pl.col("close") / pl.col("close").shift(1).over(SYMBOL) - 1.0).alias(BENCH_RET)
    if benchmark is None:  # the equal-weight universe, defined once in trade2026.core
        from trade2026.core import equal_weight_returns, pivot, simple_returns

        p = pivot(bars, ["close"], index=TS, entity=SYMBOL, what="bars")
        ew = pl.Series(BENCH_RET, equal_weight_returns(simple_returns(p["close"]))).fill_nan(None)
        bench = pl.DataFrame([p.ts.alias(TS), ew])
    else:
        sub = bars.filter(pl.col(SYMBOL) == benchmark)
        if sub.height == 0:
            msg = f"benchmark symbol {benchmark!r} has no bars; pick a symbol in the data or omit it"
            raise NotFoundError(msg)
        bench = sub.select(TS, r)
    return bars.join(bench, on=TS, how="left")


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
    frame, was_pandas = to_polars(bars, what="bars")
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
    return like_input(out, was_pandas)
