"""Labels and meta-labels of symbols' bars in one call (``t26 label``, ``t26 metalabel``): read, fan out, save."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

# one reader and one writer for every per-symbol workflow (to move to trade2026.core, see _symbols)
from trade2026.core import bars_by_symbol, check_save, metric_key, save_rows
from trade2026.errors import ConfigError
from trade2026.labeling._meta import MetaLabelResult, bets_result, make_model, oos_probs, prepare_bets
from trade2026.labeling._pipeline import EventLabels, label_events
from trade2026.labeling._search import check_objective, search_hyperparameters

#: the columns of a saved label row, in order
LABEL_COLUMNS = ("symbol", "ts", "t1", "barrier", "ret", "target", "label", "uniqueness", "weight")
_COUNTS = ("events", "pt", "sl", "vertical", "end", "label_up", "label_down", "label_zero")


def _vertical(value: Any) -> Any:
    """A number of bars given as text ("10") becomes an int; durations ("14d") stay as given."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


@dataclass(frozen=True, eq=False)
class _LabelTask:
    """One symbol's work, shipped to an executor."""

    close: pl.DataFrame  # ts, close
    pt: float
    sl: float
    vertical: Any
    cusum: float
    span: int
    min_ret: float


def _notice() -> None:
    """One stderr line from the CLI when the labelling kernels must compile (a new install)."""
    from trade2026._jit import compile_notice
    from trade2026.labeling import _kernels as k

    kernels = [k.cusum_kernel, k.triple_barrier_kernel, k.concurrency_kernel, k.uniqueness_kernel, k.attribution_kernel]
    compile_notice(kernels, "triple-barrier labels")


def _label_one(task: _LabelTask) -> EventLabels:
    return label_events(
        task.close,
        pt=task.pt,
        sl=task.sl,
        vertical=task.vertical,
        cusum=task.cusum,
        span=task.span,
        min_ret=task.min_ret,
    )


@dataclass(frozen=True)
class LabelBarsResult:
    """What :func:`label_bars` found.

    ``params``: the labelling settings; ``summary``: one row per symbol (``symbol, bars, events, pt,
    sl, vertical, end, label_up, label_down, label_zero, mean_ret, avg_uniqueness``; the counts
    after ``events`` only when there are events); ``labels``: one row per event of every symbol
    (``symbol, ts`` = t0, ``t1, barrier, ret, target, label, uniqueness, weight``), None without
    events; ``saved``: what was written to the lake (None without ``save``); ``run_params``: the
    settings as logged to MLflow.
    """

    params: dict[str, Any]
    summary: list[dict[str, Any]]
    labels: pl.DataFrame | None = field(repr=False)
    run_params: dict[str, Any]
    saved: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"params", "summary", "saved" (with save only)}``: what ``t26 label --json`` prints."""
        out: dict[str, Any] = {"params": self.params, "summary": self.summary}
        if self.saved is not None:
            out["saved"] = self.saved
        return out

    def to_frame(self) -> pl.DataFrame | None:
        return self.labels

    def tables(self) -> list[tuple[str, list[dict[str, Any]]]]:
        return [("Triple-barrier labels", self.summary)]

    def metrics(self) -> dict[str, float]:
        """MLflow metrics: ``n_symbols``, the event and barrier counts summed over symbols, ``events_SYM``."""
        out: dict[str, float] = {"n_symbols": len(self.summary)}
        for key in _COUNTS:
            out[key] = sum(int(r.get(key, 0)) for r in self.summary)
        for r in self.summary:
            out[metric_key("events", r["symbol"])] = r["events"]
        return out


def label_bars(
    bars: Any,
    symbols: Sequence[str] | None = None,
    *,
    pt: float = 1.0,
    sl: float = 1.0,
    vertical: Any = 10,
    cusum: float = 1.0,
    span: int = 100,
    min_ret: float = 0.0,
    table: str = "bars_1d",
    save: str | None = None,
    executor: str = "serial",
    ray_address: str | None = None,
    progress: bool = False,
) -> LabelBarsResult:
    """Sample each symbol's CUSUM events and label them with the triple barrier (AFML ch. 2-4).

    Parameters
    ----------
    bars : Lake or polars/pandas DataFrame
        A :class:`trade2026.lake.Lake` (its ``table`` is read) or long bars with ``symbol``, ``ts``,
        ``close``.
    symbols : sequence of str, optional
        The symbols, in the order reported (default: all, sorted).
    pt, sl, vertical, cusum, span, min_ret
        As in :func:`label_events`: barriers in daily volatilities (0 disables one), the vertical
        barrier in bars (an int, or digits as text) or a duration ("14d"), the CUSUM threshold in
        daily volatilities (positive), the volatility's EWM span, the smallest target kept.
    table : str, default "bars_1d"
        The bars table, when ``bars`` is a Lake.
    save : str, optional
        A lake table to merge the labels into, on (symbol, ts = t0); needs ``bars`` to be a Lake.
    executor, ray_address, progress
        The per-symbol fan-out (:func:`trade2026.parallel.run_tasks`).

    Returns
    -------
    LabelBarsResult
        ``.to_dict()`` is what ``t26 label --json`` prints (without the run id).
    """
    from trade2026.parallel import run_tasks

    if not cusum > 0:
        msg = f"cusum must be a positive multiple of the daily volatility, got {cusum}"
        raise ConfigError(msg)
    check_save(bars, save)
    params: dict[str, Any] = {
        "pt": pt,
        "sl": sl,
        "vertical": _vertical(vertical),
        "cusum": cusum,
        "span": span,
        "min_ret": min_ret,
    }
    frames = bars_by_symbol(bars, symbols, table=table)
    _notice()
    tasks = [_LabelTask(f.select("ts", "close"), **params) for f in frames.values()]
    results = run_tasks(
        _label_one, tasks, executor=executor, ray_address=ray_address, progress=progress, description="labels"
    )
    summary = [{"symbol": s, **r.summary} for s, r in zip(frames, results, strict=True)]
    parts = [
        r.labels.rename({"t0": "ts"}).with_columns(pl.lit(s).alias("symbol")).select(LABEL_COLUMNS)
        for s, r in zip(frames, results, strict=True)
        if r.labels is not None
    ]
    labels = pl.concat(parts) if parts else None
    saved = None
    if save:
        saved = save_rows(bars, save, labels) if labels is not None else {"table": save, "rows": 0}
    run_params = {"symbols": ",".join(frames), **params, "table": table, "save": save or ""}
    return LabelBarsResult(params, summary, labels, run_params, saved)


def metalabel_bars(
    bars: Any,
    symbol: str,
    *,
    primary: str = "sma_cross:fast=20,slow=50",
    model: str = "rf",
    pt: float = 1.0,
    sl: float = 1.0,
    vertical: Any = 10,
    cusum: float = 1.0,
    n_splits: int = 5,
    embargo: float = 0.01,
    step: float = 0.1,
    random_state: int = 0,
    table: str = "bars_1d",
    save: str | None = None,
    features: Any = None,
    model_params: dict[str, Any] | None = None,
    search: Any = None,
    objective: str = "roc_auc",
    progress: bool = False,
) -> MetaLabelResult:
    """Meta-label one symbol's bets from the lake (or a long bars frame) and optionally save them.

    The bars are read (with the signal column of a ``signal:COLUMN`` primary), passed to
    :func:`metalabel` with the other settings, and with ``save`` the bets (symbol, ts = t0, t1,
    barrier, side, ret, label, prob, size) are merged into that lake table on (symbol, ts).
    ``features`` names a built feature set (its ``features_NAME`` rows of the symbol are the
    model's features, each bet taking the last row at or before its start) or is a frame of them;
    default :func:`meta_features`. Read from a lake, the result's ``lineage`` records the bars table
    and the feature set (name, hash, table) with the Delta versions read.

    ``model_params`` are the classifier's hyperparameters (:data:`MODEL_PARAMS`); ``search`` (a
    :class:`trade2026.backtest.SearchSpec`) searches them instead, maximising ``objective`` (one of
    :data:`trade2026.labeling.SEARCH_OBJECTIVES`, out of sample), and returns the best trial with
    ``search`` set (every trial, and how many; the best score is selected over all of them). The
    bets, labels, features and folds are prepared once for every trial; each trial reports its
    objective fold by fold, so ``search.pruner`` stops trials doing worse than the median of the
    earlier ones (``search["n_pruned"]`` says how many). ``progress``: a bar of the trials on stderr
    (when it is a terminal).

    Returns
    -------
    MetaLabelResult
        With ``symbol`` (and ``saved``) set: ``.to_dict()`` is what ``t26 metalabel --json`` prints
        (without the run id).
    """
    from trade2026.backtest import parse_strategy

    symbol = symbol.strip()
    make_model(model, **(model_params or {}))  # a bad name or spec is refused before any reading
    if search is not None and model_params:
        msg = "give model_params or a search of them, not both"
        raise ConfigError(msg)
    if search is not None:
        check_objective(objective)
    name, strategy_params = parse_strategy(primary)
    check_save(bars, save)
    extra = (strategy_params["column"],) if name == "signal" else ()
    frame = bars_by_symbol(bars, [symbol], table=table, columns=("close", "volume"), extra=extra)[symbol]
    lineage: dict[str, Any] | None = None
    if hasattr(bars, "info"):
        lineage = {"bars_table": table, "bars_version": int(bars.info(table)["version"])}
    feats = features
    if isinstance(features, str):
        from trade2026.features import read_features

        if not hasattr(bars, "scan"):
            msg = (
                f"features={features!r} names a feature set in a lake; pass the bars as a Lake, or a frame of features"
            )
            raise ConfigError(msg)
        feats, fs, version = read_features(bars, features, [symbol])
        if lineage is not None:
            lineage.update(
                feature_set=fs.name, feature_hash=fs.hash, feature_table=fs.feature_table, feature_version=version
            )
    _notice()
    bets = prepare_bets(
        frame,
        primary,
        pt=pt,
        sl=sl,
        vertical=_vertical(vertical),
        cusum=cusum,
        n_splits=n_splits,
        embargo=embargo,
        features=feats,
    )
    found = None
    if search is None:
        hyper = dict(model_params or {})
        prob = oos_probs(bets, model=model, hyper=hyper, random_state=random_state)
        res = bets_result(bets, prob, model=model, hyper=hyper, step=step, random_state=random_state)
    else:
        res, found = search_hyperparameters(
            bets, model, search, objective=objective, step=step, random_state=random_state
        )
    saved = None
    if save:
        rows = res.events.rename({"t0": "ts"}).with_columns(pl.lit(symbol).alias("symbol"))
        saved = save_rows(bars, save, rows.select("symbol", *[c for c in rows.columns if c != "symbol"]))
    return dataclasses.replace(res, symbol=symbol, saved=saved, lineage=lineage, search=found)
