"""The method registry: closed forms, constraints honoured, agreement with riskfolio-lib called directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.portfolio.conftest import make_returns, orthogonal_returns
from trade2026.errors import ConfigError, InputError
from trade2026.portfolio import METHODS, Constraints, get_method, list_methods, optimize, risk_contributions


def _views(tmp_path, text: str) -> str:
    path = tmp_path / "views.toml"
    path.write_text(text)
    return str(path)


VIEWS = """
[[views]]
asset = "S0"
return = 0.20
confidence = 0.7

[[views]]
long = "S1"
short = ["S2", "S3"]
return = 0.05
"""


def test_registry_has_at_least_15_documented_methods():
    assert len(METHODS) >= 15
    for m in list_methods():
        d = m.to_dict()
        assert d["summary"]
        assert all(p["help"] for p in d["params"].values())
    assert get_method("Min-Var").name == "min_var"
    with pytest.raises(ConfigError, match="choose one of"):
        get_method("nope")


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_gives_weights_that_sum_to_one(name, returns, tmp_path):
    params = {"views": _views(tmp_path, VIEWS)} if name == "black_litterman" else {}
    res = optimize(returns, name, params=params)
    w = np.array(list(res.weights.values()))
    assert w.sum() == pytest.approx(1.0, abs=1e-6)
    assert (w >= -1e-9).all()
    assert sum(res.risk_contributions.values()) == pytest.approx(1.0, abs=1e-6)
    assert np.isfinite([res.expected_return, res.volatility, res.sharpe]).all()
    assert res.to_frame().height == returns.shape[1]


def test_unconstrained_min_variance_is_the_closed_form(returns):
    # Sigma^-1 1 / (1' Sigma^-1 1); a wide long-short box leaves the budget as the only active constraint
    res = optimize(returns, "min_var", cov="sample", constraints=Constraints(long_short=True, gross=10.0))
    cov = np.cov(returns.to_numpy(), rowvar=False)
    inv1 = np.linalg.solve(cov, np.ones(cov.shape[0]))
    np.testing.assert_allclose(list(res.weights.values()), inv1 / inv1.sum(), atol=2e-4)


def test_erc_risk_contributions_are_equal(returns):
    res = optimize(returns, "erc", cov="sample")
    rc = np.array(list(res.risk_contributions.values()))
    np.testing.assert_allclose(rc, 1 / len(rc), atol=1e-4)


def test_risk_budgets_are_met(returns):
    res = optimize(returns, "risk_budget", cov="sample", params={"budgets": "S0=3,S1=2"})
    rc = np.array(list(res.risk_contributions.values()))
    target = np.array([3, 2, 1, 1, 1, 1]) / 9
    np.testing.assert_allclose(rc, target, atol=1e-4)


@pytest.mark.parametrize("name", ["hrp", "inv_vol"])
def test_hrp_on_a_diagonal_covariance_is_inverse_variance(name):
    # Lopez de Prado (2016): with no correlation every bisection splits by inverse cluster variance
    x = orthogonal_returns()
    cov = np.cov(x.to_numpy(), rowvar=False)
    np.testing.assert_allclose(cov - np.diag(np.diag(cov)), 0, atol=1e-15)
    expect = 1 / np.sqrt(np.diag(cov)) if name == "inv_vol" else 1 / np.diag(cov)
    res = optimize(x, name, cov="sample")
    np.testing.assert_allclose(list(res.weights.values()), expect / expect.sum(), rtol=1e-6)


def test_hrp_agrees_with_riskfolio_called_directly(returns):
    import riskfolio as rp

    ours = optimize(returns, "hrp", cov="sample", params={"linkage": "single"})
    port = rp.HCPortfolio(returns=returns)
    ref = port.optimization(model="HRP", codependence="pearson", method_cov="hist", rm="MV", linkage="single")
    np.testing.assert_allclose(list(ours.weights.values()), ref.to_numpy().ravel(), atol=1e-8)


@pytest.mark.filterwarnings(
    # riskfolio-lib multiplies matrices with ``*``; cvxpy warns (UserWarning and CvxpyDeprecationWarning).
    # Our wrapper filters this; the direct reference call here does not.
    r"ignore:\s*This use of ``\*`` has resulted in matrix multiplication"
)
def test_max_sharpe_agrees_with_riskfolio_called_directly(returns):
    import riskfolio as rp

    ours = optimize(returns, "max_sharpe", cov="sample")
    port = rp.Portfolio(returns=returns)
    port.assets_stats(method_mu="hist", method_cov="hist")
    ref = port.optimization(model="Classic", rm="MV", obj="Sharpe", rf=0, hist=True)
    np.testing.assert_allclose(list(ours.weights.values()), ref.to_numpy().ravel(), atol=1e-4)


def test_max_diversification_maximises_the_diversification_ratio(returns):
    cov = np.cov(returns.to_numpy(), rowvar=False)
    sig = np.sqrt(np.diag(cov))

    def dr(w):
        return w @ sig / np.sqrt(w @ cov @ w)

    w = np.array(list(optimize(returns, "max_div", cov="sample").weights.values()))
    rng = np.random.default_rng(0)
    others = rng.dirichlet(np.ones(len(w)), 200)
    assert dr(w) >= max(dr(o) for o in others) - 1e-6


def test_max_return_respects_its_volatility_budget(returns):
    res = optimize(returns, "max_return", cov="sample", params={"max_vol": "0.16"})
    assert res.volatility <= 0.16 + 1e-4
    with pytest.raises(InputError, match=r"max_vol=0\.01"):
        optimize(returns, "max_return", cov="sample", params={"max_vol": 0.01})


@pytest.mark.parametrize("name", sorted(n for n, m in METHODS.items() if "bounds" in m.supports))
def test_weight_bounds_are_respected(name, returns, tmp_path):
    params = {"views": _views(tmp_path, VIEWS)} if name == "black_litterman" else {}
    res = optimize(returns, name, params=params, constraints=Constraints(min_weight=0.05, max_weight=0.3))
    w = np.array(list(res.weights.values()))
    assert w.sum() == pytest.approx(1.0, abs=1e-6)
    assert w.min() >= 0.05 - 1e-4
    assert w.max() <= 0.3 + 1e-4


def test_group_bounds_long_short_and_turnover(returns):
    groups = {"S0": "A", "S1": "A", "S2": "B", "S3": "B", "S4": "C", "S5": "C"}
    c = Constraints(groups=groups, group_max={"A": 0.2}, group_min={"C": 0.5})
    w = optimize(returns, "max_sharpe", constraints=c).weights
    assert w["S0"] + w["S1"] <= 0.2 + 1e-5
    assert w["S4"] + w["S5"] >= 0.5 - 1e-5

    ls = optimize(returns, "max_sharpe", constraints=Constraints(long_short=True, gross=1.4)).weights
    v = np.array(list(ls.values()))
    assert v.sum() == pytest.approx(1.0, abs=1e-6)
    assert np.abs(v).sum() <= 1.4 + 1e-4

    current = dict.fromkeys(returns.columns, 1 / 6)
    t = optimize(returns, "max_sharpe", constraints=Constraints(max_turnover=0.05, current=current)).weights
    assert max(abs(t[s] - 1 / 6) for s in t) <= 0.05 + 1e-5


def test_max_assets_with_a_linear_risk_measure(returns):
    res = optimize(
        returns, "mean_risk", params={"rm": "cvar", "objective": "min_risk"}, constraints=Constraints(max_assets=2)
    )
    assert sum(1 for v in res.weights.values() if v > 1e-6) <= 2
    with pytest.raises(ConfigError, match="mixed-integer"):
        optimize(returns, "min_var", constraints=Constraints(max_assets=2))


def test_infeasible_constraints_are_named(returns):
    groups = dict.fromkeys(returns.columns, "A") | {"S5": "B"}
    with pytest.raises(InputError, match=r"group bound\(s\) B >= 0.5"):
        optimize(returns, "min_var", constraints=Constraints(groups=groups, group_min={"B": 0.5}, max_weight=0.3))
    with pytest.raises(InputError, match="cannot sum to 1"):
        optimize(returns, "min_var", constraints=Constraints(max_weight=0.1))
    with pytest.raises(InputError, match="max_turnover"):
        optimize(returns, "min_var", constraints=Constraints(max_turnover=0.01, current={"S0": 1.0}, max_weight=0.5))
    with pytest.raises(ConfigError, match="match no symbol"):
        optimize(returns, "min_var", constraints=Constraints(groups=groups, group_max={"Z": 0.5}))
    with pytest.raises(ConfigError, match="does not support the constraint"):
        optimize(returns, "ew", constraints=Constraints(max_weight=0.5))
    with pytest.raises(ConfigError, match="no parameter 'bogus'"):
        optimize(returns, "hrp", params={"bogus": 1})


def test_black_litterman_posterior_matches_riskfolio_at_confidence_one_half(returns, tmp_path):
    import riskfolio as rp

    from trade2026.portfolio import parse_views, posterior

    text = VIEWS.replace("confidence = 0.7", "confidence = 0.5")
    views = parse_views(_views(tmp_path, text), list(returns.columns), periods_per_year=252)
    cov = np.cov(returns.to_numpy(), rowvar=False)
    mu, cov_bl, _ = posterior(cov, views, delta=2.5, tau=1 / len(returns))  # riskfolio-lib fixes tau = 1/T
    w = pd.DataFrame(np.full((6, 1), 1 / 6), index=returns.columns)
    P = pd.DataFrame(views.P, columns=returns.columns)
    Q = pd.DataFrame(views.Q[:, None])
    ref_mu, ref_cov, _ = rp.ParamsEstimation.black_litterman(returns, w, P, Q, delta=2.5, rf=0, eq=True)
    # riskfolio-lib uses Omega = diag(P tau Sigma P') (He and Litterman 1999), our confidence 0.5
    np.testing.assert_allclose(mu, ref_mu.to_numpy().ravel(), rtol=1e-8)
    np.testing.assert_allclose(cov_bl, ref_cov.to_numpy(), rtol=1e-8)


def test_black_litterman_full_confidence_view_holds_exactly(returns, tmp_path):
    from trade2026.portfolio import parse_views, posterior

    text = '[[views]]\nasset = "S2"\nreturn = 0.30\nconfidence = 1.0\n'
    views = parse_views(_views(tmp_path, text), list(returns.columns))
    mu, _, _ = posterior(np.cov(returns.to_numpy(), rowvar=False), views)
    assert mu[2] * 252 == pytest.approx(0.30, rel=1e-6)
    with pytest.raises(ConfigError, match="outside the universe: ZZZ"):
        parse_views({"views": [{"asset": "ZZZ", "return": 0.1}]}, list(returns.columns))


def test_risk_contributions_sum_to_one():
    cov = np.array([[0.04, 0.01], [0.01, 0.09]])
    rc = risk_contributions(np.array([0.5, 0.5]), cov)
    assert rc.sum() == pytest.approx(1.0)


def test_optimize_accepts_polars_with_a_date_column():
    import polars as pl

    x = make_returns(n_obs=120, n_assets=4)
    frame = pl.from_pandas(x).with_columns(
        pl.date_range(pl.date(2020, 1, 1), pl.date(2020, 4, 29), eager=True).alias("ts")
    )
    res = optimize(frame, "inv_vol")
    assert list(res.weights) == list(x.columns)


def test_a_ratio_objective_without_a_positive_return_is_named(returns):
    losing = returns.copy()
    losing.iloc[:, 1:] -= 0.01  # all but S0 lose 1% a day; S0 may hold at most 30%
    with pytest.raises(InputError, match="risk-free rate"):
        optimize(losing, "max_sharpe", constraints=Constraints(max_weight=0.3))


def test_public_names_are_pinned():
    import trade2026.portfolio as pf

    assert set(pf.__all__) == {
        "COV_ESTIMATORS", "MEAN_ESTIMATORS", "METHODS", "BacktestReport", "Constraints", "Frontier",
        "FrontierReport", "Method", "OptimizeReport", "OptimizeResult", "Param", "PortfolioBacktest", "Resolved",
        "ReturnsWindow", "Views", "backtest", "backtest_report", "complete_constraints", "covariance",
        "denoise_cov", "efficient_frontier", "expected_returns", "frontier_report", "get_method", "list_methods",
        "load_groups", "load_prices", "load_returns", "metrics_table", "optimize", "optimize_report",
        "parse_methods", "parse_pairs", "parse_views", "parse_weights", "plot_backtest", "plot_frontier",
        "posterior", "resolve", "returns_window", "risk_contributions", "to_returns",
    }  # fmt: skip
    assert pf.__all__ == sorted(pf.__all__, key=lambda s: (not s.isupper(), s))
    for name in pf.__all__:
        assert getattr(pf, name) is not None
