"""``t26 sql``: DuckDB SQL over every table in the lake."""

from __future__ import annotations

from typing import Annotated

import typer

from commands._cli import Ctx, Out, command
from trade2026.errors import InputError


def register(app: typer.Typer) -> None:
    @command(app, "sql")
    def sql(
        ctx: Ctx,
        query: Annotated[str, typer.Argument(help="A DuckDB SELECT; every lake table is a view by its name.")],
        limit: Annotated[int, typer.Option(help="Show at most this many rows (0 = all).")] = 1000,
        allow_files: Annotated[
            bool,
            typer.Option(
                "--allow-files",
                help="Let the query read and write files outside the lake (read_csv, COPY ... TO); off by default.",
            ),
        ] = False,
    ) -> Out:
        """Run SQL over the lake's tables (DuckDB views over the Delta tables); read-only by default.

        Example: t26 sql "SELECT symbol, count(*) AS n FROM bars_1d GROUP BY symbol ORDER BY n"
        """
        if limit < 0:
            raise InputError(f"--limit must be >= 0 (0 shows all rows), got {limit}")
        df = ctx.lake.sql(query, limit=limit + 1 if limit else None, allow_files=allow_files)
        more = bool(limit) and df.height > limit
        rows = df.head(limit).to_dicts() if more else df.to_dicts()
        lines = [f"[dim]the first {limit} rows are shown; --limit 0 shows all[/dim]"] if more else []
        return Out(rows, lines=lines)
