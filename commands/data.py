"""``t26 data``: build, ingest, inspect and maintain the lake's tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command, parse_date, split_list
from trade2026.errors import InputError

app = typer.Typer(help="Build, ingest, inspect and maintain the lake's tables.", no_args_is_help=True)


def _parse_map(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, src = item.partition("=")
        if not sep or not name.strip() or not src:
            msg = f"bad --map {item!r}; use FIELD=SOURCE_COLUMN, e.g. --map ts=Date --map close='Adj Close'"
            raise InputError(msg)
        out[name.strip().lower()] = src
    return out


@command(app, "sample")
def sample(
    ctx: Ctx,
    symbols: Annotated[int, typer.Option(help="Number of daily-bar symbols.")] = 60,
    years: Annotated[int, typer.Option(help="Years of daily bars (252 trading days each).")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 0,
    intraday_symbols: Annotated[int, typer.Option(help="Symbols that also get ticks and 1-minute bars.")] = 3,
    intraday_days: Annotated[int, typer.Option(help="Trading days of ticks (the last days of the range).")] = 5,
    force: Annotated[bool, typer.Option(help="Replace tables that hold data the generator did not write.")] = False,
) -> Out:
    """Write the built-in synthetic universe (bars_1d, bars_1m, ticks, symbols) to the lake.

    The recipe behind it is datasets/sample.toml. It also copies the example saved screens to
    <home>/screens.toml when there is none. Example: t26 data sample --symbols 60 --years 12 --seed 0
    """
    from trade2026.datasets import SampleSpec, generate, write_sample

    spec = SampleSpec(
        symbols=symbols, years=years, seed=seed, intraday_symbols=intraday_symbols, intraday_days=intraday_days
    )
    ctx.log(f"generating {symbols} symbols x {years} years (seed {seed})")
    data = generate(spec)
    written = write_sample(ctx.lake, data, force=force)
    rows = [{"table": t, "rows": w["rows"], "version": w["version"]} for t, w in written.items()]
    lines = [f"[dim]lake: {ctx.lake.root}[/dim]"]
    from trade2026.screener import write_example_screens

    screens = write_example_screens(Path(ctx.settings.home) / "screens.toml")  # never over the user's file
    if screens is not None:
        lines.append(f"[dim]example saved screens: {screens} (t26 screen --list)[/dim]")
    return Out(rows, lines=lines)


@command(app, "build")
def build(
    ctx: Ctx,
    recipe: Annotated[Path, typer.Argument(help="A dataset recipe, e.g. datasets/sample.toml.")],
    force: Annotated[bool, typer.Option(help="Let a sample source replace tables that hold other data.")] = False,
) -> Out:
    """Materialise a dataset recipe (TOML) into the lake.

    Example: t26 data build datasets/sample.toml
    """
    from trade2026.datasets import build_recipe, load_recipe

    spec = load_recipe(recipe)
    ctx.log(f"building recipe {spec['name']!r}")
    rows = build_recipe(ctx.lake, spec, force=force)
    if rows and all(r.get("inserted") == 0 and r.get("updated") == 0 for r in rows):
        ctx.log("nothing new: every row of the recipe's files was already in the lake")  # a cron run, exit 0
    return Out(rows)


@command(app, "ingest", flags={"columns": "--map"})  # kind, keys, adjust: same names
def ingest(
    ctx: Ctx,
    files: Annotated[list[Path], typer.Argument(help="CSV or Parquet files or folders.")],
    table: Annotated[
        str,
        typer.Option(help="Target table: bars_* (merged on symbol, ts), ticks*, or any other name with --kind/--keys."),
    ] = "bars_1d",
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            rich_help_panel="Columns and keys",
            metavar="FIELD=SOURCE",
            help="Column mapping (bars/ticks fields: symbol ts open high low close volume adj_close price size side; "
            "any column name for other tables). Repeatable.",
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            rich_help_panel="Columns and keys",
            help="For a table that is not bars_*/ticks*: signals (keys symbol,ts), returns (ts, a 'return' column) "
            "or factors (ts, a column per factor).",
            show_default=False,
        ),
    ] = None,
    keys: Annotated[
        str | None,
        typer.Option(
            rich_help_panel="Columns and keys",
            help="Key columns of such a table, comma-separated (e.g. method,ts); overrides --kind's.",
            show_default=False,
        ),
    ] = None,
    adjust: Annotated[
        bool,
        typer.Option(
            "--adjust",
            rich_help_panel="Columns and keys",
            help="Bars: store the Adj Close column as close and scale open/high/low by adj_close/close "
            "(dividend- and split-adjusted, as Yahoo's auto_adjust); volume is kept.",
        ),
    ] = False,
    symbol: Annotated[
        str | None, typer.Option(rich_help_panel="Columns and keys", help="Symbol for single-symbol files.")
    ] = None,
    tz: Annotated[
        str,
        typer.Option(
            rich_help_panel="Text format", help="Time zone of naive timestamps (date-only values stay at midnight UTC)."
        ),
    ] = "UTC",
    date_format: Annotated[
        str | None,
        typer.Option(
            rich_help_panel="Text format", help="strftime format of the ts column, or epoch_s / epoch_ms / epoch_us."
        ),
    ] = None,
    delimiter: Annotated[str, typer.Option(rich_help_panel="Text format", help="CSV field delimiter.")] = ",",
    encoding: Annotated[str, typer.Option(rich_help_panel="Text format", help="Text encoding of CSV files.")] = "utf-8",
    decimal: Annotated[
        str,
        typer.Option(
            rich_help_panel="Text format", help="Decimal mark of numbers in text files: '.' (1,234.5) or ',' (1.234,5)."
        ),
    ] = ".",
) -> Out:
    """Ingest CSV/Parquet files: map columns, parse times, validate, merge on the table's keys.

    Bars merge on (symbol, ts), ticks replace each (symbol, date); other tables (signals, return
    series, factor returns) merge on the keys of --kind or --keys. Nothing is written unless every
    row validates. Examples:
    t26 data ingest prices.csv --table bars_1d --map ts=Date --symbol SPY --adjust ;
    t26 data ingest my_returns.csv --table my_returns --kind returns
    """
    from trade2026.lake import IngestOptions
    from trade2026.lake import ingest as do_ingest

    if len(delimiter) != 1 and delimiter != "\\t":
        raise InputError(f"--delimiter must be one character, got {delimiter!r}")
    opts = IngestOptions(
        columns=_parse_map(map_),
        symbol=symbol,
        tz=tz,
        date_format=date_format,
        delimiter="\t" if delimiter == "\\t" else delimiter,
        encoding=encoding,
        decimal=decimal,
        adjust=adjust,
    )
    _check_tz(tz)
    res = do_ingest(ctx.lake, files, table=table, options=opts, kind=kind, keys=split_list(keys) or None)
    return Out(res.to_dict())


def _check_tz(tz: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {tz!r}; use an IANA name such as UTC or America/New_York") from None


@command(app, "bars", flags={"target": "--to", "source": "--from"})
def bars(
    ctx: Ctx,
    from_: Annotated[str, typer.Option("--from", help="Source ticks table.")] = "ticks",
    to: Annotated[str, typer.Option("--to", help="Target bars table.")] = "bars_1m",
    kind: Annotated[str, typer.Option(help="time:1m | tick:N | volume:V | dollar:D (AFML ch. 2).")] = "time:1m",
    symbols: Annotated[str | None, typer.Option(help="Comma-separated symbols (default: all).")] = None,
) -> Out:
    """Build time, tick, volume or dollar bars from a ticks table and merge them into a bars table.

    Example: t26 data bars --from ticks --to bars_dollar --kind dollar:5e6
    """
    from trade2026.lake import BarSpec, bars_from_ticks

    spec = BarSpec.parse(kind)
    syms = split_list(symbols) or None
    built, res = bars_from_ticks(ctx.lake, source=from_, target=to, kind=spec, symbols=syms)
    per = built.group_by("symbol").len().sort("symbol").to_dicts()
    data = {
        "table": to,
        "kind": str(spec),
        "bars": built.height,
        "inserted": res.inserted,
        "updated": res.updated,
        "version": res.version,
        "per_symbol": {r["symbol"]: r["len"] for r in per},
    }
    return Out(
        data,
        tables=[
            ("", [{k: v for k, v in data.items() if k != "per_symbol"}]),
            ("bars per symbol", [{"symbol": r["symbol"], "bars": r["len"]} for r in per]),
        ],
    )


@command(app, "ls")
def ls(ctx: Ctx) -> Out:
    """List the lake's tables with rows, version, files and size.

    Example: t26 data ls --json
    """
    rows = []
    for name in ctx.lake.tables():
        info = ctx.lake.info(name)
        rows.append({k: info[k] for k in ("table", "rows", "version", "files", "size_bytes")})
    lines = [] if rows else ["no tables yet: run `t26 data sample` or `t26 data ingest FILE`"]
    return Out(rows, lines=lines)


@command(app, "show")
def show(
    ctx: Ctx,
    table: Annotated[str, typer.Argument(help="Table name.")],
    symbols: Annotated[str | None, typer.Option(help="Only these symbols (comma-separated).")] = None,
    symbol: Annotated[str | None, typer.Option("--symbol", hidden=True, help="Old spelling of --symbols.")] = None,
    start: Annotated[str | None, typer.Option(help="First ts (inclusive), YYYY-MM-DD or ISO.")] = None,
    end: Annotated[str | None, typer.Option(help="Last ts (inclusive), YYYY-MM-DD or ISO.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show (0 = all); the output says when rows were left out.")] = 20,
    tail: Annotated[bool, typer.Option(help="Show the last rows instead of the first.")] = False,
    version: Annotated[int | None, typer.Option(help="Read an earlier Delta version (time travel).")] = None,
) -> Out:
    """Show rows of a table, filtered by symbol and time.

    Example: t26 data show bars_1d --symbols ACC --start 2024-01-01 --limit 5
    """
    import polars as pl

    if limit < 0:
        raise InputError(f"--limit must be >= 0 (0 shows all rows), got {limit}")
    symbol = ",".join(x for x in (symbols, symbol) if x)
    lf = ctx.lake.scan(table, version=version)
    cols = lf.collect_schema().names()
    if symbol:
        if "symbol" not in cols:
            raise InputError(f"table {table!r} has no symbol column")
        lf = lf.filter(pl.col("symbol").is_in(split_list(symbol)))
    t0, t1 = parse_date(start, "--start"), parse_date(end, "--end", end_of_day=True)
    if (t0 or t1) and "ts" not in cols:
        raise InputError(f"table {table!r} has no ts column to filter on")
    if t0:
        lf = lf.filter(pl.col("ts") >= t0)
    if t1:
        lf = lf.filter(pl.col("ts") <= t1)
    order = [c for c in ("symbol", "ts") if c in cols]
    if order:
        lf = lf.sort(order)
    if limit:  # one row more than shown tells whether rows were left out
        lf = lf.tail(limit + 1) if tail else lf.head(limit + 1)
    df = lf.collect()
    more = bool(limit) and df.height > limit
    if more:
        df = df.tail(limit) if tail else df.head(limit)
    lines = [] if df.height else ["no rows match"]
    if more:
        which = "last" if tail else "first"
        lines.append(f"showing the {which} {limit} rows; more match (--limit N shows N, --limit 0 all)")
    return Out(df.to_dicts(), lines=lines)


@command(app, "history")
def history(
    ctx: Ctx,
    table: Annotated[str, typer.Argument(help="Table name.")],
    limit: Annotated[int | None, typer.Option(help="Newest N versions only.")] = None,
) -> Out:
    """List a table's Delta versions (newest first) with the rows each added, updated or removed.

    Example: t26 data history bars_1d
    """
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be >= 1, got {limit}")
    return Out(ctx.lake.history(table, limit=limit))


@command(app, "vacuum")
def vacuum(
    ctx: Ctx,
    table: Annotated[str, typer.Argument(help="Table name.")],
    retention_hours: Annotated[int, typer.Option(help="Keep files needed by versions newer than this.")] = 168,
    dry_run: Annotated[bool, typer.Option(help="List the files without deleting them.")] = False,
) -> Out:
    """Delete data files no longer referenced by recent versions (time travel past them is lost).

    Example: t26 data vacuum bars_1d --retention-hours 0
    """
    if retention_hours < 0:
        raise InputError("--retention-hours must be >= 0")
    files = ctx.lake.vacuum(table, retention_hours=retention_hours, dry_run=dry_run)
    data: dict[str, Any] = {"table": table, "dry_run": dry_run, "files": len(files), "paths": files}
    return Out(
        data,
        tables=[
            (
                "",
                [
                    {
                        "table": table,
                        "dry_run": dry_run,
                        "files_deleted" if not dry_run else "files_to_delete": len(files),
                    }
                ],
            )
        ],
    )


@command(app, "compact")
def compact(ctx: Ctx, table: Annotated[str, typer.Argument(help="Table name.")]) -> Out:
    """Rewrite a table's small files into larger ones (a new version; vacuum removes the old files).

    Example: t26 data compact bars_1d
    """
    res = ctx.lake.compact(table)
    return Out({"table": table, **res})


def register(root: typer.Typer) -> None:
    """Add ``t26 data`` and its subcommands to the root app."""
    root.add_typer(app, name="data")
