"""``t26 runs``: the MLflow runs that commands log."""

from __future__ import annotations

from typing import Annotated

import typer

from commands._cli import Ctx, Out, command
from trade2026.errors import InputError

app = typer.Typer(help="List and show the MLflow runs that commands log.", no_args_is_help=True)


@command(app, "ls")
def ls(
    ctx: Ctx,
    limit: Annotated[int, typer.Option(help="Newest N runs.")] = 20,
    name: Annotated[str | None, typer.Option(help="Only runs of this command (e.g. demo, backtest).")] = None,
) -> Out:
    """List runs, newest first.

    Example: t26 runs ls --limit 5
    """
    from trade2026 import tracking

    if limit < 1:
        raise InputError(f"--limit must be >= 1, got {limit}")
    rows = tracking.list_runs(ctx.settings, limit=limit, name=name)
    human = [
        {
            "run_id": r["run_id"],
            "name": r["name"],
            "status": r["status"],
            "start": r["start"],
            "duration_s": r["duration_s"],
            "metrics": ", ".join(f"{k}={v:.4g}" for k, v in list(r["metrics"].items())[:4]),
        }
        for r in rows
    ]
    return Out(
        rows, tables=[("runs", human)], lines=[] if rows else ["no runs yet (commands that compute results log one)"]
    )


@command(app, "show")
def show(ctx: Ctx, run_id: Annotated[str, typer.Argument(help="A run id from `t26 runs ls`.")]) -> Out:
    """Show one run: params, metrics, tags and artifacts.

    Example: t26 runs show 3f2a...
    """
    from trade2026 import tracking

    run = tracking.get_run(run_id, ctx.settings)
    head = {k: run[k] for k in ("run_id", "name", "status", "start", "duration_s", "artifact_uri")}
    tables = [
        ("run", [{"field": k, "value": v} for k, v in head.items()]),
        ("params", [{"param": k, "value": v} for k, v in sorted(run["params"].items())]),
        ("metrics", [{"metric": k, "value": v} for k, v in sorted(run["metrics"].items())]),
    ]
    if run["artifacts"]:
        tables.append(("artifacts", [{"path": a} for a in run["artifacts"]]))
    return Out(run, tables=tables)


def register(root: typer.Typer) -> None:
    """Add ``t26 runs`` and its subcommands to the root app."""
    root.add_typer(app, name="runs")
