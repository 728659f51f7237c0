"""The backtest report: every section names its basis, figures show the data they claim, PNG twins."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from trade2026.backtest import WalkForwardSpec, evaluate
from trade2026.backtest._report import build_report, sweep_heatmap

GRID = "fast=5:15:5,slow=20:40:10"


@pytest.fixture(scope="module")
def wf_report(bars):
    return evaluate(bars, "sma_cross", grid=GRID, walk_forward=WalkForwardSpec(train=300, test=100), benchmark="equal")


def test_every_section_names_its_basis(wf_report):
    page = build_report(wf_report)
    assert all(s.basis for s in page.sections), [s.title for s in page.sections if not s.basis]
    perf = page.sections[0]
    assert perf.title == "Performance" and perf.basis.startswith("stitched out-of-sample")
    full = next(s for s in page.sections if s.title == "Full-period backtest of the chosen parameters")
    assert "in-sample" in full.basis
    assert page.meta["benchmark"] == "equal-weight universe" and "walk-forward" in page.meta


def test_headline_figure_is_the_out_of_sample_curve(wf_report):
    page = build_report(wf_report)
    eq = next(f for f in page.figures if f.key == "equity")
    r = wf_report.returns["return"].to_numpy()
    np.testing.assert_allclose(eq.axes[0].traces[0].y, np.cumprod(1 + r) - 1)
    assert len(eq.axes) == 3  # cumulative, excess against the benchmark, drawdown
    keys = {f.key for f in page.figures}
    assert {"is_vs_oos", "is_vs_oos_all", "walk_forward", "sweep_heatmap", "drawdowns", "monthly", "trade_mae"} <= keys


def test_is_vs_oos_cloud_holds_every_set_and_the_choices(wf_report):
    from trade2026.backtest._report import is_oos_all_figure

    fig = is_oos_all_figure(wf_report)
    cloud, chosen = fig.axes[0].traces[0], fig.axes[0].traces[1]
    windows = wf_report.walk_forward.windows
    assert len(cloud.x) == len(windows) * wf_report.sweep.n_trials
    assert chosen.x == pytest.approx([w["is_sharpe"] for w in windows])
    assert all(y in cloud.y for y in chosen.y)  # the choices are points of the cloud
    assert "stitched" in fig.caption


def test_sweep_heatmap_cells_are_the_sweep_table(wf_report):
    fig = sweep_heatmap(wf_report)
    hm = fig.axes[0].traces[0]
    table = wf_report.sweep_table()
    for row in table.iter_rows(named=True):
        i, j = list(hm.y).index(row["slow"]), list(hm.x).index(row["fast"])
        assert hm.z[i, j] == pytest.approx(row["sharpe"])


def test_full_period_report_without_sweep(bars, tmp_path):
    rep = evaluate(bars, "sma_cross:fast=5,slow=20", report=tmp_path / "r.html", commission_bps=1)
    page = build_report(rep)
    assert page.sections[0].basis.startswith("full-period") and "in-sample" not in page.sections[0].basis
    assert not any(f.key in ("sweep_heatmap", "is_vs_oos") for f in page.figures)
    pngs = [p.name for p in rep.report_files[1:]]
    assert pngs == [f"r_{f.key}.png" for f in page.figures]
    assert [f.key for f in rep.report_page().figures] == [f.key for f in page.figures]  # the notebook's handle
    html = rep.report_files[0].read_text()
    assert "commission 1 bps" in html and "sma_cross:fast=5,slow=20" in html
    # trade markers: every entry of the most-traded symbol sits on its close at the entry bar
    sym_fig = next(f for f in page.figures if f.key.startswith("trades_"))
    entries = next(t for t in sym_fig.axes[0].traces if getattr(t, "name", "") == "long entry")
    sym = sym_fig.title.split(":")[0]
    closes = dict(bars.filter(pl.col("symbol") == sym).select("ts", "close").iter_rows())
    assert [closes[t] for t in entries.x] == pytest.approx(list(entries.y))
