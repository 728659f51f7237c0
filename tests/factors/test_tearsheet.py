"""The tear-sheet parts of the factor evaluation, each against an independent loop over dates and
names written from alphalens' documented definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

from trade2026.factors import evaluate_factor

N_DAYS, N_ASSETS, Q = 70, 18, 3
SECTOR = {f"A{i:02d}": ("tech", "energy", "banks")[i % 3] for i in range(N_ASSETS)}


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(11)
    close = 100 * np.cumprod(1 + rng.normal(0, 0.02, (N_DAYS, N_ASSETS)), axis=0)
    ts = pl.datetime_range(pl.datetime(2021, 1, 1), pl.datetime(2021, 1, 1) + pl.duration(days=N_DAYS - 1), eager=True)
    names = [f"A{i:02d}" for i in range(N_ASSETS)]
    prices = pl.DataFrame(
        {"ts": pl.concat([ts] * N_ASSETS), "symbol": np.repeat(names, N_DAYS), "close": close.T.reshape(-1)}
    )
    # A persistent factor (so turnover is neither 0 nor 1) with holes.
    f = np.cumsum(rng.normal(size=(N_DAYS, N_ASSETS)), axis=0)
    f[rng.random(f.shape) < 0.1] = np.nan
    fac = pl.DataFrame(
        {"ts": pl.concat([ts] * N_ASSETS), "symbol": np.repeat(names, N_DAYS), "f": f.T.reshape(-1)}
    ).drop_nans()
    ev = evaluate_factor(fac, prices, periods=[1, 3], quantiles=Q, commission_bps=10.0, sectors=SECTOR)
    return {"ev": ev, "close": close, "f": f, "names": names, "dates": ts.to_list()}


def _fwd(close: np.ndarray, t: int, h: int) -> np.ndarray:
    return close[t + h] / close[t] - 1 if t + h < len(close) else np.full(close.shape[1], np.nan)


def _labels(f: np.ndarray) -> list[dict[int, int]]:
    """name index -> quantile per date, by pandas.qcut (alphalens' quantize_factor)."""
    out = []
    for t in range(f.shape[0]):
        ok = np.flatnonzero(np.isfinite(f[t]))
        q = pd.qcut(f[t, ok], Q, labels=False) + 1
        out.append(dict(zip(ok.tolist(), q.tolist(), strict=True)))
    return out


def test_ic_is_the_spearman_correlation_per_date(case):
    ev, close, f = case["ev"], case["close"], case["f"]
    got = ev.ic.get_column("ic_3d").to_list()
    for t in range(N_DAYS):
        r = _fwd(close, t, 3)
        ok = np.isfinite(f[t]) & np.isfinite(r)
        if ok.sum() < 3:
            assert got[t] is None
            continue
        assert got[t] == pytest.approx(stats.spearmanr(f[t, ok], r[ok]).statistic, abs=1e-12)
    ics = np.array([v for v in got if v is not None])
    row = ev.ic_summary[1]
    assert row["ic_skew"] == pytest.approx(stats.skew(ics), rel=1e-10)
    assert row["ic_excess_kurtosis"] == pytest.approx(stats.kurtosis(ics), rel=1e-10)


def test_monthly_ic_is_the_mean_over_each_month(case):
    ev = case["ev"]
    s = ev.ic.to_pandas().set_index("ts")["ic_1d"].astype(float)
    ref = s.groupby(s.index.strftime("%Y-%m")).mean()
    got = {r["month"]: r["ic_1d"] for r in ev.ic_monthly}
    assert list(got) == list(ref.index)
    np.testing.assert_allclose(list(got.values()), ref.to_numpy(), rtol=1e-12)


def test_turnover_is_the_share_of_names_new_to_each_quantile(case):
    ev, f = case["ev"], case["f"]
    lab = _labels(f)
    for h in (1, 3):
        for q in range(1, Q + 1):
            shares = []
            for t in range(h, N_DAYS):
                now = {i for i, v in lab[t].items() if v == q}
                before = {i for i, v in lab[t - h].items() if v == q}
                shares.append(len(now - before) / len(now))
            row = next(r for r in ev.turnover if r["period"] == h and r["quantile"] == q)
            assert row["turnover"] == pytest.approx(np.mean(shares), rel=1e-12)
    series = ev.turnover_series.get_column(f"q{Q}").to_list()
    assert series[0] is None and series[5] == pytest.approx(
        len({i for i, v in lab[5].items() if v == Q} - {i for i, v in lab[4].items() if v == Q})
        / sum(v == Q for v in lab[5].values())
    )


def test_spread_net_of_costs_charges_the_traded_weight_of_both_legs(case):
    ev, close, f = case["ev"], case["close"], case["f"]
    lab = _labels(f)
    for h in (1, 3):
        gross, net = [], []
        for t in range(N_DAYS - h):
            r = _fwd(close, t, h)
            legs = {}
            traded = 0.0
            for q in (1, Q):
                members = [i for i, v in lab[t].items() if v == q]
                w = dict.fromkeys(members, 1 / len(members))
                prev_members = [i for i, v in lab[t - h].items() if v == q] if t >= h else []
                wp = dict.fromkeys(prev_members, 1 / len(prev_members)) if prev_members else {}
                traded += sum(abs(w.get(i, 0) - wp.get(i, 0)) for i in set(w) | set(wp))
                legs[q] = np.mean([r[i] for i in members])
            g = legs[Q] - legs[1]
            gross.append(g)
            net.append(g - traded * 10.0 / 1e4)
        row = next(r for r in ev.spread if r["period"] == h)
        assert row["mean_spread"] == pytest.approx(np.mean(gross), rel=1e-10)
        assert row["mean_spread_net"] == pytest.approx(np.mean(net), rel=1e-10)
        assert row["mean_cost"] > 0
        np.testing.assert_allclose(ev.spread_series.get_column(f"spread_net_{h}d").to_numpy()[: N_DAYS - h], net)


def test_cumulative_returns_per_quantile_compound_the_demeaned_daily_means(case):
    ev, close, f = case["ev"], case["close"], case["f"]
    lab = _labels(f)
    growth = np.ones(Q)
    for t in range(N_DAYS - 1):
        r = _fwd(close, t, 1)
        everyone = np.mean([r[i] for i in lab[t]])
        for q in range(1, Q + 1):
            growth[q - 1] *= 1 + np.mean([r[i] for i, v in lab[t].items() if v == q]) - everyone
    np.testing.assert_allclose([r["total_return"] for r in ev.quantile_cumulative], growth - 1, rtol=1e-10)


def test_sector_breakdown_by_loop(case):
    ev, close, f, names = case["ev"], case["close"], case["f"], case["names"]
    lab = _labels(f)
    for sector in ("banks", "energy", "tech"):
        cols = [i for i, n in enumerate(names) if SECTOR[n] == sector]
        ics, top, bot = [], [], []
        for t in range(N_DAYS - 1):
            r = _fwd(close, t, 1)
            ok = [i for i in cols if np.isfinite(f[t, i])]
            if len(ok) >= 3:
                ics.append(stats.spearmanr(f[t, ok], r[ok]).statistic)
            mean_all = np.mean([r[i] for i in lab[t]])
            top += [r[i] - mean_all for i in ok if lab[t][i] == Q]
            bot += [r[i] - mean_all for i in ok if lab[t][i] == 1]
        row = next(r for r in ev.sectors if r["sector"] == sector and r["period"] == 1)
        assert row["n_symbols"] == len(cols)
        assert row["ic_mean"] == pytest.approx(np.nanmean(ics), rel=1e-10)
        assert row["mean_spread"] == pytest.approx(np.mean(top) - np.mean(bot), rel=1e-10)


def test_no_sectors_and_bad_costs(case):
    from trade2026.errors import ConfigError

    ev = case["ev"]
    assert ev.to_dict()["commission_bps"] == 10.0
    assert ev.start == case["dates"][0]
    prices = pl.DataFrame({"ts": case["dates"] * 1, "symbol": ["A"] * N_DAYS, "close": case["close"][:, 0]})
    with pytest.raises(ConfigError, match="commission_bps"):
        evaluate_factor(prices.rename({"close": "f"}), prices, commission_bps=-1.0)
