"""``t26 factors``: JSON shapes, exit codes, tables written to the lake, MLflow runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from commands.main import app


@pytest.fixture(scope="module")
def fitted_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a small sample universe and one fitted style model, built once per module."""
    from trade2026.datasets import generate, write_sample
    from trade2026.lake import Lake

    home = tmp_path_factory.mktemp("factors") / "home"
    write_sample(Lake(home), generate(symbols=18, years=2, seed=3, intraday_symbols=0))
    r = CliRunner().invoke(app, ["factors", "style", "--home", str(home), "--json", "--no-track"])
    assert r.exit_code == 0, r.output
    return home


def _copy(home: Path, to: Path) -> Path:
    shutil.copytree(home, to)
    return to


@pytest.fixture
def fhome(fitted_home: Path, tmp_path: Path) -> Path:
    """A private copy of the fitted home: a test that refits or rewrites tables cannot change what
    another test reads, whatever order they run in."""
    return _copy(fitted_home, tmp_path / "home")


def _run(home: Path, *args: str, code: int = 0) -> Any:
    r = CliRunner().invoke(app, ["factors", *args, "--home", str(home)])
    assert r.exit_code == code, r.output
    return json.loads(r.stdout) if code == 0 and "--json" in args else r


def _lake(home: Path) -> Any:
    from trade2026.lake import Lake

    return Lake(home)


def test_style_writes_model_tables(fhome: Path) -> None:
    out = _run(fhome, "style", "--json", "--no-track", "--factors", "beta,momentum,size")
    assert out["run_id"] is None and out["model"] == "style"
    assert out["skipped_days_few_symbols"] == 0 and out["skipped_days_singular"] == 0
    assert out["factor_names"][0] == "market" and out["factor_names"][-3:] == ["beta", "momentum", "size"]
    assert {r["factor"] for r in out["factor_stats"]} == set(out["factor_names"])
    lake = _lake(fhome)
    fr = lake.read("factor_returns").filter(pl.col("model") == "style")
    assert fr["ts"].n_unique() == out["days"]
    assert set(fr["factor"].unique()) == set(out["factor_names"])
    cov = lake.read("factor_covariance")
    assert cov.height == len(out["factor_names"]) ** 2
    assert set(lake.read("style_exposures").columns) >= {"ts", "symbol", "beta", "momentum", "size", "sector"}
    assert lake.read("specific_risk")["specific_vol"].null_count() == 0


def test_pca_tracked_run_and_tables(fhome: Path) -> None:
    out = _run(fhome, "pca", "--json", "--n-factors", "3")
    assert out["run_id"] and out["n_factors"] == 3 and len(out["explained"]) == 3
    cum = [e["cumulative"] for e in out["explained"]]
    assert cum == sorted(cum) and cum[-1] == pytest.approx(out["explained_variance"])
    lake = _lake(fhome)
    fr = lake.read("factor_returns")
    assert set(fr.filter(pl.col("model") == "pca")["factor"].unique()) == {"pc1", "pc2", "pc3"}
    assert fr.filter(pl.col("model") == "style").height > 0  # the style rows are kept
    assert lake.read("pca_loadings")["run_id"].unique().to_list() == [out["run_id"]]
    from trade2026.config import load_settings
    from trade2026.tracking import get_run

    run = get_run(out["run_id"], settings=load_settings(fhome))
    assert run is not None


def test_fmb_json_shape(fhome: Path) -> None:
    out = _run(fhome, "fmb", "--characteristics", "beta,size", "--horizon", "5", "--json", "--no-track")
    assert [c["variable"] for c in out["coefficients"]] == ["const", "beta", "size"]
    assert set(out["coefficients"][0]) == {"variable", "coef", "std_error", "tstat", "pvalue"}
    assert out["lags"] >= 4 and out["n_periods"] > 100
    assert out["skipped_periods_few_obs"] == 0


def test_attribute_contributions_add_up(fhome: Path, tmp_path: Path) -> None:
    syms = sorted(_lake(fhome).read("style_exposures")["symbol"].unique().to_list())[:4]
    wfile = tmp_path / "w.json"
    wfile.write_text(json.dumps({"weights": {s: 0.25 for s in syms}}))
    out = _run(fhome, "attribute", "--weights", str(wfile), "--json", "--no-track")
    total = sum(r["contribution"] for r in out["factors"]) + out["specific_contribution"]
    assert total == pytest.approx(out["total_risk"], rel=1e-9)
    assert not out["active"]
    ra = out["return_attribution"]
    assert ra["days"] > 100
    assert sum(ra["factors"].values()) + ra["specific"] == pytest.approx(ra["total"], rel=1e-9)
    act = _run(fhome, "attribute", "--weights", ",".join(f"{s}=0.25" for s in syms), "--benchmark", "equal",
               "--json", "--no-track")  # fmt: skip
    assert act["active"] and act["total_risk"] > 0


def test_evaluate_writes_ic_and_plot(fhome: Path, tmp_path: Path) -> None:
    png = tmp_path / "tear.png"
    out = _run(fhome, "evaluate", "momentum", "--periods", "1,5", "--plot", str(png), "--json", "--no-track")
    assert [r["period"] for r in out["ic_summary"]] == [1, 5]
    assert set(out["ic_summary"][0]) >= {"ic_mean", "ic_std", "ic_ir", "ic_tstat", "ic_pvalue", "ic_skew"}
    assert len(out["quantile_returns"]) == 2 * 5
    assert len(out["turnover"]) == 2 * 5  # every quantile at every horizon
    assert png.read_bytes()[:4] == b"\x89PNG" and out["plot"] == str(png)
    assert {Path(f).name for f in out["figures"]} >= {"tear_ic_qq.png", "tear_ic_monthly.png", "tear_sectors.png"}
    # The sample's symbols table has sectors: one row per sector and horizon.
    sectors = set(_lake(fhome).read("symbols")["sector"])
    assert {r["sector"] for r in out["sectors"]} == sectors and len(out["sectors"]) == 2 * len(sectors)
    assert all(r["mean_spread_net"] < r["mean_spread"] for r in out["spread"])  # 5 bps by default
    free = _run(fhome, "evaluate", "momentum", "--periods", "1,5", "--commission-bps", "0", "--json", "--no-track")
    assert all(r["mean_spread_net"] == r["mean_spread"] for r in free["spread"])
    ic = _lake(fhome).read("factor_ic")
    assert set(ic["period"].unique()) == {1, 5} and set(ic["factor"].unique()) == {"momentum"}


def test_regress_on_style_and_external_factors(fhome: Path) -> None:
    lake = _lake(fhome)
    sym = lake.read("style_exposures")["symbol"][0]
    out = _run(fhome, "regress", sym, "--factors", "market,beta", "--json", "--no-track")
    assert [c["variable"] for c in out["coefficients"]] == ["alpha", "market", "beta"]
    assert out["n_obs"] > 100 and 0 < out["r2"] <= 1
    ext = (
        lake.read("factor_returns")
        .filter((pl.col("model") == "style") & (pl.col("factor") == "market"))
        .select("ts", pl.col("value").alias("mkt"))
    )
    lake.write("ext_factors", ext, mode="overwrite")
    out2 = _run(fhome, "regress", sym, "--factors-table", "ext_factors", "--json", "--no-track")
    direct = _run(fhome, "regress", sym, "--factors", "market", "--json", "--no-track")["coefficients"]
    assert out2["coefficients"][1]["coef"] == pytest.approx(
        next(c for c in direct if c["variable"] == "market")["coef"]
    )


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["evaluate", "nope"], "no column 'nope'"),
        (["regress", "NOPE1"], "NOPE1"),
        (["attribute", "--weights", "ZZZZ=1"], "ZZZZ"),
        (["attribute", "--weights", "bad"], "SYM=WEIGHT"),
        (["style", "--factors", "bogus"], "unknown style factor"),
        (["pca", "--method", "nope"], "method"),
        (["fmb", "--characteristics", "nope"], "no column"),
        (["style", "--table", "missing_table"], "no table"),
    ],
)
def test_bad_input_exits_2(fhome: Path, args: list[str], text: str) -> None:
    r = _run(fhome, *args, "--no-track", code=2)
    assert text in r.stderr


def test_negative_newey_west_lags_exit_2(fhome: Path) -> None:
    r = _run(fhome, "style", "--nw-lags", "-1", "--no-track", code=2)
    assert "nw_lags" in r.output and ">= 0" in r.output


def _sym(home: Path, i: int = 0) -> str:
    return sorted(_lake(home).read("style_exposures")["symbol"].unique().to_list())[i]


@pytest.mark.parametrize(
    ("args", "call"),
    [
        (["pca", "--n-factors", "3"], lambda f, lake, s: f.pca_report(lake, n_factors=3).save(lake)),
        (
            ["style", "--factors", "beta,momentum", "--equal-weighted"],
            lambda f, lake, s: f.style_report(lake, factors=["beta", "momentum"], cap_weighted=False).save(lake),
        ),
        (
            ["fmb", "--characteristics", "beta,size", "--horizon", "5"],
            lambda f, lake, s: f.fmb_report(lake, characteristics=["beta", "size"], horizon=5).save(lake),
        ),
        (
            ["attribute", "--weights", "equal", "--benchmark", "{sym}=1"],
            lambda f, lake, s: f.attribution_report(lake, "equal", benchmark={s: 1.0}),
        ),
        (
            ["evaluate", "momentum", "--periods", "1,5", "--quantiles", "3"],
            lambda f, lake, s: f.evaluation_report(lake, "momentum", periods=[1, 5], quantiles=3).save(lake),
        ),
        (
            ["regress", "{sym}", "--factors", "market,beta"],
            lambda f, lake, s: f.regression_report(lake, s, factors=["market", "beta"]),
        ),
    ],
    ids=["pca", "style", "fmb", "attribute", "evaluate", "regress"],
)
def test_json_is_the_library_report(fhome: Path, tmp_path: Path, args: list[str], call: Any) -> None:
    """A notebook calling the library on the same lake gets exactly the CLI's --json."""
    import trade2026.factors as factors
    from trade2026._json import dumps
    from trade2026.lake import Lake

    twin = _copy(fhome, tmp_path / "twin")  # the same lake state, so the same table versions
    sym = _sym(fhome)
    cli = _run(fhome, *[a.format(sym=sym) for a in args], "--json", "--no-track")
    lib = json.loads(dumps(call(factors, Lake(twin), sym).to_dict()))
    assert cli.pop("run_id") is None
    lib.pop("run_id", None)
    assert cli == lib


def test_universe_sector_and_unknown_sector(fhome: Path) -> None:
    meta = _lake(fhome).read("symbols")
    sector = meta["sector"][0]
    members = set(meta.filter(pl.col("sector") == sector)["symbol"])
    out = _run(fhome, "pca", "--universe", f"sector:{sector}", "--n-factors", "1", "--json", "--no-track")
    loadings = _lake(fhome).read("pca_loadings")
    assert set(loadings["symbol"]) <= members and out["n_assets"] + len(out["excluded"]) == len(members)
    r = _run(fhome, "pca", "--universe", "sector:Nope", "--no-track", code=2)
    assert "no sector 'Nope'" in r.stderr and sector in r.stderr
    r = _run(fhome, "style", "--symbols", "A", "--universe", f"sector:{sector}", "--no-track", code=2)
    assert "not both" in r.stderr
