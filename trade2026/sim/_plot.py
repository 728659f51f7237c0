"""The Monte Carlo report (:mod:`trade2026.reports`): fan charts of each method's equity paths and
the percentile tables of their metrics."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trade2026.errors import InputError
from trade2026.sim._summary import METRICS, PERCENTILES, McResult

if TYPE_CHECKING:
    from trade2026.reports import Figure, Report
    from trade2026.sim._mc import McReport

STEPS = {"reshuffle": "trades (in a random order)"}


def fan_figure(result: McResult, observed: np.ndarray | None = None) -> Figure | None:
    """Equity percentile bands (5-95 light, 25-75 dark), the median and, when it has the paths'
    length, the observed equity; None when the result has no bands."""
    from trade2026.reports import Axes, Band, Figure, Line, Rule

    b = result.equity_bands
    if b is None or b.shape[1] < 2:
        return None
    p = dict(zip(PERCENTILES, b, strict=True))
    x = np.arange(b.shape[1])
    color = "#0072B2"
    traces: list[Any] = [
        Band(x, p[5], p[95], name="5-95th percentile", color=color, opacity=0.18),
        Band(x, p[25], p[75], name="25-75th percentile", color=color, opacity=0.38),
        Line(x, p[50], name="median", color=color, width=1.8),
        Rule(y=1.0),
    ]
    if observed is not None and len(observed) + 1 == b.shape[1]:
        eq = np.concatenate([[1.0], np.cumprod(1.0 + np.nan_to_num(observed, nan=0.0))])
        traces.append(Line(x, eq, name="observed", color="#000000", width=1.4))
    ruin = 1.0 - result.ruin_limit
    traces.append(Rule(y=ruin, color="#d73027"))
    steps = STEPS.get(result.method, "bars")
    return Figure(
        f"fan_{''.join(ch if ch.isalnum() else '_' for ch in result.method.lower())}",
        f"{result.method}: equity of {result.n_paths:,} paths (growth of 1)",
        [Axes(traces, x_label=steps, y_label="equity")],
        share_x=False,
        caption=f"Bands are percentiles across paths at each step; red line: ruin at {ruin:.0%} of the start.",
    )


def mc_report(report: McReport) -> Report:
    """The page: a fan chart per method, the percentiles of each metric and the loss/ruin table."""
    from trade2026.reports import Report

    what = f"{report.strategy} on {report.symbol}" if report.strategy else f"returns of {report.table or 'a series'}"
    methods = [r.method for r in report.results]
    page = Report(
        f"Monte Carlo validation: {what}",
        meta={
            "strategy": report.strategy or "none (a returns series)",
            "symbol": report.symbol or "",
            "source": report.table or "",
            "methods": methods,
            "paths": {r.method: r.n_paths for r in report.results},
            "ruin": f"equity below {1 - report.ruin_limit:.0%} of the start at any time",
        },
    )
    s = page.section("Equity paths", basis="simulated alternative histories; the observed run in black")
    for r in report.results:
        s.figure(fan_figure(r, report.observed_returns))
    data = report.to_dict()
    rows = [
        {"method": m["method"], "metric": k, "observed": data["observed"].get(k), **m[k]}
        for m in data["methods"]
        for k in METRICS
    ]
    s = page.section("Distributions", basis="percentiles over the paths of each method (NaN paths skipped)")
    s.table(rows)  # total_return, cagr, max_drawdown rows as percentages (by their metric name)
    s.table(
        [{"method": m["method"], "paths": m["n_paths"], "prob_loss": m["prob_loss"], "risk_of_ruin": m["risk_of_ruin"],
          "prob_drawdown_breach": m["prob_drawdown_breach"]} for m in data["methods"]],
        title="Loss and ruin (shares of paths)",
        percent=("prob_loss", "risk_of_ruin", "prob_drawdown_breach"),
    )  # fmt: skip
    return page


def write_mc_report(report: McReport, path: str | Path) -> list[Path]:
    """Write the Monte Carlo report at a ``.html`` path (PNG figures beside it), or at any other
    path the first fan chart as PNG and the others beside it as ``<stem>_<key>.png``; the files
    written, the main one first."""
    from trade2026.reports import save_png

    out = Path(path)
    page = mc_report(report)
    if out.suffix.lower() == ".html":
        return page.write(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    figs = page.figures
    if not figs:
        msg = "no method has equity paths to draw; write an .html report for the tables"
        raise InputError(msg, option="plot")
    return [save_png(figs[0], out), *(save_png(f, out.with_name(f"{out.stem}_{f.key}.png")) for f in figs[1:])]
