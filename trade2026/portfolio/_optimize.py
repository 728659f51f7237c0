"""``optimize``: estimate moments from a returns panel and run one registered method."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trade2026.errors import ConfigError, DataError, T26Error
from trade2026.portfolio._constraints import Constraints, Resolved, resolve
from trade2026.portfolio._estimators import covariance, expected_returns
from trade2026.portfolio._methods import get_method


@dataclass
class Problem:
    """What a method's solve function sees (moments are per period)."""

    symbols: tuple[str, ...]
    returns: Any  # pandas DataFrame (n_obs, n_assets)
    mu: np.ndarray
    cov: np.ndarray
    cons: Resolved
    active: list[str]
    periods_per_year: float = 252
    alpha: float = 0.05
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OptimizeResult:
    """Weights and their ex-ante statistics (annualised with ``periods_per_year``)."""

    method: str
    params: dict[str, Any]
    weights: dict[str, float]
    expected_return: float
    volatility: float
    sharpe: float
    risk_contributions: dict[str, float]
    mean_estimator: str
    cov_estimator: str
    n_obs: int
    start: Any = None
    end: Any = None
    constraints: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_frame(self) -> Any:
        """polars DataFrame[symbol, weight, risk_contribution]."""
        import polars as pl

        return pl.DataFrame(
            {
                "symbol": list(self.weights),
                "weight": list(self.weights.values()),
                "risk_contribution": [self.risk_contributions[s] for s in self.weights],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "params": self.params,
            "weights": self.weights,
            "expected_return": self.expected_return,
            "volatility": self.volatility,
            "sharpe": self.sharpe,
            "risk_contributions": self.risk_contributions,
            "mean_estimator": self.mean_estimator,
            "cov_estimator": self.cov_estimator,
            "n_obs": self.n_obs,
            "start": self.start,
            "end": self.end,
            "constraints": self.constraints,
            "notes": list(self.notes),
        }


def as_returns(returns: Any) -> Any:
    """A pandas DataFrame (rows = periods, columns = symbols) from pandas, polars or numpy."""
    import pandas as pd

    if isinstance(returns, pd.DataFrame):
        df = returns
    elif hasattr(returns, "to_pandas") and hasattr(returns, "columns"):
        import polars as pl

        frame = returns
        time_cols = [c for c, t in frame.schema.items() if t.is_temporal()]
        if time_cols:
            df = frame.drop(time_cols).to_pandas()
            df.index = pd.Index(frame[time_cols[0]].to_list(), name=time_cols[0])
        else:
            df = frame.select(pl.selectors.numeric()).to_pandas()
    else:
        arr = np.asarray(returns, dtype=float)
        if arr.ndim != 2:
            msg = f"returns must be 2-D (n_obs, n_assets), got shape {arr.shape}"
            raise DataError(msg)
        df = pd.DataFrame(arr, columns=[f"a{i}" for i in range(arr.shape[1])])
    df = df.astype(float)
    df.columns = [str(c) for c in df.columns]
    if df.shape[1] < 2:
        msg = f"a portfolio needs at least 2 assets, got {df.shape[1]}"
        raise DataError(msg)
    if df.shape[0] < 3:
        msg = f"need at least 3 return rows, got {df.shape[0]}"
        raise DataError(msg)
    bad = [c for c in df.columns if not np.isfinite(df[c].to_numpy()).all()]
    if bad:
        msg = f"returns of {', '.join(bad)} contain NaN/inf; align the panel on common dates first"
        raise DataError(msg)
    return df


def build_problem(
    returns: Any,
    *,
    mean: str = "hist",
    cov: str = "ledoit_wolf",
    mean_params: Mapping[str, Any] | None = None,
    cov_params: Mapping[str, Any] | None = None,
    constraints: Constraints | None = None,
    periods_per_year: float = 252,
    alpha: float = 0.05,
) -> Problem:
    df = as_returns(returns)
    x = df.to_numpy()
    syms = tuple(df.columns)
    c = constraints or Constraints()
    mu = expected_returns(x, method=mean, **dict(mean_params or {}))
    sigma = covariance(x, method=cov, **dict(cov_params or {}))
    if not 0 < alpha < 0.5:
        msg = f"alpha (the CVaR/CDaR tail level) must be in (0, 0.5), got {alpha}"
        raise ConfigError(msg)
    return Problem(syms, df, mu, sigma, resolve(c, syms), c.active(), periods_per_year, alpha)


def optimize(
    returns: Any,
    method: str = "hrp",
    *,
    params: Mapping[str, Any] | None = None,
    mean: str = "hist",
    cov: str = "ledoit_wolf",
    mean_params: Mapping[str, Any] | None = None,
    cov_params: Mapping[str, Any] | None = None,
    constraints: Constraints | None = None,
    periods_per_year: float = 252,
    alpha: float = 0.05,
) -> OptimizeResult:
    """Optimise a portfolio with a registered method.

    Parameters
    ----------
    returns : pandas or polars DataFrame, or array of shape (n_obs, n_assets)
        Per-period returns (simple or log), one column per asset, no missing values. A polars
        frame may carry a temporal column (the dates), which is ignored.
    method : str
        A name from :data:`METHODS` (``t26 portfolio methods`` lists them with their parameters).
    params : mapping
        The method's parameters (see ``Method.params``); strings are coerced.
    mean, cov : str
        Expected-return estimator (``hist``, ``ewma``, ``james_stein``) and covariance estimator
        (``sample``, ``ewma``, ``ledoit_wolf``, ``oas``, ``denoised``, ``detoned``).
    constraints : Constraints
        Bounds, groups, turnover, long-short; checked for feasibility first (``InputError``
        naming the conflicting constraints).
    periods_per_year : int
        Annualisation of the reported return, volatility and Sharpe ratio.
    alpha : float
        Tail level of CVaR/CDaR-type risk measures.

    Returns
    -------
    OptimizeResult
        Weights (summing to one), ex-ante annual return, volatility, Sharpe ratio and each
        asset's share of the portfolio variance.
    """
    m = get_method(method)
    p = build_problem(
        returns,
        mean=mean,
        cov=cov,
        mean_params=mean_params,
        cov_params=cov_params,
        constraints=constraints,
        periods_per_year=periods_per_year,
        alpha=alpha,
    )
    unsupported = [a for a in p.active if a not in m.supports]
    if unsupported:
        msg = (
            f"method {m.name!r} does not support the constraint(s) {', '.join(unsupported)}; "
            f"it supports {', '.join(sorted(m.supports)) or 'none'}"
        )
        raise ConfigError(msg)
    kw = m.resolve_params(params)
    w = solve_weights(m.name, p, kw)
    return summarize(m.name, kw, w, p, mean=mean, cov=cov, constraints=constraints or Constraints())


def solve_weights(method: str, p: Problem, kw: Mapping[str, Any]) -> np.ndarray:
    """Run ``method`` on a built problem; check the weights against every constraint."""
    m = get_method(method)
    w = np.array(m.solve(p, **kw), dtype=float)
    # Solver dust (interior-point weights of 1e-9 instead of 0) is set to zero and the rest rescaled.
    dust = np.abs(w) < 1e-7
    if dust.any() and not dust.all():
        w[dust] = 0.0
        w = w / w.sum()
    bad = p.cons.check(w, tol=1e-4)
    if bad:
        msg = f"{m.name}: the solver's weights break constraints: {'; '.join(bad[:5])}"
        raise T26Error(msg)
    return w


def risk_contributions(w: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Each asset's share of the portfolio variance, ``w_i (Sigma w)_i / w'Sigma w`` (sums to 1)."""
    var = float(w @ cov @ w)
    if var <= 0:
        return np.zeros_like(w)
    return w * (cov @ w) / var


def summarize(
    method: str,
    params: Mapping[str, Any],
    w: np.ndarray,
    p: Problem,
    *,
    mean: str,
    cov: str,
    constraints: Constraints,
) -> OptimizeResult:
    ppy = p.periods_per_year
    # Statistics use the problem's estimates (black_litterman: its posterior mean and covariance).
    x = p.returns.to_numpy()
    er = float(w @ p.mu) * ppy
    vol = float(np.sqrt(max(float(w @ p.cov @ w), 0.0) * ppy))
    rc = risk_contributions(w, p.cov)
    idx = p.returns.index
    return OptimizeResult(
        method=method,
        params=dict(params),
        weights={s: float(v) for s, v in zip(p.symbols, w, strict=True)},
        expected_return=er,
        volatility=vol,
        sharpe=er / vol if vol > 0 else float("nan"),
        risk_contributions={s: float(v) for s, v in zip(p.symbols, rc, strict=True)},
        mean_estimator=mean,
        cov_estimator=cov,
        n_obs=int(x.shape[0]),
        start=_py(idx[0]) if len(idx) else None,
        end=_py(idx[-1]) if len(idx) else None,
        constraints=constraints.to_dict(),
        notes=tuple(p.notes),
    )


def _py(v: Any) -> Any:
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime()
    if isinstance(v, np.generic):
        return v.item()
    return v


def weights_vector(weights: Mapping[str, float], symbols: Sequence[str]) -> np.ndarray:
    return np.array([float(weights.get(s, 0.0)) for s in symbols])
