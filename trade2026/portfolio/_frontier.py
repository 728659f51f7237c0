"""The efficient frontier of a risk measure, as a table and a PNG or HTML plot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trade2026.errors import ConfigError
from trade2026.portfolio._constraints import Constraints
from trade2026.portfolio._optimize import build_problem

# What riskfolio-lib's measures are, for labels: name, and whether alpha sets their tail.
RISK_NAMES = {
    "MV": ("standard deviation", False), "MAD": ("mean absolute deviation", False),
    "GMD": ("Gini mean difference", False), "MSV": ("semi standard deviation", False),
    "FLPM": ("first lower partial moment", False), "SLPM": ("second lower partial moment", False),
    "CVaR": ("CVaR", True), "TG": ("tail Gini", True), "EVaR": ("EVaR", True), "WR": ("worst realisation", False),
    "RG": ("range", False), "CVRG": ("CVaR range", True), "TGRG": ("tail Gini range", True),
    "EVRG": ("EVaR range", True), "MDD": ("maximum drawdown", False), "ADD": ("average drawdown", False),
    "CDaR": ("CDaR", True), "EDaR": ("EDaR", True), "UCI": ("ulcer index", False),
    "KT": ("square root kurtosis", False), "SKT": ("square root semi kurtosis", False),
    "EM": ("entropic risk measure", True), "ESM": ("entropic semi-risk measure", True),
}  # fmt: skip
DRAWDOWN_MEASURES = {"MDD", "ADD", "CDaR", "EDaR", "UCI"}


def period_name(periods_per_year: float) -> str:
    """``daily``, ``weekly``, ``monthly`` for the usual bar counts a year, else ``per bar (N a year)``."""
    for name, lo, hi in (("daily", 240, 370), ("weekly", 50, 54), ("monthly", 12, 12)):
        if lo <= periods_per_year <= hi:
            return name
    return f"per bar ({periods_per_year:g} a year)"


def risk_label(rm: str, *, alpha: float, periods_per_year: float) -> str:
    """What a frontier's ``risk`` values are, e.g. ``"CVaR 95% of daily returns"``; drawdown
    measures are of the summed (uncompounded) returns, as riskfolio-lib defines them. The units are
    fractions of portfolio value, never annualised."""
    name, tail = RISK_NAMES.get(rm, (rm, False))
    if tail:
        name = f"{name} {1 - alpha:.0%}"
    if rm in DRAWDOWN_MEASURES:
        return f"{name} of the cumulative {period_name(periods_per_year)} returns (uncompounded, over the lookback)"
    return f"{name} of {period_name(periods_per_year)} returns"


@dataclass(frozen=True)
class Frontier:
    """Frontier portfolios from lowest to highest risk.

    ``points``: dicts with ``point``, ``expected_return`` and ``volatility`` (annualised), ``risk``
    (the measure the frontier was optimised for, riskfolio-lib's definition, NOT annualised: per
    bar of the returns, see :attr:`risk_label`, as a fraction of value), ``sharpe`` (annualised,
    return over volatility) and ``weights`` (symbol -> weight). ``assets``: each symbol's
    annualised expected return and volatility and its own ``risk`` (all in it).
    """

    rm: str
    symbols: tuple[str, ...]
    points: list[dict[str, Any]]
    assets: list[dict[str, Any]]
    notes: tuple[str, ...] = field(default=())
    alpha: float = 0.05
    periods_per_year: float = 252

    @property
    def max_sharpe_point(self) -> int:
        return int(np.nanargmax([p["sharpe"] for p in self.points]))

    @property
    def risk_label(self) -> str:
        return risk_label(self.rm, alpha=self.alpha, periods_per_year=self.periods_per_year)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rm": self.rm,
            "risk_label": self.risk_label,
            "risk_basis": period_name(self.periods_per_year),
            "alpha": self.alpha,
            "periods_per_year": self.periods_per_year,
            "points": self.points,
            "assets": self.assets,
            "max_sharpe_point": self.max_sharpe_point,
            "notes": list(self.notes),
        }


def efficient_frontier(
    returns: Any,
    *,
    rm: str = "mv",
    points: int = 20,
    mean: str = "hist",
    cov: str = "ledoit_wolf",
    constraints: Constraints | None = None,
    periods_per_year: float = 252,
    alpha: float = 0.05,
    rf_rate: float = 0.0,
    mean_params: dict[str, Any] | None = None,
    cov_params: dict[str, Any] | None = None,
) -> Frontier:
    """Trace ``points`` portfolios on the mean-``rm`` efficient frontier (riskfolio-lib).

    Parameters are as for :func:`trade2026.portfolio.optimize`; ``rm`` is any convex risk measure
    name (``mv``, ``cvar``, ``cdar``, ``mad``, ...), ``rf_rate`` is annual.
    """
    from trade2026.portfolio import _riskfolio as rf

    if not 2 <= points <= 200:
        msg = f"points must be between 2 and 200, got {points}"
        raise ConfigError(msg)
    c = constraints or Constraints()
    if c.max_assets is not None:
        msg = "max_assets is not available for the frontier"
        raise ConfigError(msg)
    p = build_problem(
        returns,
        mean=mean,
        cov=cov,
        mean_params=mean_params,
        cov_params=cov_params,
        constraints=c,
        periods_per_year=periods_per_year,
        alpha=alpha,
    )
    rm_name = rf.risk_measure(rm)
    ws = rf.efficient_frontier(p, rm=rm_name, points=points, rf=rf_rate / periods_per_year)
    ppy = periods_per_year
    rows: list[dict[str, Any]] = []
    for i, w in enumerate(ws):
        er = float(w @ p.mu) * ppy
        vol = float(np.sqrt(max(float(w @ p.cov @ w), 0.0) * ppy))
        rows.append(
            {
                "point": i,
                "expected_return": er,
                "volatility": vol,
                "risk": rf.risk_value(p, w, rm=rm_name),
                "sharpe": (er - rf_rate) / vol if vol > 0 else float("nan"),
                "weights": {s: float(v) for s, v in zip(p.symbols, w, strict=True)},
            }
        )
    rows.sort(key=lambda r: r["risk"])
    for i, r in enumerate(rows):
        r["point"] = i
    sd = np.sqrt(np.diag(p.cov) * ppy)
    eye = np.eye(len(p.symbols))
    assets = [
        {"symbol": s, "expected_return": float(m * ppy), "volatility": float(v),
         "risk": rf.risk_value(p, eye[i], rm=rm_name)}
        for i, (s, m, v) in enumerate(zip(p.symbols, p.mu, sd, strict=True))
    ]  # fmt: skip
    return Frontier(rm_name, p.symbols, rows, assets, tuple(p.notes), alpha=alpha, periods_per_year=ppy)


def plot_frontier(front: Frontier, path: str | Path) -> Path:
    """Write the frontier report: expected return against the risk measure the frontier was
    optimised for (:attr:`Frontier.risk_label`), weights along it, the points. A ``.html`` path
    gets the page (PNG figures beside it as ``<stem>_<key>.png``), a ``.png`` path the frontier
    chart (the weights chart beside it). Returns the main file."""
    from trade2026.portfolio._pages import frontier_page, write_page

    out = Path(path)
    if out.suffix.lower() not in (".png", ".html"):
        msg = f"plot file must end in .png or .html, got {out.name}"
        raise ConfigError(msg)
    return write_page(frontier_page(front), out)[0]
