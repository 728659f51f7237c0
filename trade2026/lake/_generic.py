"""Ingest files into generic tables (signals, return series, factor returns) merged on their keys.

Bars and ticks have canonical schemas (:mod:`trade2026.lake._ingest`); every other table is a set
of key columns and value columns. A *kind* names the usual keys:

==========  ==============  ==================================================================
kind        keys            what it is for
==========  ==============  ==================================================================
signals     symbol, ts      ``t26 backtest signal:COLUMN --signal-table T``, ``metalabel --table``
returns     ts              ``t26 sim mc --returns-table T`` (a numeric ``return`` column)
factors     ts              ``t26 factors regress --factors-table T`` (one column per factor)
==========  ==============  ==================================================================

Explicit ``keys`` (e.g. ``("method", "ts")`` for a long table of several return series) replace
the kind's. A ``ts`` key is parsed like the bars' timestamps (time zone, date format, epoch); other
keys are text. A value column written as text becomes a number when every value reads as one (with
the file's decimal mark), and stays text otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trade2026.errors import DataError, InputError

if TYPE_CHECKING:
    import polars as pl

    from trade2026.lake._ingest import IngestOptions

KINDS: dict[str, tuple[str, ...]] = {"signals": ("symbol", "ts"), "returns": ("ts",), "factors": ("ts",)}


def table_keys(table: str, kind: str | None, keys: Sequence[str] | None) -> tuple[str, ...]:
    """The key columns of a generic table from ``keys`` or the ``kind`` (see :data:`KINDS`)."""
    if kind is not None and kind not in KINDS:
        msg = f"unknown table kind {kind!r}; use {', '.join(KINDS)} (or give keys)"
        raise InputError(msg, option="kind")
    if keys:
        out = tuple(k.strip() for k in keys if k.strip())
        if len(set(out)) != len(out):
            msg = f"keys repeat a column: {', '.join(out)}"
            raise InputError(msg, option="keys")
        return out
    if kind is None:
        msg = (
            f"{table!r} is neither a bars_* nor a ticks* table: say what it holds with kind "
            f"({', '.join(KINDS)}) or name its key columns with keys (e.g. symbol,ts)"
        )
        raise InputError(msg, option="kind")
    return KINDS[kind]


def _aliased(df: pl.DataFrame, keys: Sequence[str], opts: IngestOptions, name: str) -> pl.DataFrame:
    """Apply the explicit mapping (FIELD=SOURCE, any field), then the usual aliases of the keys."""
    from trade2026.lake._ingest import ALIASES

    renames: dict[str, str] = {}
    for canon, src in opts.columns.items():
        if src not in df.columns:
            found = ", ".join(c for c in df.columns if not c.startswith("_"))
            msg = f"{name}: the column mapping {canon}={src} names no column {src!r}; found: {found}"
            raise DataError(msg, option="columns")
        renames[src] = canon
    lower = {c.lower().strip(): c for c in df.columns if not c.startswith("_") and c not in renames}
    for key in keys:
        if key in renames.values() or key in df.columns:
            continue
        for alias in ALIASES.get(key, (key,)):
            if alias in lower:
                renames[lower[alias]] = key
                break
    return df.rename(renames)


def _values(df: pl.DataFrame, keys: Sequence[str], opts: IngestOptions) -> pl.DataFrame:
    """Text value columns whose every non-empty value is a number become Float64."""
    import polars as pl

    from trade2026.lake._ingest import _text_numbers

    for c in df.columns:
        if c in keys or c.startswith("_") or df.schema[c] != pl.String:
            continue
        try:
            conv = _text_numbers(df, c, opts)
        except DataError:
            continue  # commas that are no numbers: a text column
        filled = pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "")
        if df.filter(filled).height and df.filter(filled & conv.is_null()).height == 0:
            df = df.with_columns(conv.alias(c))
    return df


def read_table_files(
    files: Sequence[Path], *, keys: Sequence[str], kind: str | None, options: IngestOptions
) -> pl.DataFrame:
    """Read, map and type files for a generic table; the frame keeps ``_source`` and ``_line``."""
    import polars as pl

    from trade2026.lake._ingest import _read_file, parse_timestamps

    frames = []
    for path in files:
        name = str(path)
        df = _aliased(_read_file(path, options), keys, options, name)
        if options.symbol is not None and "symbol" in keys:
            df = df.with_columns(pl.lit(options.symbol).alias("symbol"))
        missing = [k for k in keys if k not in df.columns]
        if missing:
            found = ", ".join(c for c in df.columns if not c.startswith("_"))
            msg = f"{name}: missing key column(s) {', '.join(missing)}; found: {found}; map them (FIELD=SOURCE_COLUMN)"
            raise DataError(msg, option="columns")
        if "ts" in keys:
            df = parse_timestamps(df, options, name)
        df = df.with_columns([pl.col(k).cast(pl.String) for k in keys if k != "ts"])
        frames.append(_values(df, keys, options))
    df = pl.concat(frames, how="diagonal_relaxed")
    values = [c for c in df.columns if c not in keys and not c.startswith("_")]
    numeric = [c for c in values if df.schema[c].is_numeric()]
    if not values:
        msg = f"the files hold only the key column(s) {', '.join(keys)}; a table needs value columns"
        raise DataError(msg)
    if kind == "returns" and "return" not in numeric:
        msg = "a returns table needs a numeric 'return' column of simple returns; map it (return=SOURCE_COLUMN)"
        raise DataError(msg, option="columns")
    if kind in ("factors", "signals") and not numeric:
        msg = f"a {kind} table needs numeric value columns; found only text: {', '.join(values)}"
        raise DataError(msg)
    return df.select(*keys, *values, "_source", "_line")


def ingest_table(
    lake: Any, files: Sequence[Path], *, table: str, keys: Sequence[str], kind: str | None, options: IngestOptions
) -> Any:
    """Read ``files`` and merge them into the generic ``table`` on ``keys`` (see the module docstring)."""
    import polars as pl

    from trade2026.lake._ingest import IngestResult

    df = read_table_files(files, keys=keys, kind=kind, options=options)
    dup = df.filter(pl.struct(list(keys)).is_duplicated())
    if dup.height:
        shown = "; ".join(f"{r['_source']} line {r['_line']}" for r in dup.head(4).iter_rows(named=True))
        msg = f"{dup.height} rows repeat a key ({', '.join(keys)}): {shown}; deduplicate them or add a key column"
        raise DataError(msg, option="keys")
    nulls = df.filter(pl.any_horizontal([pl.col(k).is_null() for k in keys]))
    if nulls.height:
        r = nulls.row(0, named=True)
        msg = f"{r['_source']} line {r['_line']}: a key column ({', '.join(keys)}) is empty"
        raise DataError(msg, option="keys")
    df = df.drop("_source", "_line").sort(list(keys))
    res = lake.write(table, df, mode="merge", keys=list(keys), check_keys=False)  # checked above
    return IngestResult(table, len(files), df.height, res.inserted, res.updated, 0, res.version)
