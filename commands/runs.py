"""``t26 runs``: the MLflow runs that commands log."""

from __future__ import annotations

from pathlib import Path
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
def show(
    ctx: Ctx, run_id: Annotated[str, typer.Argument(help="A run id from `t26 runs ls`, or a unique prefix of one.")]
) -> Out:
    """Show one run: params, metrics, tags and artifacts.

    Example: t26 runs show 3f2a
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


@command(app, "compare")
def compare(
    ctx: Ctx,
    run_ids: Annotated[
        list[str],
        typer.Argument(metavar="RUN_ID...", help="Two or more run ids (or unique prefixes) from `t26 runs ls`."),
    ],
    report: Annotated[
        Path | None,
        typer.Option(help="Write an HTML report (metrics side by side, equity curves overlaid; PNGs beside it)."),
    ] = None,
) -> Out:
    """Compare runs: metrics and params side by side, the equity of the returns they logged overlaid.

    Example: t26 runs compare 3f2a 9c1e --report runs.html
    """
    from trade2026 import tracking

    if report is not None and report.suffix.lower() != ".html":
        msg = f"--report must be an .html file, got {report.name!r}"
        raise InputError(msg)
    cmp = tracking.compare_runs(run_ids, ctx.settings)
    data = cmp.to_dict()
    labels = {r["run_id"]: f"{r['name']} {r['run_id'][:8]}" for r in cmp.runs}

    def human(rows: list[dict]) -> list[dict]:
        return [{labels.get(k, k): v for k, v in r.items()} for r in rows]

    tables = [("runs", cmp.runs), ("metrics", human(cmp.metrics))]
    if data["performance"]:
        tables.append(("logged returns", [{**r, "run_id": labels[r["run_id"]]} for r in data["performance"]]))
    tables.append(("params", human(cmp.params)))
    lines = []
    missing = [labels[r["run_id"]] for r in cmp.runs if r["run_id"] not in cmp.curves]
    if missing:
        lines.append(f"[dim]no returns logged by: {', '.join(missing)} (no equity curve for them)[/dim]")
    if report is not None:
        written = cmp.report().write(report)
        data["report"] = str(written[0])
        lines.append(f"report: {written[0]}")
    return Out(data, tables=tables, lines=lines)


def register(root: typer.Typer) -> None:
    """Add ``t26 runs`` and its subcommands to the root app."""
    root.add_typer(app, name="runs")
