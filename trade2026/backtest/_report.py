"""The backtest and walk-forward report, built on :mod:`trade2026.reports` (one HTML style, PNG twins).

Every section names its basis: the headline (stitched out-of-sample returns under walk-forward,
else the full period), the full-period backtest of the chosen parameters (in-sample when a grid
was swept), or the sweep's parameter sets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from trade2026 import reports as R

if TYPE_CHECKING:
    from trade2026.backtest._evaluate import BacktestReport

MAX_TRADE_ROWS = 200  # trade-list rows on the page (the JSON and the lake table hold them all)
MAX_PRICE_CHARTS = 3  # symbols with a price-and-trades chart (the most traded)
PERFORMANCE_KEYS = (
    "total_return", "cagr", "ann_return", "ann_vol", "sharpe", "sortino", "calmar", "max_drawdown",
    "max_drawdown_duration", "hit_rate", "profit_factor", "avg_win", "avg_loss", "trade_count", "turnover",
    "exposure", "skew", "kurtosis", "n_obs",
)  # fmt: skip
RISK_KEYS = (
    "sharpe_rf", "sortino_rf", "omega", "var_95", "cvar_95", "tail_ratio", "gain_to_pain", "payoff_ratio",
    "kelly", "expected_return", "best_day", "worst_day", "best_month", "worst_month", "best_year",
    "worst_year", "win_months", "avg_up_month", "avg_down_month", "max_consecutive_wins",
    "max_consecutive_losses",
)  # fmt: skip


def _costs(cfg: dict[str, Any]) -> str:
    parts = [
        f"{label} {cfg[k]:g}{unit}"
        for k, label, unit in (
            ("commission_bps", "commission", " bps"),
            ("commission_per_share", "commission", "/share"),
            ("commission_fixed", "commission", "/fill"),
            ("slippage_bps", "slippage", " bps"),
            ("slippage_range", "slippage", "x range"),
            ("borrow_bps", "borrow", " bps/yr"),
        )
        if cfg.get(k)
    ]
    return ", ".join(parts) or "none (zero costs)"


def _meta(rep: BacktestReport) -> dict[str, Any]:
    c = rep.config.to_dict()
    stops = ", ".join(
        f"{k.replace('_', ' ')} {c[k]:.1%}" for k in ("stop_loss", "take_profit", "trailing_stop") if c[k]
    )
    meta: dict[str, Any] = {
        "strategy": rep.spec,
        "parameters" + (" (best over the full period)" if rep.sweep is not None else ""): dict(rep.params),
        "symbols": list(rep.symbols),
        "period": f"{R.format_value(rep.ts[0])} to {R.format_value(rep.ts[-1])} ({rep.n_bars} bars)",
        "costs": _costs(c),
        "fills": f"next bar's {c['fill']}; sizing {c['sizing']}; mode {c['mode']}; capital {c['init_cash']:,.0f}",
        "stops": stops or "none",
        "risk-free rate": f"{rep.risk_free:.2%}",
    }
    if rep.grid:
        meta["grid"] = f"{rep.grid} ({rep.sweep.n_trials if rep.sweep else 1} sets), objective {rep.objective}"
    if rep.walk_forward is not None:
        w = rep.walk_forward.windows
        meta["walk-forward"] = f"{len(w)} windows, out-of-sample from {R.format_value(w[0]['test_start'])}"
    if rep.benchmark:
        meta["benchmark"] = rep.benchmark
    return meta


def _subset(d: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: d[k] for k in keys if k in d}


def _numeric_params(rep: BacktestReport) -> list[str]:
    if rep.sweep is None:
        return []
    out = []
    for k in rep.sweep.params[0]:
        vals = {p[k] for p in rep.sweep.params}
        if len(vals) > 1 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
            out.append(k)
    return out


def sweep_heatmap(rep: BacktestReport, metric: str = "sharpe") -> R.Figure | None:
    """``metric`` over the first two varying numeric parameters of the sweep (the best over any other
    parameter), full-period values of every set; ``None`` with fewer than two such parameters."""
    keys = _numeric_params(rep)
    if len(keys) < 2 or rep.sweep is None:
        return None
    a, b = keys[:2]
    table = rep.sweep.table().select(a, b, metric)
    grid = table.group_by(a, b).agg(pl.col(metric).fill_nan(None).max()).sort(a, b)
    xs = sorted(set(grid[a].to_list()))
    ys = sorted(set(grid[b].to_list()))
    z = np.full((len(ys), len(xs)), np.nan)
    for x, y, v in grid.iter_rows():
        if v is not None:
            z[ys.index(y), xs.index(x)] = v
    more = f" (best over {', '.join(keys[2:])})" if len(keys) > 2 else ""
    return R.heatmap_figure(
        z, xs, ys, x_label=a, y_label=b, key="sweep_heatmap", title=f"{metric} by {a} x {b}{more}", decimals=2
    )


def _price_charts(rep: BacktestReport) -> list[R.Figure]:
    trades, panel = rep.trades, rep.panel
    if panel is None or trades.height == 0:
        return []
    counts = trades.group_by("symbol").len().sort(["len", "symbol"], descending=[True, False])
    figs = []
    for sym in counts["symbol"].head(MAX_PRICE_CHARTS).to_list():
        k = panel.symbols.index(sym)
        rows = trades.filter(pl.col("symbol") == sym).to_dicts()
        key = "trades_" + "".join(ch if ch.isalnum() else "_" for ch in sym.lower())
        fig = R.price_trades_figure(panel.ts, panel.close[:, k], rows, symbol=sym, key=key)
        figs.append(fig)
    return figs


def build_report(rep: BacktestReport) -> R.Report:
    """The :class:`~trade2026.reports.Report` of a backtest (see the module docstring for the bases)."""
    wf = rep.walk_forward
    head_basis = (
        "stitched out-of-sample returns of the walk-forward (each window's in-sample choice traded over its test bars)"
        if wf is not None
        else "full-period backtest of the parameters above"
    )
    full_basis = "full-period backtest of the parameters above" + (
        " (chosen over the whole period, so in-sample)" if rep.sweep is not None else ""
    )
    title = f"Backtest {rep.spec} on {', '.join(rep.symbols[:6])}{' ...' if len(rep.symbols) > 6 else ''}"
    page = R.Report(title, meta=_meta(rep))
    ppy = rep.config.annual_periods
    ts, r = rep.returns["ts"], rep.returns["return"].to_numpy()
    bench = rep.benchmark_returns
    headline = dict(wf.metrics) if wf is not None else dict(rep.result.metrics)
    perf = page.section("Performance", basis=head_basis)
    if bench is not None:
        from trade2026.core import returns_metrics

        perf.metrics(
            _subset(headline, PERFORMANCE_KEYS), benchmark=_subset(returns_metrics(bench, ppy), PERFORMANCE_KEYS)
        )
    else:
        perf.metrics(_subset(headline, PERFORMANCE_KEYS))
    perf.figure(R.equity_figure(ts, r, benchmark=bench, benchmark_name=rep.benchmark or "benchmark"))
    risk = page.section("Risk, distribution and calendar", basis=head_basis)
    risk.metrics(_subset(rep.risk, RISK_KEYS))
    risk.figure(R.distribution_figure(r)).figure(R.monthly_heatmap(ts, r)).figure(
        R.yearly_figure(ts, r, benchmark=bench)
    )
    dd = page.section("Drawdowns", basis=head_basis)
    dd.table(rep.drawdowns, title="Five deepest drawdowns").figure(R.drawdowns_figure(ts, r))
    window = int(min(126, max(len(r) // 4, 5)))
    roll = page.section(f"Rolling metrics ({window} bars)", basis=head_basis)
    roll.figure(R.rolling_figure(ts, r, window=window, periods_per_year=ppy, benchmark=bench, risk_free=rep.risk_free))
    if rep.benchmark_metrics is not None:
        sec = page.section(f"Against the benchmark: {rep.benchmark}", basis=head_basis)
        sec.metrics(rep.benchmark_metrics)
        sec.text(
            "alpha: annual CAPM (Jensen) alpha; beta: cov/var; information ratio and tracking error annualised; "
            "up/down capture: mean return over the benchmark's mean in its up (down) periods. The excess curve "
            "(in the equity figure) is the strategy's wealth over the benchmark's, minus one."
        )
    _trades_section(page, rep, head_basis)
    if wf is not None:
        _walk_forward_section(page, rep)
    if rep.sweep is not None:
        _sweep_section(page, rep)
    if rep.pbo is not None:
        sec = page.section("Probability of backtest overfitting (CSCV)", basis="the sweep's parameter sets")
        sec.metrics(rep.pbo.to_dict())
        logits = rep.pbo.logits[np.isfinite(rep.pbo.logits)]
        sec.figure(
            R.Figure(
                "pbo_logits",
                "Logit of the in-sample winner's out-of-sample relative rank (PBO = share below 0)",
                [R.Axes([R.Histogram(logits, bins=40, color="#CC79A7"), R.Rule(x=0.0)], x_label="logit")],
                share_x=False,
                height=300,
            )
        )
    sec = page.section("Selection statistics (PSR, DSR, MinTRL)", basis=full_basis + ", deflated by the sweep's trials")
    sec.metrics(rep.statistics)
    if wf is not None:
        sec = page.section("Full-period backtest of the chosen parameters", basis=full_basis)
        sec.metrics(_subset(rep.result.metrics, PERFORMANCE_KEYS))
        sec.figure(
            R.equity_figure(
                rep.result.returns["ts"],
                rep.result.returns["return"],
                key="equity_full_period",
                title="Full-period cumulative return (in-sample choice)",
            )
        )
    _robustness_section(page, rep, head_basis, full_basis)
    return page


def _trades_section(page: R.Report, rep: BacktestReport, basis: str) -> None:
    from trade2026.backtest._trades import trade_summary

    trades = rep.trades
    sec = page.section("Trades", basis=basis.replace("returns", "trades"))
    if trades.height == 0:
        sec.text("No trades.")
        return
    sec.table(trade_summary(trades), title="By exit reason")
    for fig in _price_charts(rep):
        sec.figure(fig)
    sec.figure(
        R.scatter_figure(
            trades["mae"],
            trades["return"],
            x_label="MAE (worst move against)",
            y_label="trade return",
            key="trade_mae",
            title="Trade return against its maximum adverse excursion",
            x_percent=True,
            y_percent=True,
            text=[f"{s} {t:%Y-%m-%d}" for s, t in trades.select("symbol", "entry_ts").iter_rows()],
        )
    )
    sec.table(trades.to_dicts(), title="Trade list", max_rows=MAX_TRADE_ROWS)


def _walk_forward_section(page: R.Report, rep: BacktestReport) -> None:
    wf = rep.walk_forward
    assert wf is not None
    sec = page.section("Walk-forward windows", basis="each window: in-sample choice, out-of-sample result")
    labels = [R.format_value(w["test_start"]) for w in wf.windows]
    sec.figure(
        R.bars_figure(
            labels,
            {"in-sample": [w["is_sharpe"] for w in wf.windows], "out-of-sample": [w["oos_sharpe"] for w in wf.windows]},
            key="walk_forward",
            title="Sharpe of the chosen parameters per window (by test start)",
            y_label="Sharpe",
        )
    )
    sec.figure(
        R.scatter_figure(
            [w["is_sharpe"] for w in wf.windows],
            [w["oos_sharpe"] for w in wf.windows],
            x_label="in-sample Sharpe",
            y_label="out-of-sample Sharpe",
            key="is_vs_oos",
            title="In-sample vs out-of-sample Sharpe per window",
            text=[f"{lab}: {w['params']}" for lab, w in zip(labels, wf.windows, strict=True)],
            diagonal=True,
        )
    )
    sec.figure(is_oos_all_figure(rep))
    sec.table(wf.windows)
    sec.metrics(
        {"walk_forward_efficiency": wf.walk_forward_efficiency, "parameters_of_last_window": wf.windows[-1]["params"]}
    )
    sec.text("The parameters to trade next are the last window's choice; the page header shows the full-period best.")


def is_oos_all_figure(rep: BacktestReport) -> R.Figure | None:
    """In-sample against out-of-sample Sharpe of every parameter set in every walk-forward window
    (grey), the windows' choices highlighted: a cloud along y = 0 is overfitting."""
    wf, sweep = rep.walk_forward, rep.sweep
    if wf is None or sweep is None or sweep.n_trials < 2:
        return None
    index = {t: i for i, t in enumerate(sweep.ts.to_list())}
    xs: list[float] = []
    ys: list[float] = []
    cx: list[float] = []
    cy: list[float] = []
    for w in wf.windows:
        lo, s, e = index[w["train_start"]], index[w["test_start"]], index[w["test_end"]] + 1
        is_sr, oos_sr = sweep.metrics(lo, s)["sharpe"], sweep.metrics(s, e)["sharpe"]
        xs += is_sr.tolist()
        ys += oos_sr.tolist()
        j = sweep.params.index(w["params"])
        cx.append(float(is_sr[j]))
        cy.append(float(oos_sr[j]))
    both = np.asarray([*xs, *ys], dtype=float)
    both = both[np.isfinite(both)]
    lo_v, hi_v = (float(both.min()), float(both.max())) if both.size else (-1.0, 1.0)
    traces: list[Any] = [
        R.Markers(xs, ys, name="every set and window", color="#bbbbbb", size=4),
        R.Markers(cx, cy, name="chosen in-sample", color="#D55E00", size=8),
        R.Line([lo_v, hi_v], [lo_v, hi_v], name="y = x", color="#999999", dash=True, width=1),
        R.Rule(y=0.0),
    ]
    ax = R.Axes(traces, x_label="in-sample Sharpe", y_label="out-of-sample Sharpe")
    title = f"In-sample vs out-of-sample Sharpe of all {sweep.n_trials} sets in each window"
    caption = (
        "Each set's out-of-sample Sharpe here is the set held through the test bars (the sweep's returns); "
        "the windows table's oos_sharpe is the stitched run, which also pays for switching sets."
    )
    return R.Figure("is_vs_oos_all", title, [ax], share_x=False, height=420, caption=caption)


def _sweep_section(page: R.Report, rep: BacktestReport) -> None:
    sweep = rep.sweep
    assert sweep is not None
    sec = page.section(f"Parameter sweep ({sweep.n_trials} sets)", basis="full-period backtest of every parameter set")
    sec.figure(sweep_heatmap(rep))
    sec.table(rep.sweep_top, title=f"Top {len(rep.sweep_top)} by {rep.objective}")
    if rep.sweep_export is not None:
        sec.text(f"The full sweep table is in {rep.sweep_export}.")


def _robustness_section(page: R.Report, rep: BacktestReport, head_basis: str, full_basis: str) -> None:
    rob = rep.robustness
    sec = page.section("Robustness", basis=f"bootstrap: {head_basis}; costs and neighbourhood: {full_basis}")
    sec.table(rob["cost_sensitivity"], title=f"Cost sensitivity ({rob.get('cost_basis', 'configured costs')})")
    if "bootstrap" in rob:
        sec.table(R.metrics_rows(rob["bootstrap"]), title="Stationary-bootstrap intervals")
    if "neighborhood" in rob:
        sec.table(R.metrics_rows(rob["neighborhood"]), title="Parameter neighbourhood")
