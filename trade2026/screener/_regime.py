"""Markov-switching market regimes (Hamilton 1989) fitted with statsmodels, plus the rule-based quadrant.

The model is fitted to daily log returns in percent ``y_t = 100 ln(P_t / P_{t-1})`` of one symbol or
of the equal-weight universe index:

* ``regression``: ``y_t = mu_{s_t} + e_t``, ``e_t ~ N(0, sigma^2_{s_t})`` (statsmodels
  ``MarkovRegression`` with ``trend="c"`` and switching variance);
* ``autoregression``: ``y_t - mu_{s_t} = sum_i phi_i (y_{t-i} - mu_{s_{t-i}}) + e_t`` with
  non-switching AR coefficients (statsmodels ``MarkovAutoregression``, switching mean and variance).

``s_t`` is a ``k``-state Markov chain. Regimes are labelled by their volatility, highest first:
``bear, bull`` for two regimes, ``bear, neutral, bull`` for three. Volatility, not the mean, orders
them because regime means are estimated far too imprecisely to rank reliably, while in equity
returns the high-variance regime is the bear market (Ang & Bekaert 2002; Guidolin & Timmermann
2006).

The smoothed probabilities use the whole sample (Kim 1994 smoother): they describe the past and are
not a trading signal; screens use the causal rule-based regimes of
:mod:`trade2026.screener._rules` instead.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from trade2026.core import periods_per_year as infer_periods
from trade2026.errors import DataError, InputError, RegimeFitError

MODELS = ("regression", "autoregression")
LABELS = {2: ("bear", "bull"), 3: ("bear", "neutral", "bull")}
MIN_OBS_PER_REGIME = 60


@dataclass(frozen=True)
class MarkovRegimes:
    """A fitted Markov-switching model.

    ``regimes`` has one row per regime (most volatile first): ``regime`` (label), ``mean`` and ``vol``
    (per bar, simple units), ``ann_mean`` (x periods per year), ``ann_vol`` (x its square root),
    ``expected_duration`` (days, ``1/(1-p_ii)``) and ``share`` (fraction of days whose most likely
    smoothed regime it is).
    ``transition[i][j]`` is ``P(s_t = j | s_{t-1} = i)`` in the same order. ``probabilities`` has
    ``ts``, one ``p_<label>`` column per regime (smoothed) and ``regime`` (the most likely label).
    """

    series: str
    model: str
    k_regimes: int
    order: int
    n_obs: int
    start: dt.date
    end: dt.date
    converged: bool
    log_likelihood: float
    aic: float
    bic: float
    regimes: list[dict[str, Any]]
    transition: list[list[float]]
    probabilities: pl.DataFrame = field(repr=False)

    @property
    def labels(self) -> list[str]:
        return [r["regime"] for r in self.regimes]

    def current(self) -> dict[str, Any]:
        last = self.probabilities.row(-1, named=True)
        return {
            "date": last["ts"].date().isoformat(),
            "regime": last["regime"],
            "probabilities": {lab: last[f"p_{lab}"] for lab in self.labels},
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "model": self.model,
            "k_regimes": self.k_regimes,
            "order": self.order,
            "n_obs": self.n_obs,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "converged": self.converged,
            "log_likelihood": self.log_likelihood,
            "aic": self.aic,
            "bic": self.bic,
            "regimes": self.regimes,
            "transition": self.transition,
            "current": self.current(),
        }


def check_markov(k_regimes: int, model: str, order: int) -> None:
    """Raise InputError unless ``k_regimes``, ``model`` and ``order`` are settings :func:`fit_markov` takes."""
    if k_regimes not in LABELS:
        msg = f"k_regimes must be 2 or 3, got {k_regimes}"
        raise InputError(msg)
    if model not in MODELS:
        msg = f"model must be one of {', '.join(MODELS)}, got {model!r}"
        raise InputError(msg)
    if model == "autoregression" and not 1 <= order <= 5:
        msg = f"order must be between 1 and 5, got {order}"
        raise InputError(msg)


def fit_markov(
    index: pl.DataFrame,
    *,
    k_regimes: int = 2,
    model: str = "regression",
    order: int = 1,
    series: str = "universe",
    periods_per_year: float | None = None,
) -> MarkovRegimes:
    """Fit a ``k_regimes``-state Markov-switching model to the daily log returns of ``index``.

    Parameters
    ----------
    index : polars DataFrame
        ``ts, close`` sorted by time (a symbol's closes or the universe index).
    k_regimes : {2, 3}
    model : {"regression", "autoregression"}
    order : int
        AR order for ``autoregression`` (1-5).
    periods_per_year : float, optional
        Annualises ``ann_mean``/``ann_vol``; default inferred from ``ts``
        (:func:`trade2026.core.periods_per_year`).

    Raises
    ------
    DataError
        Too few observations for the number of regimes, or prices that are not positive.
    RegimeFitError
        The optimiser did not converge or produced a degenerate regime.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    check_markov(k_regimes, model, order)
    idx = index.sort("ts").drop_nulls("close")
    close = idx["close"].to_numpy()
    if (close <= 0).any():
        msg = f"{series}: prices must be positive to take log returns"
        raise DataError(msg)
    y = 100.0 * np.diff(np.log(close))
    ts = idx["ts"][1:]
    need = MIN_OBS_PER_REGIME * k_regimes + (order if model == "autoregression" else 0)
    if y.size < need:
        msg = (
            f"{series}: {y.size} daily returns is too little data for {k_regimes} regimes "
            f"(need at least {need}); widen the start/end dates" + (" or use k_regimes=2" if k_regimes > 2 else "")
        )
        raise DataError(msg)
    if float(np.std(y)) == 0.0:
        msg = f"{series}: returns are constant; there is nothing to fit"
        raise DataError(msg)
    if model == "regression":
        mod = sm.tsa.MarkovRegression(y, k_regimes=k_regimes, trend="c", switching_variance=True)
    else:
        mod = sm.tsa.MarkovAutoregression(
            y, k_regimes=k_regimes, order=order, switching_ar=False, switching_variance=True
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            res = mod.fit(disp=False, em_iter=20, maxiter=300)
        except (np.linalg.LinAlgError, ValueError) as exc:
            msg = (
                f"{series}: the Markov-switching fit failed ({exc}); "
                "try k_regimes=2, model='regression' or a longer range"
            )
            raise RegimeFitError(msg) from exc
    converged = bool(res.mle_retvals.get("converged", False)) if res.mle_retvals else False
    names = list(mod.param_names)
    params = dict(zip(names, np.asarray(res.params, dtype=float), strict=True))
    if not converged or not all(math.isfinite(v) for v in params.values()):
        msg = (
            f"{series}: the Markov-switching likelihood did not converge ({model}, {k_regimes} regimes, "
            f"{y.size} days); try k_regimes=2, model='regression' or a different date range"
        )
        raise RegimeFitError(msg)
    # In both models const[i] is the regime mean (the AR model is written in deviations from it).
    means = [params[f"const[{i}]"] for i in range(k_regimes)]
    sig2 = [params[f"sigma2[{i}]"] for i in range(k_regimes)]
    if min(sig2) <= 1e-12:
        msg = f"{series}: a regime collapsed to zero variance; try fewer regimes (k_regimes=2)"
        raise RegimeFitError(msg)
    probs = np.asarray(res.smoothed_marginal_probabilities, dtype=float)
    trans = np.asarray(res.regime_transition, dtype=float)[:, :, 0]  # [to, from]
    durations = np.asarray(res.expected_durations, dtype=float).ravel()
    order_idx = sorted(range(k_regimes), key=lambda i: -sig2[i])
    labels = LABELS[k_regimes]
    offset = y.size - probs.shape[0]
    ts = ts[offset:]
    argmax = probs.argmax(axis=1)
    ppy = infer_periods(ts, override=periods_per_year)
    regimes = []
    for rank, i in enumerate(order_idx):
        mean, vol = float(means[i]) / 100.0, math.sqrt(sig2[i]) / 100.0
        regimes.append(
            {
                "regime": labels[rank],
                "mean": mean,
                "vol": vol,
                "ann_mean": mean * ppy,
                "ann_return": mean * ppy,  # the vocabulary's name; ann_mean is kept (documented)
                "ann_vol": vol * math.sqrt(ppy),
                "expected_duration": float(durations[i]),
                "share": float((argmax == i).mean()),
            }
        )
    transition = [[float(trans[j, i]) for j in order_idx] for i in order_idx]
    cols = {f"p_{labels[rank]}": probs[:, i] for rank, i in enumerate(order_idx)}
    label_of = {i: labels[rank] for rank, i in enumerate(order_idx)}
    frame = pl.DataFrame({"ts": ts, **cols, "regime": [label_of[int(a)] for a in argmax]})
    first, last = ts[0], ts[-1]
    return MarkovRegimes(
        series=series,
        model=model,
        k_regimes=k_regimes,
        order=order if model == "autoregression" else 0,
        n_obs=int(probs.shape[0]),
        start=first.date(),
        end=last.date(),
        converged=converged,
        log_likelihood=float(res.llf),
        aic=float(res.aic),
        bic=float(res.bic),
        regimes=regimes,
        transition=transition,
        probabilities=frame,
    )


def quadrant_summary(rules: pl.DataFrame, *, periods_per_year: float | None = None) -> dict[str, Any]:
    """Summarise rule-based regimes (from :func:`rule_regimes`): the current quadrant and, per
    quadrant, the days spent in it and the index's annualised mean and volatility there
    (``periods_per_year`` default: inferred from ``ts``)."""
    ppy = infer_periods(rules["ts"], override=periods_per_year)
    r = rules.sort("ts").with_columns((pl.col("close") / pl.col("close").shift(1) - 1.0).shift(-1).alias("_next"))
    known = r.drop_nulls("quadrant")
    if known.height == 0:
        msg = "too little history for the trend/volatility rules (need about a year of bars)"
        raise DataError(msg)
    rows = []
    for q in ("bull_calm", "bull_volatile", "bear_calm", "bear_volatile"):
        sub = known.filter(pl.col("quadrant") == q)["_next"].drop_nulls()
        mean = sub.mean() if sub.len() else None
        std = sub.std() if sub.len() > 1 else None
        rows.append(
            {
                "quadrant": q,
                "days": int(known.filter(pl.col("quadrant") == q).height),
                "share": known.filter(pl.col("quadrant") == q).height / known.height,
                "next_day_ann_return": float(mean) * ppy if isinstance(mean, float) else None,
                "next_day_ann_vol": float(std) * math.sqrt(ppy) if isinstance(std, float) else None,
            }
        )
    last = known.row(-1, named=True)
    current = {
        "date": last["ts"].date().isoformat(),
        "regime": last["regime"],
        "vol_regime": last["vol_regime"],
        "quadrant": last["quadrant"],
        "close": last["close"],
        "sma": last["sma"],
        "vol": last["vol"],
        "vol_median": last["vol_median"],
    }
    return {"current": current, "quadrants": rows}


__all__ = ["LABELS", "MODELS", "MarkovRegimes", "RegimeFitError", "check_markov", "fit_markov", "quadrant_summary"]
