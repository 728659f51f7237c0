"""Daily or intraday bars from Yahoo Finance through the optional ``yfinance`` package.

Used by dataset recipes (``kind = "yfinance"``). Tests run it on a recorded response; it needs
``pip install 'trade2026[yfinance]'`` and a network connection for real use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from trade2026.errors import DataError, DependencyError, InputError

if TYPE_CHECKING:
    import polars as pl

_FIELDS = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}


def fetch_yfinance(
    symbols: Sequence[str], *, start: str | None = None, end: str | None = None, interval: str = "1d"
) -> pl.DataFrame:
    """Download split- and dividend-adjusted bars and return them in the canonical bars schema."""
    try:
        import yfinance as yf
    except ImportError as exc:
        msg = "the yfinance source needs the yfinance package: pip install 'trade2026[yfinance]'"
        raise DependencyError(msg) from exc
    if not symbols:
        raise InputError("a yfinance source needs symbols = [...]")
    raw = yf.download(
        tickers=list(symbols),
        start=start,
        end=end,
        interval=interval,
        auto_adjust=True,
        group_by="ticker",
        progress=False,
        threads=False,
    )
    return from_yfinance_frame(raw, symbols)


def from_yfinance_frame(raw: Any, symbols: Sequence[str]) -> pl.DataFrame:
    """Convert ``yfinance.download(..., group_by="ticker")`` output (a pandas frame whose columns
    are (ticker, field) pairs, or plain fields for one ticker) to canonical bars."""
    import pandas as pd
    import polars as pl

    if raw is None or len(raw) == 0:
        msg = f"yfinance returned no data for {', '.join(symbols)}; check the symbols, dates and network"
        raise DataError(msg)
    frames = []
    multi = isinstance(raw.columns, pd.MultiIndex)
    for sym in symbols:
        if multi:
            if sym not in raw.columns.get_level_values(0):
                raise DataError(f"yfinance returned nothing for {sym!r}; is the symbol right?")
            sub = raw[sym]
        else:
            sub = raw
        sub = sub.rename(columns=_FIELDS)[list(_FIELDS.values())].dropna(how="all")
        if sub.empty:
            raise DataError(f"yfinance returned only empty rows for {sym!r}")
        idx = pd.DatetimeIndex(sub.index)
        idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
        if (idx == idx.normalize()).all():
            idx = idx.normalize()
        part = pl.from_pandas(sub.reset_index(drop=True)).with_columns(
            pl.Series("ts", idx.to_numpy(dtype="datetime64[us]")).dt.replace_time_zone("UTC"),
            pl.lit(sym).alias("symbol"),
        )
        frames.append(part)
    out = pl.concat(frames, how="vertical_relaxed")
    return out.select(
        "symbol", "ts", *[pl.col(c).cast(pl.Float64) for c in ("open", "high", "low", "close", "volume")]
    ).sort("symbol", "ts")
