"""``t26 demo``: a short end-to-end tour on the built-in sample universe."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command

SECTOR_SQL = """
WITH r AS (
    SELECT b.symbol, s.sector, b.ts,
           ln(b.close / lag(b.close) OVER (PARTITION BY b.symbol ORDER BY b.ts)) AS ret
    FROM bars_1d b JOIN symbols s USING (symbol)
)
SELECT sector,
       count(DISTINCT symbol) AS symbols,
       round(avg(ret) * 252, 4) AS ann_return,
       round(stddev(ret) * sqrt(252), 4) AS ann_vol
FROM r WHERE ret IS NOT NULL
GROUP BY sector ORDER BY ann_return DESC
"""


def register(app: typer.Typer) -> None:
    @command(app, "demo", tracked=True)
    def demo(
        ctx: Ctx,
        symbols: Annotated[int, typer.Option(help="Symbols in the sample universe (when it is generated).")] = 60,
        years: Annotated[int, typer.Option(help="Years of daily bars (when the sample is generated).")] = 12,
        fresh: Annotated[bool, typer.Option(help="Regenerate the sample universe even if the lake has one.")] = False,
    ) -> Out:
        """Run a short end-to-end tour: sample data -> lake -> SQL -> dollar bars -> tracked run.

        Example: t26 demo
        """
        from trade2026.datasets import generate, write_sample
        from trade2026.lake import bars_from_ticks

        lake = ctx.lake
        steps: list[dict[str, Any]] = []
        if fresh or not {"bars_1d", "ticks", "symbols"} <= set(lake.tables()):
            ctx.log(f"1/4 writing the sample universe ({symbols} symbols x {years} years) to {lake.root}")
            written = write_sample(lake, generate(symbols=symbols, years=years))
            steps.append(
                {"step": "sample universe", "result": ", ".join(f"{t}: {w['rows']} rows" for t, w in written.items())}
            )
        else:
            steps.append(
                {"step": "sample universe", "result": f"reusing the lake at {lake.root} (--fresh regenerates)"}
            )
        ctx.log("2/4 sector statistics through DuckDB SQL over the Delta tables")
        sectors = lake.sql(SECTOR_SQL).to_dicts()
        steps.append({"step": "sql", "result": f"{len(sectors)} sectors"})
        ctx.log("3/4 dollar bars from ticks (AFML ch. 2)")
        ticks_notional = lake.sql(
            "SELECT sum(price * size) / count(DISTINCT symbol) / count(DISTINCT date) AS n FROM ticks"
        ).item()
        threshold = float(f"{(ticks_notional or 1e6) / 50:.2g}")  # about 50 bars a day per symbol
        built, res = bars_from_ticks(lake, source="ticks", target="bars_dollar", kind=f"dollar:{threshold:g}")
        steps.append(
            {
                "step": "dollar bars",
                "result": f"{built.height} bars of ${threshold:,.0f} into bars_dollar (v{res.version})",
            }
        )
        ctx.log("4/4 logging the run to MLflow")
        metrics = {"n_tables": len(lake.tables()), "n_dollar_bars": built.height, "dollar_bar_threshold": threshold}
        with ctx.tracking_run("demo", params={"symbols": symbols, "years": years}) as run:
            run.log_metrics(metrics)
            run.log_dict({"sectors": sectors}, "sectors.json")
        steps.append(
            {"step": "tracking", "result": f"MLflow run {run.run_id}" if run.run_id else "not tracked (--no-track)"}
        )
        tables_info = [{k: lake.info(t)[k] for k in ("table", "rows", "version")} for t in lake.tables()]
        data = {
            "home": str(ctx.settings.home),
            "tables": tables_info,
            "sectors": sectors,
            "dollar_bars": built.height,
            "run_id": run.run_id,
        }
        lines = [
            'next: t26 sql "SELECT * FROM symbols LIMIT 5" | t26 data show bars_1d --symbol '
            f"{tables_info and lake.read('symbols', columns=['symbol'])['symbol'][0]} --tail | t26 runs ls"
        ]
        if run.run_id:
            lines.insert(0, f"MLflow run {run.run_id}")
        return Out(
            data,
            tables=[
                ("demo steps", steps),
                ("lake tables", tables_info),
                ("sectors (daily log returns, annualised)", sectors),
            ],
            lines=lines,
        )
