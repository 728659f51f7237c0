"""The Monte Carlo report: fan-chart bands are percentiles of the paths' equity, step by step."""

from __future__ import annotations

import numpy as np
import pytest

from trade2026.sim import monte_carlo
from trade2026.sim._plot import fan_figure, mc_report
from trade2026.sim._summary import equity_bands


def test_equity_bands_are_percentiles_of_each_paths_equity_at_each_step():
    rng = np.random.default_rng(5)
    paths = rng.normal(0.001, 0.02, (200, 30))
    paths[3, 7] = np.nan  # a missing return counts as flat
    bands = equity_bands(paths)
    assert bands.shape == (5, 31)
    for t in range(31):
        eq = []
        for row in paths:
            v = 1.0
            for x in row[:t]:
                v *= 1.0 + (0.0 if np.isnan(x) else x)
            eq.append(v)
        np.testing.assert_allclose(bands[:, t], np.percentile(eq, [5, 25, 50, 75, 95]), rtol=1e-12)


def test_fan_chart_and_report(tmp_path):
    rng = np.random.default_rng(1)
    r = rng.normal(0.0005, 0.01, 250)
    rep = monte_carlo(returns=r, n_paths=50, seed=3)
    fig = fan_figure(rep.results[0], rep.observed_returns)
    bands = [t for t in fig.axes[0].traces if type(t).__name__ == "Band"]
    assert [t.name for t in bands] == ["5-95th percentile", "25-75th percentile"]
    np.testing.assert_allclose(bands[0].lo, rep.results[0].equity_bands[0])
    observed = next(t for t in fig.axes[0].traces if getattr(t, "name", "") == "observed")
    assert observed.y[-1] == pytest.approx(np.prod(1 + r))
    page = mc_report(rep).to_html()
    assert "Equity paths" in page and "Loss and ruin" in page
    main = rep.plot(tmp_path / "mc")  # no suffix: a PNG
    assert main.name == "mc.png" and main.read_bytes()[:4] == b"\x89PNG"
    html = rep.plot(tmp_path / "mc.html")
    assert html.exists() and (tmp_path / "mc_fan_bootstrap.png").exists()
