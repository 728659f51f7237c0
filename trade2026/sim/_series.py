"""One returns series out of a lake table, for :func:`trade2026.sim.monte_carlo`.

Tables of returns are often long: several series stacked on their key columns
(``portfolio_backtest_returns`` holds one series per ``method`` and ``backtest_id``). Compounding
them as one series is silently wrong, so a repeated timestamp is an error naming the key columns
that tell the series apart, and ``where`` picks one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trade2026.errors import DataError, InputError


def _series_keys(df: Any, column: str) -> list[str]:
    """Columns other than ts and ``column`` whose values differ between rows of one timestamp."""
    import polars as pl

    numeric = {c for c, t in df.schema.items() if t.is_float()}
    candidates = [c for c in df.columns if c not in {"ts", column} and c not in numeric]
    varying = df.group_by("ts").agg([pl.col(c).n_unique().alias(c) for c in candidates])
    return [c for c in candidates if varying[c].max() > 1]


def _picking(df: Any, keys: list[str]) -> dict[str, Any]:
    """The fewest ``key=value`` pairs (in ``keys`` order) that leave one row per timestamp."""
    import polars as pl

    picked: dict[str, Any] = {}
    for key in keys:
        value = df[key].drop_nulls().sort()[0]
        picked[key] = value
        df = df.filter(pl.col(key) == value)
        if df["ts"].n_unique() == df.height:
            break
    return picked


def returns_series(
    frame: Any, column: str = "return", *, where: Mapping[str, Any] | None = None, table: str | None = None
) -> tuple[Any, Any]:
    """The one returns series of ``frame``: its ``column`` in time order, and its timestamps.

    Parameters
    ----------
    frame : polars or pandas DataFrame
        A returns table: a numeric ``column`` of simple returns per period and, optionally, ``ts``.
    column : str
        The returns column.
    where : mapping of str to value, optional
        Keep only the rows whose column equals the value (compared as text, so ``{"method": "hrp"}``
        and ``{"backtest_id": 3}`` both work): how one series of a long table is picked.
    table : str, optional
        The table's name, for messages.

    Returns
    -------
    (polars.Series, polars.Series or None)
        The returns, sorted by ``ts`` when there is one, and the timestamps (None when the table has
        no temporal ``ts`` column).

    Raises
    ------
    InputError
        ``column`` or a ``where`` column is missing.
    DataError
        No row is left after ``where``, or a timestamp repeats (several series in one table): the
        message names the key columns and their values to pick one with ``where``.
    """
    import polars as pl

    from trade2026.core import to_polars

    df = to_polars(frame)[0]
    name = repr(table) if table else "the returns table"
    if column not in df.columns:
        msg = f"{name} has no column {column!r}; columns: {', '.join(df.columns)}"
        raise InputError(msg, option="column")
    for key, value in (where or {}).items():
        if key not in df.columns:
            msg = f"{name} has no column {key!r} to select on; columns: {', '.join(df.columns)}"
            raise InputError(msg, option="where")
        df = df.filter(pl.col(key).cast(pl.String) == str(value))
    if where and df.height == 0:
        picked = ", ".join(f"{k}={v}" for k, v in where.items())
        msg = f"no row of {name} has {picked}"
        raise DataError(msg, option="where")
    if "ts" not in df.columns:
        return df[column], None
    if df["ts"].n_unique() < df.height:
        keys = _series_keys(df, column)
        if keys:
            shown = "; ".join(
                f"{k}: {', '.join(map(str, sorted(df[k].unique().drop_nulls().cast(pl.String).to_list())[:6]))}"
                for k in keys
            )
            example = ", ".join(f"{k}={v}" for k, v in _picking(df, keys).items())
            msg = (
                f"{name} holds several series (timestamps repeat across its key column(s) {', '.join(keys)}: "
                f"{shown}); pick one with where={{{example}}}"
            )
        else:
            msg = f"{name} repeats timestamps with no key column telling the rows apart; deduplicate it first"
        raise DataError(msg, option="where")
    df = df.sort("ts")
    return df[column], df["ts"] if df.schema["ts"].is_temporal() else None
