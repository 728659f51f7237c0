"""The research workflow of one strategy as one call: sweep, pick, walk forward, PBO, robustness, report.

:func:`evaluate` is what ``t26 backtest`` runs; a notebook calling it gets the command's ``--json``
from :meth:`BacktestReport.to_dict` (after the same JSON rendering, ``trade2026._json.dumps``), its
tables from :meth:`BacktestReport.tables` and the metrics it logs to MLflow from
:meth:`BacktestReport.tracking_metrics`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from trade2026.backtest._benchmark import benchmark_returns
from trade2026.backtest._engine import BacktestConfig, BacktestResult, announce_kernels, make_config, run_backtest
from trade2026.backtest._search import SearchResult, SearchSpec, run_search, walk_forward_choices, window_starts
from trade2026.backtest._stats import PBOResult
from trade2026.backtest._stats import pbo as pbo_cscv
from trade2026.backtest._strategies import (
    Params,
    batch_positions,
    get_strategy,
    merge_params,
    parse_grid,
    parse_strategy,
)
from trade2026.backtest._sweep import (
    SweepResult,
    WalkForwardResult,
    as_panel,
    check_objective,
    check_windows,
    robustness,
    run_sweep,
    selection_statistics,
)
from trade2026.backtest._sweep import walk_forward as run_walk_forward
from trade2026.backtest._trades import save_trades, trade_summary
from trade2026.core import Panel, bars_panel, benchmark_metrics, drawdown_table, risk_metrics
from trade2026.errors import ConfigError
from trade2026.lake import LakeSlice

TOP_ROWS = 10  # parameter sets listed in the report's sweep table
# the risk and benchmark metrics printed as tables (the JSON holds them all)
RISK_TABLE_KEYS = ("sharpe_rf", "sortino_rf", "var_95", "cvar_95", "omega", "tail_ratio", "best_day", "worst_day",
                   "best_month", "worst_month", "best_year", "worst_year")  # fmt: skip
BENCHMARK_TABLE_KEYS = ("alpha", "beta", "information_ratio", "tracking_error", "up_capture", "down_capture",
                        "correlation", "excess_return", "benchmark_total_return", "benchmark_sharpe")  # fmt: skip


@dataclass(frozen=True)
class WalkForwardSpec:
    """Walk-forward windows for :func:`evaluate`.

    ``train`` in-sample bars, then ``test`` out-of-sample bars, both rolling forward by ``test``;
    ``anchored`` keeps every in-sample window starting at the first bar.
    """

    train: int = 756
    test: int = 126
    anchored: bool = False

    def __post_init__(self) -> None:
        check_windows(self.train, self.test)


def _finite(d: dict[str, Any], prefix: str = "") -> dict[str, float]:
    return {f"{prefix}{k}": v for k, v in d.items() if isinstance(v, int | float) and math.isfinite(v)}


@dataclass(frozen=True, eq=False)
class BacktestReport:
    """Everything :func:`evaluate` found about one strategy.

    ``result`` is the chosen parameter set backtested over the whole period (the best in-sample set
    of ``sweep`` by ``objective`` when a grid was swept); ``statistics`` its PSR, DSR, MinTRL and
    E[max SR] (deflated by the sweep's trials); ``walk_forward``, ``pbo`` and ``sweep`` are ``None``
    unless asked for; ``robustness`` describes :attr:`returns` (the stitched out-of-sample returns
    under walk-forward, else the full-period ones).

    The headline is :attr:`performance`: under walk-forward the stitched out-of-sample backtest
    (each window's choice traded over its test bars, ``oos_result``), else ``result``. Its
    :attr:`returns`, :attr:`trades`, :attr:`risk`, :attr:`drawdowns` and the benchmark comparison
    (:attr:`benchmark_metrics`) share that basis; :attr:`bases` names every section's.
    """

    spec: str
    strategy: str
    params: Params
    symbols: list[str]
    ts: pl.Series = field(repr=False)
    config: BacktestConfig
    objective: str
    result: BacktestResult = field(repr=False)
    statistics: dict[str, float]
    robustness: dict[str, Any] = field(repr=False)
    grid: str | None = None
    sweep: SweepResult | None = field(default=None, repr=False)
    sweep_top: list[dict[str, Any]] = field(default_factory=list, repr=False)
    walk_forward: WalkForwardResult | None = field(default=None, repr=False)
    pbo: PBOResult | None = field(default=None, repr=False)
    search: SearchResult | None = field(default=None, repr=False)
    report_files: tuple[Path, ...] = ()
    oos_result: BacktestResult | None = field(default=None, repr=False)
    benchmark: str | None = None
    benchmark_returns: np.ndarray | None = field(default=None, repr=False)  # aligned with :attr:`returns`
    risk_free: float = 0.0
    panel: Panel | None = field(default=None, repr=False)
    sweep_export: Path | None = None

    @property
    def n_bars(self) -> int:
        return int(self.ts.len())

    @property
    def returns(self) -> pl.DataFrame:
        """(ts, return): the walk-forward's stitched out-of-sample returns, else the full-period ones."""
        return self.walk_forward.returns if self.walk_forward is not None else self.result.returns

    @property
    def performance(self) -> BacktestResult:
        """The headline backtest: the stitched out-of-sample one under walk-forward, else :attr:`result`."""
        return self.oos_result if self.oos_result is not None else self.result

    @property
    def trades(self) -> pl.DataFrame:
        """The headline backtest's trade list (under walk-forward the stitched run's, all out-of-sample:
        its positions are flat before the first test bar)."""
        return self.performance.trades

    @property
    def bases(self) -> dict[str, str]:
        """What each part of the report describes, by its ``to_dict()`` key."""
        head = "walk_forward_oos" if self.walk_forward is not None else "full_period"
        chosen = "full_period_chosen_params" if self.sweep is not None else "full_period"
        out = {
            "metrics": chosen,
            "statistics": chosen,
            "performance": head,
            "risk": head,
            "drawdowns": head,
            "trades": head,
            "robustness.bootstrap": head,
            "robustness.cost_sensitivity": chosen,
        }
        if "neighborhood" in self.robustness:
            out["robustness.neighborhood"] = "sweep"
        if self.benchmark is not None:
            out["benchmark"] = head
        return out

    @cached_property
    def risk(self) -> dict[str, float]:
        """:func:`~trade2026.core.risk_metrics` of the headline returns (with ``risk_free``)."""
        r = self.returns
        return risk_metrics(r["return"].to_numpy(), self.config.annual_periods, ts=r["ts"], risk_free=self.risk_free)

    @cached_property
    def drawdowns(self) -> list[dict[str, Any]]:
        """The five deepest drawdowns of the headline returns (start, valley, end, recovery, depth)."""
        r = self.returns
        return drawdown_table(r["return"].to_numpy(), r["ts"], top=5)

    @cached_property
    def benchmark_metrics(self) -> dict[str, float] | None:
        """:func:`~trade2026.core.benchmark_metrics` of the headline returns against the benchmark."""
        if self.benchmark_returns is None:
            return None
        r = self.returns["return"].to_numpy()
        return benchmark_metrics(r, self.benchmark_returns, self.config.annual_periods, risk_free=self.risk_free)

    def excess_curve(self) -> pl.DataFrame | None:
        """(ts, excess_return): the strategy's wealth relative to the benchmark's, minus 1."""
        if self.benchmark_returns is None:
            return None
        r = np.nan_to_num(self.returns["return"].to_numpy())
        b = np.nan_to_num(self.benchmark_returns)
        return pl.DataFrame({"ts": self.returns["ts"], "excess_return": np.cumprod(1 + r) / np.cumprod(1 + b) - 1})

    def sweep_table(self) -> pl.DataFrame | None:
        """Every parameter set of the sweep with its full-period metrics (``None`` without a sweep)."""
        return self.sweep.table() if self.sweep is not None else None

    def report_page(self) -> Any:
        """The report as a :class:`trade2026.reports.Report`: ``.write(path)`` writes what ``report=``
        writes, ``.figures`` are its charts (``trade2026.reports.figure_png(fig)`` for a notebook)."""
        from trade2026.backtest._report import build_report

        return build_report(self)

    def save_trades(self, lake: Any, table: str = "backtest_trades") -> dict[str, Any]:
        """Write :attr:`trades` to ``table`` in ``lake``, replacing the rows of every backtested symbol."""
        return save_trades(lake, table, self.trades, symbols=self.symbols, strategy=self.spec)

    def to_dict(self) -> dict[str, Any]:
        """The ``t26 backtest --json`` object without ``run_id`` (the shape is documented in the README)."""
        data: dict[str, Any] = {
            "strategy": self.strategy,
            "params": dict(self.params),
            "symbols": list(self.symbols),
            "start": self.ts[0],
            "end": self.ts[-1],
            "n_bars": self.n_bars,
            "config": self.config.to_dict(),
            "metrics": dict(self.result.metrics),
            "statistics": dict(self.statistics),
        }
        data["performance"] = dict(self.walk_forward.metrics if self.walk_forward is not None else self.result.metrics)
        data["risk"] = dict(self.risk)
        data["drawdowns"] = self.drawdowns
        data["trades"] = self.trades.to_dicts()
        data["trade_summary"] = trade_summary(self.trades)
        if self.benchmark is not None and self.benchmark_metrics is not None:
            curve = self.excess_curve()
            data["benchmark"] = {
                "name": self.benchmark,
                "metrics": dict(self.benchmark_metrics),
                "excess_curve": curve.to_dicts() if curve is not None else [],
            }
        if self.sweep is not None:
            data["sweep"] = {"n_trials": self.sweep.n_trials, "objective": self.objective, "top": self.sweep_top}
            if self.sweep_export is not None:
                data["sweep"]["export"] = str(self.sweep_export)
        if self.search is not None:
            data["search"] = self.search.to_dict()
        if self.walk_forward is not None:
            data["walk_forward"] = self.walk_forward.to_dict()
        if self.pbo is not None:
            data["pbo"] = self.pbo.to_dict()
        data["robustness"] = self.robustness
        data["bases"] = self.bases
        if self.report_files:
            data["report"] = str(self.report_files[0])
        return data

    def tables(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """The human-readable tables, ``(title, rows)`` pairs in display order."""
        wf = self.walk_forward
        full = "full period" + (", in-sample best parameters" if self.sweep is not None else "")
        if wf is not None:
            out = [("Performance: walk-forward out-of-sample, stitched", _rows(wf.metrics))]
            out.append((f"Full-period backtest ({full})", _rows(self.result.metrics)))
        else:
            out = [(f"Performance ({full})", _rows(self.result.metrics))]
        basis = "out-of-sample" if wf is not None else "full period"
        out.append((f"Risk and distribution ({basis})", _rows({k: self.risk[k] for k in RISK_TABLE_KEYS})))
        if self.drawdowns:
            out.append((f"Top drawdowns ({basis})", self.drawdowns))
        bm = self.benchmark_metrics
        if bm is not None:
            out.append((f"Against {self.benchmark} ({basis})", _rows({k: bm[k] for k in BENCHMARK_TABLE_KEYS})))
        summary = trade_summary(self.trades)
        if summary:
            out.append((f"Trades by exit reason ({basis})", summary))
        if self.sweep is not None:
            keys = [*self.params, "sharpe", "total_return", "max_drawdown", "fill_count"]
            out.append(
                (
                    f"Top parameter sets by {self.objective} (of {self.sweep.n_trials})",
                    [{k: r[k] for k in keys} for r in self.sweep_top],
                )
            )
        if self.search is not None:
            s = self.search.to_dict()
            out.append(
                (
                    f"Search ({s['method']}): the statistics count all {s['n_evaluated']} parameter sets evaluated",
                    [{k: s[k] for k in ("searches", "n_suggested", "n_evaluated", "space_size")}],
                )
            )
        if wf is not None:
            short = ("test_start", "test_end", "params", "is_sharpe", "oos_sharpe", "oos_total_return")
            out.append(("Walk-forward windows", [{k: w[k] for k in short} for w in wf.windows]))
            last = {
                "walk_forward_efficiency": wf.walk_forward_efficiency,
                "last_window_params": wf.windows[-1]["params"],
            }
            out.append(("Walk-forward efficiency and the parameters to trade next", [last]))
        if self.pbo is not None:
            out.append(("Probability of backtest overfitting (CSCV)", [self.pbo.to_dict()]))
        out.append(
            (f"Selection statistics ({full})", [{"statistic": k, "value": v} for k, v in self.statistics.items()])
        )
        default = self.robustness.get("cost_basis", "").startswith("default")
        costs = "default costs, none configured" if default else "configured costs"
        out.append((f"Cost sensitivity ({full}; {costs})", self.robustness["cost_sensitivity"]))
        return out

    def tracking_metrics(self) -> dict[str, float]:
        """The finite numbers worth an MLflow metric: full-period metrics, selection statistics,
        ``oos_*`` walk-forward metrics and efficiency, ``pbo``, and the headline's risk set
        (``var_95``, ``sharpe_rf``, best/worst periods, ...) and benchmark comparison (``alpha``,
        ``beta``, ``information_ratio``, ...)."""
        flat = _finite(self.result.metrics)
        flat.update(_finite(self.statistics))
        if self.walk_forward is not None:
            flat.update(_finite(self.walk_forward.metrics, "oos_"))
            flat.update(_finite({"walk_forward_efficiency": self.walk_forward.walk_forward_efficiency}))
        if self.pbo is not None:
            flat["pbo"] = self.pbo.pbo
        flat.update(_finite({k: self.risk[k] for k in RISK_TABLE_KEYS}))
        if self.benchmark_metrics is not None:
            flat.update(_finite({k: self.benchmark_metrics[k] for k in BENCHMARK_TABLE_KEYS}))
        return flat

    def tracking_params(self) -> dict[str, Any]:
        """The run's MLflow parameters: strategy, ``param_*``, grid, symbols, every config setting."""
        return {
            "strategy": self.strategy,
            **{f"param_{k}": v for k, v in self.params.items()},
            "grid": self.grid or "",
            "symbols": ",".join(self.symbols)[:480],
            **self.config.to_dict(),
            "walk_forward": self.walk_forward is not None,
            **(
                {"search": self.search.spec.method, "search_trials": self.search.spec.trials}
                if self.search is not None
                else {}
            ),
        }


def _rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"metric": k, "value": v} for k, v in metrics.items()]


def _top(sweep: SweepResult, objective: str, n: int) -> list[dict[str, Any]]:
    """The ``n`` best rows of the sweep table by ``objective``, ranked like :meth:`SweepResult.best`
    (NaN last, ties in grid order), so the first row is the chosen set."""
    vals = sweep.metrics()[objective]
    key = np.where(np.isfinite(vals), vals, -np.inf)
    order = np.argsort(-key, kind="stable")[:n]
    return sweep.table()[order].to_dicts()


def _check_inputs(
    grid: str | Sequence[Params] | None,
    walk_forward: WalkForwardSpec | None,
    pbo: int | None,
    search: Any,
    export_sweep: str | Path | None = None,
) -> None:
    if search is not None and not isinstance(search, SearchSpec):
        msg = f"search must be a SearchSpec(method=, trials=, ...) or None, got {search!r}"
        raise ConfigError(msg)
    if search is not None and grid is None:
        msg = "search needs a parameter space: the grid it samples (grid=), e.g. grid='fast=5:50:5,slow=20:200:10'"
        raise ConfigError(msg)
    if walk_forward is not None and not isinstance(walk_forward, WalkForwardSpec):
        msg = f"walk_forward must be a WalkForwardSpec(train=, test=, anchored=) or None, got {walk_forward!r}"
        raise ConfigError(msg)
    if (pbo is not None or walk_forward is not None) and grid is None:
        what = "pbo" if pbo is not None else "walk_forward"
        msg = f"{what} needs a parameter grid (grid=), e.g. grid='fast=5:50:5,slow=20:200:10'"
        raise ConfigError(msg)
    if export_sweep is not None and grid is None:
        msg = "export_sweep needs a parameter grid (grid=) to sweep"
        raise ConfigError(msg)
    if export_sweep is not None and Path(export_sweep).suffix.lower() not in (".csv", ".parquet"):
        msg = f"export_sweep must end in .csv or .parquet, got {str(export_sweep)!r}"
        raise ConfigError(msg)
    if pbo is not None and (isinstance(pbo, bool) or pbo < 2 or pbo % 2):
        msg = f"pbo is the number of CSCV partitions and must be an even number >= 2, got {pbo!r}"
        raise ConfigError(msg)


def evaluate(
    bars: Any,
    strategy: str,
    *,
    grid: str | Sequence[Params] | None = None,
    objective: str = "sharpe",
    walk_forward: WalkForwardSpec | None = None,
    pbo: int | None = None,
    config: BacktestConfig | None = None,
    executor: str = "serial",
    ray_address: str | None = None,
    max_workers: int | None = None,
    report: str | Path | None = None,
    progress: bool = False,
    search: SearchSpec | None = None,
    benchmark: Any = None,
    risk_free: float = 0.0,
    export_sweep: str | Path | None = None,
    **settings: Any,
) -> BacktestReport:
    """Backtest a strategy; optionally sweep a grid, walk forward, measure overfitting, write a tearsheet.

    Parameters
    ----------
    bars : polars or pandas DataFrame, Panel, or LakeSlice
        Long bars: symbol, ts, open, high, low, close (volume optional); for ``signal:COLUMN`` also
        that column (see :func:`join_signal`). A :class:`~trade2026.lake.LakeSlice` (table, version,
        symbols) lets the sweep's workers read the bars from the lake instead of receiving them.
    strategy : str
        A spec ``NAME[:key=value,...]`` (``"sma_cross:fast=20,slow=50"``, ``"signal:pred"``); its
        parameters are the base the grid varies.
    grid : str or list of dict, optional
        Grid syntax (``"fast=5:50:5,slow=20:200:10"``, see :func:`parse_grid`) or parameter sets.
        With more than one set every set is backtested (:func:`run_sweep`) and the best by
        ``objective`` over the whole period is reported.
    objective : str
        What the sweep maximises, one of :data:`OBJECTIVES`.
    walk_forward : WalkForwardSpec, optional
        Choose parameters in-sample, trade them out-of-sample and stitch (:func:`walk_forward`);
        needs ``grid``.
    pbo : int, optional
        Probability of backtest overfitting of the grid by CSCV with this many (even) partitions
        (:func:`pbo`); needs a grid of at least 2 sets.
    config : BacktestConfig, optional
        Engine settings; keyword ``settings`` (``commission_bps=5``, ...) override it. A
        cross-sectional strategy (``xsmom``) always trades one book (``mode="portfolio"``).
    executor, ray_address, max_workers
        Where the sweep's chunks run (``trade2026.parallel.run_tasks``).
    report : path, optional
        Write a self-contained HTML tearsheet here, with its PNG figures beside it
        (:attr:`BacktestReport.report_files`).
    progress : bool
        A progress bar on stderr for the sweep (when stderr is a terminal).
    search : SearchSpec, optional
        Search the grid (Optuna or random, :func:`run_search`) instead of sweeping all of it; under
        walk-forward each window searches its in-sample bars. DSR and PBO count every parameter set
        the searches evaluated (``BacktestReport.search``).
    benchmark : str or DataFrame, optional
        Compare the headline returns with ``"equal"`` (equal-weight universe), ``"buy_hold"``
        (equal capital, never rebalanced), a symbol of ``bars`` or a frame (ts, return|close); see
        :func:`benchmark_returns`. Gives alpha, beta, information ratio, tracking error, up/down
        capture and the excess-return curve (``BacktestReport.benchmark_metrics``).
    risk_free : float
        Annual risk-free rate (0.04 = 4%) for ``sharpe_rf``, ``sortino_rf``, omega and the alpha.
    export_sweep : path, optional
        Write the full sweep table (every parameter set, its metrics) here as ``.csv`` or
        ``.parquet``; needs a grid.

    Returns
    -------
    BacktestReport
        ``.to_dict()`` is the ``t26 backtest --json`` object (less ``run_id``).
    """
    name, base = parse_strategy(strategy)
    strat = get_strategy(name)
    check_objective(objective)
    _check_inputs(grid, walk_forward, pbo, search, export_sweep)
    if isinstance(risk_free, bool) or not isinstance(risk_free, int | float) or not -1 < risk_free < 1:
        msg = f"risk_free is an annual rate as a fraction (0.04 = 4%) between -1 and 1, got {risk_free!r}"
        raise ConfigError(msg)
    cfg = make_config(config, **settings)
    if strat.cross_sectional and cfg.mode != "portfolio":
        cfg = replace(cfg, mode="portfolio")
    if grid is None:
        params_list = [base]
    elif isinstance(grid, str):
        params_list = parse_grid(name, grid, base)
    else:
        params_list = [merge_params(strat, base, p) for p in grid]
        if not params_list:
            msg = "the parameter grid is empty"
            raise ConfigError(msg)
    if pbo is not None and len(params_list) < 2:
        msg = "pbo needs at least 2 trials but the grid has one point; widen the grid"
        raise ConfigError(msg)
    extra = (base["column"],) if name == "signal" else ()
    source = None
    if isinstance(bars, LakeSlice):  # the sweep's workers read the bars from the lake themselves
        source = bars if set(extra) <= set(bars.columns) else replace(bars, columns=(*bars.columns, *extra))
        panel, source = as_panel(source)
    else:
        panel = bars if isinstance(bars, Panel) else bars_panel(bars, extra_columns=extra)
    cfg = make_config(cfg, bars=panel)  # an unset periods_per_year from the bars' spacing and calendar
    if walk_forward is not None:  # before the sweep, not after it
        check_windows(walk_forward.train, walk_forward.test, panel.n_bars)
    announce_kernels(cfg, strat.kernels)

    sweep = None
    best: int | None = None
    chosen = params_list[0]
    found = None
    if search is not None:
        found, sweep, best = _search(
            panel, name, params_list, search, objective, cfg, walk_forward, executor, ray_address
        )
        chosen = sweep.params[best]
    elif len(params_list) > 1 or walk_forward is not None:
        sweep = run_sweep(
            source or panel,
            name,
            params_list,
            config=cfg,
            executor=executor,
            ray_address=ray_address,
            max_workers=max_workers,
            progress=progress,
        )
        best = sweep.best(objective)
        chosen = sweep.params[best]
    positions = batch_positions(name, panel, [chosen])[:, :, 0]
    result = run_backtest(panel, positions, config=cfg, cross_sectional=strat.cross_sectional, params=chosen)
    if sweep is not None and best is not None:
        stats = sweep.selection_statistics(best)
    else:
        stats = selection_statistics(result.returns["return"].to_numpy(), n_trials=1, var_trials=0.0)
    wf = None
    if walk_forward is not None and found is not None and sweep is not None:
        wf = walk_forward_choices(
            panel,
            sweep,
            found.choices,
            train=walk_forward.train,
            test=walk_forward.test,
            anchored=walk_forward.anchored,
            objective=objective,
            config=cfg,
        )
    elif walk_forward is not None:
        wf = run_walk_forward(
            panel,
            name,
            train=walk_forward.train,
            test=walk_forward.test,
            anchored=walk_forward.anchored,
            objective=objective,
            config=cfg,
            sweep=sweep,
        )
    if pbo is not None and sweep is not None and sweep.n_trials < 2:
        msg = "pbo needs at least 2 trials but the search evaluated one; give it more trials"
        raise ConfigError(msg)
    pbo_res = pbo_cscv(sweep.returns, n_partitions=pbo) if pbo is not None and sweep is not None else None
    rob = robustness(
        (wf.returns if wf is not None else result.returns)["return"].to_numpy(),
        bars=panel,
        strategy=name,
        params=chosen,
        config=cfg,
        sweep=sweep,
        index=best,
        objective=objective,
    )
    oos = _oos_result(panel, name, wf, cfg, strat.cross_sectional) if wf is not None else None
    bench_name, bench = None, None
    if benchmark is not None:
        bench_name, b_all = benchmark_returns(benchmark, panel)
        bench = b_all[panel.n_bars - (wf.returns.height if wf is not None else panel.n_bars) :]
    if sweep is not None and export_sweep is not None:
        export_sweep = _export(sweep.table(), export_sweep)
    out = BacktestReport(
        spec=strategy,
        strategy=name,
        params=chosen,
        symbols=list(panel.symbols),
        ts=panel.ts,
        config=cfg,
        objective=objective,
        result=result,
        statistics=stats,
        robustness=rob,
        grid=grid if isinstance(grid, str) else (None if grid is None else f"{len(params_list)} parameter sets"),
        sweep=sweep,
        sweep_top=_top(sweep, objective, TOP_ROWS) if sweep is not None else [],
        walk_forward=wf,
        pbo=pbo_res,
        search=found,
        oos_result=oos,
        benchmark=bench_name,
        benchmark_returns=bench,
        risk_free=float(risk_free),
        panel=panel,
        sweep_export=Path(export_sweep) if export_sweep is not None else None,
    )
    if report is not None:
        out = replace(out, report_files=tuple(_write_report(out, report)))
    return out


def _search(
    panel: Panel,
    name: str,
    space: list[Params],
    spec: SearchSpec,
    objective: str,
    cfg: BacktestConfig,
    walk_forward: WalkForwardSpec | None,
    executor: str,
    ray_address: str | None,
) -> tuple[SearchResult, SweepResult, int]:
    """The search (one over all bars, or one per walk-forward window's in-sample bars), its pooled
    trials and the full-period pick among them (by ``objective``, as for a swept grid)."""
    if walk_forward is None:
        ranges = [(0, panel.n_bars)]
    else:
        ranges = [
            (lo, s)
            for lo, s, _ in window_starts(panel.n_bars, walk_forward.train, walk_forward.test, walk_forward.anchored)
        ]
    found = run_search(
        panel,
        name,
        space,
        spec,
        objective=objective,
        config=cfg,
        ranges=ranges,
        executor=executor,
        ray_address=ray_address,
    )
    best = found.choices[0] if walk_forward is None else found.sweep.best(objective)
    return found, found.sweep, best


def _oos_result(panel: Panel, name: str, wf: WalkForwardResult, cfg: BacktestConfig, cross: bool) -> BacktestResult:
    """The stitched out-of-sample backtest: each window's choice decides the positions of its test
    bars (as in :func:`walk_forward`), run once through the engine with trades recorded."""
    index = {t: i for i, t in enumerate(panel.ts.to_list())}
    spans = [(index[w["test_start"]], index[w["test_end"]] + 1, w["params"]) for w in wf.windows]
    uniq: list[Params] = []
    for _, _, p in spans:
        if p not in uniq:
            uniq.append(p)
    pos = batch_positions(name, panel, uniq)
    target = np.zeros((panel.n_bars, panel.n_symbols))
    for s, e, p in spans:
        target[s - 1 : e - 1] = pos[s - 1 : e - 1, :, uniq.index(p)]
    return run_backtest(panel, target, config=cfg, cross_sectional=cross)


def _export(table: pl.DataFrame, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        table.write_parquet(out)
    else:
        flat = table.with_columns(pl.col(c).cast(pl.String) for c, t in table.schema.items() if t.is_nested())
        flat.write_csv(out)
    return out


def _write_report(rep: BacktestReport, path: str | Path) -> list[Path]:
    return list(rep.report_page().write(path))


__all__ = ["BacktestReport", "WalkForwardSpec", "evaluate"]
