"""The portfolio reports (:mod:`trade2026.reports`): the rebalancing backtest (equity, drawdowns,
turnover, allocations, risk contributions) and the efficient frontier (plotted against the risk
measure it was optimised for)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from trade2026.portfolio._backtest import PortfolioBacktest
    from trade2026.portfolio._frontier import Frontier
    from trade2026.reports import Figure, Report

TOP_N = 8
OTHER = "other"
PERF_COLUMNS = ("method", "total_return", "cagr", "ann_vol", "sharpe", "sortino", "calmar", "max_drawdown",
                "turnover_per_rebalance", "avg_holdings", "n_rebalances", "failed_rebalances")  # fmt: skip


def fold_weights(
    rows: Sequence[Mapping[str, Any]], *, top: int = TOP_N, groups: Mapping[str, str] | None = None
) -> tuple[list[Any], dict[str, np.ndarray]]:
    """Weights at each rebalance (rows with ts, symbol, weight) as (dates, name -> weights): the
    ``top`` symbols by mean absolute weight and ``"other"`` for the rest, or, with ``groups``
    (symbol -> sector), one series per sector. Every date's series sum to its total weight."""
    dates = sorted({r["ts"] for r in rows})
    at = {d: i for i, d in enumerate(dates)}
    by: dict[str, np.ndarray] = {}
    for r in rows:
        key = groups.get(r["symbol"], OTHER) if groups is not None else r["symbol"]
        by.setdefault(key, np.zeros(len(dates)))[at[r["ts"]]] += r["weight"]
    if groups is None and len(by) > top + 1:
        order = sorted(by, key=lambda k: -float(np.abs(by[k]).mean()))
        rest = sum((by[k] for k in order[top:]), np.zeros(len(dates)))
        by = {k: by[k] for k in order[:top]} | {OTHER: rest}
    else:
        by = dict(sorted(by.items(), key=lambda kv: -float(np.abs(kv[1]).mean())))
    return dates, by


def _steps(dates: list[Any], end: Any, v: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """A value held from each rebalance to the next as a step line (x repeated at each change)."""
    xs = [x for i, d in enumerate(dates) for x in (d, dates[i + 1] if i + 1 < len(dates) else end)]
    return xs, np.repeat(v, 2)


def allocation_figure(
    result: PortfolioBacktest, method: str, *, groups: Mapping[str, str] | None = None, top: int = TOP_N
) -> Figure | None:
    """Stacked weights of ``method`` between rebalances: top ``top`` symbols plus ``other``, or by sector."""
    from trade2026.reports import PALETTE, Axes, Band, Figure

    rows = [r for r in result.weights.to_dicts() if r["method"] == method]
    if not rows:
        return None
    dates, series = fold_weights(rows, top=top, groups=groups)
    end = result.returns.index[-1].to_pydatetime() if len(result.returns) else dates[-1]
    bands, base = [], np.zeros(len(dates))
    for i, (name, v) in enumerate(series.items()):
        xs, lo = _steps(dates, end, base)
        _, hi = _steps(dates, end, base + v)
        color = "#9a9a9a" if name == OTHER else PALETTE[i % len(PALETTE)]
        bands.append(Band(xs, lo, hi, name=name, color=color, opacity=0.75))
        base = base + v
    how = "by sector" if groups is not None else f"top {top} symbols by mean weight, the rest as other"
    key = "alloc_" + ("sector_" if groups is not None else "") + "".join(ch if ch.isalnum() else "_" for ch in method)
    return Figure(key.lower(), f"Allocation of {method} ({how})", [Axes(bands, y_label="weight", y_percent=True)])


def risk_figure(result: PortfolioBacktest, *, top: int = 12) -> Figure | None:
    """Riskfolio-style bars: each asset's share of portfolio variance at each method's last rebalance
    (the ``top`` assets by largest share, the rest as ``other``)."""
    from trade2026.reports import bars_figure

    if not result.risk:
        return None
    share: dict[str, float] = {}
    for r in result.risk:
        share[r["symbol"]] = max(share.get(r["symbol"], 0.0), abs(r["risk_contribution"]))
    keep = sorted(share, key=lambda s: -share[s])[:top]
    names = [*keep, OTHER] if len(share) > top else keep
    series = {}
    for m in result.methods:
        rc = {r["symbol"]: r["risk_contribution"] for r in result.risk if r["method"] == m}
        ys = [rc.get(s, 0.0) for s in keep]
        if len(names) > len(keep):
            ys.append(sum(v for s, v in rc.items() if s not in keep))
        series[m] = ys
    return bars_figure(
        names,
        series,
        key="risk_contribution",
        title="Risk contribution at the last rebalance (share of portfolio variance)",
        y_label="share of variance",
        percent=True,
    )


def backtest_page(result: PortfolioBacktest, *, groups: Mapping[str, str] | None = None) -> Report:
    """The portfolio backtest report: performance, drawdowns, turnover, allocations, risk contributions."""
    from trade2026.core import drawdown
    from trade2026.reports import PALETTE, Axes, Figure, Line, Markers, Report, Rule

    st = result.settings
    rets = result.returns
    start, end = (rets.index[0], rets.index[-1]) if len(rets) else (None, None)
    syms = st.get("symbols", [])
    report = Report(
        f"Portfolio backtest: {', '.join(result.methods)} on {len(syms)} symbols"
        + (f", {start:%Y-%m-%d} to {end:%Y-%m-%d}" if start is not None else ""),
        meta={
            "methods": list(result.methods),
            "symbols": syms if len(syms) <= 12 else f"{len(syms)} symbols ({', '.join(syms[:12])}, ...)",
            "dates": f"{start:%Y-%m-%d} to {end:%Y-%m-%d}" if start is not None else "none",
            "rebalance": f"every {st.get('rebalance')} periods ({len(result.rebalance_dates)} rebalances)",
            "lookback": f"{st.get('lookback')} periods",
            "costs": f"{st.get('cost_bps')} bps of the traded value",
            "estimators": f"mean {st.get('mean')}, covariance {st.get('cov')}",
            "benchmark": result.benchmark or "none",
        },
    )
    basis = "out-of-sample: each rebalance's weights earn from the next period on, net of costs"
    s = report.section("Performance", basis=basis)
    s.table([{k: m.get(k) for k in PERF_COLUMNS} for m in result.metrics])
    s.text("Every metric of every method is in the JSON (metrics).")
    s.text(f"Best Sharpe ratio: {result.best}; deflated Sharpe ratio {result.dsr:.3f} given {len(result.methods)} "
           "methods tried.")  # fmt: skip
    eq = result.equity()
    x = list(rets.index.to_pydatetime())
    color = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(result.methods)}  # the same in both rows
    lines = [Line(x, eq[m].to_numpy(), name=m, color=color[m]) for m in result.methods]
    b = result.benchmark_returns
    if b is not None:
        beq = np.cumprod(1.0 + np.nan_to_num(b))
        lines.append(Line(x, beq, name=f"benchmark: {result.benchmark}", color="#777777", dash=True))
    s.figure(
        Figure(
            "equity",
            "Growth of 1 (net of costs)",
            [
                Axes(lines, y_label="growth of 1"),
                Axes([Line(x, drawdown(rets[m].to_numpy()), color=color[m], fill=len(result.methods) == 1)
                      for m in result.methods], y_label="drawdown", y_percent=True, height=0.6),
            ],
            height=560,
        )
    )  # fmt: skip
    if b is not None:
        s = report.section(
            f"Against the benchmark: {result.benchmark}",
            basis="the same out-of-sample dates; periods where both have a return (annualised where the name says)",
        )
        s.table(result.benchmark_metrics)
        beq = np.cumprod(1.0 + np.nan_to_num(b))
        excess = [Line(x, eq[m].to_numpy() / beq - 1.0, name=m) for m in result.methods]
        s.figure(
            Figure("excess", "Excess return: wealth relative to the benchmark's, minus 1",
                   [Axes([*excess, Rule(y=0.0)], y_label="excess return", y_percent=True)])
        )  # fmt: skip
    to = result.turnover
    if to is not None and to.height:
        s = report.section(
            "Turnover",
            basis="one-way turnover sum|w_new - w_drifted| / 2 at each rebalance; per period = its mean over every bar",
        )
        s.table(
            [{"method": m["method"], "turnover_per_rebalance": m.get("turnover_per_rebalance"),
              "turnover_per_period": m.get("turnover"), "avg_holdings": m.get("avg_holdings")} for m in result.metrics],
            percent=("turnover_per_rebalance", "turnover_per_period"),
        )  # fmt: skip
        traces = []
        for m in result.methods:
            sub = to.filter(to["method"] == m)
            traces.append(Markers(sub["ts"], sub["turnover"], name=m, size=5))
        s.figure(Figure("turnover", "Turnover at each rebalance", [Axes(traces, y_label="one-way", y_percent=True)]))
    s = report.section("Allocation", basis="target weights at each rebalance, held until the next (drift not shown)")
    for m in result.methods:
        s.figure(allocation_figure(result, m))
        if groups:
            s.figure(allocation_figure(result, m, groups=groups))
    if result.risk:
        s = report.section(
            "Risk contributions",
            basis="each method's last rebalance; share of the portfolio variance w_i (S w)_i / w'S w, S the "
            f"{st.get('cov')} covariance of that rebalance's lookback window (what the methods saw)",
        )
        s.figure(risk_figure(result))
        s.table(result.risk, percent=("weight", "risk_contribution"), max_rows=60)
    if result.notes:
        report.section("Notes").text(" ".join(result.notes))
    return report


def frontier_page(front: Frontier) -> Report:
    """The efficient frontier: expected return against the measure it was optimised for (assets
    marked), the weights along it, and the points table."""
    from trade2026.reports import PALETTE, Axes, Band, Figure, Line, Markers, Report

    label = front.risk_label
    risk = [p["risk"] for p in front.points]
    ret = [p["expected_return"] for p in front.points]
    best = front.points[front.max_sharpe_point]
    report = Report(
        f"Efficient frontier (mean-{front.rm}) of {len(front.symbols)} symbols",
        meta={"symbols": list(front.symbols), "risk measure": f"{label} (a fraction of value, not annualised)",
              "expected return": "annualised", "points": len(front.points)},
    )  # fmt: skip
    basis = f"x: {label}; y: annualised expected return; Sharpe: annualised, on volatility"
    s = report.section("Frontier", basis=basis)
    text = [f"point {p['point']}: Sharpe {p['sharpe']:.2f}" for p in front.points]
    s.figure(
        Figure(
            "frontier",
            f"Efficient frontier optimised for {label}",
            [
                Axes(
                    [
                        Line(risk, ret, name="frontier", color="#888888"),
                        Markers(risk, ret, name="portfolios", text=text),
                        Markers([best["risk"]], [best["expected_return"]], name="max Sharpe", symbol="triangle-up",
                                size=13, color="#D55E00"),
                        Markers([a["risk"] for a in front.assets], [a["expected_return"] for a in front.assets],
                                name="assets", symbol="x", color="#444444", text=[a["symbol"] for a in front.assets]),
                    ],
                    x_label=label,
                    y_label="expected return (annualised)",
                    x_percent=True,
                    y_percent=True,
                )
            ],
            share_x=False,
            height=480,
        )
    )  # fmt: skip
    bands, base = [], np.zeros(len(front.points))
    for i, sym in enumerate(front.symbols):
        v = np.array([p["weights"][sym] for p in front.points])
        if np.abs(v).max() < 1e-4:
            continue
        bands.append(Band(risk, base, base + v, name=sym, color=PALETTE[i % len(PALETTE)], opacity=0.75))
        base = base + v
    s.figure(
        Figure("frontier_weights", "Weights along the frontier", [Axes(bands, x_label=label, y_label="weight",
               x_percent=True, y_percent=True)], share_x=False)
    )  # fmt: skip
    rows = [{k: v for k, v in p.items() if k != "weights"} for p in front.points]
    s.table(rows, percent=("expected_return", "volatility", "risk"))
    report.section("Assets", basis=f"each symbol alone; risk = {label}").table(
        front.assets, percent=("expected_return", "volatility", "risk")
    )
    return report


def write_page(report: Report, path: str | Path) -> list[Path]:
    """Write ``report`` at a ``.html`` path (PNG figures beside it), or at a ``.png`` path its first
    figure there and the others beside it as ``<stem>_<key>.png``; the files written, main first."""
    from trade2026.reports import save_png

    out = Path(path)
    if out.suffix.lower() == ".html":
        return report.write(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    figs = report.figures
    return [save_png(figs[0], out), *(save_png(f, out.with_name(f"{out.stem}_{f.key}.png")) for f in figs[1:])]
