"""Backtest statistics: returns metrics, PSR, DSR, MinTRL, expected maximum Sharpe, PBO by CSCV.

Sharpe ratios in the PSR/DSR/MinTRL family are per observation (not annualised) and kurtosis is in
Pearson form (a normal distribution has kurtosis 3), as in Bailey and Lopez de Prado:

- "The Sharpe Ratio Efficient Frontier", Journal of Risk 15(2), 2012 (PSR, MinTRL);
- "The Deflated Sharpe Ratio", Journal of Portfolio Management 40(5), 2014 (DSR, E[max SR]);
- Bailey, Borwein, Lopez de Prado, Zhu, "The Probability of Backtest Overfitting", Journal of
  Computational Finance 20(4), 2017 (CSCV, PBO, performance degradation, probability of loss).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trade2026.core import (
    drawdown,
    max_drawdown,
    metrics_columns,
    moments,
    norm_cdf,
    norm_ppf,
    optimal_block_length,
    returns_metrics,
    sharpe_ratio,
    stationary_bootstrap,
)
from trade2026.errors import DataError, InputError

# Re-exported from trade2026.core (one implementation; these names stay public here).
__all__ = [
    "EULER_GAMMA",
    "PBOResult",
    "bootstrap_ci",
    "deflated_sharpe_ratio",
    "drawdown",
    "expected_max_sharpe",
    "max_drawdown",
    "min_track_record_length",
    "moments",
    "optimal_block_length",
    "pbo",
    "probabilistic_sharpe_ratio",
    "returns_metrics",
    "sharpe_ratio",
]

EULER_GAMMA = 0.5772156649015329


def _sr_std_term(sharpe: float, skew: float, kurtosis: float) -> float:
    """``1 - skew*SR + (kurt-1)/4*SR^2``: the variance factor of the Sharpe estimator."""
    return 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe * sharpe


def probabilistic_sharpe_ratio(
    sharpe: float, benchmark: float, n_obs: int, skew: float = 0.0, kurtosis: float = 3.0
) -> float:
    """Probability that the true Sharpe ratio exceeds ``benchmark`` (Bailey and Lopez de Prado 2012).

    Parameters
    ----------
    sharpe, benchmark : float
        Observed and threshold Sharpe ratios, per observation (not annualised).
    n_obs : int
        Number of return observations behind ``sharpe``.
    skew, kurtosis : float
        Skewness and Pearson kurtosis (normal = 3) of the returns.
    """
    if n_obs < 2:
        msg = f"n_obs must be >= 2 to assess a Sharpe ratio, got {n_obs}"
        raise InputError(msg)
    var = _sr_std_term(sharpe, skew, kurtosis)
    if not var > 0:
        # The normal approximation breaks down (extreme skew with a large SR); fall back to iid.
        var = 1.0
    z = (sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(var)
    return norm_cdf(z)


def expected_max_sharpe(n_trials: int, var_trials: float, mean_trials: float = 0.0) -> float:
    """Expected maximum Sharpe ratio of ``n_trials`` independent trials (Bailey and Lopez de Prado 2014).

    ``E[max SR] = mean + sqrt(var) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))`` with g the
    Euler-Mascheroni constant; the Sharpe ratios are per observation when ``var_trials`` is.
    One trial gives ``mean_trials``.
    """
    if n_trials < 1:
        msg = f"n_trials must be >= 1, got {n_trials}"
        raise InputError(msg)
    if var_trials < 0:
        msg = f"var_trials must be >= 0, got {var_trials}"
        raise InputError(msg)
    if n_trials == 1:
        return float(mean_trials)
    z1 = norm_ppf(1.0 - 1.0 / n_trials)
    z2 = norm_ppf(1.0 - 1.0 / (n_trials * math.e))
    return float(mean_trials + math.sqrt(var_trials) * ((1 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def deflated_sharpe_ratio(
    sharpe: float,
    n_trials: int,
    var_trials: float,
    n_obs: int,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """Deflated Sharpe ratio: PSR against the expected maximum Sharpe of ``n_trials`` trials.

    ``sharpe`` and ``var_trials`` (the variance of the trials' Sharpe ratios) are per observation.
    """
    sr0 = expected_max_sharpe(n_trials, var_trials)
    return probabilistic_sharpe_ratio(sharpe, sr0, n_obs, skew, kurtosis)


def min_track_record_length(
    sharpe: float,
    benchmark: float = 0.0,
    skew: float = 0.0,
    kurtosis: float = 3.0,
    confidence: float = 0.95,
) -> float:
    """Minimum number of observations for ``PSR(benchmark) >= confidence`` (Bailey and Lopez de Prado 2012).

    ``MinTRL = 1 + (1 - skew*SR + (kurt-1)/4*SR^2) * (Z_conf / (SR - SR*))^2``; infinite when the
    observed Sharpe does not exceed the benchmark.
    """
    if not 0 < confidence < 1:
        msg = f"confidence must be in (0, 1), got {confidence}"
        raise InputError(msg)
    if sharpe <= benchmark:
        return math.inf
    var = _sr_std_term(sharpe, skew, kurtosis)
    z = norm_ppf(confidence)
    return 1.0 + var * (z / (sharpe - benchmark)) ** 2


# ---------------------------------------------------------------------------------------------------
# Probability of backtest overfitting (CSCV)


@dataclass(frozen=True)
class PBOResult:
    """Outcome of combinatorially symmetric cross-validation.

    ``logits`` holds one logit of the in-sample winner's out-of-sample relative rank per split;
    ``pbo`` is the share of splits where the winner ranks at or below the OOS median (logit <= 0).
    ``degradation_slope``/``degradation_intercept`` regress OOS on IS performance of the winner;
    ``prob_loss`` is the share of splits where the winner loses out of sample.
    """

    pbo: float
    logits: np.ndarray = field(repr=False)
    is_performance: np.ndarray = field(repr=False)
    oos_performance: np.ndarray = field(repr=False)
    degradation_slope: float
    degradation_intercept: float
    prob_loss: float
    n_partitions: int
    n_trials: int
    n_splits: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "pbo": self.pbo,
            "prob_loss": self.prob_loss,
            "degradation_slope": self.degradation_slope,
            "degradation_intercept": self.degradation_intercept,
            "n_partitions": self.n_partitions,
            "n_trials": self.n_trials,
            "n_splits": self.n_splits,
            "logit_mean": float(np.mean(self.logits)),
        }


def pbo(trial_returns: Any, n_partitions: int = 16, *, max_splits: int | None = None) -> PBOResult:
    """Probability of backtest overfitting by CSCV (Bailey, Borwein, Lopez de Prado, Zhu 2017).

    Parameters
    ----------
    trial_returns : array-like of shape (n_obs, n_trials)
        Per-period returns of every trial (parameter set), aligned on the same periods; a pandas or
        polars frame is accepted (every column a trial).
    n_partitions : int
        S, an even number of row blocks; every choice of S/2 blocks is one in-sample set and its
        complement the out-of-sample set (C(S, S/2) splits; 12870 for S=16).
    max_splits : int, optional
        Use an evenly spaced subset of the splits when there are more (the paper uses all).

    The performance statistic is the per-period Sharpe ratio (mean / std) of each trial.
    """
    m = trial_returns.to_numpy() if hasattr(trial_returns, "to_numpy") else trial_returns
    m = np.asarray(m, dtype=np.float64)
    if m.ndim != 2:
        msg = f"trial_returns must be a 2-D (n_obs x n_trials) matrix, got shape {m.shape}"
        raise DataError(msg)
    t, n = m.shape
    if n < 2:
        msg = f"PBO needs at least 2 trials (columns), got {n}; sweep a grid with more than one point"
        raise InputError(msg)
    if n_partitions < 2 or n_partitions % 2:
        msg = f"n_partitions must be an even number >= 2, got {n_partitions}"
        raise InputError(msg)
    if t < 2 * n_partitions:
        msg = f"PBO with {n_partitions} partitions needs at least {2 * n_partitions} observations, got {t}"
        raise InputError(msg)
    m = np.nan_to_num(m, nan=0.0, posinf=0.0, neginf=0.0)
    # Block sums let every split's Sharpe ratios come from S x N sufficient statistics.
    edges = np.linspace(0, t, n_partitions + 1).round().astype(int)
    s1 = np.add.reduceat(m, edges[:-1], axis=0)
    s2 = np.add.reduceat(m * m, edges[:-1], axis=0)
    cnt = np.diff(edges).astype(np.float64)
    combos = list(itertools.combinations(range(n_partitions), n_partitions // 2))
    if max_splits is not None and len(combos) > max_splits:
        idx = np.linspace(0, len(combos) - 1, max_splits).round().astype(int)
        combos = [combos[i] for i in idx]
    mask = np.zeros((len(combos), n_partitions))
    for i, c in enumerate(combos):
        mask[i, list(c)] = 1.0
    logits = np.empty(len(combos))
    is_perf = np.empty(len(combos))
    oos_perf = np.empty(len(combos))
    chunk = max(1, int(4_000_000 // max(n, 1)))
    for lo in range(0, len(combos), chunk):
        mk = mask[lo : lo + chunk]
        sr_is = _split_sharpe(mk, s1, s2, cnt)
        sr_oos = _split_sharpe(1.0 - mk, s1, s2, cnt)
        best = np.argmax(sr_is, axis=1)
        rows = np.arange(mk.shape[0])
        best_oos = sr_oos[rows, best]
        # Relative rank in (0, 1): rank 1..N of the winner among OOS performances over (N + 1).
        below = (sr_oos < best_oos[:, None]).sum(axis=1)
        ties = (sr_oos == best_oos[:, None]).sum(axis=1)
        rank = below + (ties + 1) / 2.0
        omega = rank / (n + 1.0)
        logits[lo : lo + chunk] = np.log(omega / (1.0 - omega))
        is_perf[lo : lo + chunk] = sr_is[rows, best]
        oos_perf[lo : lo + chunk] = best_oos
    if np.ptp(is_perf) > 0:
        slope, intercept = np.polyfit(is_perf, oos_perf, 1)
    else:
        slope, intercept = math.nan, float(np.mean(oos_perf))
    return PBOResult(
        pbo=float(np.mean(logits <= 0)),
        logits=logits,
        is_performance=is_perf,
        oos_performance=oos_perf,
        degradation_slope=float(slope),
        degradation_intercept=float(intercept),
        prob_loss=float(np.mean(oos_perf < 0)),
        n_partitions=n_partitions,
        n_trials=n,
        n_splits=len(combos),
    )


def _split_sharpe(mask: np.ndarray, s1: np.ndarray, s2: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    n_obs = mask @ cnt
    tot = mask @ s1
    tot2 = mask @ s2
    mean = tot / n_obs[:, None]
    var = (tot2 - n_obs[:, None] * mean * mean) / np.maximum(n_obs[:, None] - 1.0, 1.0)
    sd = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        sr = np.where(sd > 1e-15, mean / np.where(sd > 1e-15, sd, 1.0), 0.0)
    return sr


# ---------------------------------------------------------------------------------------------------
# Stationary bootstrap (Politis and Romano 1994) with the Politis-White (2004/2009) block length


def bootstrap_ci(
    returns: Any,
    *,
    periods_per_year: float = 252,
    n_boot: int = 1000,
    confidence: float = 0.90,
    block_length: float | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Stationary-bootstrap confidence intervals of the annualised Sharpe ratio and max drawdown.

    Returns ``sharpe_lo``, ``sharpe_hi``, ``max_drawdown_lo``, ``max_drawdown_hi`` (the central
    ``confidence`` interval) and the ``block_length`` used. Resamples come from
    :func:`trade2026.core.stationary_bootstrap`, their metrics from :func:`trade2026.core.metrics_columns`.
    """
    sample, b = stationary_bootstrap(returns, n_boot, block_length=block_length, seed=seed)
    m = metrics_columns(sample.T, periods_per_year)
    # A resample with zero volatility did nothing: it counts as a Sharpe ratio of 0 here.
    sr = np.where(np.isfinite(m["sharpe"]), m["sharpe"], 0.0)
    mdd = m["max_drawdown"]
    a = (1.0 - confidence) / 2.0
    return {
        "sharpe_lo": float(np.quantile(sr, a)),
        "sharpe_hi": float(np.quantile(sr, 1 - a)),
        "max_drawdown_lo": float(np.quantile(mdd, a)),
        "max_drawdown_hi": float(np.quantile(mdd, 1 - a)),
        "block_length": b,
        "confidence": confidence,
    }
