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
    ) -> Out:
        """Run SQL over the lake's tables (DuckDB views over the Delta tables).

        Example: t26 sql "SELECT symbol, count(*) AS n FROM bars_1d GROUP BY symbol ORDER BY n"
        """
        if limit < 0:
            raise InputError(f"--limit must be >= 0 (0 shows all rows), got {limit}")
        df = ctx.lake.sql(query)
        total = df.height
        if limit and total > limit:
            df = df.head(limit)
        rows = df.to_dicts()
        lines = [f"[dim]{limit} of {total} rows shown; --limit 0 shows all[/dim]"] if df.height < total else []
        return Out(rows, lines=lines)
