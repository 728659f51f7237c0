"""Dataset recipes: TOML files under ``datasets/`` that say what to build into the lake.

A recipe has a name, a description and one or more ``[[sources]]``::

    name = "sample"
    description = "The built-in synthetic universe"

    [[sources]]
    kind = "sample"          # the generator: symbols, years, seed, start, intraday_symbols, ...
    symbols = 60

    [[sources]]
    kind = "files"           # CSV/Parquet files or folders, paths relative to the recipe
    path = "prices/"
    table = "bars_1d"
    columns = { ts = "Date", close = "Adj Close" }   # optional mapping; also symbol/tz/date_format/delimiter

    [[sources]]
    kind = "yfinance"        # needs the yfinance extra and a network connection
    symbols = ["SPY", "QQQ"]
    start = "2015-01-01"
    table = "bars_1d"

Every source is read and validated before anything is written, so a bad source leaves the lake
as it was.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from trade2026.errors import ConfigError, NotFoundError

KINDS = ("sample", "files", "yfinance")


def _is_text(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_mapping(v: Any) -> bool:
    return isinstance(v, dict) and all(isinstance(k, str) and isinstance(x, str) for k, x in v.items())


def _is_symbols(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, str) and x for x in v)


def _is_date(v: Any) -> bool:
    import datetime as dt

    if isinstance(v, dt.date):
        return True
    try:
        dt.date.fromisoformat(v) if isinstance(v, str) else None
    except ValueError:
        return False
    return isinstance(v, str)


def _is_zone(v: Any) -> bool:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(v)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return True


def _is_codec(v: Any) -> bool:
    import codecs

    try:
        codecs.lookup(v)
    except (LookupError, TypeError):
        return False
    return True


def _is_table(v: Any) -> bool:
    from trade2026.lake._schema import TABLE_NAME, table_kind

    return isinstance(v, str) and bool(TABLE_NAME.match(v)) and table_kind(v) != "generic"


# The schema of a recipe's sources: per kind, field -> (check, what a valid value is).
Schema = dict[str, tuple[Any, str]]
_KIND: Schema = {"kind": (_is_text, "sample, files or yfinance")}
_FILES: Schema = {
    **_KIND,
    "path": (lambda v: _is_text(v) and bool(v), "a file or folder path (text)"),
    "table": (_is_table, "a bars_* or ticks table name"),
    "columns": (_is_mapping, 'a table of canonical = "source column" names'),
    "symbol": (lambda v: _is_text(v) and bool(v), "a symbol (text)"),
    "tz": (_is_zone, "an IANA time zone such as UTC or America/New_York"),
    "date_format": (_is_text, 'a strftime format such as "%d/%m/%Y"'),
    "delimiter": (lambda v: _is_text(v) and len(v) == 1, "one character, e.g. ';'"),
    "encoding": (_is_codec, "a text encoding such as utf-8 or latin-1"),
}
_YF: Schema = {
    **_KIND,
    "symbols": (_is_symbols, 'a non-empty list of symbols, e.g. ["SPY"]'),
    "start": (_is_date, "a date (YYYY-MM-DD)"),
    "end": (_is_date, "a date (YYYY-MM-DD)"),
    "interval": (_is_text, "a yfinance interval such as 1d"),
    "table": (_is_table, "a bars_* table name"),
}
_FILES_KEYS = set(_FILES)
_YF_KEYS = set(_YF)


def _sample_schema() -> Schema:
    from trade2026.datasets._sample import SampleSpec

    out: Schema = dict(_KIND)
    for f in fields(SampleSpec):
        if f.name == "sectors":
            continue
        if isinstance(f.default, str):
            out[f.name] = (_is_date, "a date (YYYY-MM-DD)") if f.name == "start" else (_is_text, "text")
        else:
            out[f.name] = (_is_int, "a whole number")
    return out


def _check_source(where: str, src: Any, i: int) -> None:
    """One source against its kind's schema: known fields, each of the right type and value."""
    if not isinstance(src, dict):
        raise ConfigError(f"{where}: source {i} is {src!r}, not a [[sources]] table")
    kind = src.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}: source {i} has kind {kind!r}; use one of {', '.join(KINDS)}")
    schema = {"sample": _sample_schema, "files": lambda: _FILES, "yfinance": lambda: _YF}[kind]()
    unknown = set(src) - set(schema)
    if unknown:
        raise ConfigError(
            f"{where}: source {i} ({kind}) has unknown field(s) {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(schema))}"
        )
    for key, value in src.items():
        ok, want = schema[key]
        if not ok(value):
            raise ConfigError(f"{where}: source {i} ({kind}) field {key} = {value!r} is not {want}")
    if kind == "files" and "path" not in src:
        raise ConfigError(f"{where}: source {i} (files) needs path = ...")
    if kind == "yfinance" and not src.get("symbols"):
        raise ConfigError(f"{where}: source {i} (yfinance) needs symbols = [...]")


def load_recipe(path: str | Path) -> dict[str, Any]:
    """Read and check a recipe; raise ConfigError naming the bad field."""
    p = Path(path)
    if not p.exists():
        raise NotFoundError(f"recipe {p} does not exist; recipes live in datasets/*.toml")
    if not p.is_file():
        raise ConfigError(f"recipe {p} is a directory; give a recipe file such as {p / 'sample.toml'}")
    try:
        with p.open("rb") as fh:
            recipe = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc})") from exc
    check_recipe(recipe, str(p))
    recipe["_dir"] = str(p.resolve().parent)
    recipe.setdefault("name", p.stem)
    return recipe


def check_recipe(recipe: dict[str, Any], where: str = "recipe") -> None:
    """Check a parsed recipe against the schema (top-level fields and every source); ConfigError naming
    the bad field otherwise. :func:`load_recipe` and :func:`build_recipe` run it."""
    for key in ("name", "description"):
        if key in recipe and not isinstance(recipe[key], str):
            raise ConfigError(f"{where}: {key} = {recipe[key]!r} is not text")
    unknown = set(recipe) - {"name", "description", "sources", "_dir"}
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(sorted(unknown))}; allowed: name, description, sources"
        )
    sources = recipe.get("sources")
    if not isinstance(sources, list) or not sources:
        raise ConfigError(f"{where}: a recipe needs at least one [[sources]] table")
    for i, src in enumerate(sources, 1):
        _check_source(where, src, i)


def build_recipe(lake: Any, recipe: dict[str, Any] | str | Path, *, force: bool = False) -> list[dict[str, Any]]:
    """Materialise a recipe into the lake; returns one row per table written.

    ``force`` lets a sample source replace tables that hold other data (see ``write_sample``).
    """
    from trade2026.datasets._sample import SampleSpec, generate, write_sample
    from trade2026.lake._ingest import IngestOptions, read_files, write_ticks
    from trade2026.lake._schema import BAR_KEYS, table_kind

    if not isinstance(recipe, dict):
        recipe = load_recipe(recipe)
    else:
        check_recipe(recipe)
    base = Path(recipe.get("_dir", "."))
    staged: list[tuple[str, str, Any]] = []  # (kind, table, frame or SampleData)
    for src in recipe["sources"]:
        kind = src["kind"]
        if kind == "sample":
            spec = SampleSpec(**{k: v for k, v in src.items() if k != "kind"})
            staged.append(("sample", "", generate(spec)))
        elif kind == "files":
            table = src.get("table", "bars_1d")
            tkind = table_kind(table)
            if tkind == "generic":
                raise ConfigError(f"files source: table {table!r} must be a bars_* or ticks table")
            path = Path(src["path"])
            path = path if path.is_absolute() else base / path
            opts = IngestOptions(
                columns=src.get("columns", {}),
                symbol=src.get("symbol"),
                tz=src.get("tz", "UTC"),
                date_format=src.get("date_format"),
                delimiter=src.get("delimiter", ","),
                encoding=src.get("encoding", "utf-8"),
            )
            staged.append((tkind, table, read_files([path], kind=tkind, options=opts)))
        else:
            from trade2026.datasets._yfinance import fetch_yfinance
            from trade2026.lake._schema import validate_bars

            df = fetch_yfinance(
                src["symbols"], start=src.get("start"), end=src.get("end"), interval=src.get("interval", "1d")
            )
            validate_bars(df)
            staged.append(("bars", src.get("table", "bars_1d"), df))
    if not force:
        from trade2026.datasets._sample import check_sample_targets

        # Every check before the first write: the lake as it is, and what earlier sources of this
        # recipe will have written by the time a sample source replaces its tables.
        earlier: dict[str, int] = {}
        for i, (kind, table, payload) in enumerate(staged, start=1):
            if kind == "sample":
                check_sample_targets(lake, payload)
                clash = sorted(t for t in payload.tables() if t in earlier)
                if clash:
                    where = ", ".join(f"{t} (source {earlier[t]})" for t in clash)
                    msg = (
                        f"source {i} (sample) would replace {where} written earlier by this recipe; "
                        "put the sample source first, or force it"
                    )
                    raise ConfigError(msg, option="force")
            else:
                earlier.setdefault(table, i)
    rows: list[dict[str, Any]] = []
    for kind, table, payload in staged:
        if kind == "sample":
            for name, info in write_sample(lake, payload, force=force).items():
                rows.append({"table": name, "source": "sample", "rows": info["rows"], "version": info["version"]})
        elif kind == "bars":
            res = lake.write(table, payload, mode="merge", keys=list(BAR_KEYS))
            rows.append(
                {
                    "table": table,
                    "source": "bars",
                    "rows": payload.height,
                    "inserted": res.inserted,
                    "updated": res.updated,
                    "version": res.version,
                }
            )
        else:
            res = write_ticks(lake, payload, table=table)
            rows.append(
                {
                    "table": table,
                    "source": "ticks",
                    "rows": payload.height,
                    "inserted": res.inserted,
                    "version": res.version,
                }
            )
    return rows
