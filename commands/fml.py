"""``t26 fracdiff``, ``t26 label``, ``t26 metalabel``: financial-ML steps over the lake's daily bars."""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command
from trade2026.errors import ConfigError

SymbolsArg = Annotated[list[str], typer.Argument(help="One or more symbols in the bars table.", show_default=False)]
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

  t26 fracdiff AAA BBB --d auto

  t26 fracdiff AAA --d 0.4 --thresh 1e-4 --save features_fracdiff
"""

LABEL_HELP = """Sample CUSUM events and label them with the triple barrier (AFML ch. 2-4).

Events: a symmetric CUSUM filter on log closes with threshold --cusum x daily volatility. Barriers:
profit-taking at --pt x volatility, stop-loss at --sl x volatility (0 disables either; they are
independent), vertical after --vertical bars (or a duration such as 14d). --save writes one row per
event (symbol, ts = t0, t1, barrier, ret, target, label, uniqueness, weight) to a lake table.

Examples:

  t26 label AAA BBB --pt 1 --sl 2 --vertical 10

  t26 label AAA --save labels_1d --json
"""

METALABEL_HELP = """Meta-label a primary strategy's bets and measure what a secondary model adds (AFML 3.6, ch. 10).

The primary (a strategy spec, or signal:COLUMN for a column of the bars table) gives each CUSUM event
a side; triple-barrier labels say whether the bet paid; a classifier (rf, gb or logit) predicts that
from features known at the bet, evaluated out of sample with purged k-fold. Reported: precision,
recall, F1, accuracy and ROC AUC of the primary alone vs with the meta model, and Sharpe / drawdown of
the primary's bets, the meta-filtered bets and the meta-sized bets (size from the probability,
AFML 10.1, discretised by --step). Logged to MLflow with the fitted model.

Examples:

  t26 metalabel AAA --primary "sma_cross:fast=20,slow=50" --model rf

  t26 metalabel AAA --primary signal:my_signal --model logit --json
"""


def _read_bars(ctx: Ctx, table: str, symbols: list[str], extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Each named symbol's bars (plus ``extra`` columns), in the order given."""
    import polars as pl

    from trade2026.lake import BAR_COLUMNS

    df = ctx.lake.read_bars(table, symbols=symbols, columns=[*BAR_COLUMNS, *extra])
    wanted = list(dict.fromkeys(s.strip() for s in symbols if s.strip()))
    return {s: df.filter(pl.col("symbol") == s) for s in wanted}


def _vertical(value: str) -> Any:
    text = value.strip()
    return int(text) if text.isdigit() else text


def _metric_key(prefix: str, symbol: str) -> str:
    """An MLflow-safe metric name (letters, digits, ``_ - . / : space``) for a per-symbol value."""
    return prefix + "_" + re.sub(r"[^\w.\-/: ]", "_", symbol)


def _fracdiff_task(task: dict[str, Any]) -> dict[str, Any]:
    """One symbol of ``t26 fracdiff`` (top level, so processes and Ray can ship it)."""
    from trade2026.features import fracdiff_report

    rep = fracdiff_report(task["logc"], task["d"], thresh=task["thresh"], pvalue=task["pvalue"])
    keys = ("d", "width", "n_obs", "adf_stat", "pvalue", "corr", "stationary")
    out: dict[str, Any] = {"d": rep.d, "result": {"symbol": task["symbol"], **{k: rep.row[k] for k in keys}}}
    if rep.search is not None:
        out["search"] = rep.search
        out["grid"] = [r for r in rep.search if abs(r["d"] * 10 - round(r["d"] * 10)) < 1e-9]
    if task["save"]:
        out["series"] = rep.series
    return out


def _label_task(task: dict[str, Any]) -> dict[str, Any]:
    """One symbol of ``t26 label`` (top level, so processes and Ray can ship it)."""
    import polars as pl

    from trade2026.labeling import label_events

    res = label_events(task["close"], **task["params"])
    frame = None
    if task["save"] and res.labels is not None:
        frame = res.labels.rename({"t0": "ts"}).with_columns(pl.lit(task["symbol"]).alias("symbol"))
    return {"row": {"symbol": task["symbol"], **res.summary}, "frame": frame}


def register(app: typer.Typer) -> None:
    @command(app, "fracdiff", tracked=True, help=FRACDIFF_HELP)
    def fracdiff_cmd(
        ctx: Ctx,
        symbols: SymbolsArg,
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
        import numpy as np
        import polars as pl

        from trade2026.features._fracdiff import FFD_THRESH, SEARCH_THRESH
        from trade2026.parallel import run_tasks

        auto = d.strip().lower() == "auto"
        d_value: float | None = None
        if not auto:
            try:
                d_value = float(d)
            except ValueError:
                msg = f"--d must be a number in [0, 2] or 'auto', got {d!r}"
                raise ConfigError(msg) from None
        th = thresh if thresh is not None else (SEARCH_THRESH if auto else FFD_THRESH)
        bars = _read_bars(ctx, table, symbols)
        tasks = [
            {
                "symbol": sym,
                "logc": np.log(frame["close"].to_numpy()),
                "d": d_value,
                "thresh": th,
                "pvalue": pvalue,
                "save": bool(save),
            }
            for sym, frame in bars.items()
        ]
        outs = run_tasks(
            _fracdiff_task,
            tasks,
            executor=executor or ctx.settings.executor,
            ray_address=ray_address or ctx.settings.ray_address,
            progress=not ctx.json,
            description="fracdiff",
        )
        results = [o["result"] for o in outs]
        tables: list[tuple[str, list[dict[str, Any]]]] = []
        data: dict[str, Any] = {"thresh": th, "results": results}
        if auto:
            data["search"] = {o["result"]["symbol"]: o["search"] for o in outs}
            tables = [
                (f"{o['result']['symbol']}: ADF of the FFD series by d (chosen d = {o['d']:g})", o["grid"])
                for o in outs
            ]
        lines = []
        if save:
            saved_frames = [
                frame.select("symbol", "ts")
                .with_columns(value=pl.Series("value", o["series"]), d=pl.lit(o["d"]))
                .drop_nulls("value")
                .filter(pl.col("value").is_not_nan())
                for frame, o in zip(bars.values(), outs, strict=True)
            ]
            out = pl.concat(saved_frames) if saved_frames else pl.DataFrame()
            wr = ctx.lake.write(save, out, mode="merge", keys=["symbol", "ts"])
            data["saved"] = {"table": save, "rows": out.height, "inserted": wr.inserted, "updated": wr.updated}
            lines.append(f"saved {out.height} rows to {save} (inserted {wr.inserted}, updated {wr.updated})")
        params = {
            "symbols": ",".join(bars),
            "d": "auto" if auto else d_value,
            "thresh": th,
            "pvalue": pvalue,
            "table": table,
            "save": save or "",
        }
        metrics: dict[str, Any] = {"n_symbols": len(results)}
        for r in results:
            metrics[_metric_key("d", r["symbol"])] = r["d"]
            metrics[_metric_key("pvalue", r["symbol"])] = r["pvalue"]
            metrics[_metric_key("corr", r["symbol"])] = r["corr"]
        with ctx.tracking_run("fracdiff", params=params) as run:
            run.log_metrics(metrics)
            run.log_dict(data, "fracdiff.json")
            data["run_id"] = run.run_id
        if data["run_id"]:
            lines.append(f"MLflow run {data['run_id']}")
        tables.append(("Fractional differentiation of log close" + (" (auto d)" if auto else ""), results))
        return Out(data, tables=tables, lines=lines)

    @command(app, "label", tracked=True, help=LABEL_HELP)
    def label_cmd(
        ctx: Ctx,
        symbols: SymbolsArg,
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
        import polars as pl

        from trade2026.parallel import run_tasks

        if cusum <= 0:
            msg = f"--cusum must be a positive multiple of the daily volatility, got {cusum}"
            raise ConfigError(msg)
        bars = _read_bars(ctx, table, symbols)
        params: dict[str, Any] = {
            "pt": pt,
            "sl": sl,
            "vertical": _vertical(vertical),
            "cusum": cusum,
            "span": span,
            "min_ret": min_ret,
        }
        tasks = [
            {"symbol": sym, "close": frame.select("ts", "close"), "params": params, "save": bool(save)}
            for sym, frame in bars.items()
        ]
        outs = run_tasks(
            _label_task,
            tasks,
            executor=executor or ctx.settings.executor,
            ray_address=ray_address or ctx.settings.ray_address,
            progress=not ctx.json,
            description="labels",
        )
        summary = [o["row"] for o in outs]
        frames = [o["frame"] for o in outs if o["frame"] is not None]
        data: dict[str, Any] = {"params": params, "summary": summary}
        lines = []
        if save:
            out = (
                pl.concat(frames).select(
                    "symbol", "ts", "t1", "barrier", "ret", "target", "label", "uniqueness", "weight"
                )
                if frames
                else None
            )
            if out is None:
                lines.append("no events: nothing saved")
                data["saved"] = {"table": save, "rows": 0}
            else:
                wr = ctx.lake.write(save, out, mode="merge", keys=["symbol", "ts"])
                data["saved"] = {"table": save, "rows": out.height, "inserted": wr.inserted, "updated": wr.updated}
                lines.append(f"saved {out.height} labels to {save} (inserted {wr.inserted}, updated {wr.updated})")
        metrics: dict[str, Any] = {"n_symbols": len(summary)}
        for key in ("events", "pt", "sl", "vertical", "end", "label_up", "label_down", "label_zero"):
            metrics[key] = sum(int(r.get(key, 0)) for r in summary)
        for r in summary:
            metrics[_metric_key("events", r["symbol"])] = r["events"]
        run_params = {"symbols": ",".join(bars), **params, "table": table, "save": save or ""}
        with ctx.tracking_run("label", params=run_params) as run:
            run.log_metrics(metrics)
            run.log_dict(data, "label.json")
            data["run_id"] = run.run_id
        if data["run_id"]:
            lines.append(f"MLflow run {data['run_id']}")
        return Out(data, tables=[("Triple-barrier labels", summary)], lines=lines)

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
    ) -> Out:
        import pickle
        import tempfile
        from pathlib import Path

        import polars as pl

        from trade2026.backtest import parse_strategy
        from trade2026.labeling._meta import MODELS, metalabel

        if model not in MODELS:
            msg = f"--model must be one of {', '.join(MODELS)}, got {model!r}"
            raise ConfigError(msg)
        name, params = parse_strategy(primary)
        extra = (params["column"],) if name == "signal" else ()
        frame = _read_bars(ctx, table, [symbol], extra)[symbol]
        res = metalabel(
            frame,
            primary,
            model=model,
            pt=pt,
            sl=sl,
            vertical=_vertical(vertical),
            cusum=cusum,
            n_splits=splits,
            embargo=embargo,
            step=step,
            random_state=seed,
        )
        data: dict[str, Any] = {"symbol": symbol, **res.to_dict()}
        metrics = {f"{variant}_{k}": v for variant, m in res.classification.items() for k, v in m.items()}
        metrics.update({f"{variant}_{k}": v for variant, m in res.returns.items() for k, v in m.items()})
        with ctx.tracking_run("metalabel", params={"symbol": symbol, **res.params}) as run:
            run.log_metrics(metrics)
            run.log_dict(data, "metalabel.json")
            if run.run_id is not None:
                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp) / "meta_model.pkl"
                    path.write_bytes(pickle.dumps({"model": res.model, "features": res.feature_names}))
                    run.log_artifact(path)
            data["run_id"] = run.run_id
        lines = []
        if save:
            out = res.events.rename({"t0": "ts"}).with_columns(pl.lit(symbol).alias("symbol"))
            wr = ctx.lake.write(
                save,
                out.select("symbol", *[c for c in out.columns if c != "symbol"]),
                mode="merge",
                keys=["symbol", "ts"],
            )
            data["saved"] = {"table": save, "rows": out.height, "inserted": wr.inserted, "updated": wr.updated}
            lines.append(f"saved {out.height} bets to {save}")
        if data["run_id"]:
            lines.append(f"MLflow run {data['run_id']}")
        cls_rows = [{"model": k, **v} for k, v in res.classification.items()]
        ret_rows = [{"bets": k, **v} for k, v in res.returns.items()]
        return Out(
            data,
            tables=[
                (f"{symbol}: {res.events.height} bets of {primary}, out-of-sample ({splits}-fold purged)", cls_rows),
                ("Strategy returns", ret_rows),
            ],
            lines=lines,
        )
