"""``t26 regime``: Markov-switching regimes and the rule-based trend/volatility quadrant."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from commands._cli import Ctx, Out, command

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

  t26 regime AAPL --k 3 --start 2015-01-01

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
                "--universe", help='Index members "AAA,BBB" or "sector:NAME" (default: all).', show_default=False
            ),
        ] = None,
        table: Annotated[str, typer.Option("--table", help="Daily bars table.")] = "bars_1d",
        probabilities: Annotated[
            int, typer.Option("--probabilities", help="Also list the smoothed probabilities of the last N days.")
        ] = 0,
    ) -> Out:
        import polars as pl

        from trade2026.errors import InputError
        from trade2026.screener import _regime, _rules, _screen

        if model not in _regime.MODELS:
            msg = f"--model must be one of {', '.join(_regime.MODELS)}, got {model!r}"
            raise InputError(msg)
        if k not in _regime.LABELS:
            msg = f"--k must be 2 or 3, got {k}"
            raise InputError(msg)
        if probabilities < 0:
            msg = f"--probabilities must be >= 0, got {probabilities}"
            raise InputError(msg)
        if symbol is not None and universe is not None:
            msg = "give a SYMBOL or --universe, not both"
            raise InputError(msg)
        members = _screen.resolve_universe(ctx.lake, symbol or universe, table=table)
        bars = _screen.load_bars(ctx.lake, table=table, symbols=members, end=end)
        if start is not None:
            d0 = _screen.as_date(start, what="--start")
            bars = bars.filter(pl.col("ts").dt.date() >= d0)
        if bars.height == 0:
            msg = f"no bars in {table} for the chosen symbol(s) and dates"
            raise InputError(msg)
        series = symbol or ("universe" if universe is None else f"universe[{universe}]")
        index = _rules.market_index(bars, symbol=symbol)
        with ctx.tracking_run(
            "regime", params={"series": series, "k": k, "model": model, "order": order, "start": start, "end": end}
        ) as run:
            fit = _regime.fit_markov(index, k_regimes=k, model=model, order=order, series=series)
            quad = _regime.quadrant_summary(_rules.rule_regimes(index))
            run.log_metrics({"log_likelihood": fit.log_likelihood, "aic": fit.aic, "bic": fit.bic})
            run.log_dict({**fit.to_dict(), "rules": quad}, "regime.json")
        data: dict[str, Any] = {**fit.to_dict(), "rules": quad, "run_id": run.run_id}
        labels = fit.labels
        trans_rows = [
            {"from": lab, **{f"to_{to}": p for to, p in zip(labels, row, strict=True)}}
            for lab, row in zip(labels, fit.transition, strict=True)
        ]
        tables: list[tuple[str, Any]] = [
            (
                f"Markov-switching regimes of {series} ({model}, {fit.start} to {fit.end}, {fit.n_obs} days)",
                fit.regimes,
            ),
            ("Transition probabilities P(next | current)", trans_rows),
            ("Rule-based quadrants (trend x volatility)", quad["quadrants"]),
        ]
        if probabilities:
            tail = fit.probabilities.tail(probabilities).with_columns(pl.col("ts").dt.date().alias("ts"))
            data["probabilities"] = tail.with_columns(pl.col("ts").cast(pl.String)).to_dicts()
            tables.append((f"Smoothed probabilities, last {probabilities} days", tail.to_dicts()))
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
