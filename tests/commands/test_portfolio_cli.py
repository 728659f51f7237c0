"""``t26 portfolio``: JSON shapes, exit codes, weights written to the lake, runs logged."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest


def _json(r: Any) -> Any:
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _full_symbols(lake: Any, n: int = 5) -> list[str]:
    """Symbols listed for the whole sample (the generator lists a few late and delists a few)."""
    meta = lake.read("symbols")
    full = meta.filter(pl.col("delisted").is_null() & (pl.col("listed") == meta["listed"].min()))
    return sorted(full["symbol"].to_list())[:n]


def test_methods_lists_the_registry(cli: Any) -> None:
    out = _json(cli("portfolio", "methods", "--json"))
    names = {m["name"] for m in out}
    assert len(names) >= 15
    assert {"hrp", "herc", "nco", "erc", "min_var", "black_litterman", "max_div"} <= names


def test_optimize_writes_weights_and_logs_a_run(cli: Any, sample_lake: Any) -> None:
    syms = _full_symbols(sample_lake)
    out = _json(
        cli("portfolio", "optimize", "--symbols", ",".join(syms), "--method", "erc", "--lookback", "126", "--json")
    )
    assert set(out) >= {
        "portfolio_id",
        "run_id",
        "method",
        "weights",
        "expected_return",
        "volatility",
        "sharpe",
        "risk_contributions",
        "params",
        "constraints",
        "n_obs",
        "start",
        "end",
        "excluded",
    }
    assert out["run_id"] and out["method"] == "erc" and out["n_obs"] == 126
    assert sorted(out["weights"]) == syms
    assert sum(out["weights"].values()) == pytest.approx(1.0)
    stored = sample_lake.read("portfolio_weights").filter(pl.col("portfolio_id") == out["portfolio_id"])
    assert stored.height == len(syms)
    assert dict(stored.select("symbol", "weight").iter_rows()) == pytest.approx(out["weights"])
    assert stored["run_id"][0] == out["run_id"]
    from trade2026.tracking import get_run

    run = get_run(out["run_id"])
    assert run["params"]["method"] == "erc"


def test_optimize_with_sector_caps_and_turnover(cli: Any, sample_lake: Any) -> None:
    syms = _full_symbols(sample_lake, 6)
    sectors = dict(sample_lake.read("symbols").select("symbol", "sector").iter_rows())
    sector = sectors[syms[0]]
    members = [s for s in syms if sectors[s] == sector]
    args = ["portfolio", "optimize", "-s", ",".join(syms), "-m", "min_var", "--lookback", "126", "--no-track", "--json"]
    first = _json(cli(*args, "--group-max", f"{sector}=0.1", "--max-weight", "0.4"))
    assert first["run_id"] is None
    assert sum(first["weights"][s] for s in members) <= 0.1 + 1e-5
    assert max(first["weights"].values()) <= 0.4 + 1e-5
    second = _json(cli(*args, "--max-turnover", "0.02", "--current", "latest"))
    assert max(abs(second["weights"][s] - first["weights"][s]) for s in syms) <= 0.02 + 1e-5


def test_infeasible_constraints_exit_2_naming_them(cli: Any, sample_lake: Any) -> None:
    syms = _full_symbols(sample_lake, 4)
    base = ["portfolio", "optimize", "-s", ",".join(syms), "-m", "min_var", "--lookback", "60", "--no-track"]
    r = cli(*base, "--max-weight", "0.2")
    assert r.exit_code == 2
    assert "infeasible constraints" in r.stderr and "weight bounds" in r.stderr
    sector = sample_lake.read("symbols").filter(pl.col("symbol") == syms[0])["sector"][0]
    r = cli(*base, "--group-min", f"{sector}=0.9", "--group-max", f"{sector}=0.5")
    assert r.exit_code == 2 and sector in r.stderr and "0.9" in r.stderr
    assert not sample_lake.exists("portfolio_weights")


def test_missing_and_short_symbols_exit_2(cli: Any, sample_lake: Any) -> None:
    syms = _full_symbols(sample_lake, 3)
    r = cli("portfolio", "optimize", "-s", ",".join([*syms, "NOPE"]), "--no-track")
    assert r.exit_code == 2 and "NOPE" in r.stderr
    r = cli("portfolio", "optimize", "-s", ",".join(syms), "--lookback", "5000", "--no-track")
    assert r.exit_code == 2 and "not enough history" in r.stderr and syms[0] in r.stderr
    r = cli("portfolio", "optimize", "-s", ",".join(syms), "-m", "hrp", "-p", "bogus=1", "--no-track")
    assert r.exit_code == 2 and "bogus" in r.stderr


def test_backtest_json_lake_tables_and_plots(cli: Any, sample_lake: Any, tmp_path: Any) -> None:
    syms = _full_symbols(sample_lake, 5)
    out = _json(
        cli(
            "portfolio", "backtest", "--symbols", ",".join(syms), "--methods", "ew,hrp,min_var", "--lookback", "126",
            "--rebalance", "63", "--cost-bps", "10", "--plots", str(tmp_path / "plots"), "--json",
        )
    )  # fmt: skip
    assert set(out) >= {"backtest_id", "run_id", "methods", "metrics", "best", "dsr", "n_rebalances", "settings"}
    assert out["methods"] == ["ew", "hrp", "min_var"]
    for m in out["metrics"]:
        assert {"method", "cagr", "ann_vol", "sharpe", "max_drawdown", "turnover", "avg_holdings"} <= set(m)
    assert out["best"] in out["methods"] and 0 <= out["dsr"] <= 1
    rets = sample_lake.read("portfolio_backtest_returns").filter(pl.col("backtest_id") == out["backtest_id"])
    assert set(rets["method"].unique()) == set(out["methods"])
    wts = sample_lake.read("portfolio_backtest_weights").filter(pl.col("backtest_id") == out["backtest_id"])
    sums = wts.group_by("method", "ts").agg(pl.col("weight").sum())
    assert (sums["weight"] - 1).abs().max() < 1e-6
    assert (tmp_path / "plots" / "portfolio_backtest.html").exists()
    assert (tmp_path / "plots" / "portfolio_backtest_alloc_sector_hrp.png").exists()  # the sample has sectors


def test_backtest_bad_method_exits_2(cli: Any, sample_lake: Any) -> None:
    r = cli("portfolio", "backtest", "--methods", "hrp,nope", "--no-track")
    assert r.exit_code == 2 and "nope" in r.stderr


def test_frontier_json_and_html_plot(cli: Any, sample_lake: Any, tmp_path: Any) -> None:
    syms = _full_symbols(sample_lake, 4)
    plot = tmp_path / "frontier.html"
    out = _json(
        cli(
            "portfolio",
            "frontier",
            "-s",
            ",".join(syms),
            "--points",
            "5",
            "--lookback",
            "126",
            "--plot",
            str(plot),
            "--json",
        )
    )
    assert set(out) >= {"run_id", "rm", "risk_label", "risk_basis", "points", "assets", "max_sharpe_point", "plot"}
    assert len(out["points"]) == 5 and out["rm"] == "MV"
    assert set(out["points"][0]) == {"point", "expected_return", "volatility", "risk", "sharpe", "weights"}
    assert plot.exists() and out["run_id"]
    r = cli("portfolio", "frontier", "-s", ",".join(syms), "--plot", str(tmp_path / "f.svg"), "--no-track")
    assert r.exit_code == 2 and ".png or .html" in r.stderr


def _twin(lake: Any, to: Any) -> Any:
    """A copy of the lake's home: the library sees the lake state the CLI saw."""
    import shutil
    from pathlib import Path

    from trade2026.lake import Lake

    return Lake(shutil.copytree(Path(lake.root).parent, to))


@pytest.mark.parametrize("which", ["optimize", "backtest", "frontier"])
def test_json_is_the_library_report(cli: Any, sample_lake: Any, tmp_path: Any, which: str) -> None:
    """A notebook calling the library on the same lake gets exactly the CLI's --json (ids aside)."""
    import trade2026.portfolio as pf
    from trade2026._json import dumps

    syms = _full_symbols(sample_lake, 4)
    sector = sample_lake.read("symbols").filter(pl.col("symbol") == syms[0])["sector"][0]
    twin = _twin(sample_lake, tmp_path / "twin")
    cons = pf.Constraints(max_weight=0.6, group_max={sector: 0.7})
    common = ["-s", ",".join(syms), "--lookback", "126", "--max-weight", "0.6", "--group-max", f"{sector}=0.7"]
    if which == "optimize":
        args = ["optimize", *common, "-m", "erc"]
        report = pf.optimize_report(twin, "erc", universe=syms, lookback=126, constraints=cons).save(twin)
    elif which == "backtest":
        args = ["backtest", *common, "--methods", "ew,min_var", "--rebalance", "63", "--benchmark", syms[1]]
        report = pf.backtest_report(
            twin, "ew,min_var", universe=syms, lookback=126, rebalance=63, constraints=cons, benchmark=syms[1]
        ).save(twin)
    else:
        args = ["frontier", *common, "--points", "4"]
        report = pf.frontier_report(twin, universe=syms, lookback=126, points=4, constraints=cons)
    out = _json(cli("portfolio", *args, "--json", "--no-track"))
    lib = json.loads(dumps(report.to_dict()))
    for key in ("run_id", "portfolio_id", "backtest_id"):
        assert (out.pop(key, None) is None) == (key == "run_id" or key not in lib)
        lib.pop(key, None)
    assert out == lib


def test_universe_sector_list_and_unknown_sector(cli: Any, sample_lake: Any) -> None:
    meta = sample_lake.read("symbols")
    alive = meta.filter(pl.col("delisted").is_null()).group_by("sector").len().sort("len", "sector", descending=True)
    sector = alive["sector"][0]  # the sector with the most symbols trading at the end
    members = set(meta.filter(pl.col("sector") == sector)["symbol"])
    out = _json(cli("portfolio", "optimize", "--universe", f"sector:{sector}", "--lookback", "60", "--no-track",
                    "--json"))  # fmt: skip
    assert set(out["weights"]) | set(out["excluded"]) <= members and out["weights"]
    syms = _full_symbols(sample_lake, 3)
    listed = _json(cli("portfolio", "frontier", "--universe", ",".join(syms), "--points", "3", "--lookback", "60",
                       "--no-track", "--json"))  # fmt: skip
    assert [a["symbol"] for a in listed["assets"]] == syms
    r = cli("portfolio", "backtest", "--universe", "sector:Nope", "--no-track")
    assert r.exit_code == 2 and "no sector 'Nope'" in r.stderr and sector in r.stderr
    r = cli("portfolio", "optimize", "--universe", "NOPE1", "--no-track")
    assert r.exit_code == 2 and "unknown symbol" in r.stderr
