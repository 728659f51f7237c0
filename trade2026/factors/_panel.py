"""Long frames <-> dense (days, assets) numpy panels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from trade2026.errors import DataError


def to_polars(df: Any) -> tuple[pl.DataFrame, bool]:
    """A polars frame and whether the input was pandas (so results can go back as pandas)."""
    if isinstance(df, pl.DataFrame):
        return df, False
    if isinstance(df, pl.LazyFrame):
        return df.collect(), False
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(df, pd.DataFrame):
        frame = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
        return pl.from_pandas(frame), True
    msg = f"expected a polars or pandas DataFrame, got {type(df).__name__}"
    raise DataError(msg)


def like_input(df: pl.DataFrame, pandas: bool) -> Any:
    return df.to_pandas() if pandas else df


def require_columns(df: pl.DataFrame, cols: list[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        msg = f"{what} is missing column(s) {missing}; it has {df.columns}"
        raise DataError(msg)


@dataclass(frozen=True)
class Panel:
    """Dense arrays aligned on ``dates`` (n_days,) x ``symbols`` (n_assets,)."""

    dates: pl.Series
    symbols: list[str]
    values: dict[str, np.ndarray]

    def __getitem__(self, key: str) -> np.ndarray:
        return self.values[key]


def to_panel(df: pl.DataFrame, columns: list[str], *, index: str = "ts", entity: str = "symbol") -> Panel:
    """Pivot long ``(index, entity, columns...)`` rows into (n_days, n_assets) float arrays."""
    require_columns(df, [index, entity, *columns], "the frame")
    if df.height == 0:
        msg = "the frame has no rows"
        raise DataError(msg)
    dup = df.select(pl.struct(index, entity).is_duplicated().any()).item()
    if dup:
        msg = f"duplicate ({index}, {entity}) rows; deduplicate before building factors"
        raise DataError(msg)
    dates = df.get_column(index).unique().sort()
    symbols = df.get_column(entity).cast(pl.String).unique().sort()
    di = dates.to_frame().with_row_index("_d")
    si = symbols.to_frame().with_row_index("_s")
    idx = df.with_columns(pl.col(entity).cast(pl.String)).join(di, on=index).join(si, on=entity)
    d = idx.get_column("_d").to_numpy()
    s = idx.get_column("_s").to_numpy()
    out = {}
    for c in columns:
        arr = np.full((dates.len(), symbols.len()), np.nan)
        arr[d, s] = idx.get_column(c).cast(pl.Float64).fill_null(np.nan).to_numpy()
        out[c] = arr
    return Panel(dates, symbols.to_list(), out)


def panel_to_long(
    dates: Any,
    symbols: list[str],
    arrays: dict[str, np.ndarray],
    *,
    index: str = "ts",
    dates_dtype: Any = None,
    drop_all_nan: bool = True,
) -> pl.DataFrame:
    """Melt (n_days, n_assets) arrays back to long rows ``(index, symbol, name...)``."""
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


def simple_returns(close: np.ndarray) -> np.ndarray:
    """Close-to-close simple returns, NaN on the first row and wherever either close is missing."""
    out = np.full_like(close, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[1:] = close[1:] / close[:-1] - 1.0
    return out
