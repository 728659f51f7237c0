"""``t26 backtest``: backtest a strategy, sweep a grid, walk forward, measure overfitting, write a tearsheet.

The workflow is :func:`trade2026.backtest.evaluate`; this module parses the options, reads the bars
(and the signal table), logs the MLflow run and renders. Heavy libraries are imported inside the
command only (mlflow only when tracking, matplotlib only with --report).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, PeriodsOpt, UniverseOpt, command, parse_date, split_list, universe_arg
from trade2026.errors import ConfigError

STRATEGY_HELP = (
    "Strategy spec NAME[:key=value,...]: sma_cross, ema_cross, tsmom, xsmom, mean_reversion, breakout, "
    "or signal:COLUMN (with --signal-table)."
)


def _load_bars(
    ctx: Ctx, table: str, symbols: str | None, universe: str | None, start: str | None, end: str | None
) -> Any:
    wanted = split_list(symbols)
    universe_arg(symbols, universe)  # one of the two
    bars = ctx.lake.read_bars(
        table,
        symbols=wanted or None,
        universe=universe,
        start=parse_date(start, "--start"),
        end=parse_date(end, "--end", end_of_day=True),
        missing="ignore",
    )
    absent = sorted(set(wanted) - set(bars["symbol"].unique().to_list()))
    if absent:
        ctx.log(f"[yellow]no bars for {', '.join(absent)}; backtesting the rest[/yellow]")
    return bars


def register(app: typer.Typer) -> None:
    @command(app, "backtest", tracked=True)
    def backtest(
        ctx: Ctx,
        strategy: Annotated[str, typer.Argument(help=STRATEGY_HELP, show_default=False)],
        symbols: Annotated[
            str | None, typer.Option("--symbols", "-s", help="Comma-separated symbols (default: all).")
        ] = None,
        universe: UniverseOpt = None,
        table: Annotated[str, typer.Option(help="Bars table to backtest on.")] = "bars_1d",
        start: Annotated[str | None, typer.Option(help="First date YYYY-MM-DD.")] = None,
        end: Annotated[str | None, typer.Option(help="Last date YYYY-MM-DD.")] = None,
        grid: Annotated[
            str | None,
            typer.Option(
                rich_help_panel="Sweep", help="Parameter grid, e.g. 'fast=5:50:5,slow=20:200:10' (also a|b|c)."
            ),
        ] = None,
        objective: Annotated[
            str,
            typer.Option(
                rich_help_panel="Sweep",
                help="What the sweep maximises: sharpe, sortino, calmar, total_return, cagr, max_drawdown.",
            ),
        ] = "sharpe",
        walk_forward: Annotated[
            bool,
            typer.Option(
                "--walk-forward",
                rich_help_panel="Walk-forward",
                help="Choose parameters in-sample, trade them out-of-sample, stitch.",
            ),
        ] = False,
        train: Annotated[int, typer.Option(rich_help_panel="Walk-forward", help="Walk-forward in-sample bars.")] = 756,
        test: Annotated[
            int, typer.Option(rich_help_panel="Walk-forward", help="Walk-forward out-of-sample bars.")
        ] = 126,
        anchored: Annotated[
            bool,
            typer.Option(
                "--anchored",
                rich_help_panel="Walk-forward",
                help="Walk-forward in-sample windows all start at the first bar.",
            ),
        ] = False,
        search: Annotated[
            str | None,
            typer.Option(
                rich_help_panel="Sweep",
                help="Search the grid instead of sweeping it all: optuna (TPE, study in <home>/optuna.db) or random.",
                show_default=False,
            ),
        ] = None,
        trials: Annotated[
            int,
            typer.Option(
                rich_help_panel="Sweep", help="Suggestions per search (per walk-forward window) with --search."
            ),
        ] = 100,
        study: Annotated[
            str | None,
            typer.Option(
                rich_help_panel="Sweep",
                help="Optuna study name with --search optuna (default: a new one).",
                show_default=False,
            ),
        ] = None,
        pbo: Annotated[
            bool,
            typer.Option(
                "--pbo", rich_help_panel="Walk-forward", help="Probability of backtest overfitting of the grid (CSCV)."
            ),
        ] = False,
        partitions: Annotated[
            int, typer.Option(rich_help_panel="Walk-forward", help="CSCV partitions S for --pbo (even).")
        ] = 16,
        report: Annotated[
            Path | None,
            typer.Option(rich_help_panel="Reports", help="Write an HTML tearsheet (and its PNG figures) here."),
        ] = None,
        fill: Annotated[
            str, typer.Option(rich_help_panel="Sizing", help="Fill signals at the next bar's open or close.")
        ] = "open",
        commission_bps: Annotated[
            float, typer.Option(rich_help_panel="Costs", help="Commission in bps of traded notional.")
        ] = 0.0,
        commission_per_share: Annotated[
            float, typer.Option(rich_help_panel="Costs", help="Commission per share.")
        ] = 0.0,
        commission_fixed: Annotated[
            float, typer.Option(rich_help_panel="Costs", help="Fixed commission per fill.")
        ] = 0.0,
        slippage_bps: Annotated[
            float, typer.Option(rich_help_panel="Costs", help="Slippage in bps of the price, against the trade.")
        ] = 0.0,
        slippage_range: Annotated[
            float, typer.Option(rich_help_panel="Costs", help="Slippage as a fraction of the bar's high-low range.")
        ] = 0.0,
        borrow_bps: Annotated[
            float, typer.Option(rich_help_panel="Costs", help="Annual borrow cost on shorts, bps.")
        ] = 0.0,
        stop_loss: Annotated[
            float, typer.Option(rich_help_panel="Stops", help="Stop-loss as a fraction of the entry price (0 = off).")
        ] = 0.0,
        take_profit: Annotated[
            float, typer.Option(rich_help_panel="Stops", help="Take-profit fraction (0 = off).")
        ] = 0.0,
        trailing_stop: Annotated[
            float, typer.Option(rich_help_panel="Stops", help="Trailing-stop fraction (0 = off).")
        ] = 0.0,
        sizing: Annotated[
            str, typer.Option(rich_help_panel="Sizing", help="fraction (of equity), notional, or vol_target.")
        ] = "fraction",
        notional: Annotated[
            float, typer.Option(rich_help_panel="Sizing", help="Currency per unit position with --sizing notional.")
        ] = 100_000.0,
        target_vol: Annotated[
            float, typer.Option(rich_help_panel="Sizing", help="Annualised volatility target with --sizing vol_target.")
        ] = 0.15,
        mode: Annotated[
            str,
            typer.Option(
                rich_help_panel="Sizing", help="per_symbol (a book per symbol) or portfolio (one book, equal weights)."
            ),
        ] = "per_symbol",
        capital: Annotated[float, typer.Option(rich_help_panel="Sizing", help="Starting cash per book.")] = 1_000_000.0,
        periods_per_year: PeriodsOpt = None,
        signal_table: Annotated[str | None, typer.Option(help="Lake table with the column for signal:COLUMN.")] = None,
        executor: Annotated[
            str, typer.Option(rich_help_panel="Execution", help="Sweep fan-out: serial, processes or ray.")
        ] = "serial",
        ray_address: Annotated[
            str | None, typer.Option(rich_help_panel="Execution", help="Ray cluster address for --executor ray.")
        ] = None,
        benchmark: Annotated[
            str | None,
            typer.Option(
                rich_help_panel="Reports",
                help="Compare with a SYMBOL (of --table), 'equal' (equal-weight universe) or 'buy_hold' "
                "(equal capital, never rebalanced): alpha, beta, information ratio, tracking error, capture.",
                show_default=False,
            ),
        ] = None,
        risk_free: Annotated[
            float,
            typer.Option(
                rich_help_panel="Reports",
                help="Annual risk-free rate as a fraction (0.04 = 4%) for sharpe_rf, sortino_rf, alpha.",
            ),
        ] = 0.0,
        export_sweep: Annotated[
            Path | None,
            typer.Option(
                rich_help_panel="Sweep",
                help="Write every parameter set of --grid with its metrics to FILE.csv or FILE.parquet.",
                show_default=False,
            ),
        ] = None,
        save: Annotated[
            str | None,
            typer.Option(
                "--save",
                rich_help_panel="Reports",
                help="Write the trade list to this lake table (replacing the rows of the backtested symbols).",
                show_default=False,
            ),
        ] = None,
    ) -> Out:
        """Backtest a strategy on lake bars; sweep a grid, walk forward, test for overfitting.

        Signals decided on bar t's close trade at t+1's open (or close with --fill close).

        Examples:
          t26 backtest sma_cross:fast=20,slow=50 --symbols ACC,ACZV --commission-bps 2
          t26 backtest sma_cross --grid "fast=5:50:5,slow=20:200:10" --walk-forward
              --train 756 --test 126 --pbo --report bt.html
          t26 backtest sma_cross --grid "fast=2:60:1,slow=20:250:2" --search optuna --trials 200 --pbo
          t26 backtest tsmom --universe sector:Energy --benchmark equal --risk-free 0.03 --save bt_trades
        """
        from trade2026.backtest import SearchSpec, WalkForwardSpec, evaluate, join_signal, make_config, parse_strategy

        name, base = parse_strategy(strategy)
        cfg = make_config(
            fill=fill,
            commission_bps=commission_bps,
            commission_per_share=commission_per_share,
            commission_fixed=commission_fixed,
            slippage_bps=slippage_bps,
            slippage_range=slippage_range,
            borrow_bps=borrow_bps,
            stop_loss=stop_loss,
            take_profit=take_profit,
            trailing_stop=trailing_stop,
            sizing=sizing,
            notional=notional,
            target_vol=target_vol,
            mode=mode,
            init_cash=capital,
            periods_per_year=periods_per_year,
        )
        wf = WalkForwardSpec(train=train, test=test, anchored=anchored) if walk_forward else None
        spec = None
        if search is not None:
            from trade2026.tracking import optuna_storage

            storage = optuna_storage(ctx.settings) if search == "optuna" else None
            spec = SearchSpec(method=search, trials=trials, storage=storage, study=study)
        if (pbo or walk_forward or search or export_sweep) and not grid:
            flag = "--pbo" if pbo else "--walk-forward" if walk_forward else "--search" if search else "--export-sweep"
            msg = f"{flag} needs a parameter grid (--grid), e.g. --grid 'fast=5:50:5,slow=20:200:10'"
            raise ConfigError(msg)
        bars = _load_bars(ctx, table, symbols, universe, start, end)
        if name == "signal":
            column = base["column"]
            if signal_table:
                bars = join_signal(bars, ctx.lake.read(signal_table), column, what=f"signal table {signal_table!r}")
            elif column not in bars.columns:
                msg = f"signal:{column} needs --signal-table NAME (a lake table with symbol, ts and {column})"
                raise ConfigError(msg)
        bench: Any = benchmark
        if benchmark and benchmark not in ("equal", "buy_hold") and benchmark not in set(bars["symbol"].to_list()):
            bench = _load_bars(ctx, table, benchmark, None, start, end)
            if bench.height == 0:
                msg = (
                    f"--benchmark {benchmark}: no bars for it in {table}; give a symbol of the table, equal or buy_hold"
                )
                raise ConfigError(msg)
        data: Any = bars
        if executor != "serial" and name != "signal":
            # Workers read the bars from the lake themselves (a pinned LakeSlice), not pickled per task.
            from trade2026.lake import LakeSlice

            data = LakeSlice.of(
                ctx.lake,
                table,
                symbols=sorted(set(bars["symbol"].to_list())),
                start=parse_date(start, "--start"),
                end=parse_date(end, "--end", end_of_day=True),
            )
        n_symbols, n_bars = bars["symbol"].n_unique(), bars["ts"].n_unique()
        ctx.log(f"backtesting {strategy} on {n_symbols} symbol(s) x {n_bars} bars" + (f", grid {grid}" if grid else ""))
        rep = evaluate(
            data,
            strategy,
            grid=grid,
            objective=objective,
            walk_forward=wf,
            pbo=partitions if pbo else None,
            config=cfg,
            executor=executor,
            ray_address=ray_address,
            report=report,
            progress=not ctx.json,
            search=spec,
            benchmark=bench,
            risk_free=risk_free,
            export_sweep=export_sweep,
        )
        saved = rep.save_trades(ctx.lake, save) if save else None
        with ctx.tracking_run(f"backtest {rep.strategy}", params={**rep.tracking_params(), "table": table}) as run:
            run.log_metrics(rep.tracking_metrics())
            for f in rep.report_files:
                run.log_artifact(f)
            run_id = getattr(run, "run_id", None)
        data = {**rep.to_dict(), "run_id": run_id}
        if saved is not None:
            data["saved"] = saved
        lines = [f"Report written to {data['report']}"] if rep.report_files else []
        if rep.sweep_export is not None:
            lines.append(f"Sweep table ({rep.sweep.n_trials if rep.sweep else 0} sets) written to {rep.sweep_export}")
        if saved is not None:
            lines.append(f"{saved['rows']} trades written to {saved['table']} ({saved['replaced']} rows replaced)")
        if rep.search is not None and rep.search.studies:
            lines.append(f"Optuna studies {', '.join(rep.search.studies)} in {rep.search.spec.storage}")
        if run_id:
            lines.append(f"MLflow run {run_id}")
        return Out(data, tables=rep.tables(), lines=lines)
