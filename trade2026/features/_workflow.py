"""Fractional differences of many symbols' log closes in one call (``t26 fracdiff``): read, fan out, save."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from trade2026.core import bars_by_symbol, check_save, metric_key, save_rows
from trade2026.errors import ConfigError
from trade2026.features._fracdiff import FFD_THRESH, SEARCH_THRESH, check_d
from trade2026.features._min_d import FracDiffReport, fracdiff_report

_ROW_KEYS = ("d", "width", "n_obs", "adf_stat", "pvalue", "corr", "stationary")


@dataclass(frozen=True, eq=False)
class _FracDiffTask:
    """One symbol's work, shipped to an executor."""

    log_close: np.ndarray
    d: float | None
    thresh: float
    pvalue: float


def _fracdiff_one(task: _FracDiffTask) -> FracDiffReport:
    return fracdiff_report(task.log_close, task.d, thresh=task.thresh, pvalue=task.pvalue)


@dataclass(frozen=True)
class FracDiffBarsResult:
    """What :func:`fracdiff_bars` found, per symbol.

    ``reports`` maps each symbol to its :class:`FracDiffReport` (d, ADF row, d search);
    ``series`` holds the differentiated log closes (symbol, ts, value, d) after each warm-up;
    ``saved`` says what was written to the lake (None without ``save``); ``run_params`` are the
    settings as logged to MLflow.
    """

    thresh: float
    auto: bool
    reports: dict[str, FracDiffReport] = field(repr=False)
    series: pl.DataFrame = field(repr=False)
    run_params: dict[str, Any]
    saved: dict[str, Any] | None = None

    @property
    def results(self) -> list[dict[str, Any]]:
        """One row per symbol: ``symbol, d, width, n_obs, adf_stat, pvalue, corr, stationary``."""
        return [{"symbol": s, **{k: r.row[k] for k in _ROW_KEYS}} for s, r in self.reports.items()]

    def to_dict(self) -> dict[str, Any]:
        """``{"thresh", "results", "search" (auto only), "saved" (with save only)}``: ``t26 fracdiff --json``."""
        out: dict[str, Any] = {"thresh": self.thresh, "results": self.results}
        if self.auto:
            out["search"] = {s: r.search for s, r in self.reports.items()}
        if self.saved is not None:
            out["saved"] = self.saved
        return out

    def to_frame(self) -> pl.DataFrame:
        return self.series

    def tables(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """Titled row tables for people: per symbol the ADF at d = 0, 0.1, ..., 1 (auto), then the results."""
        out = []
        if self.auto:
            for s, r in self.reports.items():
                grid = [row for row in r.search or () if abs(row["d"] * 10 - round(row["d"] * 10)) < 1e-9]
                out.append((f"{s}: ADF of the FFD series by d (chosen d = {r.d:g})", grid))
        title = "Fractional differentiation of log close" + (" (auto d)" if self.auto else "")
        out.append((title, self.results))
        return out

    def metrics(self) -> dict[str, float]:
        """MLflow metrics: ``n_symbols`` and per symbol ``d_SYM``, ``pvalue_SYM``, ``corr_SYM``."""
        out: dict[str, float] = {"n_symbols": len(self.reports)}
        for s, r in self.reports.items():
            for key in ("d", "pvalue", "corr"):
                out[metric_key(key, s)] = r.row[key]
        return out


def _parse_d(d: Any) -> float | None:
    if d is None or (isinstance(d, str) and d.strip().lower() == "auto"):
        return None
    try:
        value = float(d)
    except (TypeError, ValueError):
        msg = f"d must be a number in [0, 2] or 'auto', got {d!r}"
        raise ConfigError(msg) from None
    return check_d(value)


def fracdiff_bars(
    bars: Any,
    symbols: Sequence[str] | None = None,
    *,
    d: float | str | None = "auto",
    thresh: float | None = None,
    pvalue: float = 0.05,
    table: str = "bars_1d",
    save: str | None = None,
    executor: str = "serial",
    ray_address: str | None = None,
    progress: bool = False,
) -> FracDiffBarsResult:
    """Fractionally differentiate each symbol's log closes, with a given d or the smallest passing ADF.

    Parameters
    ----------
    bars : Lake or polars/pandas DataFrame
        A :class:`trade2026.lake.Lake` (its ``table`` is read) or long bars with ``symbol``, ``ts``,
        ``close``.
    symbols : sequence of str, optional
        The symbols, in the order reported (default: all, sorted).
    d : float, "auto" or None
        The order in [0, 2] for every symbol, or "auto"/None for each symbol's smallest d in
        [0, 1] (step 0.01) whose FFD series passes the ADF test (AFML 5.6).
    thresh : float, optional
        FFD weight threshold; default :data:`FFD_THRESH` (1e-5) for a given d and
        :data:`SEARCH_THRESH` (1e-4) for auto.
    pvalue : float, default 0.05
        The ADF p-value a d must reach (and what ``stationary`` means in the rows).
    table : str, default "bars_1d"
        The bars table, when ``bars`` is a Lake.
    save : str, optional
        A lake table to merge the series into, on (symbol, ts); needs ``bars`` to be a Lake.
    executor, ray_address, progress
        The per-symbol fan-out (:func:`trade2026.parallel.run_tasks`).

    Returns
    -------
    FracDiffBarsResult
        ``.to_dict()`` is what ``t26 fracdiff --json`` prints (without the run id).
    """
    from trade2026.parallel import run_tasks

    d_value = _parse_d(d)
    auto = d_value is None
    check_save(bars, save)
    th = float(thresh) if thresh is not None else (SEARCH_THRESH if auto else FFD_THRESH)
    frames = bars_by_symbol(bars, symbols, table=table)
    tasks = [_FracDiffTask(np.log(f["close"].to_numpy()), d_value, th, pvalue) for f in frames.values()]
    reports = run_tasks(
        _fracdiff_one, tasks, executor=executor, ray_address=ray_address, progress=progress, description="fracdiff"
    )
    parts = [
        f.select("symbol", "ts").with_columns(value=pl.Series("value", r.series), d=pl.lit(r.d))
        for f, r in zip(frames.values(), reports, strict=True)
    ]
    series = pl.concat(parts).drop_nulls("value").filter(pl.col("value").is_not_nan())
    run_params = {
        "symbols": ",".join(frames),
        "d": "auto" if auto else d_value,
        "thresh": th,
        "pvalue": pvalue,
        "table": table,
        "save": save or "",
    }
    saved = save_rows(bars, save, series) if save else None
    return FracDiffBarsResult(th, auto, dict(zip(frames, reports, strict=True)), series, run_params, saved)
