"""The portfolio workflows over the lake: what ``t26 portfolio optimize|backtest|frontier`` run.

Each ``*_report`` function reads closes through :meth:`trade2026.lake.Lake.read_bars` (``universe=``:
``"sector:NAME"``, ``"AAA,BBB"`` or a list; default every symbol of the table), completes the
constraints from the lake (sector groups from the ``symbols`` table), and returns a report whose
``to_dict()`` is the command's ``--json``. Reports that write to the lake do so in ``save(lake)``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from trade2026.core import periods_per_year as infer_periods
from trade2026.errors import ConfigError, DataError, NotFoundError
from trade2026.portfolio._backtest import PortfolioBacktest, metrics_table, parse_methods, plot_backtest
from trade2026.portfolio._backtest import backtest as run_backtest
from trade2026.portfolio._constraints import Constraints
from trade2026.portfolio._frontier import Frontier, efficient_frontier, plot_frontier
from trade2026.portfolio._inputs import load_groups, load_prices, load_returns, names_symbols
from trade2026.portfolio._optimize import OptimizeResult
from trade2026.portfolio._optimize import optimize as run_optimize
from trade2026.portfolio._weights import WEIGHTS_TABLE

Universe = str | Sequence[str] | None
PLOT_SUFFIXES = (".png", ".html")


def _estimator_params(halflife: float | None, name: str) -> dict[str, Any]:
    return {"halflife": halflife} if halflife is not None and name == "ewma" else {}


def complete_constraints(lake: Any, symbols: Sequence[str], constraints: Constraints | None) -> Constraints:
    """``constraints`` for a universe: sector groups from the lake's ``symbols`` table when group
    bounds are set without ``groups``, and the current weights restricted to ``symbols``."""
    c = constraints or Constraints()
    if c.max_turnover is not None and not c.current:
        msg = "max_turnover limits |w - current|: give the current weights (Constraints.current)"
        raise ConfigError(msg)
    if c.current and c.max_turnover is None:
        msg = "current weights are only used with max_turnover"
        raise ConfigError(msg)
    groups = dict(c.groups) if c.groups else (load_groups(lake, symbols) if c.group_min or c.group_max else {})
    current = {k: v for k, v in c.current.items() if k in set(symbols)} if c.current else None
    return replace(c, groups=groups, current=current)


@dataclass(frozen=True)
class OptimizeReport:
    """Optimised weights over a lake window; after :meth:`save`, their row in ``portfolio_weights``.

    ``to_dict()`` is ``t26 portfolio optimize --json``: ``portfolio_id``, ``run_id``, the
    :class:`OptimizeResult` fields, ``excluded`` (symbols left out: short history), ``table`` and
    ``version`` (the table version written; None before ``save``).
    """

    result: OptimizeResult
    excluded: dict[str, str]
    portfolio_id: str | None = None
    run_id: str | None = None
    version: int | None = None

    def metrics(self) -> dict[str, float]:
        w = self.result.weights
        return {
            "expected_return": self.result.expected_return,
            "volatility": self.result.volatility,
            "sharpe": self.result.sharpe,
            "n_assets": len(w),
            "n_holdings": sum(1 for v in w.values() if abs(v) > 1e-6),
        }

    def save(self, lake: Any, *, run_id: str | None = None) -> OptimizeReport:
        """Append the weights to ``portfolio_weights`` under a new ``portfolio_id`` (rows stamped with ``run_id``)."""
        import polars as pl

        pid = uuid.uuid4().hex
        res = self.result
        frame = (
            res.to_frame()
            .with_columns(
                pl.lit(pid).alias("portfolio_id"),
                pl.lit(run_id, dtype=pl.String).alias("run_id"),
                pl.lit(res.method).alias("method"),
                pl.lit(res.end).cast(pl.Datetime("us", "UTC")).alias("as_of"),
                pl.lit(dt.datetime.now(dt.UTC)).cast(pl.Datetime("us", "UTC")).alias("created_at"),
            )
            .select("portfolio_id", "run_id", "method", "as_of", "created_at", "symbol", "weight", "risk_contribution")
        )
        written = lake.write(WEIGHTS_TABLE, frame, mode="append")
        return replace(self, portfolio_id=pid, run_id=run_id, version=written.version)

    def to_dict(self) -> dict[str, Any]:
        return {
            "portfolio_id": self.portfolio_id,
            "run_id": self.run_id,
            **self.result.to_dict(),
            "excluded": self.excluded,
            "table": WEIGHTS_TABLE,
            "version": self.version,
        }


def optimize_report(
    lake: Any,
    method: str = "hrp",
    *,
    universe: Universe = None,
    table: str = "bars_1d",
    lookback: int = 252,
    returns: str = "simple",
    end: dt.datetime | None = None,
    mean: str = "hist",
    cov: str = "ledoit_wolf",
    halflife: float | None = None,
    params: Mapping[str, Any] | None = None,
    constraints: Constraints | None = None,
    alpha: float = 0.05,
    periods_per_year: float | None = None,
) -> OptimizeReport:
    """Optimise weights over the last ``lookback`` returns of the lake's closes up to ``end``.

    Parameters
    ----------
    lake : Lake
    method : str
        A method of :data:`trade2026.portfolio.METHODS`; ``params`` its parameters.
    universe : str or list of str, optional
        ``"sector:NAME"``, ``"AAA,BBB"`` or a list; named symbols must have the whole window, other
        symbols short of it are left out (``excluded``).
    lookback, returns, end
        The returns window (see :func:`trade2026.portfolio.load_returns`).
    mean, cov, halflife
        Estimators (``halflife`` in periods, for the ``ewma`` ones).
    constraints : Constraints, optional
        Completed from the lake by :func:`complete_constraints`.
    alpha : float
        Tail level of CVaR/CDaR-type risk measures.
    periods_per_year : float, optional
        Annualisation of the ex-ante statistics; default inferred from the bars' spacing and calendar
        (:func:`trade2026.core.periods_per_year`).
    """
    win = load_returns(lake, lookback=lookback, kind=returns, table=table, end=end, universe=universe)
    symbols = [str(c) for c in win.returns.columns]
    cons = complete_constraints(lake, symbols, constraints)
    res = run_optimize(
        win.returns, method, params=params, mean=mean, cov=cov, mean_params=_estimator_params(halflife, mean),
        cov_params=_estimator_params(halflife, cov), constraints=cons, alpha=alpha,
        periods_per_year=infer_periods(win.returns.index, override=periods_per_year),
    )  # fmt: skip
    return OptimizeReport(res, win.excluded)


def _metric_name(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-./ " else "_" for ch in label)


@dataclass(frozen=True)
class BacktestReport:
    """A walk-forward comparison of portfolio methods over the lake's closes.

    ``to_dict()`` is ``t26 portfolio backtest --json``: ``backtest_id`` and ``run_id`` (set by
    :meth:`save`), the :class:`PortfolioBacktest` fields and ``plots`` (files written).
    """

    result: PortfolioBacktest
    plots: tuple[str, ...] = ()
    backtest_id: str | None = None
    run_id: str | None = None

    def rows(self) -> list[dict[str, Any]]:
        """The side-by-side metrics table."""
        return metrics_table(self.result)

    def metrics(self) -> dict[str, float]:
        """Flat MLflow metrics: ``<method>.<metric>`` and the deflated Sharpe ratio ``dsr``."""
        flat = {
            f"{_metric_name(m['method'])}.{key}": m[key]
            for m in self.result.metrics
            for key in ("cagr", "ann_vol", "sharpe", "max_drawdown", "turnover", "avg_holdings")
        }
        for r in self.result.benchmark_metrics:
            for key in ("alpha", "beta", "information_ratio", "tracking_error"):
                flat[f"{_metric_name(r['method'])}.{key}"] = r[key]
        return {**flat, "dsr": self.result.dsr}

    def save(self, lake: Any, *, run_id: str | None = None) -> BacktestReport:
        """Append the net returns and the rebalance weights under a new ``backtest_id`` to
        ``portfolio_backtest_returns`` and ``portfolio_backtest_weights``."""
        import polars as pl

        res = self.result
        bid = uuid.uuid4().hex
        eq = res.equity()
        ret_frame = pl.DataFrame(
            {
                "ts": [t for t in res.returns.index for _ in res.methods],
                "method": [m for _ in res.returns.index for m in res.methods],
                "return": res.returns.to_numpy().ravel(),
                "equity": eq.to_numpy().ravel(),
            }
        ).with_columns(
            pl.col("ts").cast(pl.Datetime("us", "UTC")),
            pl.lit(bid).alias("backtest_id"),
            pl.lit(run_id, dtype=pl.String).alias("run_id"),
        )
        lake.write(
            "portfolio_backtest_returns", ret_frame.select("backtest_id", "run_id", "method", "ts", "return", "equity")
        )
        wts = res.weights.with_columns(pl.lit(bid).alias("backtest_id"))
        lake.write("portfolio_backtest_weights", wts.select("backtest_id", "method", "ts", "symbol", "weight"))
        return replace(self, backtest_id=bid, run_id=run_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "backtest_id": self.backtest_id,
            "run_id": self.run_id,
            **self.result.to_dict(),
            "plots": list(self.plots),
        }


def backtest_report(
    lake: Any,
    methods: str | Sequence[str] = "hrp,herc,erc,min_var,ew",
    *,
    universe: Universe = None,
    table: str = "bars_1d",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    rebalance: int = 21,
    lookback: int = 252,
    cost_bps: float = 10.0,
    returns: str = "simple",
    mean: str = "hist",
    cov: str = "ledoit_wolf",
    constraints: Constraints | None = None,
    alpha: float = 0.05,
    plots: str | Path | None = None,
    executor: str = "serial",
    ray_address: str | None = None,
    max_workers: int | None = None,
    progress: bool = False,
    periods_per_year: float | None = None,
    benchmark: str | None = None,
) -> BacktestReport:
    """Backtest rebalancing methods over the lake's closes (see :func:`trade2026.portfolio.backtest`).

    ``benchmark``: ``"equal"`` (the equal-weight portfolio of the prices' symbols, rebalanced every
    period), ``"buy_hold"`` (equal capital in each symbol priced on the first date, never
    rebalanced) or a symbol of the prices (:func:`trade2026.backtest.benchmark_returns`); every
    method is then compared with it (:meth:`PortfolioBacktest.with_benchmark`).

    ``universe`` as in :func:`optimize_report` (named symbols need ``lookback + 1`` closes);
    ``start``/``end`` bound the prices used; ``plots``: a directory for the HTML report and its PNG
    figures (:func:`plot_backtest`; allocations also by sector when the ``symbols`` table has
    them). The methods are checked before any data is read. ``periods_per_year`` annualises the
    metrics (default: inferred from the prices' spacing and calendar).
    """
    parse_methods(methods)
    prices = load_prices(lake, table=table, start=start, end=end, universe=universe)
    if names_symbols(None, universe):
        short = [str(s) for s in prices.columns if prices[s].notna().sum() < lookback + 1]
        if short:
            msg = f"not enough history for a {lookback}-period lookback: {', '.join(short)}; shorten lookback"
            raise DataError(msg)
    cons = complete_constraints(lake, [str(c) for c in prices.columns], constraints)
    ppy = infer_periods(prices.index, override=periods_per_year)
    res = run_backtest(
        prices, methods, rebalance=rebalance, lookback=lookback, cost_bps=cost_bps, returns_kind=returns, mean=mean,
        cov=cov, constraints=cons, alpha=alpha, executor=executor, ray_address=ray_address, max_workers=max_workers,
        progress=progress, periods_per_year=ppy,
    )  # fmt: skip
    if benchmark is not None:
        res = res.with_benchmark(*_benchmark(benchmark, prices, res.returns.index), ppy)
    groups = None
    if plots is not None:
        try:
            groups = load_groups(lake, [str(c) for c in prices.columns])
        except (DataError, NotFoundError):  # no symbols table, or symbols without a sector: no sector view
            groups = None
    written = tuple(str(p) for p in plot_backtest(res, plots, groups=groups)) if plots is not None else ()
    return BacktestReport(res, plots=written)


def _benchmark(benchmark: str, prices: Any, index: Any) -> tuple[str, Any]:
    """The benchmark's name and returns over the prices, aligned with the backtest's ``index``."""
    import pandas as pd
    import polars as pl

    from trade2026.backtest import benchmark_returns
    from trade2026.core import Panel

    px = prices.sort_index().astype(float)
    ts = pl.Series("ts", list(px.index.to_pydatetime()), dtype=pl.Datetime("us", "UTC"))
    panel = Panel(ts, [str(c) for c in px.columns], {"close": px.to_numpy()})
    name, r = benchmark_returns(benchmark, panel)
    return name, pd.Series(r, index=px.index).reindex(index).to_numpy()


@dataclass(frozen=True)
class FrontierReport:
    """An efficient frontier over a lake window.

    ``to_dict()`` is ``t26 portfolio frontier --json``: the :class:`Frontier` fields, ``excluded``
    and ``plot`` (the file written, or None).
    """

    frontier: Frontier
    excluded: dict[str, str]
    plot: str | None = None

    @property
    def risk_column(self) -> str:
        """A short column name for the risk values, naming measure, tail and basis (``cvar_95_daily``)."""
        from trade2026.portfolio._frontier import RISK_NAMES, period_name

        f = self.frontier
        tail = f"_{1 - f.alpha:.0%}".rstrip("%") if RISK_NAMES.get(f.rm, ("", False))[1] else ""
        basis = period_name(f.periods_per_year)
        return f"{f.rm.lower()}{tail}_{basis if ' ' not in basis else 'per_bar'}"

    def metrics(self) -> dict[str, float]:
        pts = self.frontier.points
        return {
            "max_sharpe": pts[self.frontier.max_sharpe_point]["sharpe"],
            "min_volatility": min(p["volatility"] for p in pts),
            "min_risk": min(p["risk"] for p in pts),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.frontier.to_dict(), "excluded": self.excluded, "plot": self.plot}


def frontier_report(
    lake: Any,
    *,
    universe: Universe = None,
    table: str = "bars_1d",
    rm: str = "mv",
    points: int = 20,
    lookback: int = 252,
    returns: str = "simple",
    end: dt.datetime | None = None,
    mean: str = "hist",
    cov: str = "ledoit_wolf",
    halflife: float | None = None,
    constraints: Constraints | None = None,
    alpha: float = 0.05,
    rf_rate: float = 0.0,
    plot: str | Path | None = None,
    periods_per_year: float | None = None,
) -> FrontierReport:
    """Trace the mean-``rm`` efficient frontier over a lake window (see
    :func:`trade2026.portfolio.efficient_frontier`; the window, ``universe`` and ``periods_per_year``
    as in :func:`optimize_report`). ``plot``: a ``.png`` or ``.html`` file to draw it in."""
    if plot is not None and Path(plot).suffix.lower() not in PLOT_SUFFIXES:
        msg = f"plot file must end in .png or .html, got {Path(plot).name}"
        raise ConfigError(msg)
    win = load_returns(lake, lookback=lookback, kind=returns, table=table, end=end, universe=universe)
    cons = complete_constraints(lake, [str(c) for c in win.returns.columns], constraints)
    front = efficient_frontier(
        win.returns, rm=rm, points=points, mean=mean, cov=cov, constraints=cons, alpha=alpha, rf_rate=rf_rate,
        mean_params=_estimator_params(halflife, mean), cov_params=_estimator_params(halflife, cov),
        periods_per_year=infer_periods(win.returns.index, override=periods_per_year),
    )  # fmt: skip
    written = str(plot_frontier(front, plot)) if plot is not None else None
    return FrontierReport(front, win.excluded, written)


__all__ = [
    "BacktestReport",
    "FrontierReport",
    "OptimizeReport",
    "backtest_report",
    "complete_constraints",
    "frontier_report",
    "optimize_report",
]
