"""Walk-forward rebalancing backtests that compare portfolio methods on the same dates.

Timing: at a rebalance date ``t`` a method sees the ``lookback`` returns ending at ``t``'s close
and its weights earn from ``t + 1`` on. Between rebalances the weights drift with prices. Trading
costs are ``cost_bps`` of the traded value ``sum |w_new - w_drifted|``, charged on the next
period's return. The universe at each rebalance is every symbol with a close on all
``lookback + 1`` dates of its window (no look-ahead: later listings and delistings are unknown); a
symbol that stops trading while held earns 0 (its weight is held as cash) until the next rebalance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trade2026.errors import ConfigError, DataError, T26Error
from trade2026.portfolio._constraints import Constraints


@dataclass(frozen=True)
class _Task:
    method: str
    params: dict[str, Any]
    date_index: int
    window: Any  # pandas DataFrame of returns (lookback, n_eligible)
    mean: str
    cov: str
    constraints: Constraints | None
    alpha: float
    periods_per_year: float


def _solve(task: _Task) -> tuple[dict[str, float] | None, str | None]:
    """Top-level (picklable) worker: the weights of one method at one rebalance date."""
    from trade2026.portfolio._optimize import optimize

    try:
        res = optimize(
            task.window,
            task.method,
            params=task.params,
            mean=task.mean,
            cov=task.cov,
            constraints=task.constraints,
            alpha=task.alpha,
            periods_per_year=task.periods_per_year,
        )
    except T26Error as exc:
        return None, str(exc)
    return res.weights, None


@dataclass(frozen=True)
class PortfolioBacktest:
    """Side-by-side results of a rebalancing backtest.

    ``metrics``: one dict per method (shared snake_case names plus ``avg_holdings``,
    ``turnover_per_rebalance``, ``n_rebalances``, ``failed_rebalances``); ``returns``: pandas
    DataFrame (index ts, one column per method) of net simple returns; ``weights``: polars
    DataFrame[method, ts, symbol, weight] at each rebalance; ``best``/``dsr``: the method with
    the highest Sharpe ratio and its deflated Sharpe ratio given the number of methods tried.
    ``turnover``: polars DataFrame[method, ts, turnover] (one-way, ``sum|w_new - w_drifted| / 2``)
    at each rebalance; ``risk``: rows (method, ts, symbol, weight, risk_contribution) of each
    method's last rebalance, the risk contribution being the asset's share of the portfolio
    variance under the ``cov`` estimate of that rebalance's lookback window (what the methods saw).
    """

    methods: tuple[str, ...]
    metrics: list[dict[str, Any]]
    returns: Any
    weights: Any
    rebalance_dates: tuple[Any, ...]
    best: str
    dsr: float
    settings: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    turnover: Any = None
    risk: list[dict[str, Any]] = field(default_factory=list)
    benchmark: str | None = None
    benchmark_returns: Any = field(default=None, repr=False)  # ndarray aligned with ``returns``' index
    benchmark_metrics: list[dict[str, Any]] = field(default_factory=list)

    def equity(self) -> Any:
        return (1.0 + self.returns).cumprod()

    def with_benchmark(self, name: str, returns: Any, periods_per_year: float) -> PortfolioBacktest:
        """This backtest compared with a benchmark's simple ``returns`` (aligned with :attr:`returns`):
        :func:`trade2026.core.benchmark_metrics` of every method (alpha, beta, tracking error,
        information ratio, up/down capture, excess return, ...)."""
        from dataclasses import replace

        from trade2026.core import benchmark_metrics

        b = np.asarray(returns, dtype=np.float64)
        rows = [
            {"method": m, **benchmark_metrics(self.returns[m].to_numpy(), b, periods_per_year)} for m in self.methods
        ]
        return replace(self, benchmark=name, benchmark_returns=b, benchmark_metrics=rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "methods": list(self.methods),
            "metrics": self.metrics,
            "best": self.best,
            "dsr": self.dsr,
            "n_rebalances": len(self.rebalance_dates),
            "start": _py(self.returns.index[0]) if len(self.returns) else None,
            "end": _py(self.returns.index[-1]) if len(self.returns) else None,
            "settings": self.settings,
            "notes": list(self.notes),
            **({"benchmark": {"name": self.benchmark, "metrics": self.benchmark_metrics}} if self.benchmark else {}),
        }


def parse_methods(spec: str | Sequence[str]) -> list[tuple[str, str, dict[str, str]]]:
    """``"hrp,erc,mean_risk:rm=cvar;objective=sharpe"`` -> [(label, name, params)].

    A method may carry parameters after ``:`` as ``key=value`` pairs separated by ``;``; the same
    method twice needs distinct parameters (its label then includes them).
    """
    from trade2026.portfolio._methods import get_method

    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    if not items:
        msg = 'no methods given; e.g. methods="hrp,herc,erc,min_var,ew"'
        raise ConfigError(msg)
    out: list[tuple[str, str, dict[str, str]]] = []
    for item in items:
        name, _, rest = item.partition(":")
        params: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in rest.split(";"))):
            k, sep, v = part.partition("=")
            if not sep:
                msg = f"bad method parameter {part!r} in {item!r}; use name:key=value;key=value"
                raise ConfigError(msg)
            params[k.strip()] = v.strip()
        m = get_method(name)
        m.resolve_params(params)  # validate names and types early
        label = m.name if not params else f"{m.name}({';'.join(f'{k}={v}' for k, v in params.items())})"
        if label in {o[0] for o in out}:
            msg = f"method {label} is listed twice"
            raise ConfigError(msg)
        out.append((label, m.name, params))
    return out


def backtest(
    prices: Any,
    methods: str | Sequence[str] = "ew,inv_vol,hrp,erc,min_var",
    *,
    rebalance: int = 21,
    lookback: int = 252,
    cost_bps: float = 10.0,
    returns_kind: str = "simple",
    mean: str = "hist",
    cov: str = "ledoit_wolf",
    constraints: Constraints | None = None,
    alpha: float = 0.05,
    periods_per_year: float = 252,
    executor: str = "serial",
    ray_address: str | None = None,
    max_workers: int | None = None,
    progress: bool = False,
) -> PortfolioBacktest:
    """Walk-forward re-optimisation of several methods over a price panel.

    Parameters
    ----------
    prices : pandas DataFrame
        Closes, index = dates (sorted), one column per symbol, NaN where a symbol has no bar.
    methods : str or list of str
        Method names (optionally with parameters, see :func:`parse_methods`).
    rebalance : int
        Periods between rebalances.
    lookback : int
        Return periods each estimate uses.
    cost_bps : float
        Cost in basis points of the traded value at each rebalance.
    returns_kind : {"simple", "log"}
        Returns the estimators see (the P&L always uses simple returns).
    executor, ray_address, max_workers, progress
        Fan-out over (method, rebalance date) through :func:`trade2026.parallel.run_tasks`.
    """
    from trade2026.backtest import deflated_sharpe_ratio
    from trade2026.core import returns_metrics
    from trade2026.parallel import run_tasks
    from trade2026.portfolio._inputs import to_returns

    specs = parse_methods(methods)
    if rebalance < 1:
        raise ConfigError(f"rebalance must be >= 1 period, got {rebalance}")
    if cost_bps < 0:
        raise ConfigError(f"cost_bps must be >= 0, got {cost_bps}")
    if lookback < 3:
        raise ConfigError(f"lookback must be at least 3 periods, got {lookback}")
    if constraints is not None and constraints.max_turnover is not None:
        msg = "a turnover limit is not available in backtests (each rebalance is solved independently); use cost_bps"
        raise ConfigError(msg)
    px = prices.sort_index().astype(float)
    n_rows, n_sym = px.shape
    if n_rows < lookback + 2:
        msg = f"{n_rows} dates of prices: a {lookback}-period lookback needs at least {lookback + 2} for one rebalance"
        raise DataError(msg)
    simple = (px / px.shift(1) - 1.0).to_numpy()  # row i: close_i / close_{i-1} - 1 (NaN if either is missing)
    have = px.notna().to_numpy()
    dates = list(range(lookback, n_rows - 1, rebalance))
    tasks: list[_Task] = []
    universes: dict[int, list[str]] = {}
    windows: dict[int, Any] = {}
    for t in dates:
        ok = have[t - lookback : t + 1].all(axis=0)
        if ok.sum() < 2:
            continue
        cols = [str(c) for c, good in zip(px.columns, ok, strict=True) if good]
        universes[t] = cols
        window = to_returns(px.iloc[t - lookback : t + 1][cols], returns_kind)
        windows[t] = window
        for label, name, params in specs:
            del label
            tasks.append(_Task(name, params, t, window, mean, cov, constraints, alpha, periods_per_year))
    if not tasks:
        msg = "no rebalance date has 2 symbols with a full lookback window; shorten lookback"
        raise DataError(msg)
    results = run_tasks(
        _solve,
        tasks,
        executor=executor,
        ray_address=ray_address,
        max_workers=max_workers,
        progress=progress,
        description="rebalances",
    )
    by_key: dict[tuple[str, int], tuple[dict[str, float] | None, str | None]] = {}
    k = 0
    for t in universes:
        for label, _, _ in specs:
            by_key[(label, t)] = results[k]
            k += 1

    col_index = {str(c): j for j, c in enumerate(px.columns)}
    t0 = min(universes)
    start = t0 + 1
    cost = cost_bps / 1e4
    all_returns: dict[str, np.ndarray] = {}
    weight_rows: list[tuple[str, Any, str, float]] = []
    metrics: list[dict[str, Any]] = []
    notes: list[str] = []
    turnover_rows: list[tuple[str, Any, float]] = []
    risk_rows: list[dict[str, Any]] = []
    for label, _, _ in specs:
        last: tuple[int, dict[str, float]] | None = None
        w = np.zeros(n_sym)
        out = np.zeros(n_rows - start)
        traded = []
        holdings = []
        failed = []
        pending_cost = 0.0
        for i in range(t0, n_rows):
            if i > t0:
                r = np.nan_to_num(simple[i], nan=0.0)
                gross = float(w @ r)
                out[i - start] = gross - pending_cost
                pending_cost = 0.0
                if gross > -1.0:
                    w = w * (1.0 + r) / (1.0 + gross)
            if i in universes and i < n_rows - 1:
                new, err = by_key[(label, i)]
                if new is None:
                    failed.append(f"{_py(px.index[i])}: {err}")
                    continue
                target = np.zeros(n_sym)
                for s, v in new.items():
                    target[col_index[s]] = v
                trade = float(np.abs(target - w).sum())
                traded.append(trade)
                pending_cost = cost * trade
                w = target
                holdings.append(int((np.abs(target) > 1e-6).sum()))
                ts = _py(px.index[i])
                weight_rows.extend((label, ts, s, float(v)) for s, v in new.items())
                turnover_rows.append((label, ts, trade / 2.0))
                last = (i, new)
        all_returns[label] = out
        if last is not None:
            risk_rows.extend(_risk_rows(label, _py(px.index[last[0]]), last[1], windows[last[0]], cov))
        one_way = np.array(traded) / 2.0
        stats = returns_metrics(out, periods_per_year, turnover=float(one_way.sum()) / max(len(out), 1))
        m: dict[str, Any] = {
            "method": label,
            **stats,
            "turnover_per_rebalance": float(one_way.mean()) if len(one_way) else 0.0,
            "avg_holdings": float(np.mean(holdings)) if holdings else 0.0,
            "n_rebalances": len(traded),
            "failed_rebalances": len(failed),
        }
        metrics.append(m)
        if failed:
            notes.append(f"{label}: {len(failed)} rebalance(s) failed and kept the drifted weights; first: {failed[0]}")

    import pandas as pd
    import polars as pl

    rets = pd.DataFrame(all_returns, index=px.index[start:])
    srs = np.array([m["sharpe_per_period"] for m in metrics], dtype=float)
    finite = np.isfinite(srs)
    if not finite.any():
        best, dsr = metrics[0]["method"], float("nan")
    else:
        b = int(np.nanargmax(np.where(finite, srs, -np.inf)))
        best = metrics[b]["method"]
        var_trials = float(np.var(srs[finite], ddof=1)) if finite.sum() > 1 else 0.0
        top = metrics[b]
        dsr = float(
            deflated_sharpe_ratio(
                float(srs[b]),
                n_trials=len(specs),
                var_trials=var_trials,
                n_obs=int(top["n_obs"]),
                skew=float(top["skew"]),
                kurtosis=float(top["kurtosis"]),
            )
        )
    weights = pl.DataFrame(
        weight_rows,
        schema={"method": pl.String, "ts": pl.Datetime("us", "UTC"), "symbol": pl.String, "weight": pl.Float64},
        orient="row",
    )
    turnover = pl.DataFrame(
        turnover_rows,
        schema={"method": pl.String, "ts": pl.Datetime("us", "UTC"), "turnover": pl.Float64},
        orient="row",
    )
    settings = {
        "rebalance": rebalance,
        "lookback": lookback,
        "cost_bps": cost_bps,
        "returns": returns_kind,
        "mean": mean,
        "cov": cov,
        "alpha": alpha,
        "constraints": (constraints or Constraints()).to_dict(),
        "symbols": [str(c) for c in px.columns],
    }
    return PortfolioBacktest(
        methods=tuple(label for label, _, _ in specs),
        metrics=metrics,
        returns=rets,
        weights=weights,
        rebalance_dates=tuple(_py(px.index[t]) for t in universes),
        best=best,
        dsr=dsr,
        settings=settings,
        notes=tuple(notes),
        turnover=turnover,
        risk=risk_rows,
    )


def _risk_rows(label: str, ts: Any, weights: dict[str, float], window: Any, cov: str) -> list[dict[str, Any]]:
    """Each held symbol's weight and share of the portfolio variance (covariance estimator ``cov``
    over the rebalance's ``window`` of returns, the one the methods were given)."""
    from trade2026.portfolio._estimators import covariance
    from trade2026.portfolio._optimize import risk_contributions

    cols = [str(c) for c in window.columns]
    w = np.array([weights.get(c, 0.0) for c in cols])
    rc = risk_contributions(w, covariance(window.to_numpy(dtype=float), method=cov))
    return [
        {"method": label, "ts": ts, "symbol": c, "weight": float(w[j]), "risk_contribution": float(rc[j])}
        for j, c in enumerate(cols)
        if abs(w[j]) > 1e-6
    ]


def plot_backtest(result: PortfolioBacktest, directory: Any, *, groups: dict[str, str] | None = None) -> list[Any]:
    """Write the backtest report to ``directory``: ``portfolio_backtest.html`` (equity and drawdowns,
    turnover, allocations as top symbols plus other, and by sector with ``groups`` symbol -> sector,
    risk contributions) and each figure as ``portfolio_backtest_<key>.png``; returns the files, the
    page first."""
    from pathlib import Path

    from trade2026.portfolio._pages import backtest_page

    return backtest_page(result, groups=groups).write(Path(directory) / "portfolio_backtest.html")


def _py(v: Any) -> Any:
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime()
    return v


def metrics_table(result: PortfolioBacktest, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    cols = columns or ("cagr", "ann_vol", "sharpe", "max_drawdown", "turnover_per_rebalance", "avg_holdings")
    return [{"method": m["method"], **{c: m.get(c) for c in cols}} for m in result.metrics]
