"""``t26 features``: build, list and show feature sets (the feature store on the lake)."""

from __future__ import annotations

from typing import Annotated

import typer

from commands._cli import Ctx, Out, command

app = typer.Typer(
    help="Feature sets: TOML definitions materialised as lake tables features_NAME, built incrementally.",
    no_args_is_help=True,
)


@command(app, "build", tracked=True)
def build(
    ctx: Ctx,
    source: Annotated[
        str, typer.Argument(help="A feature-set TOML file, or the name of a set built before.", show_default=False)
    ],
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Recompute and replace the whole table.")] = False,
) -> Out:
    """Materialise a feature set into features_NAME, adding only bars newer than the table's.

    A changed definition (another hash) rebuilds the table. Nothing new: exit 0, mode up_to_date.

    Examples:
      t26 features build datasets/features/momentum.toml
      t26 features build momentum --json
    """
    from trade2026.features import build_features

    res = build_features(ctx.lake, source, rebuild=rebuild)
    data = res.to_dict()
    with ctx.tracking_run("features build", params={"name": res.name, "hash": res.hash, "mode": res.mode}) as run:
        run.log_metrics(res.metrics())
        data["run_id"] = run.run_id
    lines = [res.message] + ([f"MLflow run {data['run_id']}"] if data["run_id"] else [])
    row = {k: data[k] for k in ("name", "table", "hash", "mode", "rows_written", "symbols", "last_ts", "version")}
    return Out(data, tables=[("Feature set", [row])], lines=lines)


@command(app, "ls")
def ls(ctx: Ctx) -> Out:
    """List the feature sets in the lake: hash, source table, features, rows, symbols, last bar.

    Example: t26 features ls --json
    """
    from trade2026.features import feature_sets

    rows = feature_sets(ctx.lake)
    lines = [] if rows else ["no feature sets yet: t26 features build datasets/features/momentum.toml"]
    return Out(rows, tables=[("Feature sets", rows)], lines=lines)


@command(app, "show")
def show(ctx: Ctx, name: Annotated[str, typer.Argument(help="A feature set's name.", show_default=False)]) -> Out:
    """Show a feature set: its definition, hash, columns and table.

    Example: t26 features show momentum
    """
    from trade2026.features import feature_set_info

    info = feature_set_info(ctx.lake, name)
    head = {k: v for k, v in info.items() if k not in ("definition", "columns")}
    tables = [
        ("Feature set", [{"field": k, "value": v} for k, v in head.items()]),
        ("Definition", [{"key": k, "value": v} for k, v in info["definition"].items()]),
        ("Columns", [{"column": c} for c in info["columns"]]),
    ]
    return Out(info, tables=tables)


def register(root: typer.Typer) -> None:
    """Add ``t26 features`` and its subcommands to the root app."""
    root.add_typer(app, name="features")
