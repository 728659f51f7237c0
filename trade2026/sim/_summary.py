"""The distribution of a strategy's metrics over simulated paths: percentiles, loss and ruin."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trade2026.core import metrics_columns

PERCENTILES = (5, 25, 50, 75, 95)
METRICS = ("total_return", "cagr", "sharpe", "max_drawdown")


@dataclass(frozen=True)
class McResult:
    """Metrics of every simulated path of one Monte Carlo method.

    ``metrics`` maps each name of :data:`trade2026.core.MATRIX_METRICS` to an array of shape
    (n_paths,) (definitions and edge cases in :mod:`trade2026.core`); ``ruin_limit`` is the loss
    fraction that counts as ruin; ``info`` the method's settings (block length, trades, model).
    """

    method: str
    n_paths: int
    metrics: dict[str, np.ndarray] = field(repr=False)
    ruin_limit: float
    info: dict[str, Any] = field(default_factory=dict)
    equity_bands: np.ndarray | None = field(default=None, repr=False)  # (len(PERCENTILES), n_obs + 1), see summarize

    def summary(self) -> dict[str, Any]:
        """``method``, ``n_paths``, the ``info`` entries, for each of :data:`METRICS` its percentiles
        ``p5 .. p95`` and ``mean`` over the paths where it is finite (``None`` when none is),
        ``prob_loss`` (share of paths with a negative total return), ``risk_of_ruin`` (equity at or
        below ``1 - ruin_limit`` at any time) and ``prob_drawdown_breach`` (a drawdown of at least
        ``ruin_limit`` from a peak)."""
        out: dict[str, Any] = {"method": self.method, "n_paths": self.n_paths, **self.info}
        for m in METRICS:
            v = self.metrics[m]
            v = v[np.isfinite(v)]
            out[m] = {f"p{p}": float(np.percentile(v, p)) if v.size else None for p in PERCENTILES}
            out[m]["mean"] = float(v.mean()) if v.size else None
        out["prob_loss"] = float(np.mean(self.metrics["total_return"] < 0))
        out["risk_of_ruin"] = float(np.mean(self.metrics["min_equity"] <= 1.0 - self.ruin_limit))
        out["prob_drawdown_breach"] = float(np.mean(self.metrics["max_drawdown"] <= -self.ruin_limit))
        return out


def summarize(
    method: str,
    paths: np.ndarray,
    *,
    periods_per_year: float,
    ruin_limit: float,
    info: dict[str, Any] | None = None,
) -> McResult:
    """The metrics of every path of simple returns, shape (n_paths, n_obs), annualised with
    ``periods_per_year`` (:func:`trade2026.core.metrics_columns` of the transpose), and the
    ``equity_bands``: the :data:`PERCENTILES` across paths of the compounded equity (start 1, a
    missing return counted as flat) at each step 0..n_obs, the fan chart's bands."""
    paths = np.atleast_2d(np.asarray(paths, dtype=np.float64))
    return McResult(
        method, int(paths.shape[0]), metrics_columns(paths.T, periods_per_year), ruin_limit, info or {},
        equity_bands=equity_bands(paths),
    )  # fmt: skip


def equity_bands(paths: np.ndarray) -> np.ndarray:
    """Percentiles :data:`PERCENTILES` across paths (rows) of each path's compounded equity, shape
    (len(PERCENTILES), n_obs + 1), column 0 the start (1.0)."""
    equity = np.cumprod(1.0 + np.nan_to_num(paths, nan=0.0), axis=1)
    equity = np.concatenate([np.ones((paths.shape[0], 1)), equity], axis=1)
    return np.percentile(equity, PERCENTILES, axis=0)
