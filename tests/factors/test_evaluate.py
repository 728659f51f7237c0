"""Factor evaluation with alphalens' definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from trade2026.errors import ConfigError
from trade2026.factors import (
    evaluate_factor,
    factor_rank_autocorrelation,
    forward_returns,
    plot_evaluation,
    quantile_turnover,
    quantize,
)
from trade2026.factors._evaluate import _rank_rows


def _prices(n_days: int = 80, n_assets: int = 25, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.cumprod(1 + rng.normal(0, 0.02, (n_days, n_assets)), axis=0)
    ts = pl.datetime_range(
        pl.datetime(2021, 1, 1), pl.datetime(2021, 1, 1) + pl.duration(days=n_days - 1), "1d", eager=True
    )
    return pl.DataFrame(
        {
            "ts": pl.concat([ts] * n_assets),
            "symbol": np.repeat([f"A{i:02d}" for i in range(n_assets)], n_days),
            "close": close.T.reshape(-1),
        }
    )


def _fwd_factor(prices: pl.DataFrame, h: int) -> pl.DataFrame:
    return (
        prices.sort("symbol", "ts")
        .with_columns((pl.col("close").shift(-h).over("symbol") / pl.col("close") - 1).alias("fwd"))
        .select("ts", "symbol", "fwd")
        .drop_nulls()
    )


def test_ic_of_the_forward_return_is_one():
    prices = _prices()
    ev = evaluate_factor(_fwd_factor(prices, 5), prices, periods=[5], quantiles=5)
    row = ev.ic_summary[0]
    assert row["ic_mean"] == pytest.approx(1.0, abs=1e-12)
    assert row["n_dates"] == 80 - 5
    # The top quantile earns the most, the bottom the least; the spread is positive.
    q = [r["mean_return"] for r in ev.quantile_returns]
    assert q == sorted(q)
    assert ev.spread[0]["mean_spread"] > 0


def test_random_factor_has_no_ic():
    prices = _prices(n_days=200, seed=1)
    rng = np.random.default_rng(7)
    fac = prices.select("ts", "symbol").with_columns(pl.Series("noise", rng.normal(size=prices.height)))
    ev = evaluate_factor(fac, prices, periods=[1, 5])
    assert all(abs(r["ic_mean"]) < 0.03 for r in ev.ic_summary)
    assert abs(ev.rank_autocorrelation) < 0.1
    # A random factor churns: about (q-1)/q of a quantile's names are new each day.
    top = next(r for r in ev.turnover if r["period"] == 1)
    assert 0.7 < top["turnover"] < 0.9


def test_quantize_matches_pandas_qcut():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 37))
    x[2, :5] = np.nan
    q = quantize(x, 5)
    for t in range(x.shape[0]):
        ok = np.isfinite(x[t])
        ref = pd.qcut(x[t, ok], 5, labels=False) + 1
        np.testing.assert_array_equal(q[t, ok], ref)
        assert (q[t, ~ok] == 0).all()


def test_turnover_and_autocorrelation_by_hand():
    labels = np.array([[1, 1, 2, 2], [1, 2, 1, 2], [1, 2, 1, 2]])
    to = quantile_turnover(labels, 1, lag=1)
    assert np.isnan(to[0]) and to[1] == 0.5 and to[2] == 0.0
    f = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]])
    ac = factor_rank_autocorrelation(_rank_rows(f), lag=1)
    assert np.isnan(ac[0]) and ac[1] == pytest.approx(1.0) and ac[2] == pytest.approx(-1.0)


def test_forward_returns_definition():
    p = np.array([[100.0], [110.0], [121.0], [133.1]])
    fr = forward_returns(p, [1, 2])
    np.testing.assert_allclose(fr[1][:3, 0], 0.1)
    np.testing.assert_allclose(fr[2][:2, 0], 0.21)
    assert np.isnan(fr[2][2:, 0]).all()


def test_plots_and_bad_options(tmp_path):
    prices = _prices(n_days=60)
    ev = evaluate_factor(_fwd_factor(prices, 1), prices, periods=[1, 5], decay=[1, 3])
    assert [r["period"] for r in ev.ic_decay] == [1, 3, 5]
    png = plot_evaluation(ev, tmp_path / "ev.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "ev_ic_qq.png").exists() and not (tmp_path / "ev_sectors.png").exists()  # no sectors given
    html = plot_evaluation(ev, tmp_path / "ev.html").read_text()
    for title in ("Information coefficient", "Returns by quantile", "Turnover and decay", "Mean IC by month"):
        assert title in html
    assert "<script src=" not in html  # self-contained: plotly.js embedded
    with pytest.raises(ConfigError):
        plot_evaluation(ev, tmp_path / "ev.pdf")
    with pytest.raises(ConfigError):
        evaluate_factor(_fwd_factor(prices, 1), prices, quantiles=1)
