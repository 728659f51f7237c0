"""``t26 screen``: conditions, alpha ranks, saved screens and their forward-return history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command
from trade2026.errors import InputError

SCREEN_HELP = """Screen the lake's daily bars: which symbols match a condition on a date, ranked by a score.

The condition and --rank use a small expression language: comparisons (< <= > >= == !=), and / or /
not, + - * /, parentheses, price fields (open high low close volume), indicators named name_param
(rsi_14, sma_200, mom_252_21, macd_hist_12_26_9, bb_pctb_20_2; see --list-indicators), market
regimes (regime == "bull", vol_regime == "calm", quadrant == "bull_calm"), element-wise functions
(abs log sqrt exp sign min max) and cross-sectional ones over the symbols of each date
(rank pct zscore demean).

Examples:

  t26 screen "rsi_14 < 30 and close > sma_200"

  t26 screen --rank "0.5*zscore(mom_252_21) - 0.5*zscore(vol_63)" --top 10

  t26 screen --saved oversold --config screens.toml --changes

  t26 screen --history "rsi_14 < 30" --start 2020-01-01 --end 2023-12-31
"""


def _config_path(ctx: Ctx, config: Path | None) -> Path:
    if config is not None:
        return config
    local = Path.cwd() / "screens.toml"
    return local if local.exists() else Path(ctx.settings.home) / "screens.toml"


def _horizons(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        msg = f"--horizons must be comma-separated whole days like 1,5,21, got {text!r}"
        raise InputError(msg) from None
    if not out:
        msg = "--horizons needs at least one horizon, e.g. 1,5,21"
        raise InputError(msg)
    return out


def _list_indicators() -> Out:
    from trade2026.features import indicators as ind

    rows = [
        {"name": i.example, "family": i.family, "params": ",".join(i.params), "summary": i.summary}
        for i in ind.INDICATORS.values()
    ]
    return Out(rows, tables=[("Indicators (name_param; trailing parameters default)", rows)])


def register(app: typer.Typer) -> None:
    @command(app, "screen", tracked=True, help=SCREEN_HELP)
    def screen(
        ctx: Ctx,
        condition: Annotated[
            str | None, typer.Argument(help='Condition, e.g. "rsi_14 < 30 and close > sma_200".', show_default=False)
        ] = None,
        rank: Annotated[
            str | None, typer.Option("--rank", help="Score to sort by, highest first.", show_default=False)
        ] = None,
        top: Annotated[int | None, typer.Option("--top", help="Keep the best N.", show_default=False)] = None,
        date: Annotated[
            str | None,
            typer.Option("--date", help="Screen this date (YYYY-MM-DD) instead of the latest.", show_default=False),
        ] = None,
        universe: Annotated[
            str | None,
            typer.Option("--universe", help='Symbols "ACC,ACZV" or "sector:NAME" (default: all).', show_default=False),
        ] = None,
        benchmark: Annotated[
            str | None,
            typer.Option(
                "--benchmark", help="Symbol for beta_n/corr_n (default: equal-weight universe).", show_default=False
            ),
        ] = None,
        table: Annotated[str, typer.Option("--table", help="Daily bars table to screen.")] = "bars_1d",
        saved: Annotated[
            str | None,
            typer.Option(
                "--saved",
                help="Run the named screen from --config and record it in the screens table.",
                show_default=False,
            ),
        ] = None,
        config: Annotated[
            Path | None,
            typer.Option(
                "--config",
                help="Screens TOML file [default: ./screens.toml, else <home>/screens.toml].",
                show_default=False,
            ),
        ] = None,
        changes: Annotated[
            bool, typer.Option("--changes", help="With --saved: show symbols that entered/left since the previous run.")
        ] = False,
        history: Annotated[
            bool, typer.Option("--history", help="Run the screen on every date and measure forward returns.")
        ] = False,
        start: Annotated[str | None, typer.Option("--start", help="--history: first date.", show_default=False)] = None,
        end: Annotated[str | None, typer.Option("--end", help="--history: last date.", show_default=False)] = None,
        horizons: Annotated[str, typer.Option("--horizons", help="--history: forward horizons in days.")] = "1,5,21",
        list_indicators: Annotated[
            bool, typer.Option("--list-indicators", help="List the indicators and exit.")
        ] = False,
        list_saved: Annotated[bool, typer.Option("--list", help="List the screens in --config and exit.")] = False,
    ) -> Out:
        if list_indicators:
            return _list_indicators()
        from trade2026.screener import get_screen, load_screens, screen_history_report, screen_report

        if list_saved:
            path = _config_path(ctx, config)
            if not path.exists():
                from trade2026.screener import EXAMPLE_SCREENS

                line = f"no saved screens: {path} does not exist (example: {EXAMPLE_SCREENS})"
                return Out([], lines=[line])
            rows = [s.to_dict() for s in load_screens(path).values()]
            return Out(rows, tables=[(f"Screens in {path}", rows)])
        if saved is not None and (condition is not None or rank is not None):
            msg = "--saved runs the condition and rank from the screens file; drop the condition/--rank"
            raise InputError(msg)
        if changes and saved is None:
            msg = "--changes compares with the previous recorded run of a saved screen; add --saved NAME"
            raise InputError(msg)
        if history and (changes or date):
            msg = "--history takes --start/--end, not --date or --changes"
            raise InputError(msg)
        if not history and (start or end):
            msg = "--start/--end only apply with --history (use --date for a single day)"
            raise InputError(msg)
        if condition is None and rank is None and saved is None:
            msg = 'give a condition (e.g. t26 screen "rsi_14 < 30"), --rank, --saved NAME or --list-indicators'
            raise InputError(msg)
        if history:
            if not condition:
                msg = 'history needs a condition, e.g. t26 screen --history "rsi_14 < 30"'
                raise InputError(msg)
            res = screen_history_report(
                ctx.lake, condition, start=start, end=end, rank=rank, top=top, horizons=_horizons(horizons),
                universe=universe, benchmark=benchmark, table=table,
            )  # fmt: skip
            return _history(ctx, res, universe)
        spec = get_screen(_config_path(ctx, config), saved) if saved is not None else None
        report = screen_report(
            ctx.lake, condition, rank=rank, date=date, top=top, universe=universe, benchmark=benchmark, table=table,
            saved=spec, changes=changes,
        )  # fmt: skip
        if spec is not None:
            report = report.save(ctx.lake)
        result = report.result
        shown = result.rows if result.rank else result.rows.drop("score")
        what = result.condition or "all symbols"
        lines = [f"{result.matched} of {result.universe} symbols match {what!r} on {result.date}"]
        if date is not None and str(result.date) != date.strip()[:10]:
            lines.append(f"--date {date} has no bars: screened the last bar before it, {result.date}")
        elif date is None:
            lines.append(f"{result.date} is the last bar (--date screens an earlier day)")
        shown_top = top if top is not None else (spec.top if spec else None)
        if shown_top is not None and result.matched > shown_top:
            lines.append(f"showing the top {shown_top}")
        if report.changes is not None:
            diff = report.changes
            since = diff["previous_date"] or "no previous run"
            lines.append(
                f"since {since}: entered {', '.join(diff['entered']) or '-'}; left {', '.join(diff['left']) or '-'}"
            )
        if report.written is not None:
            lines.append(
                f"recorded {result.rows.height} rows in the screens table (screen={report.name}, date={result.date})"
            )
        title = f"{report.name or 'screen'} on {result.date}"
        return Out(report.to_dict(), tables=[(title, shown.to_dicts())], lines=lines)


def _history(ctx: Ctx, res: Any, universe: str | None) -> Out:
    params = {
        "condition": res.condition,
        "rank": res.rank,
        "top": res.top,
        "start": str(res.start),
        "end": str(res.end),
        "universe": universe or "all",
    }
    with ctx.tracking_run("screen-history", params=params) as run:
        metrics = {}
        for row in res.summary.to_dicts():
            for key in ("excess", "hit_rate", "t_stat"):
                if row[key] is not None:
                    metrics[f"{key}_{row['horizon']}d"] = row[key]
        run.log_metrics(metrics)
        run.log_dict(res.to_dict(), "screen_history.json")
    data = {**res.to_dict(), "run_id": run.run_id}
    matched_days = int((res.daily["matched"] > 0).sum())
    lines = [
        f"{res.daily.height} days from {res.start} to {res.end}; {matched_days} with matches, "
        f"{data['mean_matched_per_day'] or 0:.2f} symbols per day on average",
        "excess = mean daily (matched - universe) forward return; t_stat treats days as independent",
    ]
    if run.run_id:
        lines.insert(0, f"MLflow run {run.run_id}")
    return Out(data, tables=[(f"Forward returns of {res.condition!r}", res.summary.to_dicts())], lines=lines)
