"""The ``t26`` entry point: the root app and the registry of subcommands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from commands import (
    backtest,
    data,
    demo,
    factors,
    features,
    fml,
    models,
    portfolio,
    regime,
    rl,
    runs,
    screen,
    serve,
    sim,
    sql,
)

# The order `t26 --help` lists commands in: what a newcomer needs first (the demo, the data, SQL over
# it), then research from screens to portfolios and simulation, then trading and the runs' record.
ORDER = (
    "demo", "data", "sql", "screen", "regime", "factors", "features", "fracdiff", "label", "metalabel",
    "models", "backtest", "portfolio", "sim", "rl", "serve", "runs",
)  # fmt: skip


class _Ordered(TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(ORDER)}
        return sorted(names, key=lambda n: (rank.get(n, len(ORDER)), n))


app = typer.Typer(
    name="t26",
    cls=_Ordered,
    help="Trade2026: a quant research toolkit over a local Delta Lake. "
    "Every command takes --json for machine-readable output and --home to pick the lake.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Every command module registers itself the same way (`t26 --help` lists them in ORDER).
_MODULES = (demo, data, sql, screen, regime, factors, features, fml, models, backtest, portfolio, sim, rl, serve, runs)
for _module in _MODULES:
    _module.register(app)


def _version(value: bool) -> None:
    if value:
        from trade2026 import __version__

        typer.echo(f"t26 {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option("--home", help="Home directory with the lake and runs (env T26_HOME).", show_default=False),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Trade2026 research toolkit."""
    ctx.obj = {"home": home, "debug": debug}


def main() -> None:
    app()


if __name__ == "__main__":
    main()
