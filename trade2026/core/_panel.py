"""The (n_bars, n_symbols) panel: long frames <-> dense numpy arrays, one pivot for every domain.

Long rows ``(ts, symbol, value columns...)`` pivot into float arrays of shape (n_bars, n_symbols)
aligned on the sorted unique timestamps and symbols; a missing row is NaN. :func:`bars_panel` is the
pivot of canonical bars (validated, open/high/low filled from the close where missing), used by the
backtest engine, sweeps and strategies; :func:`pivot` is the general one (factors, returns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from trade2026.core._frames import require_columns, to_polars
from trade2026.errors import DataError

PRICE_COLUMNS = ("open", "high", "low", "close")
BAR_COLUMNS = (*PRICE_COLUMNS, "volume")


@dataclass(frozen=True, eq=False)
class Panel:
    """Dense arrays aligned on ``ts`` (n_bars,) x ``symbols`` (n_symbols,).

    ``values`` maps a column name to its float array of shape (n_bars, n_symbols), NaN where the
    long frame had no row (late listings, gaps, delistings). Bars panels carry ``open``, ``high``,
    ``low``, ``close`` and ``volume`` (attributes) and any ``extra`` columns (signals).
    """

    ts: pl.Series
    symbols: list[str]
    values: dict[str, np.ndarray]

    def __getitem__(self, key: str) -> np.ndarray:
        return self.column(key)

    @property
    def dates(self) -> pl.Series:
        """The time axis (an alias of ``ts`` for daily panels)."""
        return self.ts

    @property
    def n_bars(self) -> int:
        return int(self.ts.len())

    @property
    def n_symbols(self) -> int:
        return len(self.symbols)

    @property
    def open(self) -> np.ndarray:
        return self.column("open")

    @property
    def high(self) -> np.ndarray:
        return self.column("high")

    @property
    def low(self) -> np.ndarray:
        return self.column("low")

    @property
    def close(self) -> np.ndarray:
        return self.column("close")

    @property
    def volume(self) -> np.ndarray:
        return self.column("volume")

    @property
    def extra(self) -> dict[str, np.ndarray]:
        """The columns other than open, high, low, close and volume."""
        return {k: v for k, v in self.values.items() if k not in BAR_COLUMNS}

    def column(self, name: str) -> np.ndarray:
        try:
            return self.values[name]
        except KeyError:
            msg = f"column {name!r} is not in the panel; available: {', '.join(sorted(self.values))}"
            raise DataError(msg) from None

    def slice(self, start: int, stop: int) -> Panel:
        """Bars ``start:stop`` of every column."""
        return Panel(self.ts[start:stop], self.symbols, {k: v[start:stop] for k, v in self.values.items()})

    def frame(self, values: np.ndarray, name: str) -> pl.DataFrame:
        """Long frame (symbol, ts, name) of a (n_bars, n_symbols) array, only where a bar exists
        (a finite close; every cell when the panel has no close)."""
        t, k = values.shape
        has = self.values["close"] if "close" in self.values else np.zeros((t, k))
        df = pl.DataFrame(
            {
                "symbol": pl.Series(np.repeat(np.array(self.symbols, dtype=object), t).tolist(), dtype=pl.String),
                "ts": pl.concat([self.ts] * k) if k else self.ts.clear(),
                name: values.T.reshape(-1),
                "_has": np.isfinite(has.T.reshape(-1)),
            }
        )
        return df.filter(pl.col("_has")).drop("_has")


def pivot(frame: Any, columns: Any, *, index: str = "ts", entity: str = "symbol", what: str = "the frame") -> Panel:
    """Pivot long ``(index, entity, columns...)`` rows into a :class:`Panel` of float arrays.

    Raises :class:`DataError` on missing columns, an empty frame or duplicate (index, entity) rows.
    """
    df, _ = to_polars(frame, what=what)
    columns = list(columns)
    require_columns(df, [index, entity, *columns], what)
    if df.height == 0:
        msg = f"{what} has no rows"
        raise DataError(msg)
    if df.select(pl.struct(index, entity).is_duplicated().any()).item():
        msg = f"{what} has duplicate ({entity}, {index}) rows; deduplicate them (lake tables are keyed on both)"
        raise DataError(msg)
    dates = df.get_column(index).unique().sort()
    symbols = df.get_column(entity).cast(pl.String).unique().sort()
    di = dates.to_frame().with_row_index("_d")
    si = symbols.to_frame().with_row_index("_s")
    j = df.with_columns(pl.col(entity).cast(pl.String)).join(di, on=index).join(si, on=entity)
    d = j.get_column("_d").to_numpy()
    s = j.get_column("_s").to_numpy()
    out = {}
    for c in columns:
        arr = np.full((dates.len(), symbols.len()), np.nan)
        arr[d, s] = j.get_column(c).cast(pl.Float64).fill_null(np.nan).to_numpy()
        out[c] = arr
    return Panel(dates.alias(index), symbols.to_list(), out)


def bars_panel(bars: Any, *, extra_columns: tuple[str, ...] | list[str] = ()) -> Panel:
    """Pivot canonical long bars (symbol, ts, open, high, low, close[, volume]) into a :class:`Panel`.

    Validates the columns and prices; a missing volume is 0 and a missing open/high/low where the
    close exists is the close. ``extra_columns`` (signals) are pivoted along.
    """
    df, _ = to_polars(bars, what="bars")
    need = {"symbol", "ts", *PRICE_COLUMNS}
    missing = need - set(df.columns)
    if missing:
        msg = f"bars are missing column(s) {', '.join(sorted(missing))}; expected symbol, ts, open, high, low, close"
        raise DataError(msg)
    if df.height == 0:
        msg = "no bars: the universe is empty (check the symbols, the start/end dates and the table)"
        raise DataError(msg)
    cols = [c for c in extra_columns if c not in BAR_COLUMNS]
    for c in cols:
        if c not in df.columns:
            msg = f"column {c!r} is not in the bars frame (columns: {', '.join(df.columns)})"
            raise DataError(msg)
    if "volume" not in df.columns:
        df = df.with_columns(volume=pl.lit(0.0))
    panel = pivot(df, [*BAR_COLUMNS, *cols], what="bars")
    close = panel.values["close"]
    if (np.isfinite(close) & (close <= 0)).any():
        msg = "bars contain non-positive close prices; clean them before backtesting"
        raise DataError(msg)
    for name in ("open", "high", "low"):
        a = panel.values[name]
        fill = ~np.isfinite(a) & np.isfinite(close)
        a[fill] = close[fill]
    return panel


def panel_to_long(
    dates: Any,
    symbols: list[str],
    arrays: dict[str, np.ndarray],
    *,
    index: str = "ts",
    dates_dtype: Any = None,
    drop_all_nan: bool = True,
) -> pl.DataFrame:
    """Melt (n_dates, n_symbols) arrays back to long rows ``(index, symbol, name...)`` (NaN -> null)."""
    n_days, n_assets = next(iter(arrays.values())).shape
    cols: dict[str, Any] = {
        index: pl.Series(index, dates).alias(index).gather(np.repeat(np.arange(n_days), n_assets)),
        "symbol": pl.Series("symbol", symbols, dtype=pl.String).gather(np.tile(np.arange(n_assets), n_days)),
    }
    for name, arr in arrays.items():
        cols[name] = arr.reshape(-1)
    out = pl.DataFrame(cols)
    if dates_dtype is not None:
        out = out.with_columns(pl.col(index).cast(dates_dtype))
    if drop_all_nan:
        names = list(arrays)
        out = out.filter(~pl.all_horizontal([pl.col(n).is_nan() for n in names]))
    return out.with_columns([pl.col(n).fill_nan(None) for n in arrays])


def ffill(a: np.ndarray) -> np.ndarray:
    """Forward-fill NaNs down each column (leading NaNs stay NaN)."""
    t = a.shape[0]
    idx = np.where(np.isfinite(a), np.arange(t)[:, None], 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    out = a[idx, np.arange(a.shape[1])[None, :]]
    first_valid = np.isfinite(a).argmax(axis=0)
    never = ~np.isfinite(a).any(axis=0)
    lead = np.arange(t)[:, None] < first_valid[None, :]
    out[lead | never[None, :]] = np.nan
    return out


def simple_returns(close: np.ndarray) -> np.ndarray:
    """Close-to-close simple returns, NaN on the first row and wherever either close is missing."""
    out = np.full_like(close, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[1:] = close[1:] / close[:-1] - 1.0
    return out
