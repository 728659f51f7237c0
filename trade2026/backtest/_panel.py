"""Bars in long form (symbol, ts, open, high, low, close, volume) <-> dense (n_bars, n_symbols) arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from trade2026.errors import DataError

PRICE_COLUMNS = ("open", "high", "low", "close")


def to_polars(frame: Any) -> tuple[pl.DataFrame, bool]:
    """A polars frame and whether the input was pandas (to give back the same kind)."""
    if isinstance(frame, pl.DataFrame):
        return frame, False
    if isinstance(frame, pl.LazyFrame):
        return frame.collect(), False
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(frame, pd.DataFrame):
        df = frame.reset_index() if not {"symbol", "ts"} <= set(frame.columns) else frame
        return _from_pandas(df), True
    msg = f"expected a polars or pandas DataFrame, got {type(frame).__name__}"
    raise DataError(msg)


def _from_pandas(df: Any) -> pl.DataFrame:
    """Column by column: polars' and pyarrow's pandas paths trip pandas 3's deprecation of ``.values``
    on tz-aware columns (a warning, an error under the test suite)."""
    cols = []
    for name in df.columns:
        s = df[name]
        tz = getattr(s.dtype, "tz", None)
        if tz is not None:
            naive = s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            cols.append(pl.Series(str(name), naive).dt.replace_time_zone("UTC").dt.convert_time_zone(str(tz)))
        else:
            cols.append(pl.Series(str(name), s.to_numpy()))
    return pl.DataFrame(cols)


@dataclass(frozen=True)
class Panel:
    """Dense bar arrays: ``ts`` (n_bars,), ``symbols`` (n_symbols,), prices of shape (n_bars, n_symbols).

    Missing bars (late listings, gaps, delistings) are NaN.
    """

    ts: pl.Series
    symbols: list[str]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    extra: dict[str, np.ndarray]

    @property
    def n_bars(self) -> int:
        return self.close.shape[0]

    @property
    def n_symbols(self) -> int:
        return self.close.shape[1]

    def column(self, name: str) -> np.ndarray:
        if name in self.extra:
            return self.extra[name]
        if name in ("open", "high", "low", "close", "volume"):
            return getattr(self, name)
        msg = f"column {name!r} is not in the bars; available: {', '.join(sorted(self.extra))}"
        raise DataError(msg)

    def slice(self, start: int, stop: int) -> Panel:
        return Panel(
            ts=self.ts[start:stop],
            symbols=self.symbols,
            open=self.open[start:stop],
            high=self.high[start:stop],
            low=self.low[start:stop],
            close=self.close[start:stop],
            volume=self.volume[start:stop],
            extra={k: v[start:stop] for k, v in self.extra.items()},
        )

    def frame(self, values: np.ndarray, name: str) -> pl.DataFrame:
        """Long frame (symbol, ts, name) of a (n_bars, n_symbols) array, only where a bar exists."""
        t, k = values.shape
        df = pl.DataFrame(
            {
                "symbol": pl.Series(np.repeat(np.array(self.symbols, dtype=object), t).tolist(), dtype=pl.String),
                "ts": pl.concat([self.ts] * k) if k else self.ts.clear(),
                name: values.T.reshape(-1),
                "_has": np.isfinite(self.close.T.reshape(-1)),
            }
        )
        return df.filter(pl.col("_has")).drop("_has")


def to_panel(bars: Any, *, extra_columns: tuple[str, ...] | list[str] = ()) -> Panel:
    """Pivot canonical long bars into a :class:`Panel` (validating columns, sorting, dropping duplicates)."""
    df, _ = to_polars(bars)
    need = {"symbol", "ts", *PRICE_COLUMNS}
    missing = need - set(df.columns)
    if missing:
        msg = f"bars are missing column(s) {', '.join(sorted(missing))}; expected symbol, ts, open, high, low, close"
        raise DataError(msg)
    if df.height == 0:
        msg = "no bars to backtest: the universe is empty (check --symbols, --start/--end and the table)"
        raise DataError(msg)
    if df.select(pl.struct("symbol", "ts").is_duplicated().any()).item():
        msg = "bars have duplicate (symbol, ts) rows; deduplicate them (the lake's bars tables are keyed on both)"
        raise DataError(msg)
    cols = [c for c in extra_columns if c not in ("open", "high", "low", "close", "volume")]
    for c in cols:
        if c not in df.columns:
            msg = f"column {c!r} is not in the bars frame (columns: {', '.join(df.columns)})"
            raise DataError(msg)
    if "volume" not in df.columns:
        df = df.with_columns(volume=pl.lit(0.0))
    symbols = sorted(df["symbol"].unique().to_list())
    ts = df["ts"].unique().sort()
    t, k = ts.len(), len(symbols)
    ts_index = pl.DataFrame({"ts": ts, "_t": np.arange(t)})
    sym_index = pl.DataFrame({"symbol": symbols, "_k": np.arange(k)})
    j = df.join(ts_index, on="ts").join(sym_index, on="symbol")
    tt = j["_t"].to_numpy()
    kk = j["_k"].to_numpy()
    arrays: dict[str, np.ndarray] = {}
    for name in (*PRICE_COLUMNS, "volume", *cols):
        a = np.full((t, k), np.nan)
        a[tt, kk] = j[name].cast(pl.Float64).to_numpy()
        arrays[name] = a
    close = arrays["close"]
    bad = np.isfinite(close) & (close <= 0)
    if bad.any():
        msg = "bars contain non-positive close prices; clean them before backtesting"
        raise DataError(msg)
    for name in ("open", "high", "low"):
        a = arrays[name]
        fill = ~np.isfinite(a) & np.isfinite(close)
        a[fill] = close[fill]
    return Panel(
        ts=ts,
        symbols=symbols,
        open=arrays["open"],
        high=arrays["high"],
        low=arrays["low"],
        close=close,
        volume=arrays["volume"],
        extra={c: arrays[c] for c in cols},
    )


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
