"""The trade list: round trips with their size, prices, excursions and duration; its lake table.

:func:`trade_excursions` adds to the engine's round trips (symbol, entry_ts, exit_ts, side, pnl,
return, exit_reason, size, entry_price, exit_price) the maximum adverse and favourable excursions
and the holding time; :func:`save_trades` writes a trade list to the lake, replacing the rows of
the symbols backtested (a rerun never leaves the previous run's trades beside its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from trade2026.core import Panel, ffill

TRADE_COLUMNS = (
    "symbol",
    "entry_ts",
    "exit_ts",
    "side",
    "size",
    "entry_price",
    "exit_price",
    "pnl",
    "return",
    "mae",
    "mfe",
    "bars",
    "duration_days",
    "exit_reason",
)


def trade_excursions(trades: pl.DataFrame, panel: Panel, *, fill: str = "open") -> pl.DataFrame:
    """The trade list with ``mae``, ``mfe``, ``bars`` and ``duration_days`` added, in :data:`TRADE_COLUMNS` order.

    Parameters
    ----------
    trades : polars DataFrame
        Round trips from the engine (``BacktestResult.trades`` before this step).
    panel : Panel
        The bars the trades were made on.
    fill : str
        ``"open"`` or ``"close"``: where fills happen, which decides the bars a position is held
        through (a fill at the open holds through that bar's range; a fill at the close does not).

    Returns
    -------
    polars DataFrame
        ``mae`` (maximum adverse excursion) and ``mfe`` (maximum favourable excursion) are the worst
        and best price move against and for the position while held, as fractions of the entry
        price (mae <= 0 <= mfe): a long's high/low over the bars held, a short's mirrored. ``bars``
        counts bars from entry to exit; ``duration_days`` is the calendar time in days.

    Notes
    -----
    Bar data cannot order the high and the low inside a bar, so the entry and exit bars count in
    full (fill at the open) or from the next bar (fill at the close); the excursions also include
    the entry and exit prices themselves.
    """
    if trades.height == 0:
        empty = trades.with_columns(
            pl.lit(None, pl.Float64).alias("mae"),
            pl.lit(None, pl.Float64).alias("mfe"),
            pl.lit(None, pl.Int64).alias("bars"),
            pl.lit(None, pl.Float64).alias("duration_days"),
        )
        return empty.select(TRADE_COLUMNS)
    ts_idx = {t: i for i, t in enumerate(panel.ts.to_list())}
    col = {s: k for k, s in enumerate(panel.symbols)}
    high, low = ffill(panel.high), ffill(panel.low)
    skip_entry_bar = 1 if fill == "close" else 0
    maes, mfes, nbars = [], [], []
    for sym, t0, t1, side, p0, p1 in trades.select(
        "symbol", "entry_ts", "exit_ts", "side", "entry_price", "exit_price"
    ).iter_rows():
        i, j, k = ts_idx[t0], ts_idx[t1], col[sym]
        lo_i = min(i + skip_entry_bar, j)
        hi_px = np.nanmax(np.r_[high[lo_i : j + 1, k], p0, p1])
        lo_px = np.nanmin(np.r_[low[lo_i : j + 1, k], p0, p1])
        if side > 0:
            mfe, mae = hi_px / p0 - 1.0, lo_px / p0 - 1.0
        else:
            mfe, mae = 1.0 - lo_px / p0, 1.0 - hi_px / p0
        maes.append(float(mae))
        mfes.append(float(mfe))
        nbars.append(j - i)
    return trades.with_columns(
        pl.Series("mae", maes, dtype=pl.Float64),
        pl.Series("mfe", mfes, dtype=pl.Float64),
        pl.Series("bars", nbars, dtype=pl.Int64),
        ((pl.col("exit_ts") - pl.col("entry_ts")).dt.total_seconds() / 86_400.0).alias("duration_days"),
    ).select(TRADE_COLUMNS)


def trade_summary(trades: pl.DataFrame) -> list[dict[str, Any]]:
    """Trade statistics per exit reason and for all trades: count, hit rate, average return,
    P&L, average MAE/MFE and holding bars."""
    if trades.height == 0:
        return []
    aggs = [
        pl.len().alias("trades"),
        (pl.col("return") > 0).mean().alias("hit_rate"),
        pl.col("return").mean().alias("avg_return"),
        pl.col("pnl").sum().alias("pnl"),
        pl.col("mae").mean().alias("avg_mae"),
        pl.col("mfe").mean().alias("avg_mfe"),
        pl.col("bars").mean().alias("avg_bars"),
    ]
    by = trades.group_by("exit_reason").agg(aggs).sort("exit_reason")
    total = trades.select(aggs).with_columns(pl.lit("all").alias("exit_reason")).select(by.columns)
    return [*by.to_dicts(), *total.to_dicts()]


def save_trades(
    lake: Any, table: str, trades: pl.DataFrame, *, symbols: Sequence[str], strategy: str
) -> dict[str, Any]:
    """Write ``trades`` to the lake table ``table``, replacing every row of ``symbols``.

    All backtested symbols are replaced, also those without a trade this run, so the table holds
    exactly the last run's trades of each symbol. Adds a ``strategy`` column (the spec). Returns
    ``table``, ``rows``, ``inserted`` and ``replaced`` (rows of those symbols removed).
    """
    from trade2026.lake import check_table_name

    check_table_name(table)
    rows = trades.with_columns(pl.lit(strategy).alias("strategy"))
    quoted = ", ".join("'" + str(s).replace("'", "''") + "'" for s in sorted(symbols))
    wr = lake.write(table, rows, mode="overwrite", replace_where=f"symbol IN ({quoted})")
    return {"table": table, "rows": rows.height, "inserted": wr.inserted, "replaced": wr.deleted}
