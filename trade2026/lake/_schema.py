"""Canonical table schemas and the validation every write goes through."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from trade2026.errors import DataError

if TYPE_CHECKING:
    import polars as pl

TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PRICE_COLUMNS = ("open", "high", "low", "close")
BAR_COLUMNS = ("symbol", "ts", "open", "high", "low", "close", "volume")
BAR_KEYS = ("symbol", "ts")
TICK_COLUMNS = ("symbol", "ts", "price", "size", "side")
MAX_SHOWN = 5


def check_table_name(name: str) -> str:
    if not isinstance(name, str) or not TABLE_NAME.match(name):
        msg = (
            f"invalid table name {name!r}: names are SQL identifiers, lower case letters, digits "
            "and underscores starting with a letter (e.g. bars_1d)"
        )
        raise DataError(msg)
    return name


def table_kind(name: str) -> str:
    """'bars' for bars_* tables, 'ticks' for ticks*, else 'generic'."""
    if name.startswith("bars"):
        return "bars"
    if name.startswith("ticks"):
        return "ticks"
    return "generic"


def check_target_kind(name: str, kind: str, columns: list[str] | None = None) -> None:
    """Refuse to write ``kind`` rows ('bars' or 'ticks') into a table of another kind.

    ``name`` must be a table of that kind by name (``bars_*``, ``ticks*``, see :func:`table_kind`);
    ``columns``, the existing table's columns when it exists, must not be another kind's (a bars
    table has no ``price``, a ticks table no ``open``). Raises DataError naming ``target``.
    """
    have = table_kind(name)
    if have != kind:
        what = f"a {have} table" if have != "generic" else "not a bars or ticks table"
        hint = "bars_1m, bars_dollar, ..." if kind == "bars" else "ticks"
        msg = f"table {name!r} is {what}; {kind} are written only to {kind} tables (name one like {hint})"
        raise DataError(msg, option="target")
    if columns is not None:
        foreign = {"bars": "price", "ticks": "open"}[kind]
        needed = BAR_COLUMNS if kind == "bars" else TICK_COLUMNS[:4]
        if foreign in columns or any(c not in columns for c in needed):
            msg = (
                f"table {name!r} exists with columns {', '.join(columns)}, which are not a {kind} table's "
                f"({', '.join(needed)}); write the {kind} to another table"
            )
            raise DataError(msg, option="target")


def _describe(rec: dict[str, Any]) -> str:
    where = rec.pop("_source", None)
    line = rec.pop("_line", None)
    body = ", ".join(f"{k}={_short(v)}" for k, v in rec.items())
    if where is not None:
        where = f"{where} line {line}" if line is not None else str(where)
        return f"{where}: {body}"
    return body


def _check_all(df: pl.DataFrame, checks: list[tuple[pl.Expr, str, str]], show: list[str]) -> None:
    """Evaluate every check's mask in one pass; report the first failing check's rows."""
    import polars as pl

    if not checks:
        return
    counts = df.select([m.fill_null(False).sum().alias(f"c{i}") for i, (m, _, _) in enumerate(checks)]).row(0)
    for (mask, what, fix), n in zip(checks, counts, strict=True):
        if n:
            cols = [c for c in ("_source", "_line", *show) if c in df.columns]
            bad = df.filter(mask.fill_null(False)).head(MAX_SHOWN).select(cols)
            rows = [_describe(rec) for rec in bad.iter_rows(named=True)]
            msg = f"{n} row(s) {what}; {fix}. First offending rows:\n" + "\n".join(rows)
            del pl
            raise DataError(msg)


def _where(df: pl.DataFrame, mask: pl.Expr, what: str, fix: str, show: list[str]) -> None:
    _check_all(df, [(mask, what, fix)], show)


def _short(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value) if isinstance(value, str) else str(value)


def require_columns(df: pl.DataFrame, required: tuple[str, ...], *, hint: str = "") -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        found = ", ".join(c for c in df.columns if not c.startswith("_")) or "(none)"
        msg = f"missing required column(s) {', '.join(missing)}; found: {found}"
        if hint:
            msg += f"; {hint}"
        raise DataError(msg)


def check_keys(df: pl.DataFrame, keys: tuple[str, ...] | list[str]) -> None:
    """No null keys, no duplicate keys within the frame (one pass over the data)."""
    import polars as pl

    keys = list(keys)
    require_columns(df, tuple(keys))
    null_mask = pl.any_horizontal([pl.col(k).is_null() for k in keys])
    for k in keys:
        if df.schema[k].is_float():
            null_mask = null_mask | pl.col(k).is_nan()
    # Duplicates of the last keys within each value of the first: exact, and much faster than a
    # struct over all keys (no hashing of composite values across the whole frame).
    if len(keys) == 1:
        dup = pl.col(keys[0]).is_duplicated()
    else:
        rest = pl.col(keys[1]) if len(keys) == 2 else pl.struct(keys[1:])
        dup = rest.is_duplicated().over(keys[0])
    names = ", ".join(keys)
    _check_all(
        df,
        [
            (null_mask, f"have a missing key ({names})", "fill or drop them"),
            (
                dup,
                f"share a key ({names}) with another row of the input",
                "drop the duplicates so each key appears once",
            ),
        ],
        keys,
    )


# Sanity bounds: no traded instrument is priced above 1e12, and timestamps outside 1800-2200 are a
# unit or format mistake (epoch milliseconds read as seconds land in the year 50,000).
MAX_PRICE = 1e12
MIN_TS = dt.datetime(1800, 1, 1, tzinfo=dt.UTC)
MAX_TS = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def _ts_range_check() -> tuple[pl.Expr, str, str]:
    import polars as pl

    ts = pl.col("ts").cast(pl.Datetime("us", "UTC"))
    return (
        (ts < MIN_TS) | (ts >= MAX_TS),
        "have a timestamp outside 1800-2200",
        "check the date format (epoch_s vs epoch_ms vs epoch_us) and the time zone",
    )


def validate_bars(df: pl.DataFrame) -> None:
    """Validate a frame in the canonical bars schema; raise DataError naming offending rows."""
    import polars as pl

    require_columns(df, BAR_COLUMNS)
    check_keys(df, BAR_KEYS)
    show = list(BAR_COLUMNS)
    checks = [
        (pl.col(c).is_null() | pl.col(c).is_nan(), f"have a missing {c}", "fill or drop them")
        for c in (*PRICE_COLUMNS, "volume")
    ]
    mapping = "fix the source (or check the column mapping)"
    checks += [
        (
            pl.any_horizontal([pl.col(c).is_infinite() for c in (*PRICE_COLUMNS, "volume")]),
            "have an infinite price or volume",
            "prices and volumes must be finite numbers",
        ),
        (pl.min_horizontal(*PRICE_COLUMNS) <= 0, "have a price <= 0", "prices must be positive"),
        (
            pl.max_horizontal(*PRICE_COLUMNS) > MAX_PRICE,
            f"have a price above {MAX_PRICE:.0e}",
            "check the units and the column mapping (such prices overflow the statistics)",
        ),
        (pl.col("volume") < 0, "have a negative volume", "volume must be >= 0"),
        _ts_range_check(),
        (pl.col("high") < pl.max_horizontal("open", "close"), "have high < max(open, close)", mapping),
        (pl.col("low") > pl.min_horizontal("open", "close"), "have low > min(open, close)", mapping),
    ]
    _check_all(df, checks, show)


def validate_ticks(df: pl.DataFrame) -> None:
    import polars as pl

    require_columns(df, TICK_COLUMNS)
    show = list(TICK_COLUMNS)
    checks = [(pl.col(k).is_null(), f"have a missing {k}", "fill or drop them") for k in ("symbol", "ts")]
    checks += [
        (
            pl.col("price").is_null() | pl.col("price").is_nan() | pl.col("size").is_null() | pl.col("size").is_nan(),
            "have a missing price or size",
            "fill or drop them",
        ),
        (
            pl.col("price").is_infinite() | pl.col("size").is_infinite(),
            "have an infinite price or size",
            "prices and sizes must be finite numbers",
        ),
        (pl.col("price") <= 0, "have a price <= 0", "prices must be positive"),
        (
            pl.col("price") > MAX_PRICE,
            f"have a price above {MAX_PRICE:.0e}",
            "check the units and the column mapping",
        ),
        (pl.col("size") < 0, "have a negative size", "sizes must be >= 0"),
        _ts_range_check(),
        (~pl.col("side").is_in([-1, 0, 1]), "have a side outside {-1, 0, 1}", "use +1 buy, -1 sell, 0 unknown"),
    ]
    _check_all(df, checks, show)


def to_bars_schema(df: pl.DataFrame) -> pl.DataFrame:
    """Cast the canonical bar columns to their types; keep extra columns after them."""
    import polars as pl

    casts = [pl.col("symbol").cast(pl.String), pl.col("ts").cast(pl.Datetime("us", "UTC"))]
    casts += [pl.col(c).cast(pl.Float64) for c in (*PRICE_COLUMNS, "volume")]
    extra = [c for c in df.columns if c not in BAR_COLUMNS and not c.startswith("_")]
    return df.select(*casts, *extra, *[c for c in df.columns if c.startswith("_")])


def to_ticks_schema(df: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    out = df.select(
        pl.col("symbol").cast(pl.String),
        pl.col("ts").cast(pl.Datetime("us", "UTC")),
        pl.col("price").cast(pl.Float64),
        pl.col("size").cast(pl.Float64),
        pl.col("side").cast(pl.Int8),
        *[c for c in df.columns if c.startswith("_")],
    )
    return out.with_columns(pl.col("ts").dt.date().alias("date"))
