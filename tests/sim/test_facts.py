"""Stylized facts: the statistics on known series and the calibrated default PRISM market."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from trade2026.errors import DataError
from trade2026.sim import fit_garch, stylized_facts
from trade2026.sim._facts import aggregate, hill_tail_index, segmented_acf
from trade2026.sim.prism import PrismConfig, simulate


def _bars(
    closes: np.ndarray, *, symbol: str = "X", minutes: bool = True, volume: np.ndarray | None = None
) -> pl.DataFrame:
    n = closes.size
    start = dt.datetime(2024, 1, 2, 14, 30, tzinfo=dt.UTC)
    step = dt.timedelta(minutes=1) if minutes else dt.timedelta(days=1)
    ts = [start + i * step for i in range(n)]
    return pl.DataFrame(
        {
            "symbol": symbol,
            "ts": ts,
            "open": closes,
            "high": closes,
            "low": closes,
            "close": closes,
            "volume": volume if volume is not None else np.ones(n),
        }
    )


def test_hill_index_of_pareto_tails() -> None:
    # |x| Pareto with tail index 3: the Hill estimator recovers it (Hill 1975)
    rng = np.random.default_rng(0)
    x = rng.pareto(3.0, 200_000) + 1.0
    assert hill_tail_index(x, frac=0.05) == pytest.approx(3.0, rel=0.05)


def test_acf_never_pairs_across_segments() -> None:
    x = np.array([1.0, -1.0, 1.0, -1.0] * 50)
    seg = np.repeat(np.arange(100), 2)
    acf = segmented_acf(x, seg, 3)
    assert acf[0] == pytest.approx(-1.0)
    assert np.isnan(acf[1])  # no pairs two apart inside a 2-long segment
    assert aggregate(np.arange(6.0), np.array([0, 0, 0, 1, 1, 1]), 2).tolist() == [1.0, 7.0]


def test_gaussian_random_walk_fails_heavy_tail_facts() -> None:
    rng = np.random.default_rng(1)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 1e-3, 5000)))
    rep = stylized_facts(_bars(closes, volume=rng.uniform(1, 2, 5000)))
    by = {f.name: f for f in rep.facts}
    assert by["no_autocorrelation"].passed
    assert not by["heavy_tails"].passed
    assert not by["volatility_clustering"].passed
    assert not by["volume_volatility"].passed


def test_garch_recovers_parameters() -> None:
    from trade2026.sim._garch import Garch11

    true = Garch11(mu=0.0, omega=0.05, alpha=0.1, beta=0.85)
    r = true.simulate(20_000, np.random.default_rng(2))
    g = fit_garch(r)
    assert g.alpha == pytest.approx(0.1, abs=0.03)
    assert g.beta == pytest.approx(0.85, abs=0.04)
    z = g.standardized_residuals(r)
    assert abs(np.mean(z**2) - 1) < 0.05


def test_daily_bars_segment_by_symbol_and_short_input_rejected() -> None:
    rng = np.random.default_rng(3)
    frames = [_bars(100 * np.exp(np.cumsum(rng.standard_t(4, 300) * 0.01)), symbol=s, minutes=False) for s in "AB"]
    rep = stylized_facts(pl.concat(frames))
    assert rep.n_segments == 2 and rep.n_returns == 2 * 299
    with pytest.raises(DataError, match="at least"):
        stylized_facts(frames[0].head(50))
    with pytest.raises(DataError, match="close"):
        stylized_facts(frames[0].drop("close"))


def test_default_market_shows_every_stylized_fact() -> None:
    # The calibrated default (documented in trade2026/sim/prism/_config.py) over the CLI's default
    # five days: all of Cont's (2001) facts inside their bands.
    run = simulate(PrismConfig(days=5, seed=7))
    rep = stylized_facts(run.frames()["bars_1m"])
    failed = [(f.name, f.value) for f in rep.facts if not f.passed]
    assert not failed
    assert rep.n_returns > 1500


def test_kurtosis_is_named_by_its_definition() -> None:
    """One definition of ``kurtosis`` (Pearson, normal = 3, as in backtests); excess is named so."""
    from trade2026.core import returns_metrics

    rng = np.random.default_rng(3)
    r = rng.standard_t(5, 4000) * 0.01
    rep = stylized_facts(_bars(100 * np.exp(np.cumsum(r)), minutes=False))  # daily: one segment
    x = np.diff(np.log(100 * np.exp(np.cumsum(r))))
    xc = x - x.mean()
    pearson = float(np.mean(xc**4) / np.mean(xc**2) ** 2)  # independent loop-free oracle
    assert rep.kurtosis_by_horizon[1] == pytest.approx(pearson, rel=1e-9)
    assert rep.excess_kurtosis_by_horizon[1] == pytest.approx(pearson - 3, rel=1e-9)
    assert returns_metrics(x, 252)["kurtosis"] == pytest.approx(pearson, rel=1e-9)  # the backtests' kurtosis
    d = rep.to_dict()
    assert d["kurtosis_by_horizon"]["1"] == pytest.approx(d["excess_kurtosis_by_horizon"]["1"] + 3)
    heavy = next(f for f in d["facts"] if f["name"] == "heavy_tails")
    assert "excess kurtosis" in heavy["statistic"] and heavy["value"] == pytest.approx(pearson - 3, rel=1e-9)
