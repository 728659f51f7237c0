"""Frames in and out: one conversion of the inputs public functions accept, and back to the caller's kind.

Public functions take polars or pandas frames (and lazy frames, arrow tables) and give back the kind
they were given: ``df, was_pandas = to_polars(frame)`` on the way in, ``like_input(out, was_pandas)``
on the way out.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from trade2026.errors import DataError


def _from_pandas(df: Any) -> pl.DataFrame:
    """pandas -> polars. Time-zone-aware columns are converted by hand: polars' and pyarrow's pandas
    paths call ``Series.values`` on them, which pandas 3 deprecates (a warning, an error under the
    test suite); every other column goes through ``pl.from_pandas`` (nullable and categorical dtypes)."""
    names = [str(c) for c in df.columns]
    tz_cols = {n for n, c in zip(names, df.columns, strict=True) if getattr(df[c].dtype, "tz", None) is not None}
    plain = [c for n, c in zip(names, df.columns, strict=True) if n not in tz_cols]
    rest = pl.from_pandas(df[plain], include_index=False) if plain else pl.DataFrame()
    cols = []
    for n, c in zip(names, df.columns, strict=True):
        if n in tz_cols:
            s = df[c]
            naive = s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            tz = str(s.dtype.tz)
            cols.append(pl.Series(n, naive).dt.replace_time_zone("UTC").dt.convert_time_zone(tz))
        else:
            cols.append(rest.get_column(n))
    return pl.DataFrame(cols)


def to_polars(frame: Any, *, what: str = "the input") -> tuple[pl.DataFrame, bool]:
    """A polars DataFrame of ``frame`` and whether it was pandas (to give back the same kind).

    A pandas frame keeps a named index as columns (``ts``, or a ``(symbol, ts)`` MultiIndex); an
    unnamed index (the default ``RangeIndex``, or what filtering left of it) is dropped. Lazy frames
    are collected, arrow tables and dicts of columns converted.
    """
    if isinstance(frame, pl.DataFrame):
        return frame, False
    if isinstance(frame, pl.LazyFrame):
        return frame.collect(), False
    mod = type(frame).__module__
    if mod.startswith("pandas") and hasattr(frame, "columns"):
        if any(name is not None for name in frame.index.names):
            frame = frame.reset_index()
        return _from_pandas(frame), True
    if mod.startswith("pyarrow"):
        return pl.DataFrame(pl.from_arrow(frame)), False
    if isinstance(frame, dict):
        return pl.DataFrame(frame), False
    msg = f"{what} must be a polars or pandas DataFrame (or an arrow table), got {type(frame).__name__}"
    raise DataError(msg)


def like_input(df: pl.DataFrame, was_pandas: bool) -> Any:
    """``df`` as pandas when the caller gave pandas, else unchanged."""
    return df.to_pandas() if was_pandas else df


def require_columns(df: pl.DataFrame, columns: Any, what: str) -> None:
    """Raise :class:`DataError` naming the columns of ``columns`` that ``df`` lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        msg = f"{what} is missing column(s) {', '.join(missing)}; it has {', '.join(df.columns)}"
        raise DataError(msg)
