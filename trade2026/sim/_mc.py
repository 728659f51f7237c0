"""Monte Carlo validation: how a strategy's results could have turned out instead.

Families of alternative histories (:func:`monte_carlo` runs them and returns a :class:`McReport`):

* ``bootstrap``: the strategy's own returns resampled with the stationary bootstrap
  (:func:`trade2026.core.stationary_bootstrap`: Politis and Romano 1994, blocks of geometric
  length with the automatic mean length of Politis and White 2004, corrected 2009), so serial
  dependence survives;
* ``reshuffle``: the strategy's round-trip trade returns in a random order (same final wealth,
  different path and drawdown), annualised at :func:`trades_per_year`;
* synthetic prices, ``gbm``, ``garch`` (GARCH(1,1) QMLE) or ``regime`` (two volatility regimes with
  a Markov switch), fitted to the underlying's returns and rerun through the backtest engine with
  the same strategy (:mod:`trade2026.sim._synthetic`);
* ``prism``: every path is a PRISM agent-based market run (:mod:`trade2026.sim.prism`) with its own
  seed, its bars rerun through the backtest engine (see :mod:`trade2026.sim._prism_paths`). Opt-in
  (not in :data:`METHODS`, the default set): each path is a full simulation.

Every path gives the same snake_case metrics (:func:`trade2026.core.metrics_columns`); a
:class:`McResult` per method turns them into percentiles, the probability of a loss and the risk of
ruin (equity falling below ``1 - ruin_limit`` at any time). :func:`risk_of_ruin` works on additive
P&L per bet; with bets of +1/-1 won with probability ``p`` it converges to the gambler's ruin
formula ``((1 - p) / p) ** capital`` (:func:`risk_of_ruin_closed_form`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trade2026.errors import InputError
from trade2026.sim._resample import reshuffle_trades, trades_per_year
from trade2026.sim._summary import METRICS, McResult, summarize
from trade2026.sim._synthetic import MODELS

if TYPE_CHECKING:
    from trade2026.sim._rerun import Rerun

METHODS = ("bootstrap", "reshuffle", *MODELS)  # the default set
ALL_METHODS = (*METHODS, "prism")  # prism is opt-in: each path is a full agent-based simulation


@dataclass(frozen=True)
class McReport:
    """The result of :func:`monte_carlo`: the observed metrics and one :class:`McResult` per method.

    ``observed`` holds every metric of the observed returns (:func:`trade2026.core.returns_metrics`
    keys, plus the backtest's trade and fill statistics for a strategy); ``strategy``, ``table`` and
    ``symbol`` say what was validated (``table`` is a label given by the caller); ``run_id`` is the
    tracking run the caller logged it to, if any.
    """

    observed: dict[str, Any]
    results: tuple[McResult, ...]
    ruin_limit: float
    strategy: str | None = None
    table: str | None = None
    symbol: str | None = None
    run_id: str | None = None
    observed_returns: np.ndarray | None = field(default=None, repr=False)  # the series the paths resample

    def to_dict(self) -> dict[str, Any]:
        """``{"run_id", "strategy", "table", "symbol", "observed": {metric: value}, "methods":
        [McResult.summary(), ...]}`` (``observed`` restricted to :data:`METRICS`)."""
        return {
            "run_id": self.run_id,
            "strategy": self.strategy,
            "table": self.table,
            "symbol": self.symbol,
            "observed": {k: self.observed.get(k) for k in METRICS},
            "methods": [r.summary() for r in self.results],
        }

    def tracking_metrics(self) -> dict[str, float]:
        """Flat metrics for a tracking run: ``observed_<metric>`` and, per method,
        ``<method>_prob_loss``, ``<method>_risk_of_ruin`` and ``<method>_sharpe_p50``."""
        out = {f"observed_{k}": v for k in METRICS if (v := self.observed.get(k)) is not None}
        for s in (r.summary() for r in self.results):
            out[f"{s['method']}_prob_loss"] = s["prob_loss"]
            out[f"{s['method']}_risk_of_ruin"] = s["risk_of_ruin"]
            out[f"{s['method']}_sharpe_p50"] = s["sharpe"]["p50"]
        return out

    def plot(self, path: str | Path) -> Path:
        """Write the fan charts of every method's equity paths (percentile bands 5-95 and 25-75, the
        median, the observed equity) with the percentile tables: a ``.html`` path gets the report
        page (PNG figures beside it as ``<stem>_<key>.png``), any other the first method's fan chart
        as PNG (the others beside it). A path without a suffix gets ``.png``; a directory is an
        InputError naming ``plot``. Returns the main file written.
        """
        from trade2026.sim._plot import write_mc_report

        return write_mc_report(self, plot_file(path))[0]


def plot_file(path: str | Path) -> Path:
    """The image file a plot at ``path`` is written to: ``.png`` added when it has no suffix."""
    out = Path(path)
    if out.is_dir():
        msg = f"plot path {str(out)!r} is a directory; give a file name such as {str(out / 'mc.png')!r}"
        raise InputError(msg, option="plot")
    return out if out.suffix else out.with_name(out.name + ".png")


def monte_carlo(
    bars: Any = None,
    strategy: str | None = None,
    *,
    returns: Any = None,
    methods: Sequence[str] | None = None,
    n_paths: int = 1000,
    synthetic_paths: int | None = None,
    ruin_limit: float = 0.3,
    periods_per_year: float | None = None,
    ts: Any = None,
    block_length: float | None = None,
    seed: int = 0,
    executor: str = "serial",
    ray_address: str | None = None,
    costs: dict[str, Any] | None = None,
    prism_agents: dict[str, int] | None = None,
    prism_session_hours: float | None = None,
    prism_days: int | None = None,
    table: str | None = None,
    progress: bool | Callable[[str, int, int], None] = False,
) -> McReport:
    """Monte Carlo validation of a strategy on one symbol's bars, or of a returns series.

    Parameters
    ----------
    bars : polars or pandas DataFrame, or LakeSlice, optional
        Canonical bars (symbol, ts, open, high, low, close[, volume]) of one symbol; with
        ``strategy``, backtested once for the observed metrics and the paths to resample. A
        :class:`~trade2026.lake.LakeSlice` of one symbol lets the reruns' workers read the bars'
        times from the lake instead of receiving them in every task.
    strategy : str, optional
        A strategy spec (``"sma_cross:fast=20,slow=50"``; see ``trade2026.backtest.parse_strategy``).
    returns : array-like of shape (n_obs,), optional
        Instead of ``bars`` and ``strategy``: simple returns per period to bootstrap (NaN skipped).
    methods : sequence of str, optional
        Among :data:`ALL_METHODS`; default :data:`METHODS` for a strategy (``reshuffle`` is left out
        when the backtest closed fewer than two trades) and ``("bootstrap",)`` for returns, the only
        method that applies to them.
    n_paths : int
        Bootstrap and reshuffle paths (>= 10).
    synthetic_paths : int, optional
        Paths per synthetic model (and prism) rerun through the backtest engine; default
        ``min(n_paths, 200)``.
    ruin_limit : float
        In (0, 1]: ruin is equity at or below ``1 - ruin_limit`` of the start at any time.
    periods_per_year : float, optional
        Bars (or return periods) per year: annualises the observed and the path metrics, and is the
        backtest's ``periods_per_year``. Default: inferred from the bars' (or ``ts``') spacing and
        calendar by :func:`trade2026.core.periods_per_year`; 252 for a returns series without ``ts``.
        Reshuffled trade paths are annualised at ``trades_per_year(periods_per_year, n_trades, n_bars)``
        (see :func:`trades_per_year`).
    ts : array-like of timestamps, optional
        The times of ``returns``, to infer ``periods_per_year`` from.
    block_length : float, optional
        Mean bootstrap block length; default Politis-White.
    seed : int
        >= 0. The bootstrap draws from ``seed`` (as ``trade2026.backtest.bootstrap_ci`` does), the
        reshuffle from ``seed + 1``, synthetic model ``j`` (in ``methods`` order) from ``seed + 10 +
        j``, PRISM path ``i`` from ``prism_seeds(seed, synthetic_paths)[i]``: the same seed gives the
        same report on every executor.
    executor, ray_address : str, optional
        Where the synthetic and PRISM reruns fan out (:func:`trade2026.parallel.run_tasks`).
    costs : dict, optional
        Further ``run_backtest`` settings (``commission_bps``, ``slippage_bps``, ``fill``, ...).
    prism_agents, prism_session_hours, prism_days : optional
        With the ``prism`` method: agent counts, session length (hours) and sessions per path
        (default: the observed bar count, at most 252). See ``prism_plan``.
    table : str, optional
        Where the bars or returns came from, recorded in the report.
    progress : bool or callable
        True: a progress bar over the PRISM paths on stderr (when it is a terminal). A callable
        ``progress(stage, done, total)`` is called instead as the work advances: after the strategy's
        backtest (stage ``"backtest"``) and after each method (stage = the method's name), ``done``
        of ``total`` steps; the CLI draws it as its progress bar.

    Returns
    -------
    McReport
    """
    source = None
    if _is_slice(bars):  # the reruns' workers read the bars' times from the lake themselves
        source = bars.pinned()
        bars = source.frame()
    has_returns = returns is not None
    if has_returns == (bars is not None) or has_returns == (strategy is not None):
        msg = "pass bars with a strategy, or a returns series, to monte_carlo (one of the two)"
        raise InputError(msg)
    chosen = tuple(methods) if methods is not None else (("bootstrap",) if has_returns else METHODS)
    _check(chosen, n_paths, synthetic_paths, ruin_limit, seed, has_returns)
    from trade2026.config import check_work

    n_obs = len(returns) if has_returns else len(bars)
    check_work("cells", float(n_paths) * n_obs, f"{n_paths:,} Monte Carlo paths x {n_obs:,} periods")
    prism_opts = prism_agents is not None or prism_session_hours is not None or prism_days is not None
    if prism_opts and "prism" not in chosen:
        msg = "prism_agents, prism_session_hours and prism_days apply only with the prism method; add prism to methods"
        raise InputError(msg)
    base = None
    if "prism" in chosen:
        from trade2026.sim._prism_paths import prism_base_config

        base = prism_base_config(agents=prism_agents, session_hours=prism_session_hours, days=prism_days)
    from trade2026.core import periods_per_year as infer_periods

    stamps = bars["ts"] if bars is not None else ts
    if stamps is None and periods_per_year is None:
        periods_per_year = 252.0  # a bare returns series: daily
    periods_per_year = infer_periods(stamps, override=periods_per_year)
    kw = {"periods_per_year": periods_per_year, "ruin_limit": ruin_limit}
    if has_returns:
        from trade2026.core import as_array, returns_metrics

        r = as_array(returns, ndim=1)
        boot = _bootstrap(r, n_paths, block_length, seed, **kw)
        if callable(progress):
            progress("bootstrap", 1, 1)
        return McReport(returns_metrics(r, periods_per_year), (boot,), ruin_limit, table=table, observed_returns=r)
    assert strategy is not None
    return _strategy(
        bars,
        strategy,
        chosen,
        base,
        n_paths=n_paths,
        n_synthetic=synthetic_paths or min(n_paths, 200),
        block_length=block_length,
        seed=seed,
        executor=executor,
        ray_address=ray_address,
        costs=costs or {},
        prism_days=prism_days,
        table=table,
        progress=progress,
        source=source,
        **kw,
    )


def _is_slice(obj: Any) -> bool:
    from trade2026.lake import LakeSlice

    return isinstance(obj, LakeSlice)


def _check(
    methods: tuple[str, ...],
    n_paths: int,
    synthetic_paths: int | None,
    ruin_limit: float,
    seed: int,
    has_returns: bool,
) -> None:
    bad = [m for m in methods if m not in ALL_METHODS]
    if bad or not methods:
        msg = f"unknown Monte Carlo method(s) {', '.join(bad) or '(none given)'}; use {', '.join(ALL_METHODS)}"
        raise InputError(msg)
    if has_returns and set(methods) - {"bootstrap"}:
        msg = (
            "with a returns series only the bootstrap method applies "
            "(reshuffle and the synthetic methods need bars and a strategy)"
        )
        raise InputError(msg)
    if n_paths < 10 or (synthetic_paths is not None and synthetic_paths < 1):
        msg = f"n_paths must be >= 10 and synthetic_paths >= 1 (got {n_paths} and {synthetic_paths})"
        raise InputError(msg)
    if not 0 < ruin_limit <= 1:
        msg = f"ruin_limit must be in (0, 1], got {ruin_limit}"
        raise InputError(msg)
    if seed < 0:
        msg = f"seed must be >= 0, got {seed}"
        raise InputError(msg)


def _bootstrap(returns: np.ndarray, n_paths: int, block_length: float | None, seed: int, **kw: Any) -> McResult:
    from trade2026.core import stationary_bootstrap

    paths, b = stationary_bootstrap(returns, n_paths, block_length=block_length, seed=seed)
    return summarize("bootstrap", paths, info={"block_length": b}, **kw)


def _stepper(progress: Any, total: int) -> Callable[[str], None]:
    """``step(stage)``: one more of ``total`` steps done, reported to a ``progress`` callable (if any)."""
    done = 0

    def step(stage: str) -> None:
        nonlocal done
        done += 1
        if callable(progress):
            progress(stage, done, total)

    return step


def _strategy(
    bars: Any,
    strategy: str,
    methods: tuple[str, ...],
    base: Any,
    *,
    n_paths: int,
    n_synthetic: int,
    block_length: float | None,
    seed: int,
    executor: str,
    ray_address: str | None,
    costs: dict[str, Any],
    prism_days: int | None,
    table: str | None,
    progress: bool | Callable[[str, int, int], None],
    source: Any,
    periods_per_year: float,
    ruin_limit: float,
) -> McReport:
    from trade2026.backtest import parse_strategy, run_backtest, strategy_positions
    from trade2026.core import to_polars
    from trade2026.sim._rerun import Rerun

    df = to_polars(bars)[0]
    syms = df["symbol"].unique().to_list()
    if len(syms) != 1:
        some = ", ".join(map(str, sorted(syms)[:5]))
        msg = (
            f"Monte Carlo validation runs on one symbol; the bars hold {len(syms)} ({some}...); pass one symbol's bars"
        )
        raise InputError(msg)
    df = df.sort("ts")
    symbol = str(syms[0])
    name, params = parse_strategy(strategy)
    rerun = Rerun(name, params, {**costs, "periods_per_year": periods_per_year})
    res = run_backtest(df, strategy_positions(name, df, **params), **rerun.settings)
    rets = res.returns["return"].to_numpy()
    kw = {"periods_per_year": periods_per_year, "ruin_limit": ruin_limit}
    total = 1 + len(methods)
    step = _stepper(progress, total)
    step("backtest")
    results: list[McResult] = []
    if "bootstrap" in methods:
        results.append(_bootstrap(rets, n_paths, block_length, seed, **kw))
        step("bootstrap")
    if "reshuffle" in methods:
        if res.trades.height >= 2:
            shuffled = reshuffle_trades(res.trades["return"].to_numpy(), n_paths, seed=seed + 1)
            tpy = trades_per_year(periods_per_year, shuffled.shape[1], int(np.isfinite(rets).sum()))
            info = {"n_trades": int(shuffled.shape[1]), "trades_per_year": tpy}
            results.append(summarize("reshuffle", shuffled, periods_per_year=tpy, ruin_limit=ruin_limit, info=info))
        step("reshuffle")
    models = [m for m in methods if m in MODELS]
    if models:
        results.extend(_synthetic(df, rerun, models, n_synthetic, seed, executor, ray_address, step, source, **kw))
    if base is not None:
        bar = progress is True
        results.append(_prism(df, rerun, base, prism_days, n_synthetic, seed, executor, ray_address, bar, source, **kw))
        step("prism")
    return McReport(
        dict(res.metrics), tuple(results), ruin_limit, strategy=strategy, table=table, symbol=symbol,
        observed_returns=rets,
    )  # fmt: skip


def _synthetic(
    df: Any,
    rerun: Rerun,
    models: list[str],
    n_paths: int,
    seed: int,
    executor: str,
    ray_address: str | None,
    step: Callable[[str], None],
    source: Any,
    **kw: Any,
) -> list[McResult]:
    from trade2026.parallel import run_tasks
    from trade2026.sim._rerun import SyntheticTask, rerun_synthetic, stack
    from trade2026.sim._synthetic import synthetic_returns

    closes = df["close"].to_numpy()
    under = closes[1:] / closes[:-1] - 1.0
    chunk = max(1, n_paths // 8)
    out = []
    for j, model in enumerate(models):
        syn = synthetic_returns(model, under, n_paths, len(under), seed=seed + 10 + j)
        syn = np.concatenate([np.zeros((n_paths, 1)), syn], axis=1)  # the first bar has no return
        tasks = [
            SyntheticTask(
                rerun, syn[i : i + chunk], None if source else df["ts"], str(df["symbol"][0]), float(closes[0]), source
            )
            for i in range(0, n_paths, chunk)
        ]
        parts = run_tasks(rerun_synthetic, tasks, executor=executor, ray_address=ray_address)
        strat = stack([row for part in parts for row in part])
        out.append(summarize(model, strat, info={"underlying_model": model}, **kw))
        step(model)
    return out


def _prism(
    df: Any,
    rerun: Rerun,
    base: Any,
    days: int | None,
    n_paths: int,
    seed: int,
    executor: str,
    ray_address: str | None,
    progress: bool,
    source: Any,
    **kw: Any,
) -> McResult:
    from trade2026.config import check_work
    from trade2026.parallel import run_tasks
    from trade2026.sim._prism_paths import prism_plan, prism_seeds
    from trade2026.sim._rerun import PrismTask, rerun_prism, stack
    from trade2026.sim.prism._simulate import announce_compile

    plan = prism_plan(df, base, days=days)
    # Every path is a full run: the work limit counts all of them, before the first one starts.
    check_work("seeds", n_paths, f"{n_paths:,} PRISM paths")
    what = f"{n_paths:,} PRISM path(s) of {plan.config.days:,} day(s)"
    check_work("prism_events", n_paths * plan.config.events(), what)
    symbol = str(df["symbol"][0])
    ts = df["ts"] if plan.every is None and source is None else None
    tasks = [
        PrismTask(rerun, replace(plan.config, seed=s, symbol=symbol), plan.every, plan.n_bars, plan.scale, ts, source)
        for s in prism_seeds(seed, n_paths)
    ]
    announce_compile()
    rows = run_tasks(
        rerun_prism, tasks, executor=executor, ray_address=ray_address, progress=progress, description="PRISM paths"
    )
    return summarize("prism", stack(rows), info=plan.info(), **kw)
