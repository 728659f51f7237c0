"""``t26 demo``: a short end-to-end tour on the built-in sample universe."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command
from trade2026.errors import InputError

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
        """Run a short end-to-end tour of the toolkit on the sample universe.

        Sample data -> lake -> SQL -> dollar bars -> a ranked screen -> fractional differentiation
        -> a parameter sweep with its deflated Sharpe ratio -> an MLflow run.

        Example: t26 demo
        """
        import polars as pl

        from trade2026.datasets import generate, write_sample
        from trade2026.lake import bars_from_ticks

        lake = ctx.lake
        steps: list[dict[str, Any]] = []
        if fresh or not {"bars_1d", "ticks", "symbols"} <= set(lake.tables()):
            ctx.log(f"1/7 writing the sample universe ({symbols} symbols x {years} years) to {lake.root}")
            written = write_sample(lake, generate(symbols=symbols, years=years))
            steps.append(
                {"step": "sample universe", "result": ", ".join(f"{t}: {w['rows']} rows" for t, w in written.items())}
            )
        else:
            steps.append(
                {"step": "sample universe", "result": f"reusing the lake at {lake.root} (--fresh regenerates)"}
            )
        ctx.log("2/7 sector statistics through DuckDB SQL over the Delta tables")
        sectors = lake.sql(SECTOR_SQL).to_dicts()
        steps.append({"step": "sql", "result": f"{len(sectors)} sectors"})
        ctx.log("3/7 dollar bars from ticks (AFML ch. 2)")
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
        ctx.log("4/7 a screen: uptrend symbols ranked by momentum net of volatility")
        from trade2026.backtest import run_sweep
        from trade2026.features import min_d
        from trade2026.screener import screen

        bars = lake.read_bars("bars_1d")
        picked = screen(bars, "close > sma_200", rank="zscore(mom_252_21) - zscore(vol_63)", top=5)
        top = picked.rows.select("symbol", "score", "close").to_dicts()
        steps.append(
            {
                "step": "screen",
                "result": f"{picked.matched} of {picked.universe} symbols above their 200-day SMA on {picked.date}",
            }
        )
        from trade2026.screener import write_example_screens

        screens_file = Path(ctx.settings.home) / "screens.toml"
        wrote = write_example_screens(screens_file)
        steps.append(
            {
                "step": "saved screens",
                "result": f"example screens written to {screens_file} (t26 screen --list)"
                if wrote
                else f"keeping your {screens_file}",
            }
        )
        leader = top[0]["symbol"] if top else bars["symbol"][0]
        ctx.log(f"5/7 fractional differentiation of {leader}: smallest d that passes ADF (AFML ch. 5)")
        series = bars.filter(pl.col("symbol") == leader).sort("ts")["close"].log()
        try:
            d_star: float | None = min_d(series.to_numpy()).d
            steps.append(
                {"step": "fracdiff", "result": f"{leader}: d* = {d_star:.2f} keeps the most memory while stationary"}
            )
        except InputError as exc:  # no d in [0, 1] passes ADF on this series
            d_star = None
            steps.append({"step": "fracdiff", "result": f"{leader}: {exc}"})
        ctx.log(f"6/7 sweeping sma_cross on {leader} and deflating the best Sharpe by the number of trials")
        sweep = run_sweep(bars.filter(pl.col("symbol") == leader), "sma_cross", "fast=5:50:5,slow=60:200:20")
        best = sweep.best("sharpe")
        stats = sweep.selection_statistics(best)
        sharpe = float(sweep.metrics()["sharpe"][best])
        params = sweep.params[best]
        steps.append(
            {
                "step": "backtest sweep",
                "result": f"{sweep.n_trials} trials, best {params} Sharpe {sharpe:.2f}, DSR {stats['dsr']:.2f}",
            }
        )
        ctx.log("7/7 logging the run to MLflow")
        metrics = {
            "n_tables": len(lake.tables()),
            "n_dollar_bars": built.height,
            "dollar_bar_threshold": threshold,
            "screen_matched": picked.matched,
            "fracdiff_d": d_star,
            "best_sharpe": sharpe,
            "dsr": stats["dsr"],
            "n_trials": sweep.n_trials,
        }
        with ctx.tracking_run("demo", params={"symbols": symbols, "years": years, "leader": leader}) as run:
            run.log_metrics(metrics)
            run.log_dict({"sectors": sectors, "screen": top}, "demo.json")
        steps.append(
            {"step": "tracking", "result": f"MLflow run {run.run_id}" if run.run_id else "not tracked (--no-track)"}
        )
        tables_info = [{k: lake.info(t)[k] for k in ("table", "rows", "version")} for t in lake.tables()]
        data = {
            "home": str(ctx.settings.home),
            "tables": tables_info,
            "sectors": sectors,
            "dollar_bars": built.height,
            "screen": {"date": picked.date, "matched": picked.matched, "universe": picked.universe, "top": top},
            "screens_file": str(screens_file),
            "fracdiff": {"symbol": leader, "d": d_star},
            "backtest": {
                "symbol": leader,
                "strategy": "sma_cross",
                "n_trials": sweep.n_trials,
                "best_params": params,
                "sharpe": sharpe,
                **stats,
            },
            "run_id": run.run_id,
        }
        lines = [
            f'next: t26 screen "close > sma_200" --rank "zscore(mom_252_21)" --top 10 | '
            f't26 backtest sma_cross --symbols {leader} --grid "fast=5:50:5,slow=60:200:20" --walk-forward | '
            "t26 runs ls"
        ]
        if run.run_id:
            lines.insert(0, f"MLflow run {run.run_id}")
        return Out(
            data,
            tables=[
                ("demo steps", steps),
                ("lake tables", tables_info),
                ("sectors (daily log returns, annualised)", sectors),
                (f"screen on {picked.date}: close > sma_200, ranked by zscore(mom_252_21) - zscore(vol_63)", top),
            ],
            lines=lines,
        )
