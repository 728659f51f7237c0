"""``t26 serve``: the live paper-trading loop (risk, order state machine, journal, positions)."""

from __future__ import annotations

from typing import Annotated

import typer

from commands._cli import Ctx, Out, command, split_list


def register(app: typer.Typer) -> None:
    @command(app, "serve")
    def serve(
        ctx: Ctx,
        strategy: Annotated[
            str,
            typer.Option(
                help=(
                    "A backtest strategy spec (sma_cross:fast=20,slow=50), signal:COLUMN, or a registered model: "
                    "model:NAME[@ALIAS|/VERSION] (t26 models ls)."
                ),
                show_default=False,
            ),
        ],
        venue: Annotated[
            str, typer.Option(help="paper (over --replay), prism://HOST:PORT (t26 sim venue) or ccxt:EXCHANGE.")
        ] = "paper",
        replay: Annotated[str, typer.Option(help="Bars table the paper venue replays.")] = "bars_1d",
        symbols: Annotated[
            str | None, typer.Option("--symbols", "-s", help="Comma-separated symbols (default: all).")
        ] = None,
        signal_table: Annotated[str | None, typer.Option(help="Lake table with the column for signal:COLUMN.")] = None,
        risk: Annotated[str | None, typer.Option(help="Risk limits TOML (max_order_qty, rate_per_s, ...).")] = None,
        speed: Annotated[float, typer.Option(help="Replayed bars per second (0 = as fast as possible).")] = 0.0,
        run_id: Annotated[
            str | None, typer.Option(help="Run name (default: venue + UTC time); reuse it to resume on prism/ccxt.")
        ] = None,
        on_stop: Annotated[
            str, typer.Option(help="Working orders on exit or SIGINT/SIGTERM: leave or cancel.")
        ] = "leave",
        capital: Annotated[float, typer.Option(help="Paper venue's starting cash.")] = 1_000_000.0,
        fill: Annotated[str, typer.Option(help="Fill at the next bar's open or close.")] = "open",
        commission_bps: Annotated[float, typer.Option(help="Commission in bps of notional.")] = 0.0,
        commission_per_share: Annotated[float, typer.Option(help="Commission per share.")] = 0.0,
        commission_fixed: Annotated[float, typer.Option(help="Fixed commission per fill.")] = 0.0,
        slippage_bps: Annotated[float, typer.Option(help="Slippage in bps of the price.")] = 0.0,
        slippage_range: Annotated[float, typer.Option(help="Slippage as a fraction of the bar's high-low.")] = 0.0,
        sizing: Annotated[str, typer.Option(help="fraction (of equity) or notional.")] = "fraction",
        notional: Annotated[float, typer.Option(help="Currency per unit position with --sizing notional.")] = 100_000.0,
        bar_seconds: Annotated[float, typer.Option(help="Bar length in venue seconds (prism venue).")] = 60.0,
        bars: Annotated[int | None, typer.Option(help="Stop after this many bars (prism venue).")] = None,
        lake: Annotated[bool, typer.Option("--lake/--no-lake", help="Write the live_* tables to the lake.")] = True,
    ) -> Out:
        """Trade a strategy live (paper): risk checks, journal before send, restart-safe.

        Orders pass pre-trade risk, are journaled (fsync'd) before they are sent, and fills are
        applied once; a run restarted on a PRISM or ccxt venue (--run-id) replays its journal
        and reconciles with the venue before anything is sent. Logs go to stderr; --json prints the
        summary on exit; SIGINT/SIGTERM stop cleanly (--on-stop leave|cancel).

        Examples:
          t26 serve --strategy sma_cross:fast=20,slow=50 --venue paper --replay bars_1d --symbols ACC
          t26 serve --strategy model:metalabel_ACC@champion --venue paper --symbols ACC
          t26 sim venue --port 7001 &
          t26 serve --strategy sma_cross:fast=5,slow=20 --venue prism://127.0.0.1:7001 --risk risk.toml
        """
        from trade2026.backtest import make_config
        from trade2026.live import serve as run

        cfg = make_config(
            fill=fill,
            commission_bps=commission_bps,
            commission_per_share=commission_per_share,
            commission_fixed=commission_fixed,
            slippage_bps=slippage_bps,
            slippage_range=slippage_range,
            sizing=sizing,
            notional=notional,
            mode="portfolio",
            init_cash=capital,
        )
        res = run(
            strategy,
            lake=ctx.lake,
            home=ctx.settings.home,
            venue=venue,
            replay=replay,
            symbols=split_list(symbols) if symbols else None,
            signal_table=signal_table,
            risk=risk,
            config=cfg,
            speed=speed,
            run_id=run_id,
            on_stop=on_stop,
            write_lake=lake,
            handle_signals=True,
            bar_seconds=bar_seconds,
            max_bars=bars,
            log=ctx.log,
        )
        data = res.to_dict()
        summary = {k: data[k] for k in ("run_id", "bars", "orders", "denied", "fills", "state", "cash", "equity")}
        return Out(data, tables=[("serve", [summary]), ("positions", data["positions"])])
