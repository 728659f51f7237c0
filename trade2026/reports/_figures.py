"""The standard figures every report draws from a returns series (specifications only, no plotting import).

Each builder returns a :class:`~trade2026.reports.Figure` (or ``None`` when the data cannot show it,
so a report can pass the result straight to :meth:`Section.figure`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from trade2026.core import as_array, drawdown_table, period_returns, rolling_metrics
from trade2026.reports._spec import (
    DOWN,
    UP,
    Axes,
    Band,
    Bars,
    Figure,
    Heatmap,
    Histogram,
    Line,
    Markers,
    Rule,
    _values,
)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _equity(r: np.ndarray) -> np.ndarray:
    return np.cumprod(1.0 + np.nan_to_num(r, nan=0.0))


def equity_figure(
    ts: Any,
    returns: Any,
    *,
    benchmark: Any = None,
    benchmark_name: str = "benchmark",
    name: str = "strategy",
    key: str = "equity",
    title: str = "Cumulative return and drawdown",
) -> Figure:
    """Cumulative return (equity - 1) over ``ts`` with the drawdown below; with ``benchmark``
    (returns aligned with ``ts``) its curve and the excess-return curve (relative wealth - 1)."""
    r = as_array(returns, ndim=1)
    x = _values(ts)
    eq = _equity(r)
    top: list[Any] = [Line(x, eq - 1.0, name=name)]
    rows = []
    if benchmark is not None:
        beq = _equity(as_array(benchmark, ndim=1, name="benchmark"))
        top.append(Line(x, beq - 1.0, name=benchmark_name, color="#777777"))
    top.append(Rule(y=0.0))
    rows.append(Axes(top, y_label="cumulative return", y_percent=True, height=3.0))
    if benchmark is not None:
        rows.append(
            Axes(
                [Line(x, eq / beq - 1.0, name="excess (relative wealth)", fill=True, color="#0072B2"), Rule(y=0.0)],
                y_label="excess",
                y_percent=True,
                height=1.2,
            )
        )
    dd = eq / np.maximum.accumulate(np.maximum(eq, 1.0)) - 1.0
    rows.append(Axes([Line(x, dd, name="", fill=True, color=DOWN)], y_label="drawdown", y_percent=True, height=1.2))
    return Figure(key, title, rows, height=520 if benchmark is None else 620)


def drawdowns_figure(ts: Any, returns: Any, *, top: int = 5, key: str = "drawdowns") -> Figure | None:
    """The underwater curve with the ``top`` deepest drawdown episodes' valleys marked (None without a drawdown)."""
    r = as_array(returns, ndim=1)
    episodes = drawdown_table(r, ts, top=top)
    if not episodes:
        return None
    x = _values(ts)
    eq = _equity(r)
    dd = eq / np.maximum.accumulate(np.maximum(eq, 1.0)) - 1.0
    marks = Markers(
        [e["valley"] for e in episodes],
        [e["depth"] for e in episodes],
        name=f"top {len(episodes)} valleys",
        color="#000000",
        symbol="triangle-down",
        text=[f"#{i + 1}: {e['depth'] * 100:.1f}%" for i, e in enumerate(episodes)],
    )
    ax = Axes([Line(x, dd, fill=True, color=DOWN), marks], y_label="drawdown", y_percent=True)
    return Figure(key, f"Underwater curve, {len(episodes)} deepest drawdowns marked", [ax], height=300)


def monthly_heatmap(ts: Any, returns: Any, *, key: str = "monthly") -> Figure | None:
    """Compounded monthly returns as a year x month heatmap (percent in the cells)."""
    labels, values = period_returns(returns, ts, "month")
    if labels.size == 0:
        return None
    years = labels.astype("datetime64[Y]").astype(int) + 1970
    months = labels.astype(int) % 12
    ys = sorted(set(years.tolist()))
    grid = np.full((len(ys), 12), np.nan)
    for y, m, v in zip(years, months, values, strict=True):
        grid[ys.index(int(y)), int(m)] = v
    ax = Axes([Heatmap(grid, list(_MONTHS), [str(y) for y in ys], percent=True)], categorical_x=True)
    return Figure(key, "Monthly returns", [ax], share_x=False, height=int(120 + 28 * len(ys)))


def yearly_figure(ts: Any, returns: Any, *, benchmark: Any = None, key: str = "yearly") -> Figure | None:
    """Compounded calendar-year returns as bars (beside the benchmark's when given)."""
    labels, values = period_returns(returns, ts, "year")
    if labels.size == 0:
        return None
    xs = [str(v) for v in labels]
    traces: list[Any] = [Bars(xs, values, name="strategy" if benchmark is not None else "", signed=benchmark is None)]
    if benchmark is not None:
        traces.append(Bars(xs, period_returns(benchmark, ts, "year")[1], name="benchmark", color="#999999", offset=1))
    ax = Axes([*traces, Rule(y=0.0, dash=False)], y_label="return", y_percent=True, categorical_x=True)
    return Figure(key, "Yearly returns", [ax], share_x=False, height=300)


def rolling_figure(
    ts: Any,
    returns: Any,
    *,
    window: int,
    periods_per_year: float,
    benchmark: Any = None,
    risk_free: float = 0.0,
    key: str = "rolling",
) -> Figure | None:
    """Rolling annualised volatility, Sharpe and Sortino (and beta against a benchmark) over ``window`` bars."""
    r = as_array(returns, ndim=1)
    if r.size <= window:
        return None
    roll = rolling_metrics(r, window, periods_per_year, benchmark=benchmark, risk_free=risk_free)
    x = _values(ts)
    rows = [
        Axes([Line(x, roll["ann_vol"], name="volatility")], y_label="ann. vol", y_percent=True),
        Axes(
            [Line(x, roll["sharpe"], name="Sharpe"), Line(x, roll["sortino"], name="Sortino", dash=True), Rule(y=0.0)],
            y_label="ratio",
        ),
    ]
    if "beta" in roll:
        rows.append(Axes([Line(x, roll["beta"], name="beta"), Rule(y=1.0)], y_label="beta"))
    return Figure(key, f"Rolling metrics ({window} bars)", rows, height=180 * len(rows) + 60)


def distribution_figure(returns: Any, *, key: str = "distribution", title: str = "Return distribution") -> Figure:
    """A histogram of the returns with their 5% quantile (historical VaR) marked."""
    r = as_array(returns, ndim=1)
    finite = r[np.isfinite(r)]
    traces: list[Any] = [Histogram(finite, bins=60)]
    if finite.size:
        traces.append(Rule(x=float(np.quantile(finite, 0.05)), color=DOWN))
        traces.append(Rule(x=0.0))
    ax = Axes(traces, x_label="return per bar (red: 5% quantile, VaR 95%)", x_percent=True, y_label="count")
    return Figure(key, title, [ax], share_x=False, height=300)


def fan_chart(
    x: Any,
    paths: Any,
    *,
    percentiles: Sequence[float] = (5, 25, 50, 75, 95),
    observed: Any = None,
    key: str = "fan",
    title: str = "Equity paths",
    y_label: str = "equity",
) -> Figure:
    """Percentile bands of many paths (shape (n_steps, n_paths)) around their median, the
    ``observed`` path on top: the fan chart of a Monte Carlo study."""
    p = as_array(paths, ndim=2, name="paths")
    qs = sorted(float(q) for q in percentiles)
    bands = np.nanpercentile(p, qs, axis=1)
    xs = _values(x)
    traces: list[Any] = []
    for i in range(len(qs) // 2):
        traces.append(
            Band(
                xs, bands[i], bands[-1 - i], name=f"{qs[i]:g}-{qs[-1 - i]:g}%", color="#0072B2", opacity=0.15 + 0.15 * i
            )
        )
    if len(qs) % 2:
        traces.append(Line(xs, bands[len(qs) // 2], name="median", color="#0072B2"))
    if observed is not None:
        traces.append(Line(xs, observed, name="observed", color="#000000", width=1.8))
    return Figure(key, title, [Axes(traces, y_label=y_label)], height=380)


def heatmap_figure(
    z: Any,
    x: Sequence[Any],
    y: Sequence[Any],
    *,
    x_label: str,
    y_label: str,
    key: str,
    title: str,
    percent: bool = False,
    decimals: int = 2,
) -> Figure:
    """A labelled matrix (rows ``y``, columns ``x``), e.g. Sharpe over a fast x slow parameter grid."""
    ax = Axes(
        [Heatmap(z, list(x), list(y), percent=percent, decimals=decimals)],
        x_label=x_label,
        y_label=y_label,
        categorical_x=True,
    )
    return Figure(key, title, [ax], share_x=False, height=int(160 + 26 * len(y)))


def scatter_figure(
    x: Any,
    y: Any,
    *,
    x_label: str,
    y_label: str,
    key: str,
    title: str,
    text: Any = None,
    diagonal: bool = False,
    x_percent: bool = False,
    y_percent: bool = False,
) -> Figure:
    """Points (x, y) with optional hover ``text``; ``diagonal`` draws y = x (in-sample vs out-of-sample)."""
    xs = np.asarray(_values(x), dtype=float)
    traces: list[Any] = [Markers(xs, _values(y), text=text)]
    if diagonal:
        ys = np.asarray(_values(y), dtype=float)
        both = np.r_[xs, ys]
        both = both[np.isfinite(both)]
        if both.size:
            lo, hi = float(both.min()), float(both.max())
            traces.append(Line([lo, hi], [lo, hi], name="y = x", color="#999999", dash=True, width=1))
    traces += [Rule(y=0.0), Rule(x=0.0)]
    ax = Axes(traces, x_label=x_label, y_label=y_label, x_percent=x_percent, y_percent=y_percent)
    return Figure(key, title, [ax], share_x=False, height=380)


def bars_figure(
    labels: Sequence[Any],
    series: Mapping[str, Any],
    *,
    key: str,
    title: str,
    y_label: str = "",
    percent: bool = False,
) -> Figure:
    """Grouped bars: one bar per label for each named series (windows, quantiles, assets)."""
    names = list(series)
    traces: list[Any] = []
    for i, n in enumerate(names):
        off = (i - (len(names) - 1) / 2) if len(names) > 1 else 0.0
        traces.append(
            Bars(
                [str(v) for v in labels],
                series[n],
                name=n if len(names) > 1 else "",
                offset=off,
                signed=len(names) == 1,
            )
        )
    traces.append(Rule(y=0.0, dash=False))
    ax = Axes(traces, y_label=y_label, y_percent=percent, categorical_x=True)
    return Figure(key, title, [ax], share_x=False, height=320)


def price_trades_figure(
    ts: Any,
    price: Any,
    trades: Sequence[Mapping[str, Any]],
    *,
    symbol: str,
    key: str = "trades",
) -> Figure:
    """A symbol's close with its trades: entries as triangles (up long, down short), exits as
    crosses, each labelled with side, return and exit reason."""
    x = _values(ts)
    px = np.asarray(_values(price), dtype=float)
    where = {t: i for i, t in enumerate(x)}

    def at(when: Any) -> float:
        i = where.get(when)
        return float(px[i]) if i is not None else float("nan")

    longs = [t for t in trades if t.get("side", 1) > 0]
    shorts = [t for t in trades if t.get("side", 1) < 0]

    def label(t: Mapping[str, Any]) -> str:
        side = "long" if t.get("side", 1) > 0 else "short"
        return f"{side} {t.get('return', float('nan')) * 100:+.1f}% ({t.get('exit_reason', '')})"

    traces: list[Any] = [Line(x, px, name=f"{symbol} close", color="#555555", width=1.1)]
    if longs:
        traces.append(
            Markers(
                [t["entry_ts"] for t in longs],
                [at(t["entry_ts"]) for t in longs],
                name="long entry",
                color=UP,
                symbol="triangle-up",
                text=[label(t) for t in longs],
            )
        )
    if shorts:
        traces.append(
            Markers(
                [t["entry_ts"] for t in shorts],
                [at(t["entry_ts"]) for t in shorts],
                name="short entry",
                color=DOWN,
                symbol="triangle-down",
                text=[label(t) for t in shorts],
            )
        )
    if trades:
        traces.append(
            Markers(
                [t["exit_ts"] for t in trades],
                [at(t["exit_ts"]) for t in trades],
                name="exit",
                color="#000000",
                symbol="x",
                size=6,
                text=[label(t) for t in trades],
            )
        )
    return Figure(key, f"{symbol}: price and trades", [Axes(traces, y_label="price")], height=380)
