"""trade2026.reports: one spec feeds both renderers, pages are self-contained, numbers read as percentages."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import trade2026.reports as R


@pytest.fixture
def series() -> tuple[pl.Series, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    n = 400
    t0 = dt.datetime(2021, 1, 4, tzinfo=dt.UTC)
    ts = pl.datetime_range(t0, t0 + dt.timedelta(days=n - 1), "1d", eager=True, time_unit="us")
    return ts, rng.normal(4e-4, 0.01, n), rng.normal(3e-4, 0.01, n)


def test_public_names_sorted_and_present() -> None:
    assert R.__all__ == sorted(R.__all__)
    for name in R.__all__:
        assert hasattr(R, name)


def test_import_is_light() -> None:
    code = "import sys, trade2026.reports; print(sorted(m for m in ('plotly', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_page_is_self_contained_with_one_plotly_and_the_same_figures_as_png(series, tmp_path: Path) -> None:
    ts, r, b = series
    rep = R.Report("Backtest x on AAPL, MSFT", meta={"symbols": ["AAPL", "MSFT"], "start": ts[0]})
    rep.section("Performance", basis="full period").metrics({"total_return": 0.1234, "sharpe": 1.5})
    sec = rep.section("Figures")
    sec.figure(R.equity_figure(ts, r, benchmark=b)).figure(R.monthly_heatmap(ts, r)).figure(None)
    sec.figure(R.rolling_figure(ts, r, window=60, periods_per_year=252, benchmark=b))
    files = rep.write(tmp_path / "rep.html")
    assert files[0] == tmp_path / "rep.html"
    assert [f.name for f in files[1:]] == ["rep_equity.png", "rep_monthly.png", "rep_rolling.png"]
    for png in files[1:]:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = files[0].read_text()
    from plotly.offline import get_plotlyjs

    assert page.count(get_plotlyjs()[:200]) == 1  # the bundle, embedded exactly once
    after = page[page.index("</script>") :]
    assert "<script src" not in page and not re.search(r"https?://", after)  # nothing fetched
    assert page.count("Plotly.newPlot") == 3
    assert "12.34%" in page and "Basis: full period" in page and "AAPL, MSFT" in page


def test_page_without_figures_skips_plotly(tmp_path: Path) -> None:
    rep = R.Report("tables only")
    rep.section("t").table([{"metric": "cagr", "value": 0.05}])
    html = rep.to_html()
    assert "plotly" not in html.lower() and "5.00%" in html


def test_duplicate_figure_keys_are_refused(series) -> None:
    ts, r, _ = series
    rep = R.Report("dup")
    rep.section("a").figure(R.equity_figure(ts, r)).figure(R.equity_figure(ts, r))
    with pytest.raises(ValueError, match="unique"):
        rep.to_html()


def test_one_spec_two_renderers_draw_the_same_data(series) -> None:
    from trade2026.reports._mpl import to_matplotlib
    from trade2026.reports._plotly import to_plotly

    ts, r, _ = series
    fig = R.equity_figure(ts, r)
    eq = np.cumprod(1 + r) - 1
    pf = to_plotly(fig)
    np.testing.assert_allclose(np.asarray(pf.data[0].y, dtype=float), eq)
    mf = to_matplotlib(fig)
    np.testing.assert_allclose(mf.axes[0].lines[0].get_ydata(), eq)


def test_monthly_heatmap_cells_are_compounded_months(series) -> None:
    ts, r, _ = series
    fig = R.monthly_heatmap(ts, r)
    z = np.asarray(fig.axes[0].traces[0].z)
    months = pl.DataFrame({"ts": ts, "r": r}).group_by_dynamic("ts", every="1mo").agg((pl.col("r") + 1).product() - 1)
    jan_2021 = months["r"][0]
    assert z[0, 0] == pytest.approx(jan_2021)
    assert np.isfinite(z).sum() == months.height


def test_fan_chart_bands_are_percentiles() -> None:
    paths = np.arange(100, dtype=float)[None, :].repeat(3, axis=0)  # every step: values 0..99
    fig = R.fan_chart(np.arange(3), paths, percentiles=(5, 50, 95))
    band, median = fig.axes[0].traces[0], fig.axes[0].traces[1]
    assert band.lo[0] == pytest.approx(np.percentile(np.arange(100), 5)) and median.y[0] == pytest.approx(49.5)


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("total_return", 0.1234, "12.34%"),
        ("oos_total_return", -0.5, "-50.00%"),
        ("max_drawdown", -0.2, "-20.00%"),
        ("var_95", -0.0123, "-1.23%"),
        ("sharpe", 1.23456, "1.23"),
        ("n_obs", 1234, "1,234"),
        ("capital", 1_000_000.0, "1,000,000"),
        ("sharpe", float("nan"), "n/a"),
    ],
)
def test_format(name: str, value: float, text: str) -> None:
    assert R.format_value(value, percent=R.is_percent(name)) == text


def test_small_numbers_have_no_exponent() -> None:
    assert "e" not in R.format_value(0.000123) and R.format_value(0.000123) == "0.000123"
