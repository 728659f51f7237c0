"""``t26 models``: the MLflow model registry: list, show, promote, and predict a signal table."""

from __future__ import annotations

from typing import Annotated

import typer

from commands._cli import Ctx, Out, command

app = typer.Typer(
    help="Registered models (MLflow's registry): list, show, promote with an alias, predict a signal table.",
    no_args_is_help=True,
)

_SHORT = ("name", "version", "aliases", "run_id", "created")


@command(app, "ls")
def ls(ctx: Ctx) -> Out:
    """List every version of every registered model (meta-label and RL), newest first.

    Example: t26 models ls --json
    """
    from trade2026 import tracking

    rows = tracking.list_models(ctx.settings)
    human = [{**{k: r[k] for k in _SHORT}, "kind": r["tags"].get("t26.kind", "")} for r in rows]
    lines = [] if rows else ["no registered models yet (t26 metalabel and t26 rl train register theirs)"]
    return Out(rows, tables=[("Registered models", human)], lines=lines)


@command(app, "show")
def show(ctx: Ctx, name: Annotated[str, typer.Argument(help="A registered model's name.", show_default=False)]) -> Out:
    """Show a model's versions with their aliases and tags (feature set, hash, table versions).

    Example: t26 models show metalabel_ACC
    """
    from trade2026 import tracking

    rows = tracking.model_versions(name, ctx.settings)
    tables = [(f"{name}: versions", [{k: r[k] for k in _SHORT} for r in rows])]
    tables += [
        (f"{name} version {r['version']}: tags", [{"tag": k, "value": v} for k, v in r["tags"].items()])
        for r in rows[:1]
    ]
    return Out({"name": name, "versions": rows}, tables=tables)


@command(app, "promote")
def promote(
    ctx: Ctx,
    name: Annotated[str, typer.Argument(help="A registered model's name.", show_default=False)],
    version: Annotated[int, typer.Argument(help="The version to promote.", show_default=False)],
    alias: Annotated[str, typer.Option("--alias", help="The alias to point at the version.")] = "champion",
) -> Out:
    """Point an alias (champion by default) at a version; predict and serve then use NAME@ALIAS.

    Example: t26 models promote metalabel_ACC 3 --alias champion
    """
    from trade2026 import tracking

    row = tracking.promote_model(name, version, alias, ctx.settings)
    return Out(
        row, tables=[("Promoted", [{k: row[k] for k in _SHORT}])], lines=[f"{name}@{alias} is version {version}"]
    )


@command(app, "predict", tracked=True)
def predict(
    ctx: Ctx,
    ref: Annotated[str, typer.Argument(help="NAME@ALIAS, NAME/VERSION or NAME (newest).", show_default=False)],
    table: Annotated[str, typer.Option("--table", help="Bars table to predict on.")] = "bars_1d",
    symbols: Annotated[
        str | None, typer.Option("--symbols", "-s", help="Comma-separated symbols (default: all).", show_default=False)
    ] = None,
    save: Annotated[
        str | None,
        typer.Option(
            "--save", help="Write the signal table (symbol, ts, side, prob, size, signal) here.", show_default=False
        ),
    ] = None,
) -> Out:
    """Predict with a registered meta-label model on every bar and write a signal table.

    The table's signal column is side x bet size; backtest it with
    t26 backtest signal:signal --signal-table NAME.

    Examples:
      t26 models predict metalabel_ACC@champion --table bars_1d --save preds
      t26 backtest signal:signal --signal-table preds --symbols ACC
    """
    from commands._cli import split_list
    from trade2026.labeling import predict_bars

    res = predict_bars(
        ctx.lake, ref, table=table, symbols=split_list(symbols) or None, save=save, settings=ctx.settings
    )
    data = res.to_dict()
    with ctx.tracking_run("models predict", params={"model": res.model, "version": res.version, "table": table}) as run:
        run.log_metrics({"rows": data["rows"], "bets": data["bets"]})
        data["run_id"] = run.run_id
    head = {k: data[k] for k in ("model", "version", "table", "rows", "bets", "mean_prob", "start", "end")}
    lines = [f"saved {res.saved['rows']} rows to {res.saved['table']}"] if res.saved else []
    if data["run_id"]:
        lines.append(f"MLflow run {data['run_id']}")
    return Out(data, tables=[("Predictions", [head])], lines=lines)


def register(root: typer.Typer) -> None:
    """Add ``t26 models`` and its subcommands to the root app."""
    root.add_typer(app, name="models")
