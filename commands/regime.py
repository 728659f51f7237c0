"""``t26 regime``: Markov-switching regimes and the rule-based trend/volatility quadrant."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, PeriodsOpt, command, parse_date
from trade2026.errors import InputError

REGIME_HELP = """Market regimes of a symbol or of the equal-weight universe index.

Fits a Markov-switching model (statsmodels MarkovRegression, or MarkovAutoregression with --model
autoregression) with switching mean and variance to daily log returns, and reports each regime's
mean and volatility, expected duration, the transition matrix and the smoothed probability of each
regime today. Regimes are labelled by volatility, highest first: bear/bull (--k 2) or
bear/neutral/bull (--k 3).

It also classifies every date by rules that use only past data: trend (index vs its 200-day SMA:
bull/bear) x volatility (21-day vol vs its 1-year median: calm/volatile). Screens can test these:
t26 screen 'regime == "bull" and rsi_14 < 30'.

Examples:

  t26 regime

  t26 regime ACC --k 3 --start 2015-01-01

  t26 regime --model autoregression --order 2 --json
"""


def register(app: typer.Typer) -> None:
    @command(app, "regime", tracked=True, help=REGIME_HELP)
    def regime(
        ctx: Ctx,
        symbol: Annotated[
            str | None,
            typer.Argument(help="Symbol to model (default: the equal-weight universe index).", show_default=False),
        ] = None,
        k: Annotated[int, typer.Option("--k", help="Number of regimes: 2 or 3.")] = 2,
        model: Annotated[str, typer.Option("--model", help="regression or autoregression.")] = "regression",
        order: Annotated[int, typer.Option("--order", help="AR order for --model autoregression.")] = 1,
        start: Annotated[
            str | None, typer.Option("--start", help="First date (YYYY-MM-DD).", show_default=False)
        ] = None,
        end: Annotated[str | None, typer.Option("--end", help="Last date (YYYY-MM-DD).", show_default=False)] = None,
        universe: Annotated[
            str | None,
            typer.Option(
                "--universe", help='Index members "ACC,ACZV" or "sector:NAME" (default: all).', show_default=False
            ),
        ] = None,
        table: Annotated[str, typer.Option("--table", help="Daily bars table.")] = "bars_1d",
        probabilities: Annotated[
            int, typer.Option("--probabilities", help="Also list the smoothed probabilities of the last N days.")
        ] = 0,
        periods_per_year: PeriodsOpt = None,
    ) -> Out:
        from trade2026.screener import regime_report

        if symbol is not None and universe is not None:
            msg = "give a SYMBOL or --universe, not both"
            raise InputError(msg)
        report = regime_report(
            ctx.lake, symbol, universe=universe, table=table, start=parse_date(start, "--start"),
            end=parse_date(end, "--end", end_of_day=True), k_regimes=k, model=model, order=order,
            probabilities=probabilities, periods_per_year=periods_per_year,
        )  # fmt: skip
        fit, quad = report.fit, report.rules
        params = {"series": fit.series, "k": k, "model": model, "order": order, "start": start, "end": end}
        with ctx.tracking_run("regime", params=params) as run:
            run.log_metrics(report.metrics())
            run.log_dict(report.to_dict(), "regime.json")
        data: dict[str, Any] = {**report.to_dict(), "run_id": run.run_id}
        labels = fit.labels
        trans_rows = [
            {"from": lab, **{f"to_{to}": p for to, p in zip(labels, row, strict=True)}}
            for lab, row in zip(labels, fit.transition, strict=True)
        ]
        tables: list[tuple[str, Any]] = [
            (
                f"Markov-switching regimes of {fit.series} ({model}, {fit.start} to {fit.end}, {fit.n_obs} days)",
                fit.regimes,
            ),
            ("Transition probabilities P(next | current)", trans_rows),
            ("Rule-based quadrants (trend x volatility)", quad["quadrants"]),
        ]
        if probabilities:
            tables.append((f"Smoothed probabilities, last {probabilities} days", report.probability_rows().to_dicts()))
        cur = fit.current()
        q = quad["current"]
        lines = [
            f"Markov regime on {cur['date']}: {cur['regime']} "
            f"(p={cur['probabilities'][cur['regime']]:.2f}; smoothed, uses the whole sample)",
            f"Rule-based on {q['date']}: {q['regime']}, {q['vol_regime']} ({q['quadrant']})",
        ]
        if run.run_id:
            lines.insert(0, f"MLflow run {run.run_id}")
        return Out(data, tables=tables, lines=lines)
