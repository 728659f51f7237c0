"""``t26 backtest``: backtest a strategy, sweep a grid, walk forward, measure overfitting, write a tearsheet.

Heavy libraries (numpy, polars, numba, matplotlib, mlflow) are imported inside the command only.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command, parse_date, split_list
from trade2026.errors import ConfigError, DataError

STRATEGY_HELP = (
    "Strategy spec NAME[:key=value,...]: sma_cross, ema_cross, tsmom, xsmom, mean_reversion, breakout, "
    "or signal:COLUMN (with --signal-table)."
)


def _load_bars(ctx: Ctx, table: str, symbols: str | None, start: str | None, end: str | None) -> Any:
    wanted = split_list(symbols)
    bars = ctx.lake.read_bars(
        table,
        symbols=wanted,
        start=parse_date(start, "--start"),
        end=parse_date(end, "--end", end_of_day=True),
        missing="ignore",
    )
    absent = sorted(set(wanted) - set(bars["symbol"].unique().to_list()))
    if absent:
        ctx.log(f"[yellow]no bars for {', '.join(absent)}; backtesting the rest[/yellow]")
    return bars


def _join_signal(ctx: Ctx, bars: Any, table: str | None, column: str) -> Any:
    import polars as pl

    if not table:
        if column in bars.columns:
            return bars
        msg = f"signal:{column} needs --signal-table NAME (a lake table with symbol, ts and {column})"
        raise ConfigError(msg)
    sig = ctx.lake.read(table)
    need = {"symbol", "ts", column}
    if not need <= set(sig.columns):
        msg = f"signal table {table!r} needs columns symbol, ts, {column}; it has {', '.join(sig.columns)}"
        raise DataError(msg)
    sig = sig.select("symbol", pl.col("ts").cast(bars["ts"].dtype), pl.col(column).cast(pl.Float64))
    return bars.join(sig, on=["symbol", "ts"], how="left")


def register(app: typer.Typer) -> None:
    @command(app, "backtest", tracked=True)
    def backtest(
        ctx: Ctx,
        strategy: Annotated[str, typer.Argument(help=STRATEGY_HELP, show_default=False)],
        symbols: Annotated[
            str | None, typer.Option("--symbols", "-s", help="Comma-separated symbols (default: all).")
        ] = None,
        table: Annotated[str, typer.Option(help="Bars table to backtest on.")] = "bars_1d",
        start: Annotated[str | None, typer.Option(help="First date YYYY-MM-DD.")] = None,
        end: Annotated[str | None, typer.Option(help="Last date YYYY-MM-DD.")] = None,
        grid: Annotated[
            str | None, typer.Option(help="Parameter grid, e.g. 'fast=5:50:5,slow=20:200:10' (also a|b|c).")
        ] = None,
        objective: Annotated[
            str,
            typer.Option(help="What the sweep maximises: sharpe, sortino, calmar, total_return, cagr, max_drawdown."),
        ] = "sharpe",
        walk_forward: Annotated[
            bool, typer.Option("--walk-forward", help="Choose parameters in-sample, trade them out-of-sample, stitch.")
        ] = False,
        train: Annotated[int, typer.Option(help="Walk-forward in-sample bars.")] = 756,
        test: Annotated[int, typer.Option(help="Walk-forward out-of-sample bars.")] = 126,
        anchored: Annotated[
            bool, typer.Option("--anchored", help="Walk-forward in-sample windows all start at the first bar.")
        ] = False,
        pbo: Annotated[
            bool, typer.Option("--pbo", help="Probability of backtest overfitting of the grid (CSCV).")
        ] = False,
        partitions: Annotated[int, typer.Option(help="CSCV partitions S for --pbo (even).")] = 16,
        report: Annotated[Path | None, typer.Option(help="Write an HTML tearsheet (and its PNG figures) here.")] = None,
        fill: Annotated[str, typer.Option(help="Fill signals at the next bar's open or close.")] = "open",
        commission_bps: Annotated[float, typer.Option(help="Commission in bps of traded notional.")] = 0.0,
        commission_per_share: Annotated[float, typer.Option(help="Commission per share.")] = 0.0,
        commission_fixed: Annotated[float, typer.Option(help="Fixed commission per fill.")] = 0.0,
        slippage_bps: Annotated[float, typer.Option(help="Slippage in bps of the price, against the trade.")] = 0.0,
        slippage_range: Annotated[
            float, typer.Option(help="Slippage as a fraction of the bar's high-low range.")
        ] = 0.0,
        borrow_bps: Annotated[float, typer.Option(help="Annual borrow cost on shorts, bps.")] = 0.0,
        stop_loss: Annotated[float, typer.Option(help="Stop-loss as a fraction of the entry price (0 = off).")] = 0.0,
        take_profit: Annotated[float, typer.Option(help="Take-profit fraction (0 = off).")] = 0.0,
        trailing_stop: Annotated[float, typer.Option(help="Trailing-stop fraction (0 = off).")] = 0.0,
        sizing: Annotated[str, typer.Option(help="fraction (of equity), notional, or vol_target.")] = "fraction",
        notional: Annotated[float, typer.Option(help="Currency per unit position with --sizing notional.")] = 100_000.0,
        target_vol: Annotated[
            float, typer.Option(help="Annualised volatility target with --sizing vol_target.")
        ] = 0.15,
        mode: Annotated[
            str, typer.Option(help="per_symbol (a book per symbol) or portfolio (one book, equal weights).")
        ] = "per_symbol",
        capital: Annotated[float, typer.Option(help="Starting cash per book.")] = 1_000_000.0,
        signal_table: Annotated[str | None, typer.Option(help="Lake table with the column for signal:COLUMN.")] = None,
        executor: Annotated[str, typer.Option(help="Sweep fan-out: serial, processes or ray.")] = "serial",
        ray_address: Annotated[str | None, typer.Option(help="Ray cluster address for --executor ray.")] = None,
    ) -> Out:
        """Backtest a strategy on lake bars; sweep a grid, walk forward, test for overfitting.

        Signals decided on bar t's close trade at t+1's open (or close with --fill close).

        Examples:
          t26 backtest sma_cross:fast=20,slow=50 --symbols AAPL,MSFT --commission-bps 2
          t26 backtest sma_cross --grid "fast=5:50:5,slow=20:200:10" --walk-forward
              --train 756 --test 126 --pbo --report bt.html
        """
        from trade2026.backtest import (
            get_strategy,
            make_config,
            parse_grid,
            parse_strategy,
            robustness,
            run_backtest,
            run_sweep,
            selection_statistics,
            strategy_positions,
        )
        from trade2026.backtest import (
            pbo as pbo_fn,
        )
        from trade2026.backtest import walk_forward as wf_fn
        from trade2026.backtest._sweep import check_objective
        from trade2026.core import bars_panel

        name, base = parse_strategy(strategy)
        strat = get_strategy(name)
        check_objective(objective)
        if (pbo or walk_forward) and not grid:
            flag = "--pbo" if pbo else "--walk-forward"
            msg = f"{flag} needs a parameter grid (--grid), e.g. --grid 'fast=5:50:5,slow=20:200:10'"
            raise ConfigError(msg)
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
            mode="portfolio" if strat.cross_sectional else mode,
            init_cash=capital,
        )
        params_list = parse_grid(name, grid, base) if grid else [base]
        if pbo and len(params_list) < 2:
            msg = "--pbo needs at least 2 trials but the grid has one point; widen --grid"
            raise ConfigError(msg)
        bars = _load_bars(ctx, table, symbols, start, end)
        if name == "signal":
            bars = _join_signal(ctx, bars, signal_table, base["column"])
        panel = bars_panel(bars, extra_columns=(base["column"],) if name == "signal" else ())
        ctx.log(f"{name}: {len(params_list)} parameter set(s) x {panel.n_symbols} symbol(s) x {panel.n_bars} bars")

        sweep = None
        if len(params_list) > 1 or walk_forward:
            sweep = run_sweep(
                panel, name, params_list, config=cfg, executor=executor, ray_address=ray_address, progress=not ctx.json
            )
            best = sweep.best(objective)
            chosen = sweep.params[best]
            stats = sweep.selection_statistics(best)
        else:
            best, chosen = 0, params_list[0]
        positions = strategy_positions(name, bars, **chosen)
        result = run_backtest(panel, positions, config=cfg, cross_sectional=strat.cross_sectional, params=chosen)
        rets = result.returns["return"].to_numpy()
        if sweep is None:
            stats = selection_statistics(rets, n_trials=1, var_trials=0.0)
        data: dict[str, Any] = {
            "strategy": name,
            "params": chosen,
            "symbols": panel.symbols,
            "start": panel.ts[0],
            "end": panel.ts[-1],
            "n_bars": panel.n_bars,
            "config": cfg.to_dict(),
            "metrics": result.metrics,
            "statistics": stats,
        }
        tables: list[tuple[str, list[dict[str, Any]]]] = []
        if sweep is not None:
            top = sweep.table().sort(objective, descending=True, nulls_last=True).head(10).to_dicts()
            data["sweep"] = {"n_trials": sweep.n_trials, "objective": objective, "top": top}
            keys = [*chosen, "sharpe", "total_return", "max_drawdown", "fill_count"]
            tables.append(
                (f"Top parameter sets by {objective} (of {sweep.n_trials})", [{k: r[k] for k in keys} for r in top])
            )
        report_returns = result.returns
        wf = None
        if walk_forward:
            assert sweep is not None
            wf = wf_fn(
                panel, name, train=train, test=test, anchored=anchored, objective=objective, config=cfg, sweep=sweep
            )
            data["walk_forward"] = wf.to_dict()
            report_returns = wf.returns
            short = ("test_start", "test_end", "params", "is_sharpe", "oos_sharpe", "oos_total_return")
            tables.append(("Walk-forward windows", [{k: w[k] for k in short} for w in wf.windows]))
            tables.append(
                (
                    "Walk-forward out-of-sample metrics",
                    [
                        {
                            **{k: wf.metrics[k] for k in ("total_return", "cagr", "sharpe", "max_drawdown")},
                            "walk_forward_efficiency": wf.walk_forward_efficiency,
                        }
                    ],
                )
            )
        pbo_res = None
        if pbo:
            assert sweep is not None
            pbo_res = pbo_fn(sweep.returns, n_partitions=partitions)
            data["pbo"] = pbo_res.to_dict()
            tables.append(("Probability of backtest overfitting (CSCV)", [pbo_res.to_dict()]))
        rob_rets = report_returns["return"].to_numpy()
        data["robustness"] = robustness(
            rob_rets,
            bars=panel,
            strategy=name,
            params=chosen,
            config=cfg,
            sweep=sweep,
            index=best if sweep is not None else None,
            objective=objective,
        )
        tables.insert(
            0,
            (
                "Performance" + (" (best in-sample parameters, full period)" if sweep else ""),
                [{"metric": k, "value": v} for k, v in result.metrics.items()],
            ),
        )
        tables.append(("Selection statistics", [{"statistic": k, "value": v} for k, v in stats.items()]))
        tables.append(("Cost sensitivity", data["robustness"]["cost_sensitivity"]))

        run_params = {
            "strategy": name,
            **{f"param_{k}": v for k, v in chosen.items()},
            "grid": grid or "",
            "symbols": ",".join(panel.symbols)[:480],
            "table": table,
            **{k: v for k, v in cfg.to_dict().items()},
            "walk_forward": walk_forward,
        }
        with ctx.tracking_run(f"backtest {name}", params=run_params) as run:
            flat = {k: v for k, v in result.metrics.items() if isinstance(v, int | float) and math.isfinite(v)}
            flat.update({k: v for k, v in stats.items() if isinstance(v, int | float) and math.isfinite(v)})
            if wf is not None:
                flat.update(
                    {f"oos_{k}": v for k, v in wf.metrics.items() if isinstance(v, int | float) and math.isfinite(v)}
                )
                if math.isfinite(wf.walk_forward_efficiency):
                    flat["walk_forward_efficiency"] = wf.walk_forward_efficiency
            if pbo_res is not None:
                flat["pbo"] = pbo_res.pbo
            run.log_metrics(flat)
            if report is not None:
                from trade2026.backtest._report import write_report

                files = write_report(
                    report,
                    title=f"Backtest {strategy}",
                    returns=report_returns,
                    metrics=wf.metrics if wf is not None else result.metrics,
                    trades=result.trades,
                    statistics=stats,
                    walk_forward=wf.to_dict() if wf is not None else None,
                    pbo_logits=pbo_res.logits if pbo_res is not None else None,
                    pbo_summary=pbo_res.to_dict() if pbo_res is not None else None,
                    robustness=data["robustness"],
                    params=chosen,
                )
                data["report"] = str(files[0])
                for f in files:
                    run.log_artifact(f)
            run_id = getattr(run, "run_id", None)
        data["run_id"] = run_id
        lines = [f"Report written to {data['report']}"] if report is not None else []
        if run_id:
            lines.append(f"MLflow run {run_id}")
        return Out(data, tables=tables, lines=lines)
