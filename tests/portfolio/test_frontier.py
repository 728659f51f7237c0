"""The efficient frontier: ordered, on budget, the min-risk end is the min-variance portfolio."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trade2026.errors import ConfigError
from trade2026.portfolio import Constraints, optimize
from trade2026.portfolio._frontier import efficient_frontier, plot_frontier


def test_mv_frontier_is_ordered_and_starts_at_min_variance(returns):
    front = efficient_frontier(returns, rm="mv", points=8, cov="sample")
    vols = [p["volatility"] for p in front.points]
    rets = [p["expected_return"] for p in front.points]
    assert vols == sorted(vols)
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(rets))  # efficient: return rises with risk
    for p in front.points:
        assert sum(p["weights"].values()) == pytest.approx(1.0, abs=1e-6)
    mv = optimize(returns, "min_var", cov="sample")
    assert vols[0] == pytest.approx(mv.volatility, rel=1e-3)
    # volatility and riskfolio's MV risk (per-period standard deviation) agree
    assert front.points[0]["risk"] * np.sqrt(252) == pytest.approx(vols[0], rel=1e-6)


def test_cvar_frontier_with_a_weight_cap(returns):
    front = efficient_frontier(returns, rm="cvar", points=5, cov="sample", constraints=Constraints(max_weight=0.4))
    risks = [p["risk"] for p in front.points]
    assert risks == sorted(risks)
    assert max(max(p["weights"].values()) for p in front.points) <= 0.4 + 1e-5


def _hist_cvar(x: np.ndarray, alpha: float) -> float:
    """Historical CVaR of returns x (a positive loss): riskfolio-lib's CVaR_Hist, from its documentation."""
    s = np.sort(x)
    k = int(np.ceil(alpha * len(s))) - 1
    var = -s[k]
    return var + np.maximum(-s - var, 0).sum() / (alpha * len(s))


def test_cvar_frontier_names_its_basis_and_plots_against_cvar(returns, tmp_path):
    from trade2026.portfolio._pages import frontier_page

    front = efficient_frontier(returns, rm="cvar", points=4, cov="sample", alpha=0.05)
    assert front.risk_label == "CVaR 95% of daily returns"
    d = front.to_dict()
    assert d["risk_basis"] == "daily" and d["alpha"] == 0.05
    r = returns.to_numpy()
    for p in front.points:  # the risk is the daily historical CVaR of the portfolio, not annualised
        w = np.array([p["weights"][s] for s in returns.columns])
        assert p["risk"] == pytest.approx(_hist_cvar(r @ w, 0.05), rel=1e-6)
    for j, a in enumerate(front.assets):
        assert a["risk"] == pytest.approx(_hist_cvar(r[:, j], 0.05), rel=1e-6)
    fig = next(f for f in frontier_page(front).figures if f.key == "frontier")
    line = fig.axes[0].traces[0]
    assert list(line.x) == [p["risk"] for p in front.points]  # x is what the frontier was optimised for
    assert fig.axes[0].x_label == "CVaR 95% of daily returns"


def test_frontier_plots(returns, tmp_path):
    front = efficient_frontier(returns, points=4, cov="sample")
    png = plot_frontier(front, tmp_path / "f.png")
    assert png.read_bytes()[:4] == b"\x89PNG" and (tmp_path / "f_frontier_weights.png").exists()
    page = plot_frontier(front, tmp_path / "f.html").read_text()
    assert "standard deviation of daily returns" in page and "S0" in page
    with pytest.raises(ConfigError, match=r"\.png or \.html"):
        plot_frontier(front, tmp_path / "f.svg")
