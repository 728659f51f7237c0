"""Attribution on a saved style model, against loops over the saved tables; the shared design builder."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tests.factors.conftest import synthetic_universe
from trade2026.errors import DataError, InputError
from trade2026.factors import attribution_report, design_cube, risk_attribution, stored_design, style_report


def test_design_cube_places_market_sectors_and_styles() -> None:
    beta = np.arange(6.0).reshape(2, 3)
    X = design_cube(["market", "sector:A", "sector:B", "beta"], {"beta": beta}, ["A", None, "B"], (2, 3))
    assert X.shape == (2, 3, 4)
    assert (X[:, :, 0] == 1.0).all() and (X[:, :, 3] == beta).all()
    assert X[0, 0, 1:3].tolist() == [1.0, 0.0] and X[1, 2, 1:3].tolist() == [0.0, 1.0]
    assert np.isnan(X[:, 1, 1:3]).all()  # no sector: no regression uses the asset
    with pytest.raises(DataError, match="no exposures for factor 'size'"):
        design_cube(["market", "size"], {"beta": beta}, None, (2, 3))


@pytest.fixture
def style_lake(lake):
    u = synthetic_universe(n_assets=24, n_days=330, n_sectors=3, seed=4)
    bars = u["bars"].with_columns(open=pl.col("close"), high=pl.col("close"), low=pl.col("close"))
    lake.write("bars_1d", bars, mode="overwrite")
    lake.write("symbols", u["meta"], mode="overwrite")
    style_report(lake, factors=["beta", "volatility", "size"]).save(lake)
    return lake


def test_stored_design_rebuilds_the_saved_rows(style_lake) -> None:
    ex = style_lake.read("style_exposures")
    names = list(dict.fromkeys(style_lake.read("factor_covariance")["factor"].to_list()))
    syms = ["S005", "S000", "NOPE"]  # any order; a symbol without rows gets zeros
    dates, cube = stored_design(ex.filter(pl.col("symbol") != "S000").vstack(ex.filter(pl.col("symbol") == "S000")),
                                names, syms)  # fmt: skip
    assert dates.to_list() == sorted(ex["ts"].unique().to_list())
    assert (cube[:, 2] == 0).all()
    for row in ex.filter(pl.col("symbol").is_in(syms[:2])).sample(20, seed=1).iter_rows(named=True):
        t, j = dates.to_list().index(row["ts"]), syms.index(row["symbol"])
        want = [1.0 if n == "market" else float(row["sector"] == n[7:]) if n.startswith("sector:") else row[n]
                for n in names]  # fmt: skip
        assert cube[t, j] == pytest.approx(want)


def test_attribution_matches_loops_over_the_saved_tables(style_lake) -> None:
    lake = style_lake
    w = {"S001": 0.5, "S002": 0.3, "S010": 0.2}
    b = {"S001": 0.2, "S020": 0.8}
    rep = attribution_report(lake, w, benchmark=b)
    ex = lake.read("style_exposures")
    cov = lake.read("factor_covariance")
    names = list(dict.fromkeys(cov["factor"].to_list()))
    last = ex["ts"].max()
    cur = ex.filter(pl.col("ts") == last).sort("symbol")
    spec = dict(lake.read("specific_risk").select("symbol", "specific_var").iter_rows())

    def x_of(row: dict) -> list[float]:
        return [1.0 if n == "market" else float(row["sector"] == n[7:]) if n.startswith("sector:") else row[n]
                for n in names]  # fmt: skip

    syms = cur["symbol"].to_list()
    X = np.array([x_of(r) for r in cur.iter_rows(named=True)])
    active = np.array([w.get(s, 0.0) - b.get(s, 0.0) for s in syms])
    want = risk_attribution(
        active, X, cov["value"].to_numpy().reshape(len(names), -1), np.array([spec[s] for s in syms]),
        factor_names=names, periods_per_year=365.25,  # the fixture's dates are every calendar day: 24x7
    )  # fmt: skip
    assert rep.risk.active and rep.risk.total_risk == pytest.approx(want.total_risk, rel=1e-12)
    assert rep.risk.contributions == pytest.approx(want.contributions, rel=1e-12)
    # Return attribution: each day's exposures are the previous exposure date's, the sums are arithmetic.
    fr = lake.read("factor_returns").filter(pl.col("model") == "style")
    days = sorted(d for d in fr["ts"].unique().to_list() if d >= rep.returns["start"])
    ex_days = sorted(ex["ts"].unique().to_list())
    by = {(r["ts"], r["symbol"]): r for r in ex.iter_rows(named=True)}
    f = {(r["ts"], r["factor"]): r["value"] for r in fr.iter_rows(named=True)}
    u = {(r["ts"], r["symbol"]): r["specific_return"] for r in lake.read("specific_returns").iter_rows(named=True)}
    held = sorted(set(w) | set(b))
    aw = {s: w.get(s, 0.0) - b.get(s, 0.0) for s in held}
    contrib = dict.fromkeys(names, 0.0)
    specific = 0.0
    for day in days:
        i = ex_days.index(day)
        for s in held:
            row = by.get((ex_days[i - 1], s)) if i > 0 else None
            if row is not None:
                for n, x in zip(names, x_of(row), strict=True):
                    contrib[n] += aw[s] * x * (f.get((day, n)) or 0.0)
            specific += aw[s] * (u.get((day, s)) or 0.0)
    assert rep.returns["days"] == len(days) > 20
    assert rep.returns["factors"] == pytest.approx(contrib, rel=1e-9, abs=1e-15)
    assert rep.returns["specific"] == pytest.approx(specific, rel=1e-9)
    assert rep.to_dict()["as_of"] == last


def test_attribution_errors(style_lake) -> None:
    with pytest.raises(InputError, match="NOPE"):
        attribution_report(style_lake, {"NOPE": 1.0})
    with pytest.raises(InputError, match="SYM=WEIGHT"):
        attribution_report(style_lake, "bad")
    style_lake.drop("specific_risk")
    with pytest.raises(InputError, match="no table 'specific_risk'; fit and save the style model"):
        attribution_report(style_lake, "equal")
