"""The efficient frontier of a risk measure, as a table and a PNG or HTML plot."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trade2026.errors import ConfigError
from trade2026.portfolio._constraints import Constraints
from trade2026.portfolio._optimize import build_problem


@dataclass(frozen=True)
class Frontier:
    """Frontier portfolios from lowest to highest risk.

    ``points``: dicts with ``point``, ``expected_return`` and ``volatility`` (annual), ``risk``
    (the chosen risk measure, per period, riskfolio-lib's definition), ``sharpe`` (annual,
    return over volatility) and ``weights`` (symbol -> weight).
    """

    rm: str
    symbols: tuple[str, ...]
    points: list[dict[str, Any]]
    assets: list[dict[str, Any]]
    notes: tuple[str, ...] = field(default=())

    @property
    def max_sharpe_point(self) -> int:
        return int(np.nanargmax([p["sharpe"] for p in self.points]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rm": self.rm,
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
    assets = [
        {"symbol": s, "expected_return": float(m * ppy), "volatility": float(v)}
        for s, m, v in zip(p.symbols, p.mu, sd, strict=True)
    ]
    return Frontier(rm_name, p.symbols, rows, assets, tuple(p.notes))


def plot_frontier(front: Frontier, path: str | Path) -> Path:
    """Write the frontier (volatility vs expected return, coloured by Sharpe) as .png or .html."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(path)
    if out.suffix.lower() not in (".png", ".html"):
        msg = f"plot file must end in .png or .html, got {out.name}"
        raise ConfigError(msg)
    out.parent.mkdir(parents=True, exist_ok=True)
    vol = [p["volatility"] for p in front.points]
    ret = [p["expected_return"] for p in front.points]
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.plot(vol, ret, color="0.6", linewidth=1, zorder=1)
    sc = ax.scatter(vol, ret, c=[p["sharpe"] for p in front.points], cmap="viridis", zorder=2)
    fig.colorbar(sc, ax=ax, label="Sharpe ratio")
    best = front.points[front.max_sharpe_point]
    ax.scatter([best["volatility"]], [best["expected_return"]], marker="*", s=220, color="crimson", zorder=3)
    for a in front.assets:
        ax.scatter([a["volatility"]], [a["expected_return"]], marker="x", color="0.3", zorder=2)
        ax.annotate(
            a["symbol"], (a["volatility"], a["expected_return"]), fontsize=7, xytext=(3, 3), textcoords="offset points"
        )
    ax.set_xlabel("volatility (annual)")
    ax.set_ylabel("expected return (annual)")
    ax.set_title(f"Efficient frontier (optimised for {front.rm})")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    if out.suffix.lower() == ".png":
        fig.savefig(out, dpi=110)
        plt.close(fig)
        return out
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    img = base64.b64encode(buf.getvalue()).decode()
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ("point", "expected_return", "volatility", "risk", "sharpe"))
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{p[c]:.4f}</td>" if c != "point" else f"<td>{p[c]}</td>"
            for c in ("point", "expected_return", "volatility", "risk", "sharpe")
        )
        + "</tr>"
        for p in front.points
    )
    syms = list(front.symbols)
    wt_head = "<th>point</th>" + "".join(f"<th>{html.escape(s)}</th>" for s in syms)
    wt_body = "".join(
        f"<tr><td>{p['point']}</td>" + "".join(f"<td>{p['weights'][s]:.3f}</td>" for s in syms) + "</tr>"
        for p in front.points
    )
    out.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Efficient frontier</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:2px 6px;text-align:right}</style></head><body>"
        f"<h1>Efficient frontier ({html.escape(front.rm)})</h1><img src='data:image/png;base64,{img}'>"
        f"<h2>Points</h2><table><tr>{head}</tr>{body}</table>"
        f"<h2>Weights</h2><table><tr>{wt_head}</tr>{wt_body}</table></body></html>"
    )
    return out
