"""Meta-labeling (AFML 3.6) and bet sizing from predicted probabilities (AFML ch. 10).

A primary model decides the side of each bet; the triple barrier labels each bet 1 (it made
money) or 0; a secondary classifier learns, from features known at the bet's start, whether to take
it. Its out-of-sample probabilities (purged k-fold) size the bets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trade2026.errors import ConfigError, DataError

MODELS = ("rf", "gb", "logit")


def bet_size(prob: Any, *, n_classes: int = 2, step: float = 0.0) -> Any:
    """Bet size from the predicted probability of the chosen outcome (AFML snippets 10.1, 10.3).

    ``z = (p - 1/K) / sqrt(p (1 - p))`` and ``m = 2 Phi(z) - 1``, in [-1, 1]; with ``step`` > 0 the
    size is rounded to a multiple of ``step`` (discretisation limits jitter and overtrading).
    For meta-labels (``K = 2``, p = P[take the bet]) a negative size means "do not bet": clip at 0.

    Parameters
    ----------
    prob : float or array-like of probabilities in [0, 1]
    n_classes : int, default 2
    step : float, default 0 (no discretisation)

    Returns the same shape (a float for a scalar).
    """
    from trade2026.core import norm_cdf

    if n_classes < 2:
        msg = f"n_classes must be at least 2, got {n_classes}"
        raise ConfigError(msg)
    if not 0.0 <= step <= 1.0:
        msg = f"step must be in [0, 1], got {step}"
        raise ConfigError(msg)
    p = np.asarray(prob, dtype=np.float64)
    if ((p < 0) | (p > 1)).any():
        msg = "probabilities must be in [0, 1]"
        raise DataError(msg)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p - 1.0 / n_classes) / np.sqrt(p * (1.0 - p))
    z = np.where(p >= 1.0, np.inf, np.where(p <= 0.0, -np.inf, z))
    m = 2.0 * norm_cdf(np.asarray(z, dtype=np.float64)) - 1.0
    if step > 0:
        m = np.round(m / step) * step
    m = np.clip(m, -1.0, 1.0)
    return float(m) if np.ndim(prob) == 0 else m


#: the hyperparameters :func:`make_model` takes per model (what a meta-label search varies)
MODEL_PARAMS = {
    "rf": ("n_estimators", "max_depth", "min_weight_fraction_leaf"),
    "gb": ("n_estimators", "max_depth", "learning_rate"),
    "logit": ("C",),
}


def make_model(name: str, *, random_state: int = 0, **params: Any) -> Any:
    """The secondary classifier: ``rf`` (random forest), ``gb`` (gradient boosting), ``logit``.

    ``params`` override the defaults, among :data:`MODEL_PARAMS` of the model (``max_depth=3``, ``C=0.1``).
    """
    if name not in MODELS:
        msg = f"unknown model {name!r}; choose one of {', '.join(MODELS)}"
        raise ConfigError(msg)
    unknown = sorted(set(params) - set(MODEL_PARAMS[name]))
    if unknown:
        msg = f"model {name!r} takes the hyperparameters {', '.join(MODEL_PARAMS[name])}, not {', '.join(unknown)}"
        raise ConfigError(msg)
    if name == "rf":
        from sklearn.ensemble import RandomForestClassifier

        rf = {"n_estimators": 200, "max_depth": 4, "min_weight_fraction_leaf": 0.02, **params}
        return RandomForestClassifier(class_weight="balanced_subsample", n_jobs=1, random_state=random_state, **rf)
    if name == "gb":
        from sklearn.ensemble import GradientBoostingClassifier

        gb = {"n_estimators": 150, "max_depth": 2, "learning_rate": 0.05, **params}
        return GradientBoostingClassifier(random_state=random_state, **gb)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    lr = {"C": 1.0, **params}
    return make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=1000, **lr))


def meta_features(bars: Any) -> Any:
    """Features known at each bar's close, for the secondary model (polars frame, one row per bar).

    ``ret_1``, ``ret_5``, ``ret_20`` (past returns), ``vol_20`` (std of daily returns),
    ``sma_gap`` (close / SMA(20) - 1), ``volume_z`` (volume z-score over 20 bars) and ``ffd``
    (FFD of log close, d=0.4, window 50 weights: memory-preserving level).
    """
    import polars as pl

    from trade2026.features import fracdiff

    b = bars.sort("ts")
    r = pl.col("close").pct_change()
    out = b.select(
        "ts",
        ret_1=r,
        ret_5=pl.col("close").pct_change(5),
        ret_20=pl.col("close").pct_change(20),
        vol_20=r.rolling_std(20),
        sma_gap=pl.col("close") / pl.col("close").rolling_mean(20) - 1.0,
        volume_z=(pl.col("volume") - pl.col("volume").rolling_mean(20)) / pl.col("volume").rolling_std(20),
    )
    logc = np.log(b["close"].to_numpy())
    ffd = fracdiff(logc, 0.4, window=50) if len(logc) >= 50 else np.full(len(logc), np.nan)
    return out.with_columns(pl.Series("ffd", ffd))


@dataclass(frozen=True)
class MetaLabelResult:
    """What :func:`metalabel` found.

    ``events``: one row per bet (t0, t1, side, label, prob, size, ret); ``classification``:
    precision/recall/f1/accuracy/roc_auc of the primary alone (take every bet) and with the meta
    model (take when prob > 0.5), out of sample; ``returns``: sharpe, max_drawdown, total_return,
    ... of the primary's bets, the meta-filtered bets and the meta-sized bets; ``model``: the
    secondary model refitted on every bet. ``symbol`` and ``saved`` (what was written to the lake)
    are set by :func:`metalabel_bars`.
    """

    events: Any
    classification: dict[str, dict[str, float]]
    returns: dict[str, dict[str, float]]
    params: dict[str, Any]
    model: Any = field(repr=False, default=None)
    feature_names: tuple[str, ...] = ()
    symbol: str | None = None
    saved: dict[str, Any] | None = None
    lineage: dict[str, Any] | None = None
    search: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"symbol" (when known), "params", "n_events", "classification", "returns", "saved" (when
        saved), "lineage" (read from a lake)}``: what ``t26 metalabel --json`` prints (without the run id
        and the registered model)."""
        out: dict[str, Any] = {} if self.symbol is None else {"symbol": self.symbol}
        out.update(
            params=self.params,
            n_events=self.events.height,
            classification=self.classification,
            returns=self.returns,
        )
        if self.saved is not None:
            out["saved"] = self.saved
        if self.lineage is not None:
            out["lineage"] = self.lineage
        if self.search is not None:
            out["search"] = self.search
        return out

    def to_frame(self) -> Any:
        return self.events

    def tables(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """Titled row tables for people: the out-of-sample classification, then the strategy returns
        (one row per ``strategy``: primary, meta_filtered, meta_sized; ``bets`` is their count)."""
        who = f"{self.symbol}: " if self.symbol else ""
        title = (
            f"{who}{self.events.height} bets of {self.params['primary']}, "
            f"out-of-sample ({self.params['n_splits']}-fold purged)"
        )
        return [
            (title, [{"model": k, **v} for k, v in self.classification.items()]),
            ("Strategy returns", [{"strategy": k, **v} for k, v in self.returns.items()]),
        ]

    def metrics(self) -> dict[str, float]:
        """MLflow metrics: ``VARIANT_METRIC`` for every classification and returns figure."""
        out = {f"{variant}_{k}": v for variant, m in self.classification.items() for k, v in m.items()}
        out.update({f"{variant}_{k}": v for variant, m in self.returns.items() for k, v in m.items()})
        return out

    @property
    def run_params(self) -> dict[str, Any]:
        """The settings as logged to MLflow (with the lineage, when read from a lake)."""
        out = {"symbol": self.symbol, **self.params} if self.symbol is not None else dict(self.params)
        return {**out, **(self.lineage or {})}


def _classification(y: np.ndarray, pred: np.ndarray, prob: np.ndarray | None) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

    out = {
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "accuracy": float(accuracy_score(y, pred)),
        "roc_auc": math.nan,
    }
    if prob is not None and len(np.unique(y)) == 2:
        out["roc_auc"] = float(roc_auc_score(y, prob))
    elif prob is None and len(np.unique(y)) == 2:
        out["roc_auc"] = 0.5  # a constant score ranks nothing
    return out


def _active_size(n_bars: int, start: np.ndarray, end: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Average size of the bets active at each bar (AFML 10.4): a bet is held over [t0, t1)."""
    total = np.zeros(n_bars + 1)
    count = np.zeros(n_bars + 1)
    np.add.at(total, start, size)
    np.add.at(total, end, -size)
    np.add.at(count, start, 1.0)
    np.add.at(count, end, -1.0)
    s, c = np.cumsum(total)[:n_bars], np.cumsum(count)[:n_bars]
    return np.where(c > 0.5, s / np.maximum(c, 1.0), 0.0)


def metalabel(
    bars: Any,
    primary: str,
    *,
    model: str = "rf",
    pt: float = 1.0,
    sl: float = 1.0,
    vertical: Any = 10,
    cusum: float = 1.0,
    n_splits: int = 5,
    embargo: float = 0.01,
    step: float = 0.1,
    random_state: int = 0,
    features: Any = None,
    model_params: dict[str, Any] | None = None,
) -> MetaLabelResult:
    """Meta-label a primary strategy's bets on one symbol's bars and measure what the meta model adds.

    Parameters
    ----------
    bars : polars or pandas DataFrame
        One symbol's canonical bars (ts, open, high, low, close, volume; plus the signal column for
        a ``signal:COLUMN`` primary), at least ~200 bars.
    primary : str
        A strategy spec for :func:`trade2026.backtest.strategy_positions`, e.g.
        ``"sma_cross:fast=20,slow=50"`` or ``"signal:my_column"``; its position's sign is the side.
    model : {"rf", "gb", "logit"}
    pt, sl, vertical
        Triple-barrier settings (multiples of the daily volatility; vertical in bars or a duration).
    cusum : float, default 1.0
        Events are sampled by a CUSUM filter on log prices with threshold ``cusum * daily_vol``,
        kept where the primary holds a position.
    n_splits, embargo
        :class:`trade2026.validation.PurgedKFold` settings for the out-of-sample probabilities.
    step : float, default 0.1
        Discretisation of the bet size.
    features : polars or pandas DataFrame, optional
        The secondary model's features instead of :func:`meta_features`: ``ts`` and numeric
        columns (a feature set's rows of this symbol, :func:`trade2026.features.read_features`).
        Each bar takes the last feature row at or before it (:func:`trade2026.features.asof_join`).
    model_params : dict, optional
        Hyperparameters of the classifier (:func:`make_model`, :data:`MODEL_PARAMS`).

    Returns
    -------
    MetaLabelResult
    """
    hyper = dict(model_params or {})
    make_model(model, **hyper)  # validate the name before the work
    bets = prepare_bets(
        bars,
        primary,
        pt=pt,
        sl=sl,
        vertical=vertical,
        cusum=cusum,
        n_splits=n_splits,
        embargo=embargo,
        features=features,
    )
    prob = oos_probs(bets, model=model, hyper=hyper, random_state=random_state)
    return bets_result(bets, prob, model=model, hyper=hyper, step=step, random_state=random_state)


@dataclass(frozen=True, eq=False)
class Bets:
    """A primary's labelled bets, their features and purged CV folds: what every meta model of them shares.

    ``X`` (n_bets, n_features + 1) holds the features at each bet's start and its side; ``y`` the
    labels (1: the bet paid); ``w`` the average-uniqueness sample weights; ``folds`` the purged
    k-fold (train, test) index pairs, test folds in time order; ``t0_pos``/``t1_pos`` the bar
    positions of each bet's start and end in ``frame``. Built by :func:`prepare_bets`.
    """

    frame: Any = field(repr=False)
    tb: Any = field(repr=False)
    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    w: np.ndarray = field(repr=False)
    t0_pos: np.ndarray = field(repr=False)
    t1_pos: np.ndarray = field(repr=False)
    folds: tuple[tuple[np.ndarray, np.ndarray], ...] = field(repr=False)
    names: tuple[str, ...]
    params: dict[str, Any]

    @property
    def n_bets(self) -> int:
        return len(self.y)

    @property
    def n_folds(self) -> int:
        return len(self.folds)

    @property
    def events(self) -> Any:
        """The labelled bets (t0, t1, side, label, ret, ... per bet)."""
        return self.tb

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The columns of ``X``: the features, then the side."""
        return (*self.names, "side")

    def train_data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(X, y, w) of every bet: what a fold's fit needs (a few kB: bets, not bars)."""
        return self.X, self.y, self.w

    def returns(self, size: np.ndarray) -> dict[str, float]:
        """Metrics of the bets taken at ``size`` (n_bets,) in [0, 1] (:func:`sized_returns`); ``bets`` is
        how many were taken."""
        from trade2026.core import returns_metrics

        m = returns_metrics(sized_returns(self, size), trade_pnls=(self.tb["ret"].to_numpy() * size)[size > 0])
        out = {
            k: m.get(k, math.nan)
            for k in ("total_return", "cagr", "ann_vol", "sharpe", "max_drawdown", "hit_rate", "trade_count")
        }
        out["bets"] = int((size > 0).sum())
        return out


def prepare_bets(
    bars: Any,
    primary: str,
    *,
    pt: float,
    sl: float,
    vertical: Any,
    cusum: float,
    n_splits: int = 5,
    embargo: float = 0.01,
    features: Any = None,
) -> Bets:
    """The primary's CUSUM-sampled, triple-barrier-labelled bets with their features and purged k-fold
    CV folds (the settings as in :func:`metalabel`). Raises DataError for more than one symbol, fewer
    than 200 bars, fewer than ``2 * n_splits`` bets or a single outcome."""
    import polars as pl

    from trade2026.backtest import strategy_positions
    from trade2026.core import to_polars
    from trade2026.labeling._barriers import triple_barrier
    from trade2026.labeling._events import cusum_filter, daily_vol
    from trade2026.labeling._weights import average_uniqueness
    from trade2026.validation import PurgedKFold

    frame, _ = to_polars(bars, what="bars")
    if "symbol" in frame.columns and frame["symbol"].n_unique() > 1:
        msg = "metalabel works on one symbol's bars; filter the frame to one symbol"
        raise DataError(msg)
    frame = frame.sort("ts")
    if frame.height < 200:
        msg = f"only {frame.height} bars: meta-labeling needs at least 200 (a year of daily bars or more)"
        raise DataError(msg)
    pos = strategy_positions(primary, frame)
    side_bar = np.sign(pos.sort("ts")["position"].to_numpy())
    close = frame.select("ts", "close")
    vol = daily_vol(close)["vol"].to_numpy()
    logp = close.with_columns(pl.col("close").log())
    ev = cusum_filter(logp, np.where(np.isnan(vol), np.nan, cusum * vol))
    times = frame["ts"]
    ev_pos = np.searchsorted(times.to_numpy(), ev.to_numpy())
    on = side_bar[ev_pos] != 0
    ev, ev_pos = ev.filter(pl.Series(on)), ev_pos[on]
    if len(ev) < 2 * n_splits:
        msg = (
            f"the primary {primary!r} gives only {len(ev)} bets; use a longer history, a smaller "
            "--cusum multiple, or fewer splits"
        )
        raise DataError(msg)
    tb = triple_barrier(close, ev, pt=pt, sl=sl, vertical=vertical, target=vol, side=side_bar)
    feats = meta_features(frame) if features is None else _bar_features(frame, features)
    names = tuple(c for c in feats.columns if c != "ts")
    X_all = feats.select(names).to_numpy()
    t0_pos = np.searchsorted(times.to_numpy(), tb["t0"].cast(times.dtype).to_numpy())
    X = np.column_stack([X_all[t0_pos], tb["side"].to_numpy()])
    ok = np.isfinite(X).all(axis=1)
    tb, X, t0_pos = tb.filter(pl.Series(ok)), X[ok], t0_pos[ok]
    y = tb["label"].to_numpy().astype(int)
    if len(np.unique(y)) < 2 or len(y) < 2 * n_splits:
        msg = f"{len(y)} labelled bets with a single outcome: nothing to learn; use a longer history"
        raise DataError(msg)
    w = average_uniqueness(close, tb).to_numpy()
    cv = PurgedKFold(n_splits=n_splits, t1=tb, embargo=embargo)
    folds = tuple(cv.split(X))
    t1_pos = np.searchsorted(times.to_numpy(), tb["t1"].cast(times.dtype).to_numpy())
    params = {
        "primary": primary,
        "pt": pt,
        "sl": sl,
        "vertical": vertical,
        "cusum": cusum,
        "n_splits": n_splits,
        "embargo": embargo,
    }
    return Bets(frame, tb, X, y, w, t0_pos, t1_pos, folds, names, params)


@dataclass(frozen=True)
class FoldFit:
    """One cross-validation fold of the secondary model: fit on ``train``, predict ``test`` (positions
    into the bets). ``data`` is (X, y, w) of every bet (:meth:`Bets.train_data`)."""

    model: str
    random_state: int
    params: dict[str, Any]
    data: tuple[np.ndarray, np.ndarray, np.ndarray] = field(repr=False)
    train: np.ndarray = field(repr=False)
    test: np.ndarray = field(repr=False)


def fit_fold(task: FoldFit) -> np.ndarray:
    """The fold's out-of-sample probabilities that a bet pays, shape (len(test),); the training
    labels' mean when the training fold holds one outcome only."""
    X, y, w = task.data
    train, test = task.train, task.test
    if len(np.unique(y[train])) < 2:
        return np.full(len(test), float(y[train].mean()))
    est = make_model(task.model, random_state=task.random_state, **task.params)
    _fit(est, X[train], y[train], w[train])
    return np.asarray(est.predict_proba(X[test])[:, 1], dtype=float)


def fit_folds(
    fits: list[FoldFit], *, executor: str = "serial", ray_address: str | None = None, max_workers: int | None = None
) -> list[np.ndarray]:
    """:func:`fit_fold` of every fold through :func:`trade2026.parallel.run_tasks`, in fold order."""
    from trade2026.parallel import run_tasks

    return run_tasks(
        fit_fold, fits, executor=executor, ray_address=ray_address, max_workers=max_workers, description="CV folds"
    )


def fold_probs(bets: Bets, prob: np.ndarray, k: int, *, model: str, hyper: dict[str, Any], random_state: int) -> None:
    """Fit the secondary model on fold ``k``'s training bets; write its probabilities of the test bets into
    ``prob`` (one fold at a time, so a search can report after each)."""
    train, test = bets.folds[k]
    prob[test] = fit_fold(FoldFit(model, random_state, hyper, bets.train_data(), train, test))


def oos_probs(
    bets: Bets,
    *,
    model: str,
    hyper: dict[str, Any],
    random_state: int,
    executor: str = "serial",
    ray_address: str | None = None,
) -> np.ndarray:
    """Out-of-sample probabilities of every bet, shape (n_bets,): each from the fold that tests it (the
    folds fitted through :func:`fit_folds`)."""
    fits = [FoldFit(model, random_state, hyper, bets.train_data(), tr, te) for tr, te in bets.folds]
    prob = np.full(bets.n_bets, np.nan)
    for fit, p in zip(fits, fit_folds(fits, executor=executor, ray_address=ray_address), strict=True):
        prob[fit.test] = p
    return prob


def sized_returns(bets: Bets, size: np.ndarray) -> np.ndarray:
    """Bar returns of the bets held at ``size`` (each from its t0 close to its t1 close, AFML 10.4)."""
    cl = bets.frame["close"].to_numpy()
    bar_ret = np.zeros(len(cl))
    bar_ret[1:] = cl[1:] / cl[:-1] - 1.0
    held = _active_size(len(cl), bets.t0_pos, bets.t1_pos, size * bets.tb["side"].to_numpy().astype(float))
    strat = np.zeros(len(cl))
    strat[1:] = held[:-1] * bar_ret[1:]
    return strat


def bets_result(
    bets: Bets,
    prob: np.ndarray,
    *,
    model: str,
    hyper: dict[str, Any],
    step: float,
    random_state: int,
    refit: bool = True,
) -> MetaLabelResult:
    """The out-of-sample figures of the probabilities ``prob`` of every bet, and (``refit``) the model
    refitted on every bet."""
    import polars as pl

    y, tb = bets.y, bets.tb
    pred = (prob > 0.5).astype(int)
    size = np.clip(bet_size(prob, step=step), 0.0, 1.0)
    classification = {
        "primary": _classification(y, np.ones_like(y), None),
        "meta": _classification(y, pred, prob),
    }
    rets = {
        variant: bets.returns(sz)
        for variant, sz in (("primary", np.ones(len(y))), ("meta_filtered", pred.astype(float)), ("meta_sized", size))
    }
    final = None
    if refit:
        final = make_model(model, random_state=random_state, **hyper)
        _fit(final, bets.X, y, bets.w)
    events = tb.select("t0", "t1", "barrier", "side", "ret", "label").with_columns(
        pl.Series("prob", prob), pl.Series("size", size)
    )
    p = bets.params
    params = {"primary": p["primary"], "model": model, **{k: v for k, v in p.items() if k != "primary"}, "step": step}
    if hyper:
        params["model_params"] = hyper
    return MetaLabelResult(events, classification, rets, params, final, bets.feature_names)


def refit(res: MetaLabelResult, bets: Bets, *, random_state: int) -> MetaLabelResult:
    """``res`` with its model refitted on every bet (a search refits only its best trial)."""
    import dataclasses

    final = make_model(res.params["model"], random_state=random_state, **res.params.get("model_params", {}))
    _fit(final, bets.X, bets.y, bets.w)
    return dataclasses.replace(res, model=final)


def _bar_features(frame: Any, features: Any) -> Any:
    """``ts`` and the given features, one row per bar of ``frame``: each the last row at or before it."""
    import polars as pl

    from trade2026.core import to_polars
    from trade2026.features import asof_join

    feat, _ = to_polars(features, what="features")
    feat = feat.drop("symbol", strict=False)
    cols = [c for c in feat.columns if c != "ts" and feat.schema[c].is_numeric()]
    if not cols:
        msg = "features holds no numeric column besides ts; pass a feature set's rows"
        raise DataError(msg)
    one = pl.lit("_")
    out = asof_join(
        frame.select("ts").with_columns(one.alias("symbol")), feat.select("ts", *cols).with_columns(one.alias("symbol"))
    )
    return out.select("ts", *[pl.col(c).cast(pl.Float64).fill_null(np.nan) for c in cols])


def _fit(est: Any, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> None:
    from sklearn.pipeline import Pipeline

    if isinstance(est, Pipeline):
        est.fit(X, y, **{f"{est.steps[-1][0]}__sample_weight": w})
    else:
        est.fit(X, y, sample_weight=w)
