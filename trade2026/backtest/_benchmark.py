"""Benchmarks for a backtest: a symbol of the bars, the equal-weight universe, buy-and-hold, or a series."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from trade2026.core import Panel, equal_weight_returns, ffill, simple_returns, to_polars
from trade2026.errors import DataError

BENCHMARKS = ("equal", "buy_hold")


def benchmark_returns(benchmark: Any, panel: Panel) -> tuple[str, np.ndarray]:
    """The benchmark's name and simple returns of shape (n_bars,) aligned with ``panel.ts``.

    Parameters
    ----------
    benchmark : str or DataFrame
        ``"equal"``: the equal-weight portfolio of the bars' symbols, rebalanced every bar;
        ``"buy_hold"``: equal capital in each symbol priced on the first bar, bought at its close
        and never rebalanced (later listings are not bought; a delisted symbol keeps its last price);
        a symbol of the bars: its close-to-close returns; a frame with ``ts`` and ``return`` (simple
        returns) or ``close`` (prices; for long bars, of one symbol), joined on ``ts``.
    panel : Panel
        The backtest's bars.

    Returns
    -------
    name : str
    returns : ndarray of shape (n_bars,)
        NaN where the benchmark has no return (its first bar, dates it lacks).
    """
    close = ffill(panel.close)
    if isinstance(benchmark, str):
        if benchmark == "equal":
            return "equal-weight universe", equal_weight_returns(simple_returns(close))
        if benchmark == "buy_hold":
            priced = np.isfinite(close).any(axis=1)
            if not priced.any():
                msg = "the bars have no close price to buy and hold"
                raise DataError(msg)
            t0 = int(np.argmax(priced))
            held = np.isfinite(close[t0])  # the symbols priced on the first bar, held to the end
            wealth = np.full(panel.n_bars, np.nan)
            wealth[t0:] = (close[t0:, held] / close[t0, held]).mean(axis=1)
            return "buy and hold (equal capital)", simple_returns(wealth[:, None])[:, 0]
        if benchmark in panel.symbols:
            return benchmark, simple_returns(close[:, panel.symbols.index(benchmark)][:, None])[:, 0]
        msg = (
            f"benchmark {benchmark!r} is neither {' nor '.join(BENCHMARKS)} nor a symbol of the bars "
            f"({', '.join(panel.symbols[:8])}{', ...' if panel.n_symbols > 8 else ''}); "
            "pass its bars or returns as a frame (ts, close) or (ts, return)"
        )
        raise DataError(msg)
    frame, _ = to_polars(benchmark)
    name = "benchmark"
    if "symbol" in frame.columns:
        names = frame["symbol"].unique().to_list()
        if len(names) != 1:
            msg = f"a benchmark frame must hold one symbol, got {len(names)}: {', '.join(map(str, names[:5]))}"
            raise DataError(msg)
        name = str(names[0])
    if "ts" not in frame.columns or not ({"return", "close"} & set(frame.columns)):
        msg = f"a benchmark frame needs ts and return (or close) columns; got {', '.join(frame.columns)}"
        raise DataError(msg)
    frame = frame.sort("ts").unique("ts", keep="last", maintain_order=True)
    if "return" not in frame.columns:
        frame = frame.with_columns((pl.col("close") / pl.col("close").shift(1) - 1.0).alias("return"))
    grid = pl.DataFrame({"ts": panel.ts})
    joined = grid.join(
        frame.select(pl.col("ts").cast(panel.ts.dtype), pl.col("return").cast(pl.Float64)), on="ts", how="left"
    )
    r = joined["return"].to_numpy().astype(np.float64)
    if not np.isfinite(r).any():
        msg = "the benchmark has no return on any bar of the backtest; check its dates"
        raise DataError(msg)
    return name, r
