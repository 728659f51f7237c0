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
_FILES_KEYS = {"kind", "path", "table", "columns", "symbol", "tz", "date_format", "delimiter", "encoding"}
_YF_KEYS = {"kind", "symbols", "start", "end", "interval", "table"}


def load_recipe(path: str | Path) -> dict[str, Any]:
    """Read and check a recipe; raise ConfigError naming the bad field."""
    p = Path(path)
    if not p.exists():
        raise NotFoundError(f"recipe {p} does not exist; recipes live in datasets/*.toml")
    try:
        with p.open("rb") as fh:
            recipe = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc})") from exc
    sources = recipe.get("sources")
    if not isinstance(sources, list) or not sources:
        raise ConfigError(f"{p}: a recipe needs at least one [[sources]] table")
    from trade2026.datasets._sample import SampleSpec

    sample_keys = {f.name for f in fields(SampleSpec)} - {"sectors"} | {"kind"}
    for i, src in enumerate(sources, 1):
        kind = src.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"{p}: source {i} has kind {kind!r}; use one of {', '.join(KINDS)}")
        allowed = {"sample": sample_keys, "files": _FILES_KEYS, "yfinance": _YF_KEYS}[kind]
        unknown = set(src) - allowed
        if unknown:
            raise ConfigError(
                f"{p}: source {i} ({kind}) has unknown field(s) {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(sorted(allowed))}"
            )
        if kind == "files" and "path" not in src:
            raise ConfigError(f"{p}: source {i} (files) needs path = ...")
        if kind == "yfinance" and not src.get("symbols"):
            raise ConfigError(f"{p}: source {i} (yfinance) needs symbols = [...]")
    recipe["_dir"] = str(p.resolve().parent)
    recipe.setdefault("name", p.stem)
    return recipe


def build_recipe(lake: Any, recipe: dict[str, Any] | str | Path, *, force: bool = False) -> list[dict[str, Any]]:
    """Materialise a recipe into the lake; returns one row per table written.

    ``force`` lets a sample source replace tables that hold other data (see ``write_sample``).
    """
    from trade2026.datasets._sample import SampleSpec, generate, write_sample
    from trade2026.lake._ingest import IngestOptions, read_files, write_ticks
    from trade2026.lake._schema import BAR_KEYS, table_kind

    if not isinstance(recipe, dict):
        recipe = load_recipe(recipe)
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
