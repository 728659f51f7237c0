"""``t26 fracdiff``, ``t26 label``, ``t26 metalabel``: financial-ML steps over the lake's daily bars."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, UniverseOpt, command

SymbolsArg = Annotated[
    list[str] | None, typer.Argument(help="One or more symbols in the bars table (or --universe).", show_default=False)
]


def _symbols(ctx: Ctx, symbols: list[str] | None, universe: str | None, table: str) -> list[str]:
    """The positional symbols, or the members of ``--universe`` (one of the two is needed)."""
    from trade2026.errors import InputError

    if symbols and universe:
        msg = "give symbols or --universe, not both"
        raise InputError(msg)
    if not symbols and not universe:
        msg = 'name one or more symbols, or a --universe ("AAA,BBB" or "sector:NAME")'
        raise InputError(msg)
    return list(symbols) if symbols else list(ctx.lake.resolve_universe(universe, table=table) or [])


TableOpt = Annotated[str, typer.Option("--table", help="Bars table to read.")]
SaveOpt = Annotated[
    str | None,
    typer.Option("--save", help="Write the result rows to this lake table (merged on symbol, ts).", show_default=False),
]
ExecutorOpt = Annotated[
    str | None,
    typer.Option(
        "--executor",
        help="Per-symbol fan-out: serial, processes or ray (default: T26_EXECUTOR / t26.toml, else serial).",
        show_default=False,
    ),
]
RayOpt = Annotated[
    str | None,
    typer.Option("--ray-address", help="Ray cluster address (with --executor ray).", show_default=False),
]

FRACDIFF_HELP = """Fractionally differentiate log closes (AFML ch. 5), with a fixed d or the smallest d that passes ADF.

With --d auto the command searches d in [0, 1] by 0.01 and prints, per symbol, the ADF statistic,
p-value and correlation with the original series for d = 0, 0.1, ..., 1 (AFML fig. 5.5) and the
chosen d. --save writes the differentiated series (symbol, ts, value, d) to a lake table.

Examples:

  t26 fracdiff ACC ACZV --d auto

  t26 fracdiff ACC --d 0.4 --thresh 1e-4 --save features_fracdiff
"""

LABEL_HELP = """Sample CUSUM events and label them with the triple barrier (AFML ch. 2-4).

Events: a symmetric CUSUM filter on log closes with threshold --cusum x daily volatility. Barriers:
profit-taking at --pt x volatility, stop-loss at --sl x volatility (0 disables either; they are
independent), vertical after --vertical bars (or a duration such as 14d). --save writes one row per
event (symbol, ts = t0, t1, barrier, ret, target, label, uniqueness, weight) to a lake table.

Examples:

  t26 label ACC ACZV --pt 1 --sl 2 --vertical 10

  t26 label ACC --save labels_1d --json
"""

METALABEL_HELP = """Meta-label a primary strategy's bets and measure what a secondary model adds (AFML 3.6, ch. 10).

The primary (a strategy spec, or signal:COLUMN for a column of the bars table) gives each CUSUM event
a side; triple-barrier labels say whether the bet paid; a classifier (rf, gb or logit) predicts that
from features known at the bet, evaluated out of sample with purged k-fold. Reported: precision,
recall, F1, accuracy and ROC AUC of the primary alone vs with the meta model, and Sharpe / drawdown of
the primary's bets, the meta-filtered bets and the meta-sized bets (size from the probability,
AFML 10.1, discretised by --step). Logged to MLflow with the fitted model (MLflow sklearn format, with
its signature), registered in MLflow's model registry as --model-name (default metalabel_SYMBOL) with
the feature set, its hash and the lake table versions it was trained on.

Examples:

  t26 metalabel ACC --primary "sma_cross:fast=20,slow=50" --model rf

  t26 metalabel ACC --primary signal:my_signal --model logit --json

  t26 metalabel ACC --features momentum   # a feature set built with `t26 features build`

  t26 metalabel ACC --model gb --search optuna --trials 30 --objective roc_auc

With --search each trial is scored fold by fold; --pruner median stops a trial whose folds so far
score below the median of the earlier trials' (the count is reported: pruned trials were looked at).
"""


def _saved_line(saved: dict[str, Any] | None, what: str) -> list[str]:
    if saved is None:
        return []
    if "inserted" not in saved:
        return [f"no {what}: nothing saved"]
    return [
        f"saved {saved['rows']} {what} to {saved['table']} "
        f"(replacing {saved['replaced']} earlier rows of those symbols)"
    ]


def _tracked(ctx: Ctx, name: str, res: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Log the run (params, metrics, the --json result); the --json result with its ``run_id``."""
    data = res.to_dict()
    with ctx.tracking_run(name, params=params) as run:
        run.log_metrics(res.metrics())
        run.log_dict(data, f"{name}.json")
        data["run_id"] = run.run_id
    return data


def register(app: typer.Typer) -> None:
    @command(app, "fracdiff", tracked=True, help=FRACDIFF_HELP)
    def fracdiff_cmd(
        ctx: Ctx,
        symbols: SymbolsArg = None,
        universe: UniverseOpt = None,
        d: Annotated[
            str, typer.Option("--d", help="Order in [0, 2], or 'auto' for the smallest d passing ADF.")
        ] = "auto",
        thresh: Annotated[
            float | None,
            typer.Option(
                "--thresh",
                help="FFD weight threshold (default 1e-5 for a given d, 1e-4 for auto).",
                show_default=False,
            ),
        ] = None,
        pvalue: Annotated[float, typer.Option("--pvalue", help="ADF p-value a d must reach (auto).")] = 0.05,
        table: TableOpt = "bars_1d",
        save: SaveOpt = None,
        executor: ExecutorOpt = None,
        ray_address: RayOpt = None,
    ) -> Out:
        from trade2026.features import fracdiff_bars

        res = fracdiff_bars(
            ctx.lake,
            _symbols(ctx, symbols, universe, table),
            d=d,
            thresh=thresh,
            pvalue=pvalue,
            table=table,
            save=save,
            executor=executor or ctx.settings.executor,
            ray_address=ray_address or ctx.settings.ray_address,
            progress=not ctx.json,
        )
        data = _tracked(ctx, "fracdiff", res, res.run_params)
        lines = _saved_line(res.saved, "rows")
        if data["run_id"]:
            lines.append(f"MLflow run {data['run_id']}")
        return Out(data, tables=res.tables(), lines=lines)

    @command(app, "label", tracked=True, help=LABEL_HELP)
    def label_cmd(
        ctx: Ctx,
        symbols: SymbolsArg = None,
        universe: UniverseOpt = None,
        pt: Annotated[
            float, typer.Option("--pt", help="Profit-taking barrier, in daily volatilities (0 = off).")
        ] = 1.0,
        sl: Annotated[float, typer.Option("--sl", help="Stop-loss barrier, in daily volatilities (0 = off).")] = 1.0,
        vertical: Annotated[
            str, typer.Option("--vertical", help="Vertical barrier: bars (10) or a duration (14d).")
        ] = "10",
        cusum: Annotated[float, typer.Option("--cusum", help="CUSUM threshold, in daily volatilities.")] = 1.0,
        span: Annotated[int, typer.Option("--span", help="EWM span of the daily volatility.")] = 100,
        min_ret: Annotated[
            float, typer.Option("--min-ret", help="Skip events whose volatility target is below this.")
        ] = 0.0,
        table: TableOpt = "bars_1d",
        save: SaveOpt = None,
        executor: ExecutorOpt = None,
        ray_address: RayOpt = None,
    ) -> Out:
        from trade2026.labeling import label_bars

        res = label_bars(
            ctx.lake,
            _symbols(ctx, symbols, universe, table),
            pt=pt,
            sl=sl,
            vertical=vertical,
            cusum=cusum,
            span=span,
            min_ret=min_ret,
            table=table,
            save=save,
            executor=executor or ctx.settings.executor,
            ray_address=ray_address or ctx.settings.ray_address,
            progress=not ctx.json,
        )
        data = _tracked(ctx, "label", res, res.run_params)
        lines = _saved_line(res.saved, "labels")
        if data["run_id"]:
            lines.append(f"MLflow run {data['run_id']}")
        return Out(data, tables=res.tables(), lines=lines)

    @command(app, "metalabel", tracked=True, help=METALABEL_HELP)
    def metalabel_cmd(
        ctx: Ctx,
        symbol: Annotated[str, typer.Argument(help="The symbol to meta-label.", show_default=False)],
        primary: Annotated[
            str,
            typer.Option(
                "--primary", help='Primary model: a strategy spec ("sma_cross:fast=20,slow=50") or signal:COLUMN.'
            ),
        ] = "sma_cross:fast=20,slow=50",
        model: Annotated[str, typer.Option("--model", help="Secondary model: rf, gb or logit.")] = "rf",
        pt: Annotated[float, typer.Option("--pt", help="Profit-taking barrier, in daily volatilities.")] = 1.0,
        sl: Annotated[float, typer.Option("--sl", help="Stop-loss barrier, in daily volatilities.")] = 1.0,
        vertical: Annotated[str, typer.Option("--vertical", help="Vertical barrier: bars or a duration.")] = "10",
        cusum: Annotated[float, typer.Option("--cusum", help="CUSUM event threshold, in daily volatilities.")] = 1.0,
        splits: Annotated[int, typer.Option("--splits", help="Purged k-fold splits.")] = 5,
        embargo: Annotated[float, typer.Option("--embargo", help="Embargo after each test fold (fraction).")] = 0.01,
        step: Annotated[float, typer.Option("--step", help="Bet-size discretisation step.")] = 0.1,
        seed: Annotated[int, typer.Option("--seed", help="Random seed of the classifier.")] = 0,
        table: TableOpt = "bars_1d",
        save: SaveOpt = None,
        features: Annotated[
            str | None,
            typer.Option(
                "--features",
                help="A built feature set (t26 features ls) as the model's features, instead of the built-in ones.",
                show_default=False,
            ),
        ] = None,
        search: Annotated[
            str | None,
            typer.Option(
                "--search",
                help="Search the classifier's hyperparameters: optuna (TPE, study in <home>/optuna.db) or random.",
                show_default=False,
            ),
        ] = None,
        trials: Annotated[int, typer.Option("--trials", help="Hyperparameter trials with --search.")] = 20,
        study: Annotated[
            str | None,
            typer.Option(
                "--study", help="Optuna study name with --search optuna (default: a new one).", show_default=False
            ),
        ] = None,
        pruner: Annotated[
            str,
            typer.Option(
                "--pruner",
                help="With --search: median (stop a trial whose folds so far score below the median of earlier "
                "trials') or none.",
            ),
        ] = "median",
        objective: Annotated[
            str,
            typer.Option("--objective", help="What --search maximises out of sample: roc_auc, f1, precision, sharpe."),
        ] = "roc_auc",
        model_name: Annotated[
            str | None,
            typer.Option(
                "--model-name",
                help="Register the model under this name (default metalabel_SYMBOL); each run adds a version.",
                show_default=False,
            ),
        ] = None,
    ) -> Out:
        from trade2026.backtest import SearchSpec
        from trade2026.labeling import log_metalabel_model, metalabel_bars

        spec = None
        if search is not None:
            from trade2026.tracking import optuna_storage

            storage = optuna_storage(ctx.settings) if search == "optuna" else None
            spec = SearchSpec(method=search, trials=trials, seed=seed, storage=storage, study=study, pruner=pruner)

        res = metalabel_bars(
            ctx.lake,
            symbol,
            primary=primary,
            model=model,
            pt=pt,
            sl=sl,
            vertical=vertical,
            cusum=cusum,
            n_splits=splits,
            embargo=embargo,
            step=step,
            random_state=seed,
            table=table,
            save=save,
            features=features,
            search=spec,
            objective=objective,
            progress=not ctx.json,
        )
        data = res.to_dict()
        with ctx.tracking_run("metalabel", params=res.run_params) as run:
            run.log_metrics(res.metrics())
            run.log_dict(data, "metalabel.json")
            if run.run_id is not None:
                data["registered"] = log_metalabel_model(
                    run, res, name=model_name or f"metalabel_{res.symbol}", settings=ctx.settings
                )
            data["run_id"] = run.run_id
        lines = _saved_line(res.saved, "bets")
        if res.search is not None:
            s = res.search
            lines.append(
                f"searched {s['n_trials']} trials ({s['n_complete']} complete, {s['n_pruned']} pruned, "
                f"{s['n_failed']} failed): best {s['objective']} {s['best_value']:.4g} with {s['best_params']}; "
                f"its meta-sized Sharpe deflated by all {s['statistics']['n_trials']}: DSR "
                f"{s['statistics']['dsr']:.3f}"
            )
        if data.get("registered"):
            reg = data["registered"]
            lines.append(f"registered model {reg['name']} version {reg['version']} (t26 models show {reg['name']})")
        if data["run_id"]:
            lines.append(f"MLflow run {data['run_id']}")
        return Out(data, tables=res.tables(), lines=lines)
