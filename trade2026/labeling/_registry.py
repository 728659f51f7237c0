"""Meta-label models in MLflow's model registry: log with a signature, register, load, predict a signal table.

A model trained by :func:`metalabel_bars` is saved in MLflow's sklearn format (its input signature
is the feature columns and ``side``), registered under a name with tags recording the primary, the
bet-size step, the feature set (name, hash, table version) and the bars table version it was trained
on. :func:`predict_bars` loads a version (``NAME@champion``, ``NAME/3``, ``NAME``) and writes a
signal table (symbol, ts, side, prob, size, signal) that ``t26 backtest signal:signal
--signal-table TABLE`` reads. The registry functions themselves are :mod:`trade2026.tracking`'s.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from trade2026.errors import DataError

#: the registered-model tag marking meta-label models (``t26 models ls`` lists every kind)
KIND_TAG = ("t26.kind", "metalabel")
ARTIFACT = "model"
_META = "t26_meta.json"


def _meta(res: Any) -> dict[str, Any]:
    return {
        "feature_names": list(res.feature_names),
        "primary": res.params["primary"],
        "step": res.params["step"],
        "model": res.params["model"],
        "symbol": res.symbol,
        "lineage": res.lineage or {},
    }


def log_metalabel_model(run: Any, res: Any, *, name: str, settings: Any = None) -> dict[str, Any]:
    """Log ``res.model`` into the MLflow ``run`` (sklearn flavour, with its signature) and register it.

    Parameters
    ----------
    run : trade2026.tracking.Run
        A live run (``start_run``).
    res : MetaLabelResult
        From :func:`metalabel_bars` (its ``feature_names``, ``params`` and ``lineage`` are recorded).
    name : str
        The registered model's name; each call adds a version.

    Returns
    -------
    dict
        The registered version's row (name, version, run_id, source, aliases, tags, created).
    """
    import mlflow.sklearn
    from mlflow.models import infer_signature

    from trade2026 import tracking

    cols = list(res.feature_names)
    sample = pl.DataFrame(np.zeros((1, len(cols))), schema=cols, orient="row").to_pandas()
    signature = infer_signature(sample, np.zeros(1))
    meta = _meta(res)
    import logging

    logging.getLogger("mlflow.sklearn").setLevel(logging.ERROR)  # its pickle-format caution, on every save
    with tempfile.TemporaryDirectory(prefix="t26-meta-") as tmp:
        path = Path(tmp) / ARTIFACT
        with warnings.catch_warnings():  # MLflow's notes on type hints of sklearn's predict: not ours to fix
            warnings.simplefilter("ignore", UserWarning)
            mlflow.sklearn.save_model(res.model, str(path), signature=signature, serialization_format="pickle")
        (path / _META).write_text(json.dumps(meta, default=str), encoding="utf-8")
        run.log_artifacts(path, ARTIFACT)
    lineage = meta["lineage"]
    tags = {
        KIND_TAG[0]: KIND_TAG[1],
        "primary": meta["primary"],
        "model": meta["model"],
        "symbol": meta["symbol"],
        "step": meta["step"],
        "features": ",".join(cols),
        **{k: lineage[k] for k in sorted(lineage)},
    }
    return tracking.register_model(
        run.run_id, ARTIFACT, name, tags=tags, model_tags={KIND_TAG[0]: KIND_TAG[1]}, settings=settings
    )


@dataclass(frozen=True)
class MetaModel:
    """A registered meta-label model, loaded: the estimator and what it needs to predict."""

    estimator: Any = field(repr=False)
    feature_names: tuple[str, ...]
    primary: str
    step: float
    lineage: dict[str, Any]
    version: dict[str, Any]


def load_metalabel_model(ref: str, settings: Any = None) -> MetaModel:
    """Load registered version ``ref`` (``NAME@alias``, ``NAME/VERSION`` or ``NAME`` for the newest)."""
    import mlflow.sklearn

    from trade2026 import tracking

    with tempfile.TemporaryDirectory(prefix="t26-meta-") as tmp:
        local, row = tracking.download_model(ref, tmp, settings, kind=KIND_TAG[1])
        meta_file = Path(local) / _META
        if not meta_file.exists():
            msg = f"registered model {ref!r} is not a meta-label model (no {_META}); `t26 models ls` lists the models"
            raise DataError(msg)
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        est = mlflow.sklearn.load_model(str(local))
    return MetaModel(est, tuple(meta["feature_names"]), meta["primary"], float(meta["step"]), meta["lineage"], row)


@dataclass(frozen=True)
class PredictResult:
    """What :func:`predict_bars` wrote: one row per bar of each symbol, ``signal = side * size``."""

    model: str
    version: int
    table: str
    predictions: pl.DataFrame = field(repr=False)
    lineage: dict[str, Any]
    saved: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """What ``t26 models predict --json`` prints."""
        p = self.predictions
        out: dict[str, Any] = {
            "model": self.model,
            "version": self.version,
            "table": self.table,
            "rows": p.height,
            "symbols": sorted(p["symbol"].unique().to_list()),
            "start": p["ts"].min(),
            "end": p["ts"].max(),
            "bets": int((p["signal"] != 0).sum()),
            "mean_prob": p["prob"].mean(),
            "signal_column": "signal",
            "lineage": self.lineage,
        }
        if self.saved is not None:
            out["saved"] = self.saved
        return out

    def to_frame(self) -> pl.DataFrame:
        return self.predictions


def predict_frame(mm: MetaModel, frame: Any, features: Any = None, *, last: bool = False) -> Any:
    """A meta-label model's predictions on one symbol's bars (the rule of :func:`predict_bars`).

    Parameters
    ----------
    mm : MetaModel
        From :func:`load_metalabel_model`.
    frame : polars.DataFrame
        One symbol's bars sorted by ts (symbol, ts, close, volume[, the primary's signal column]).
    features : polars.DataFrame, optional
        That symbol's feature-set rows (symbol, ts, ...) for a model trained on a feature set; each
        bar takes the last row at or before it. None: :func:`meta_features` of ``frame``.
    last : bool
        Only the last bar (a live loop deciding at the bar just closed; the features still see the
        whole history).

    Returns
    -------
    polars.DataFrame
        symbol, ts, side, prob, size, signal per bar (``signal = side * size``; size 0 where a
        feature is missing).
    """
    import polars as pl

    from trade2026.backtest import strategy_positions
    from trade2026.features import asof_join
    from trade2026.labeling._meta import bet_size, meta_features

    names = list(mm.feature_names[:-1])
    side = np.sign(strategy_positions(mm.primary, frame).sort("ts")["position"].cast(pl.Float64).to_numpy())
    keys = frame.select("symbol", "ts")
    if last:
        side, keys = side[-1:], keys.tail(1)
    if features is None:
        X = meta_features(frame).select(names)
        X = X.tail(1) if last else X
    else:
        X = asof_join(keys, features).select(names)
    x = np.column_stack([X.to_numpy().astype(float), side])
    ok = np.isfinite(x).all(axis=1)
    prob = np.full(len(side), np.nan)
    if ok.any():
        prob[ok] = mm.estimator.predict_proba(x[ok])[:, 1]
    size = np.where(ok, np.clip(bet_size(np.nan_to_num(prob, nan=0.5), step=mm.step), 0.0, 1.0), 0.0)
    return keys.with_columns(
        pl.Series("side", side),
        pl.Series("prob", prob).fill_nan(None),
        pl.Series("size", size),
        pl.Series("signal", side * size),
    )


def predict_bars(
    lake: Any,
    ref: str,
    *,
    table: str = "bars_1d",
    symbols: Sequence[str] | None = None,
    save: str | None = None,
    settings: Any = None,
) -> PredictResult:
    """Predict with a registered meta-label model on every bar of ``table``; optionally save the signals.

    Each bar's side is the model's primary strategy's (sign of its position); the features are its
    feature set's row at or before the bar (``features_NAME``, which must be built over ``table``)
    or :func:`meta_features` for a model trained without a set. ``prob`` is the model's probability
    that the bet pays, ``size`` the discretised bet size (AFML 10.1, clipped at 0) and ``signal =
    side * size`` (0 where the primary is flat or a feature is missing).

    Parameters
    ----------
    lake : trade2026.lake.Lake
    ref : str
        ``NAME@alias``, ``NAME/VERSION`` or ``NAME``.
    table : str, default "bars_1d"
    symbols : sequence of str, optional
        Default: every symbol of the table.
    save : str, optional
        A lake table to write the predictions to (the rows of those symbols are replaced).

    Returns
    -------
    PredictResult
    """
    from trade2026.backtest import parse_strategy
    from trade2026.core import bars_by_symbol, check_save, save_rows
    from trade2026.features import read_features

    check_save(lake, save)
    mm = load_metalabel_model(ref, settings)
    primary, params = parse_strategy(mm.primary)
    extra = (params["column"],) if primary == "signal" else ()
    frames = bars_by_symbol(lake, symbols, table=table, columns=("close", "volume"), extra=extra)
    fs_name = mm.lineage.get("feature_set")
    feats_all = None
    lineage = {"bars_table": table, "bars_version": int(lake.info(table)["version"])}
    if fs_name:
        feats_all, fs, version = read_features(lake, fs_name, list(frames))
        if fs.hash != mm.lineage.get("feature_hash"):
            msg = (
                f"feature set {fs_name!r} changed since model {ref!r} was trained (hash {fs.hash}, the model's "
                f"{mm.lineage.get('feature_hash')}); retrain the model or restore the set's definition"
            )
            raise DataError(msg)
        lineage.update(feature_set=fs_name, feature_hash=fs.hash, feature_version=version)
    parts = []
    for sym, frame in frames.items():
        feats = None if feats_all is None else feats_all.filter(pl.col("symbol") == sym)
        parts.append(predict_frame(mm, frame, feats))
    preds = pl.concat(parts)
    saved = save_rows(lake, save, preds) if save else None
    return PredictResult(mm.version["name"], int(mm.version["version"]), table, preds, lineage, saved)


__all__ = [
    "KIND_TAG",
    "MetaModel",
    "PredictResult",
    "load_metalabel_model",
    "log_metalabel_model",
    "predict_bars",
    "predict_frame",
]
