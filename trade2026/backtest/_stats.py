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

from trade2026.errors import DataError, InputError

EULER_GAMMA = 0.5772156649015329


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _norm_ppf(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


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
    return _norm_cdf(z)


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
    z1 = _norm_ppf(1.0 - 1.0 / n_trials)
    z2 = _norm_ppf(1.0 - 1.0 / (n_trials * math.e))
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
    z = _norm_ppf(confidence)
    return 1.0 + var * (z / (sharpe - benchmark)) ** 2


# ---------------------------------------------------------------------------------------------------
# Returns metrics


def _as_returns(returns: Any) -> np.ndarray:
    if hasattr(returns, "to_numpy"):
        returns = returns.to_numpy()
    arr = np.asarray(returns, dtype=np.float64)
    if arr.ndim != 1:
        msg = f"returns must be one-dimensional, got shape {arr.shape}"
        raise DataError(msg)
    return arr[np.isfinite(arr)]


def moments(returns: Any) -> tuple[float, float, float, float]:
    """Mean, standard deviation (ddof=1), skewness and Pearson kurtosis of a returns series."""
    r = _as_returns(returns)
    n = r.size
    if n < 2:
        return (float(r.mean()) if n else math.nan, math.nan, math.nan, math.nan)
    mu = float(r.mean())
    sd = float(r.std(ddof=1))
    dev = r - mu
    m2 = float(np.mean(dev**2))
    if m2 <= 0:
        return mu, sd, 0.0, 3.0
    skew = float(np.mean(dev**3)) / m2**1.5
    kurt = float(np.mean(dev**4)) / m2**2
    return mu, sd, skew, kurt


def sharpe_ratio(returns: Any, periods_per_year: float | None = None) -> float:
    """Sharpe ratio of simple returns (mean / std, ddof=1); annualised when ``periods_per_year`` is given."""
    mu, sd, _, _ = moments(returns)
    if not sd > 0:
        return math.nan if not mu or math.isnan(mu) else math.copysign(math.inf, mu)
    sr = mu / sd
    return sr * math.sqrt(periods_per_year) if periods_per_year else sr


def drawdown(returns: Any) -> np.ndarray:
    """Drawdown series (<= 0) of the compounded equity of simple returns."""
    r = _as_returns(returns)
    equity = np.cumprod(1.0 + r)
    peak = np.maximum.accumulate(np.maximum(equity, 1.0))
    return equity / peak - 1.0


def max_drawdown(returns: Any) -> float:
    dd = drawdown(returns)
    return float(dd.min()) if dd.size else 0.0


def _max_dd_duration(dd: np.ndarray) -> int:
    longest = run = 0
    for v in dd:
        run = run + 1 if v < 0 else 0
        longest = max(longest, run)
    return longest


def returns_metrics(
    returns: Any,
    periods_per_year: float = 252,
    *,
    trade_pnls: Any = None,
    turnover: float | None = None,
    exposure: float | None = None,
) -> dict[str, float]:
    """Performance metrics of a simple-returns series, with stable snake_case names.

    Parameters
    ----------
    returns : array-like of shape (n_obs,)
        Simple per-period returns (NaN entries are dropped).
    periods_per_year : float
        Periods in a year (252 for daily bars) used to annualise.
    trade_pnls : array-like, optional
        Per-trade returns or P&L; gives ``hit_rate``, ``profit_factor``, ``avg_win``, ``avg_loss`` and
        ``trade_count`` per trade. Without it, those describe the non-zero periods.
    turnover, exposure : float, optional
        Average one-way turnover per period and average gross exposure, passed through.

    Returns
    -------
    dict
        ``total_return``, ``cagr``, ``ann_return``, ``ann_vol``, ``sharpe`` (annualised), ``sortino``,
        ``calmar``, ``max_drawdown`` (negative fraction), ``max_drawdown_duration`` (periods),
        ``hit_rate``, ``profit_factor``, ``avg_win``, ``avg_loss``, ``skew``, ``kurtosis`` (Pearson),
        ``sharpe_per_period``, ``n_obs`` and, when known, ``turnover``, ``exposure``, ``trade_count``.
    """
    r = _as_returns(returns)
    n = int(r.size)
    ppy = float(periods_per_year)
    out: dict[str, float] = {"n_obs": n}
    if n == 0:
        nan = math.nan
        out.update(
            total_return=0.0,
            cagr=0.0,
            ann_return=0.0,
            ann_vol=nan,
            sharpe=nan,
            sortino=nan,
            calmar=nan,
            max_drawdown=0.0,
            max_drawdown_duration=0,
            hit_rate=nan,
            profit_factor=nan,
            avg_win=nan,
            avg_loss=nan,
            skew=nan,
            kurtosis=nan,
            sharpe_per_period=nan,
        )
    else:
        growth = float(np.prod(1.0 + r))
        total = growth - 1.0
        years = n / ppy
        cagr = growth ** (1.0 / years) - 1.0 if growth > 0 else -1.0
        mu, sd, skew, kurt = moments(r)
        ann_vol = sd * math.sqrt(ppy) if n > 1 else math.nan
        sr = mu / sd if n > 1 and sd > 0 else math.nan
        downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
        sortino = mu / downside * math.sqrt(ppy) if downside > 0 else math.nan
        dd = drawdown(r)
        mdd = float(dd.min())
        calmar = cagr / -mdd if mdd < 0 else math.nan
        out.update(
            total_return=total,
            cagr=cagr,
            ann_return=mu * ppy,
            ann_vol=ann_vol,
            sharpe=sr * math.sqrt(ppy),
            sortino=sortino,
            calmar=calmar,
            max_drawdown=mdd,
            max_drawdown_duration=_max_dd_duration(dd),
            skew=skew,
            kurtosis=kurt,
            sharpe_per_period=sr,
        )
        sample = r[r != 0] if trade_pnls is None else _as_returns(trade_pnls)
        out.update(_win_loss(sample))
    if trade_pnls is not None:
        out["trade_count"] = int(_as_returns(trade_pnls).size)
    if turnover is not None:
        out["turnover"] = float(turnover)
    if exposure is not None:
        out["exposure"] = float(exposure)
    return out


def _win_loss(sample: np.ndarray) -> dict[str, float]:
    if sample.size == 0:
        return {"hit_rate": math.nan, "profit_factor": math.nan, "avg_win": math.nan, "avg_loss": math.nan}
    wins = sample[sample > 0]
    losses = sample[sample < 0]
    gross_loss = -float(losses.sum())
    return {
        "hit_rate": wins.size / sample.size,
        "profit_factor": float(wins.sum()) / gross_loss if gross_loss > 0 else math.inf if wins.size else math.nan,
        "avg_win": float(wins.mean()) if wins.size else math.nan,
        "avg_loss": float(losses.mean()) if losses.size else math.nan,
    }


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


def optimal_block_length(returns: Any) -> float:
    """Expected block length for the stationary bootstrap (Politis and White 2004, Patton et al. 2009)."""
    x = _as_returns(returns)
    n = x.size
    if n < 8:
        return 1.0
    x = x - x.mean()
    var = float(np.dot(x, x)) / n
    if var <= 0:
        return 1.0
    kn = max(5, math.ceil(math.sqrt(math.log10(n))))
    m_max = math.ceil(math.sqrt(n)) + kn
    b_max = math.ceil(min(3 * math.sqrt(n), n / 3))
    c = 2.0
    acov = np.array([float(np.dot(x[: n - k], x[k:])) / n for k in range(m_max + 1)])
    rho = acov / acov[0]
    thresh = c * math.sqrt(math.log10(n) / n)
    m_hat = None
    for m in range(1, m_max - kn + 1):
        if np.all(np.abs(rho[m + 1 : m + kn + 1]) < thresh):
            m_hat = m
            break
    if m_hat is None:
        big = np.nonzero(np.abs(rho[1:]) > thresh)[0]
        m_hat = int(big[-1] + 1) if big.size else 1
    mm = min(2 * m_hat, m_max)
    g = 0.0
    g0 = acov[0]
    for k in range(1, mm + 1):
        t = k / mm
        lam = 1.0 if t <= 0.5 else 2.0 * (1.0 - t)
        g += 2.0 * lam * k * acov[k]
        g0 += 2.0 * lam * acov[k]
    d_sb = 2.0 * g0 * g0
    if d_sb <= 0 or g == 0:
        return 1.0
    b = (2.0 * g * g / d_sb) ** (1.0 / 3.0) * n ** (1.0 / 3.0)
    return float(min(max(b, 1.0), b_max))


def stationary_bootstrap_indices(n: int, block_length: float, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Index paths of shape (n_boot, n): blocks of geometric length (mean ``block_length``), wrapping."""
    p = 1.0 / max(block_length, 1.0)
    idx = np.empty((n_boot, n), dtype=np.int64)
    idx[:, 0] = rng.integers(0, n, n_boot)
    restart = rng.random((n_boot, n)) < p
    fresh = rng.integers(0, n, (n_boot, n))
    for t in range(1, n):
        idx[:, t] = np.where(restart[:, t], fresh[:, t], (idx[:, t - 1] + 1) % n)
    return idx


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
    ``confidence`` interval) and the ``block_length`` used.
    """
    r = _as_returns(returns)
    n = r.size
    if n < 10:
        msg = f"a bootstrap confidence interval needs at least 10 returns, got {n}"
        raise InputError(msg)
    b = optimal_block_length(r) if block_length is None else float(block_length)
    rng = np.random.default_rng(seed)
    idx = stationary_bootstrap_indices(n, b, n_boot, rng)
    sample = r[idx]
    mu = sample.mean(axis=1)
    sd = sample.std(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sr = np.where(sd > 0, mu / np.where(sd > 0, sd, 1.0), 0.0) * math.sqrt(periods_per_year)
    eq = np.cumprod(1.0 + sample, axis=1)
    peak = np.maximum.accumulate(np.maximum(eq, 1.0), axis=1)
    mdd = (eq / peak - 1.0).min(axis=1)
    a = (1.0 - confidence) / 2.0
    return {
        "sharpe_lo": float(np.quantile(sr, a)),
        "sharpe_hi": float(np.quantile(sr, 1 - a)),
        "max_drawdown_lo": float(np.quantile(mdd, a)),
        "max_drawdown_hi": float(np.quantile(mdd, 1 - a)),
        "block_length": b,
        "confidence": confidence,
    }
