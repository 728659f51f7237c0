"""``t26 serve``: the live paper-trading loop (risk, order state machine, journal, positions), its
control API, and the API's client subcommands for scripts (status, halt, resume, kill, orders).

``t26 serve --strategy ...`` is ``t26 serve run --strategy ...``: the group runs ``run`` when the
first argument is not one of its subcommands, so the loop's invocation is what it always was.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from commands._cli import Ctx, Out, command, split_list

UrlOpt = Annotated[
    str,
    typer.Option("--url", envvar="T26_API_URL", help="The control API's URL (what t26 serve --api printed)."),
]
TokenFileOpt = Annotated[
    str | None, typer.Option("--token-file", help="File with the API token (default: env T26_API_TOKEN).")
]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (journaled with who asked).")]


class _DefaultRun(TyperGroup):
    """``t26 serve [OPTIONS]`` runs the loop (``run``); ``t26 serve SUBCOMMAND`` the subcommand."""

    default_command = "run"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default_command, *args]
        return list(super().parse_args(ctx, args))


def _client(url: str, token_file: str | None) -> Any:
    from trade2026.live import ApiClient

    return ApiClient(url, token_file=token_file)


def register(root: typer.Typer) -> None:
    app = typer.Typer(
        cls=_DefaultRun,
        no_args_is_help=True,
        help="Trade live (paper): t26 serve --strategy SPEC runs the loop (t26 serve run); "
        "status/halt/resume/kill/orders talk to a running loop's control API.",
    )
    root.add_typer(app, name="serve")

    @command(app, "run")
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
        api: Annotated[bool, typer.Option("--api/--no-api", help="Serve the control API (and operator page).")] = False,
        host: Annotated[
            str, typer.Option(help="Control API address (a non-loopback one needs a token).")
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Control API port (0: any free port, printed on stderr).")] = 8765,
        token_file: Annotated[
            str | None,
            typer.Option(help="File with the API token (24+ chars; default env T26_API_TOKEN, else one is made)."),
        ] = None,
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
          t26 serve --strategy sma_cross:fast=5,slow=20 --venue prism://127.0.0.1:7001 --api --port 8765
        """
        from trade2026.backtest import make_config
        from trade2026.live import api_settings
        from trade2026.live import serve as run

        settings = api_settings(host, port, token_file) if api else None

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
            api=settings,
        )
        data = res.to_dict()
        summary = {k: data[k] for k in ("run_id", "bars", "orders", "denied", "fills", "state", "cash", "equity")}
        return Out(data, tables=[("serve", [summary]), ("positions", data["positions"])])

    @command(app, "status")
    def status(ctx: Ctx, url: UrlOpt = "http://127.0.0.1:8765", token_file: TokenFileOpt = None) -> Out:
        """The trading state and health of a running t26 serve --api.

        Exit 0 when the API answered, 2 when it refused (token), 1 when it is unreachable.

        Example: t26 serve status --url http://127.0.0.1:8765 --token-file ~/.t26/api_token --json
        """
        return Out(_client(url, token_file).status())

    def _set_state(action: str, url: str, token_file: str | None, reason: str) -> Out:
        data = _client(url, token_file).set_state(action, reason)
        return Out(data, tables=[(action, [data])])

    @command(app, "halt")
    def halt(
        ctx: Ctx,
        url: UrlOpt = "http://127.0.0.1:8765",
        token_file: TokenFileOpt = None,
        reason: ReasonOpt = "t26 serve halt",
    ) -> Out:
        """Halt trading: no new order passes risk (working orders stay; the kill switch cancels them).

        Example: t26 serve halt --url http://127.0.0.1:8765 --reason "data outage"
        """
        return _set_state("halt", url, token_file, reason)

    @command(app, "resume")
    def resume(
        ctx: Ctx,
        url: UrlOpt = "http://127.0.0.1:8765",
        token_file: TokenFileOpt = None,
        reason: ReasonOpt = "t26 serve resume",
    ) -> Out:
        """Resume trading after a halt or reduce-only (refused while the kill switch is set).

        Example: t26 serve resume --url http://127.0.0.1:8765 --reason "outage over"
        """
        return _set_state("resume", url, token_file, reason)

    @command(app, "kill")
    def kill(
        ctx: Ctx,
        url: UrlOpt = "http://127.0.0.1:8765",
        token_file: TokenFileOpt = None,
        reason: ReasonOpt = "t26 serve kill",
        yes: Annotated[bool, typer.Option("--yes", help="Do not ask for the typed confirmation.")] = False,
    ) -> Out:
        """The kill switch: cancel every working order, flatten, latch halted (holds across restarts).

        Asks you to type KILL unless --yes.

        Example: t26 serve kill --url http://127.0.0.1:8765 --reason "runaway strategy" --yes
        """
        from trade2026.errors import InputError

        client = _client(url, token_file)
        if not yes:
            typed = typer.prompt(
                f"Kill switch on {client.url}: cancel all, flatten, latch. Type KILL to confirm", err=True
            )
            if typed.strip() != "KILL":
                msg = "not confirmed (type KILL, or pass --yes); nothing was done"
                raise InputError(msg)
        data = client.kill(reason)
        return Out(data, tables=[("kill", [data])])

    @command(app, "orders")
    def orders(
        ctx: Ctx,
        url: UrlOpt = "http://127.0.0.1:8765",
        token_file: TokenFileOpt = None,
        scope: Annotated[str, typer.Option(help="working, done (recent finished ones) or all.")] = "working",
    ) -> Out:
        """The orders of a running t26 serve --api (working by default).

        Example: t26 serve orders --url http://127.0.0.1:8765 --scope all --json
        """
        rows = _client(url, token_file).orders(scope)
        show = [{k: v for k, v in r.items() if k != "history"} for r in rows]
        return Out(rows, tables=[("orders", show)])
