"""Ingest CSV and Parquet files into the lake: map columns, parse times, validate, merge."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from trade2026.errors import DataError, InputError, NotFoundError
from trade2026.lake._schema import (
    BAR_COLUMNS,
    BAR_KEYS,
    TICK_COLUMNS,
    check_table_name,
    table_kind,
    to_bars_schema,
    to_ticks_schema,
    validate_bars,
    validate_ticks,
)

if TYPE_CHECKING:
    import polars as pl

    from trade2026.lake._lake import Lake

# Source column names recognised without a mapping (compared case-insensitively).
ALIASES: dict[str, tuple[str, ...]] = {
    "symbol": ("symbol", "ticker", "sym", "code"),
    "ts": ("ts", "timestamp", "datetime", "date", "time"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c", "last"),
    "volume": ("volume", "vol", "v"),
    "adj_close": ("adj close", "adj_close", "adjclose", "adjusted close", "adjusted_close"),
    "price": ("price", "px", "trade_price"),
    "size": ("size", "qty", "quantity", "amount"),
    "side": ("side", "aggressor"),
}


@dataclass(frozen=True)
class IngestOptions:
    """How to read source files.

    ``columns`` maps canonical names to source names (``{"ts": "Date", "close": "Adj Close"}``);
    ``symbol`` sets the symbol for single-symbol files; ``tz`` is the zone of naive timestamps;
    ``date_format`` is a strftime format, or ``epoch_s`` / ``epoch_ms`` / ``epoch_us``; ``decimal`` is
    the decimal mark of numbers written as text: ``"."`` (commas may group thousands, ``1,234.5``) or
    ``","`` (``1.234,5``; dots group thousands). A comma that is not a valid thousands group under
    ``"."`` (``10,5``), or any comma in a file not delimited by commas, is ambiguous and an error.
    ``adjust`` (bars) reads an adjusted close (``Adj Close``, or ``adj_close`` mapped) and stores it as
    ``close``, scaling ``open``, ``high`` and ``low`` by ``adj_close / close`` on each row (dividends
    and splits adjusted as Yahoo Finance's ``auto_adjust`` does; ``volume`` is left as reported).
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    symbol: str | None = None
    tz: str = "UTC"
    date_format: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    adjust: bool = False


@dataclass(frozen=True)
class IngestResult:
    table: str
    files: int
    rows: int
    inserted: int
    updated: int
    replaced: int
    version: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".gz", ".bz2", ".xz")
_COMPRESSED = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz"}


def _decompressed(path: Path, raw: bytes) -> bytes:
    """The bytes of a gzip, bz2 or xz file decompressed (other bytes as they are); a zip archive or
    a damaged compressed file is a DataError saying so (not a text-encoding problem)."""
    import bz2
    import gzip
    import lzma

    if raw[:4] == b"PK\x03\x04":
        msg = f"{path}: is a zip archive; extract it and ingest the CSV files inside"
        raise DataError(msg)
    for magic, kind in _COMPRESSED.items():
        if raw.startswith(magic):
            try:
                return {"gzip": gzip.decompress, "bz2": bz2.decompress, "xz": lzma.decompress}[kind](raw)
            except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:
                msg = f"{path}: is {kind}-compressed but cannot be decompressed ({exc}); the file is damaged"
                raise DataError(msg) from None
    return raw


def _read_csv(path: Path, opts: IngestOptions) -> pl.DataFrame:
    import polars as pl

    raw = _decompressed(path, path.read_bytes())
    if not raw.strip():
        msg = f"{path}: the file is empty; a header row and at least one data row are needed"
        raise DataError(msg)
    try:
        text = raw.decode(opts.encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        msg = (
            f"{path}: line {line} is not valid {opts.encoding} (byte {raw[exc.start]:#x}); "
            "re-save the file as UTF-8 or set its encoding (e.g. latin-1)"
        )
        raise DataError(msg, option="encoding") from exc
    except LookupError as exc:
        raise InputError(f"unknown encoding {opts.encoding!r}; use e.g. utf-8 or latin-1", option="encoding") from exc
    try:
        df = pl.read_csv(
            io.StringIO(text),
            separator=opts.delimiter,
            # With decimal commas every value is text first: "1.200" is 1200 there, not 1.2.
            infer_schema_length=0 if opts.decimal == "," else 10000,
            try_parse_dates=False,
        )
    except pl.exceptions.NoDataError as exc:
        raise DataError(f"{path}: the file has no data rows") from exc
    except pl.exceptions.PolarsError as exc:
        msg = f"{path}: cannot parse as CSV with delimiter {opts.delimiter!r} ({str(exc).splitlines()[0]})"
        raise DataError(msg) from exc
    if df.width == 1:
        header = df.columns[0]
        for sep in (";", "\t", "|", ","):
            if sep != opts.delimiter and sep in header:
                shown = "\\t" if sep == "\t" else sep
                msg = (
                    f"{path}: found one column named {header!r}; the file looks {shown!r}-delimited: "
                    f"set the delimiter to '{shown}'"
                )
                raise DataError(msg, option="delimiter")
    if df.height == 0:
        raise DataError(f"{path}: the file has a header but no data rows")
    return df


def _read_file(path: Path, opts: IngestOptions) -> pl.DataFrame:
    import polars as pl

    if not path.exists():
        raise NotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            df = pl.read_parquet(path)
        except Exception as exc:
            raise DataError(f"{path}: cannot read as Parquet ({exc})") from exc
        if df.height == 0:
            raise DataError(f"{path}: the file has no rows")
        line_offset = 0
    elif suffix in TEXT_SUFFIXES:
        if suffix == ".tsv" and opts.delimiter == ",":
            opts = IngestOptions(**{**asdict(opts), "delimiter": "\t"})
        df = _read_csv(path, opts)
        line_offset = 2  # header line, 1-based
    else:
        msg = (
            f"{path}: unsupported file type {suffix!r}; ingest reads .csv/.tsv/.txt (also gzip/bz2/xz-compressed) "
            "and .parquet"
        )
        raise DataError(msg)
    # Where each row came from, for error messages: the file name (categorical, so one string per
    # file) and the 1-based line (CSV, after the header) or row (Parquet).
    return df.with_columns(
        pl.lit(path.name).cast(pl.Categorical).alias("_source"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + (line_offset or 1)).alias("_line"),
    )


def _expand(paths: Sequence[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        path = Path(p).expanduser()
        if path.is_dir():
            found = sorted(
                f
                for f in path.rglob("*")
                if f.suffix.lower() in (".csv", ".tsv", ".txt", ".gz", ".bz2", ".xz", ".parquet", ".pq")
            )
            if not found:
                raise DataError(f"{path}: the folder has no .csv or .parquet files")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise NotFoundError(f"{path}: no such file or folder")
    if not files:
        raise InputError("no input files given")
    return files


def _map_columns(df: pl.DataFrame, wanted: Sequence[str], opts: IngestOptions, name: str) -> pl.DataFrame:
    """Rename source columns to canonical names (explicit mapping first, then aliases)."""
    lower = {c.lower().strip(): c for c in df.columns if not c.startswith("_")}
    renames: dict[str, str] = {}
    for canon in wanted:
        if canon in opts.columns:
            src = opts.columns[canon]
            if src not in df.columns:
                found = ", ".join(c for c in df.columns if not c.startswith("_"))
                msg = f"{name}: the column mapping {canon}={src} names no column {src!r}; found: {found}"
                raise DataError(msg, option="columns")
            renames[src] = canon
            continue
        for alias in ALIASES.get(canon, (canon,)):
            if alias in lower and lower[alias] not in renames:
                renames[lower[alias]] = canon
                break
    unknown = set(opts.columns) - set(wanted)
    if unknown:
        msg = f"the column mapping names unknown field(s) {', '.join(sorted(unknown))}; fields: {', '.join(wanted)}"
        raise InputError(msg, option="columns")
    out = df.rename(renames)
    keep = [c for c in wanted if c in out.columns]
    return out.select(*keep, "_source", "_line")


def parse_timestamps(df: pl.DataFrame, opts: IngestOptions, name: str) -> pl.DataFrame:
    """Parse the ``ts`` column to ``timestamp[us, UTC]``; name the first unparseable values."""
    import polars as pl

    col = df.schema["ts"]
    ts = pl.col("ts")
    fmt = opts.date_format
    if fmt in ("epoch_s", "epoch_ms", "epoch_us"):
        units: dict[str, Literal["s", "ms", "us"]] = {"epoch_s": "s", "epoch_ms": "ms", "epoch_us": "us"}
        parsed = pl.from_epoch(ts.cast(pl.Int64, strict=False), time_unit=units[fmt]).dt.replace_time_zone("UTC")
    elif col == pl.Date:
        parsed = ts.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    elif isinstance(col, pl.Datetime):
        parsed = ts.dt.cast_time_unit("us")
        parsed = (
            parsed.dt.convert_time_zone("UTC")
            if col.time_zone
            else parsed.dt.replace_time_zone(opts.tz, ambiguous="earliest", non_existent="null").dt.convert_time_zone(
                "UTC"
            )
        )
    elif col == pl.String:
        s = ts.str.strip_chars()
        if fmt:
            naive = s.str.to_datetime(fmt, strict=False, time_unit="us")
        else:
            naive = pl.coalesce(
                s.str.to_datetime("%Y-%m-%d", strict=False, time_unit="us"),
                s.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"),
                s.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us"),
                s.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"),
                s.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us"),
                s.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us"),
                s.str.to_datetime("%Y%m%d", strict=False, time_unit="us"),
            )
            aware = s.str.to_datetime("%Y-%m-%dT%H:%M:%S%#z", strict=False, time_unit="us", time_zone="UTC")
            aware2 = s.str.to_datetime("%Y-%m-%d %H:%M:%S%#z", strict=False, time_unit="us", time_zone="UTC")
            localized = naive.dt.replace_time_zone(
                opts.tz, ambiguous="earliest", non_existent="null"
            ).dt.convert_time_zone("UTC")
            parsed = pl.coalesce(aware, aware2, localized)
        if fmt:
            parsed = naive.dt.replace_time_zone(
                opts.tz, ambiguous="earliest", non_existent="null"
            ).dt.convert_time_zone("UTC")
        # Date-only values are trading dates: keep them at midnight UTC whatever the zone.
        date_only = s.str.contains(r"^\d{4}-?\d{2}-?\d{2}$")
        midnight = s.str.to_datetime("%Y-%m-%d", strict=False, time_unit="us").dt.replace_time_zone("UTC")
        parsed = pl.when(date_only & midnight.is_not_null()).then(midnight).otherwise(parsed)
    else:
        msg = f"{name}: column ts has type {col}; for numbers set the date format to epoch_s, epoch_ms or epoch_us"
        raise DataError(msg, option="date_format")
    try:
        out = df.with_columns(parsed.alias("_ts_parsed"))
    except pl.exceptions.PolarsError as exc:
        msg = f"{name}: cannot parse timestamps ({str(exc).splitlines()[0]}); set the date format"
        raise DataError(msg, option="date_format") from exc
    bad = out.filter(pl.col("_ts_parsed").is_null())
    if bad.height:
        shown = "; ".join(
            f"{r['_source']} line {r['_line']}: {r['ts']!r}"
            for r in bad.head(5).select("_source", "_line", "ts").iter_rows(named=True)
        )
        hint = f" with format {fmt!r}" if fmt else ""
        msg = (
            f"{name}: {bad.height} timestamp(s) cannot be parsed{hint} ({shown}); "
            "set the date format (a strftime format such as '%d/%m/%Y') or fix the values"
        )
        raise DataError(msg, option="date_format")
    return out.drop("ts").rename({"_ts_parsed": "ts"})


_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?$"


def _text_numbers(df: pl.DataFrame, column: str, opts: IngestOptions) -> pl.Expr:
    """The expression parsing a text column of numbers with the file's decimal mark (see IngestOptions).

    Raises DataError on a comma it cannot read unambiguously, naming the column and the ``decimal`` option.
    """
    import polars as pl

    if opts.decimal not in (".", ","):
        msg = f"decimal must be '.' or ',', got {opts.decimal!r}"
        raise InputError(msg, option="decimal")
    text = pl.col(column).str.strip_chars()
    if opts.decimal == ",":
        return (
            text.str.replace_all(".", "", literal=True)
            .str.replace(",", ".", literal=True)
            .cast(pl.Float64, strict=False)
        )
    commas = df.filter(pl.col(column).str.contains(",", literal=True))
    if commas.height:
        odd = commas.filter(~pl.col(column).str.strip_chars().str.contains(_THOUSANDS))
        r = (odd if odd.height else commas).row(0, named=True)
        if odd.height or opts.delimiter != ",":
            why = (
                "is not a thousands grouping" if odd.height else f"is ambiguous in a {opts.delimiter!r}-delimited file"
            )
            msg = (
                f"{r['_source']} line {r['_line']}: {column}={r[column]!r} {why}; if commas are decimal marks "
                "set the decimal mark to ',' (dots then group thousands), otherwise fix the values"
            )
            raise DataError(msg, option="decimal")
    return text.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)


def read_files(
    paths: Sequence[str | Path], *, kind: str = "bars", options: IngestOptions | None = None
) -> pl.DataFrame:
    """Read, map, parse and validate files into a canonical bars or ticks frame (with ``_source``)."""
    import polars as pl

    opts = options or IngestOptions()
    wanted = list(BAR_COLUMNS if kind == "bars" else TICK_COLUMNS)
    if opts.adjust:
        if kind != "bars":
            msg = "adjust applies to bars (it scales open, high, low and close by adj_close / close)"
            raise InputError(msg, option="adjust")
        wanted.append("adj_close")
    frames = []
    for path in _expand(paths):
        df = _read_file(path, opts)
        df = _map_columns(df, wanted, opts, str(path))
        if opts.symbol is not None:
            if "symbol" in df.columns and "symbol" not in opts.columns:
                df = df.drop("symbol")
            df = df.with_columns(pl.lit(opts.symbol).alias("symbol"))
        if kind == "ticks" and "side" not in df.columns:
            df = df.with_columns(pl.lit(0).alias("side"))
        missing = [c for c in wanted if c not in df.columns]
        if missing == ["adj_close"]:
            msg = f"{path}: adjust needs an adjusted close column (Adj Close); map it with adj_close=SOURCE_COLUMN"
            raise DataError(msg, option="columns")
        if missing:
            hint = "map them to source columns (FIELD=SOURCE_COLUMN)"
            if "symbol" in missing:
                hint += ", or set the symbol of a single-symbol file"
            found = ", ".join(c for c in _read_file(path, opts).columns if not c.startswith("_"))
            msg = f"{path}: missing required column(s) {', '.join(missing)}; found: {found}; {hint}"
            raise DataError(msg, option="symbol" if missing == ["symbol"] else "columns")
        df = parse_timestamps(df, opts, str(path))
        df = df.select(*wanted, "_source", "_line")
        numeric = [c for c in wanted if c not in ("symbol", "ts")]
        for c in numeric:
            if df.schema[c] == pl.String:
                conv = _text_numbers(df, c, opts)
                bad = df.filter(conv.is_null() & pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != ""))
                if bad.height:
                    r = bad.row(0, named=True)
                    msg = (
                        f"{r['_source']} line {r['_line']}: {c}={r[c]!r} is not a number; fix the value or the mapping"
                    )
                    raise DataError(msg)
                df = df.with_columns(conv.alias(c))
        if opts.adjust:
            factor = pl.col("adj_close") / pl.col("close")
            df = df.with_columns([(pl.col(c) * factor).alias(c) for c in ("open", "high", "low")])
            df = df.with_columns(pl.col("adj_close").alias("close")).drop("adj_close")
        frames.append(df.with_columns(pl.col("symbol").cast(pl.String)))
    df = pl.concat(frames, how="vertical_relaxed")
    if kind == "bars":
        df = to_bars_schema(df)
        try:
            validate_bars(df)
        except DataError as exc:
            adjusted = opts.columns.get("close", "").lower().strip() in ALIASES["adj_close"]
            if not adjusted:
                raise
            msg = (
                f"{exc}\nclose is mapped to an adjusted close while open/high/low are not adjusted: "
                "set adjust instead of mapping close, to scale them by adj_close / close"
            )
            raise DataError(msg, option="adjust") from None
    else:
        df = to_ticks_schema(df)
        validate_ticks(df)
    return df


def ingest(
    lake: Lake,
    paths: Sequence[str | Path],
    *,
    table: str = "bars_1d",
    options: IngestOptions | None = None,
    kind: str | None = None,
    keys: Sequence[str] | None = None,
) -> IngestResult:
    """Ingest files into ``table``; nothing is written unless every file validates.

    Bars tables are merged on (symbol, ts): re-ingesting the same file changes nothing and a
    corrected file updates the rows that differ. Ticks tables have no unique key: the rows of each
    (symbol, date) present in the input replace what the table held for that symbol and date.
    Any other table is generic: ``kind`` (``signals``: keys symbol, ts; ``returns``: ts, with a
    numeric ``return``; ``factors``: ts, a column per factor) or explicit ``keys`` name its key
    columns, and rows merge on them (see :mod:`trade2026.lake._generic`).
    """
    check_table_name(table)
    if table_kind(table) == "generic":
        from trade2026.lake._generic import ingest_table, table_keys

        table_keys_ = table_keys(table, kind, keys)
        opts = options or IngestOptions()
        if opts.adjust:
            msg = "adjust applies to bars tables (bars_*), not to a generic table"
            raise InputError(msg, option="adjust")
        return ingest_table(lake, _expand(paths), table=table, keys=table_keys_, kind=kind, options=opts)
    if kind is not None or keys:
        msg = f"{table!r} is a {table_kind(table)} table with canonical keys; kind and keys are for other tables"
        raise InputError(msg, option="kind" if kind is not None else "keys")
    kind = table_kind(table)
    files = _expand(paths)
    df = read_files(files, kind=kind, options=options)
    if kind == "bars":
        res = lake.write(table, df, mode="merge", keys=list(BAR_KEYS), check_keys=False)  # validated above
        return IngestResult(table, len(files), df.height, res.inserted, res.updated, 0, res.version)
    return write_ticks(lake, df, table=table, files=len(files))


def write_ticks(lake: Lake, df: pl.DataFrame, *, table: str = "ticks", files: int = 0) -> IngestResult:
    """Replace each (symbol, date) of the input in a ticks table, partitioned by date."""
    import polars as pl

    if "date" not in df.columns:
        df = to_ticks_schema(df)
    df = df.select([c for c in df.columns if not c.startswith("_")]).sort("symbol", "ts")
    pairs = df.select("symbol", "date").unique().sort("symbol", "date")
    if not lake.exists(table):
        res = lake.write(table, df, mode="append", partition_by=["date"])
        return IngestResult(table, files, df.height, res.inserted, 0, 0, res.version)
    clauses = []
    for sym, dates in pairs.group_by("symbol", maintain_order=True).agg(pl.col("date")).iter_rows():
        quoted_sym = sym.replace("'", "''")
        ds = ", ".join(f"'{d.isoformat()}'" for d in dates)
        clauses.append(f"(symbol = '{quoted_sym}' AND date IN ({ds}))")
    res = lake.write(table, df, mode="overwrite", replace_where=" OR ".join(clauses))
    return IngestResult(table, files, df.height, res.inserted, 0, res.deleted, res.version)
