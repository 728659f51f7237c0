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


def test_frontier_plots(returns, tmp_path):
    front = efficient_frontier(returns, points=4, cov="sample")
    png = plot_frontier(front, tmp_path / "f.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    page = plot_frontier(front, tmp_path / "f.html").read_text()
    assert "data:image/png;base64," in page and "S0" in page
    with pytest.raises(ConfigError, match=r"\.png or \.html"):
        plot_frontier(front, tmp_path / "f.svg")
