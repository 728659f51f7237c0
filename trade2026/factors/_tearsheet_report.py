"""The factor tear sheet as a report (:mod:`trade2026.reports`): the figures and tables of an
alphalens tear sheet for one :class:`~trade2026.factors.FactorEvaluation`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from trade2026.errors import ConfigError
from trade2026.factors._tearsheet import cumulative

if TYPE_CHECKING:
    from trade2026.factors._evaluate import FactorEvaluation
    from trade2026.reports import Figure, Report

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _span(frame: pl.DataFrame, ev: FactorEvaluation) -> pl.DataFrame:
    """The rows from the first to the last date with factor values (no empty warm-up in the charts)."""
    if ev.start is None:
        return frame
    t = pl.col(frame.columns[0])
    return frame.filter((t >= ev.start) & (t <= ev.end))


def _col(frame: pl.DataFrame, name: str) -> np.ndarray:
    return frame.get_column(name).cast(pl.Float64).fill_null(np.nan).to_numpy()


def _qq(ic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(theoretical normal quantiles, sorted standardised IC) for a normal QQ plot."""
    from trade2026.core import norm_ppf

    v = np.sort(ic[np.isfinite(ic)])
    if v.size < 2:
        return np.array([]), np.array([])
    z = (v - v.mean()) / v.std(ddof=1) if v.std(ddof=1) > 0 else v - v.mean()
    probs = (np.arange(1, v.size + 1) - 0.5) / v.size
    return np.array([norm_ppf(float(p)) for p in probs]), z


def ic_figures(ev: FactorEvaluation) -> list[Figure]:
    """IC over time, its histogram, a normal QQ plot and the monthly IC heatmap (shortest horizon)."""
    from trade2026.reports import Axes, Figure, Heatmap, Histogram, Line, Markers, Rule

    h = ev.periods[0]
    frame = _span(ev.ic, ev)
    ts = frame.get_column(frame.columns[0])
    ic = _col(frame, f"ic_{h}d")
    roll = pl.Series(ic).fill_nan(None).rolling_mean(21, min_samples=5).to_numpy()
    series = Axes(
        [Line(ts, ic, name=f"IC {h}d", width=0.7), Line(ts, roll, name="21-day mean", width=1.8), Rule(y=0.0)],
        y_label="Spearman IC",
    )
    theo, z = _qq(ic)
    lim = float(np.abs(theo).max()) if theo.size else 1.0
    fig_series = Figure("ic_series", f"Information coefficient, {h}-day forward returns", [series])
    fig_hist = Figure(
        "ic_histogram",
        f"IC distribution ({h}d): mean {np.nanmean(ic):.3f}, std {np.nanstd(ic, ddof=1):.3f}",
        [Axes([Histogram(ic, name=f"IC {h}d", bins=40), Rule(x=0.0)], x_label="IC", y_label="dates")],
        height=320,
    )
    fig_qq = Figure(
        "ic_qq",
        f"IC {h}d against the normal distribution (QQ plot)",
        [
            Axes(
                [
                    Markers(theo, z, name="IC quantiles", size=4),
                    Line([-lim, lim], [-lim, lim], name="normal", dash=True),
                ],
                x_label="normal quantile",
                y_label="standardised IC quantile",
            )
        ],
        height=320,
    )
    figs = [fig_series, fig_hist, fig_qq]
    if ev.ic_monthly:
        years = sorted({int(r["month"][:4]) for r in ev.ic_monthly})
        z_ = np.full((len(years), 12), np.nan)
        for r in ev.ic_monthly:
            z_[years.index(int(r["month"][:4])), int(r["month"][5:]) - 1] = r[f"ic_{h}d"]
        figs.append(
            Figure(
                "ic_monthly",
                f"Mean IC by month ({h}d)",
                [Axes([Heatmap(z_, list(MONTHS), [str(y) for y in years], decimals=2)])],
                height=120 + 28 * len(years),
            )
        )
    return figs


def return_figures(ev: FactorEvaluation) -> list[Figure]:
    """Cumulative returns per quantile, mean return per quantile and horizon, the cumulative spread
    gross and net of costs."""
    from trade2026.reports import Axes, Figure, Line, Rule, bars_figure

    qd = _span(ev.quantile_daily, ev)
    ts = qd.get_column(qd.columns[0])
    lines = [Line(ts, cumulative(_col(qd, f"q{q}")), name=f"Q{q}") for q in range(1, ev.quantiles + 1)]
    cum = Figure(
        "quantile_cumulative",
        "Cumulative return by quantile (1-day forward returns, demeaned, rebalanced daily)",
        [Axes([*lines, Rule(y=0.0)], y_label="cumulative return", y_percent=True)],
    )
    mean = bars_figure(
        [f"Q{q}" for q in range(1, ev.quantiles + 1)],
        {f"{h}d": [r["mean_return"] * 1e4 for r in ev.quantile_returns if r["period"] == h] for h in ev.periods},
        key="quantile_mean",
        title="Mean demeaned forward return by quantile (basis points per horizon)",
        y_label="bps",
    )
    sp = _span(ev.spread_series, ev)
    sts = sp.get_column(sp.columns[0])
    gross, net = cumulative(_col(sp, "spread_1d")), cumulative(_col(sp, "spread_net_1d"))
    spread = Figure(
        "spread_cumulative",
        f"Top minus bottom quantile, cumulative (1-day, rebalanced daily; net of {ev.commission_bps:g} bps "
        "per unit traded)",
        [Axes([Line(sts, gross, name="gross"), Line(sts, net, name="net of costs"), Rule(y=0.0)],
              y_label="cumulative return", y_percent=True)],
    )  # fmt: skip
    return [cum, mean, spread]


def turnover_figures(ev: FactorEvaluation) -> list[Figure]:
    """Top and bottom quantile turnover over time, mean turnover per quantile and horizon, IC decay."""
    from trade2026.reports import Axes, Figure, Line, Markers, Rule, bars_figure

    h = ev.periods[0]
    to = _span(ev.turnover_series, ev)
    tts = to.get_column(to.columns[0])
    lines = []
    for q in (ev.quantiles, 1):
        raw = _col(to, f"q{q}")
        smooth = pl.Series(raw).fill_nan(None).rolling_mean(21, min_samples=5).to_numpy()
        lines.append(Line(tts, smooth, name=f"Q{q} (21-day mean)"))
    series = Figure(
        "turnover_series",
        f"Share of names new to the top and bottom quantiles ({h}-day lag)",
        [Axes(lines, y_label="turnover", y_percent=True)],
        height=320,
    )
    per_q = bars_figure(
        [f"Q{q}" for q in range(1, ev.quantiles + 1)],
        {f"{p}d lag": [r["turnover"] for r in ev.turnover if r["period"] == p] for p in ev.periods},
        key="turnover_quantile",
        title="Mean turnover by quantile",
        y_label="turnover",
        percent=True,
    )
    xs = [r["period"] for r in ev.ic_decay]
    ys = [r["ic_mean"] for r in ev.ic_decay]
    decay = Figure(
        "ic_decay",
        "IC decay: mean IC by horizon",
        [Axes([Line(xs, ys, name="mean IC"), Markers(xs, ys), Rule(y=0.0)], x_label="horizon (days)",
              y_label="mean IC")],
        share_x=False,
        height=300,
    )  # fmt: skip
    return [series, per_q, decay]


def sector_figure(ev: FactorEvaluation) -> Figure | None:
    """Mean IC and top-minus-bottom return per sector (shortest horizon); None without sectors."""
    from trade2026.reports import Axes, Bars, Figure, Rule

    h = ev.periods[0]
    rows = [r for r in ev.sectors if r["period"] == h]
    if not rows:
        return None
    names = [r["sector"] for r in rows]
    return Figure(
        "sectors",
        f"By sector ({h}d): mean IC within the sector, and its names' top-minus-bottom return (bps)",
        [
            Axes([Bars(names, [r["ic_mean"] for r in rows], name="mean IC", signed=True), Rule(y=0.0)],
                 y_label="mean IC", categorical_x=True),
            Axes([Bars(names, [r["mean_spread"] * 1e4 for r in rows], name="top - bottom", signed=True),
                  Rule(y=0.0)], y_label="bps", categorical_x=True),
        ],
        height=480,
    )  # fmt: skip


def tearsheet(ev: FactorEvaluation, *, source: str | None = None) -> Report:
    """The whole tear sheet: settings header, IC, returns, turnover, sectors (with their tables)."""
    from trade2026.reports import Report

    of = f" ({source})" if source else ""
    span = f"{ev.start:%Y-%m-%d} to {ev.end:%Y-%m-%d}" if ev.start is not None else "no dates"
    report = Report(
        f"Factor tear sheet: {ev.factor}{of}, {ev.n_assets} symbols, {span}",
        meta={
            "factor": ev.factor,
            "source": source or "",
            "symbols": ev.n_assets,
            "dates": f"{span} ({ev.n_dates} dates with factor values)",
            "horizons (days)": ev.periods,
            "quantiles": ev.quantiles,
            "costs": f"{ev.commission_bps:g} bps per unit of weight traded (spread net of costs only)",
        },
    )
    basis = "Spearman rank correlation of factor and forward return per date, across the symbols with both"
    s = report.section("Information coefficient", basis=basis)
    s.table(ev.ic_summary)
    for f in ic_figures(ev):
        s.figure(f)
    s = report.section(
        "Returns by quantile",
        basis="equal-weighted quantiles of each date's factor values (1 = lowest); returns demeaned by the date's "
        "mean over every labelled symbol; forward returns close to close",
    )
    s.table(ev.quantile_returns, title="Mean demeaned forward return by quantile", percent=("mean_return", "std_error"))
    s.table(ev.quantile_cumulative, title="Cumulative return by quantile (1-day, rebalanced daily)")
    s.table(
        ev.spread,
        title=f"Top minus bottom quantile per horizon (gross and net of {ev.commission_bps:g} bps per unit traded)",
        percent=("mean_spread", "std_error", "mean_cost", "mean_spread_net"),
    )
    for f in return_figures(ev):
        s.figure(f)
    s = report.section(
        "Turnover and decay",
        basis="turnover = share of a quantile's names that were not in it one horizon earlier; rank autocorrelation "
        f"(lag 1) = {ev.rank_autocorrelation:.3f}",
    )
    s.table(ev.turnover)
    for f in turnover_figures(ev):
        s.figure(f)
    if ev.sectors:
        s = report.section(
            "By sector",
            basis="IC within each sector's symbols; top/bottom use the whole universe's quantiles (alphalens by_group)",
        )
        s.table(ev.sectors, percent=("mean_spread",))
        s.figure(sector_figure(ev))
    return report


def write_tearsheet(ev: FactorEvaluation, path: str | Path, *, source: str | None = None) -> list[Path]:
    """Write the tear sheet: at a ``.html`` path the page, with each figure as ``<stem>_<key>.png``
    beside it; at a ``.png`` path the cumulative returns by quantile, the other figures beside it as
    ``<stem>_<key>.png``. Returns the files written, the main one first."""
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in {".png", ".html"}:
        msg = f"plot path must end in .png or .html, got {out.name!r}"
        raise ConfigError(msg)
    report = tearsheet(ev, source=source)
    if suffix == ".html":
        return report.write(out)
    from trade2026.reports import save_png

    out.parent.mkdir(parents=True, exist_ok=True)
    figs = report.figures
    main = next(f for f in figs if f.key == "quantile_cumulative")
    rest = [save_png(f, out.with_name(f"{out.stem}_{f.key}.png")) for f in figs if f is not main]
    return [save_png(main, out), *rest]
