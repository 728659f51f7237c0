"""``t26 fracdiff``, ``t26 label``, ``t26 metalabel``: exit codes, --json shapes, lake read-back."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026.features import fracdiff
from trade2026.lake import Lake


@pytest.fixture
def bars_lake(lake: Lake, small_sample: Any) -> tuple[Lake, list[str]]:
    syms = sorted(small_sample.bars_1d["symbol"].unique().to_list())[:2]
    bars = small_sample.bars_1d.filter(pl.col("symbol").is_in(syms))
    lake.write("bars_1d", bars, mode="merge", keys=["symbol", "ts"])
    return lake, syms


def test_fracdiff_auto_and_fixed_save(cli: Any, bars_lake: tuple[Lake, list[str]]) -> None:
    lake, syms = bars_lake
    r = cli("fracdiff", *syms, "--d", "auto", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [row["symbol"] for row in out["results"]] == syms
    for row in out["results"]:
        assert 0 <= row["d"] <= 1 and row["pvalue"] <= 0.05
        assert len(out["search"][row["symbol"]]) == 101
    r = cli("fracdiff", syms[0], "--d", "0.4", "--thresh", "1e-4", "--save", "features_fd", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    saved = lake.read("features_fd")
    assert saved.columns == ["symbol", "ts", "value", "d"] and out["saved"]["rows"] == saved.height
    close = lake.read("bars_1d", filters=[("symbol", "=", syms[0])]).sort("ts")
    want = fracdiff(np.log(close["close"].to_numpy()), 0.4, thresh=1e-4)
    np.testing.assert_allclose(saved.sort("ts")["value"].to_numpy(), want[~np.isnan(want)], atol=1e-12)
    r = cli("fracdiff", syms[0], "--d", "0.4", "--thresh", "1e-4")  # human output works too
    assert r.exit_code == 0 and "Fractional differentiation" in r.stdout
    r = cli("fracdiff", syms[0], "--d", "0.4")  # 1e-5 needs 1458 bars; three years are 756
    assert r.exit_code == 2 and "shorter than the FFD window of 1458" in r.output and "thresh=0.0001" in r.output


def test_fracdiff_bad_input(cli: Any, bars_lake: tuple[Lake, list[str]]) -> None:
    _, syms = bars_lake
    r = cli("fracdiff", "NOPE", "--d", "0.4")
    assert r.exit_code == 2 and "NOPE" in r.output and "t26 sql" in r.output
    r = cli("fracdiff", syms[0], "--d", "3")
    assert r.exit_code == 2 and "d must be in [0, 2]" in r.output
    r = cli("fracdiff", syms[0], "--d", "big")
    assert r.exit_code == 2 and "'auto'" in r.output


def test_label_saves_events(cli: Any, bars_lake: tuple[Lake, list[str]]) -> None:
    lake, syms = bars_lake
    r = cli("label", *syms, "--pt", "1", "--sl", "2", "--vertical", "10", "--save", "labels_1d", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["params"]["vertical"] == 10
    labels = lake.read("labels_1d")
    assert set(labels["symbol"].unique()) == set(syms)
    for row in out["summary"]:
        sub = labels.filter(pl.col("symbol") == row["symbol"])
        assert sub.height == row["events"] == row["pt"] + row["sl"] + row["vertical"] + row["end"]
    assert (labels["t1"] >= labels["ts"]).all()
    assert set(labels["label"].unique()) <= {-1, 0, 1}
    assert labels["uniqueness"].is_between(0, 1, closed="right").all()
    r = cli("label", syms[0], "--pt", "0", "--sl", "0", "--vertical", "14d", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["summary"][0]["pt"] == 0
    r = cli("label", syms[0], "--sl", "-1")
    assert r.exit_code == 2 and "sl must be" in r.output
    r = cli("label", syms[0], "--vertical", "soon")
    assert r.exit_code == 2 and "not a duration" in r.output


def test_metalabel_logs_run_and_saves(cli: Any, bars_lake: tuple[Lake, list[str]]) -> None:
    lake, syms = bars_lake
    r = cli(
        "metalabel",
        syms[0],
        "--primary",
        "sma_cross:fast=10,slow=30",
        "--model",
        "logit",
        "--save",
        "meta_bets",
        "--json",
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["run_id"]
    assert set(out["classification"]) == {"primary", "meta"}
    assert out["classification"]["primary"]["recall"] == 1.0
    assert set(out["returns"]) == {"primary", "meta_filtered", "meta_sized"}
    assert {"sharpe", "max_drawdown"} <= set(out["returns"]["meta_sized"])
    bets = lake.read("meta_bets")
    assert bets.height == out["n_events"]
    assert bets["prob"].is_between(0, 1).all() and bets["size"].is_between(0, 1).all()
    r = cli("runs", "show", out["run_id"], "--json")
    if r.exit_code == 0:  # the runs command belongs to the lead; check the logged metrics when present
        assert "meta_roc_auc" in r.stdout
    r = cli("metalabel", syms[0], "--model", "svm")
    assert r.exit_code == 2 and "rf, gb, logit" in r.output
    r = cli("metalabel", syms[0], "--primary", "nosuch:x=1", "--no-track")
    assert r.exit_code == 2


def test_metalabel_signal_column(cli: Any, lake: Lake, small_sample: Any) -> None:
    sym = small_sample.bars_1d["symbol"][0]
    bars = small_sample.bars_1d.filter(pl.col("symbol") == sym).sort("ts")
    bars = bars.with_columns(my_signal=pl.col("close").pct_change(20).fill_null(0.0))
    lake.write("bars_sig", bars, mode="merge", keys=["symbol", "ts"])
    r = cli(
        "metalabel",
        sym,
        "--table",
        "bars_sig",
        "--primary",
        "signal:my_signal",
        "--model",
        "gb",
        "--no-track",
        "--json",
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["run_id"] is None and out["n_events"] > 20
    r = cli("metalabel", sym, "--table", "bars_sig", "--primary", "signal:missing_col", "--no-track")
    assert r.exit_code == 2 and "missing_col" in r.output


def _no_run_id(out: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in out.items() if k != "run_id"}


def test_fracdiff_and_label_same_on_every_executor(cli: Any, sample_lake: Lake) -> None:
    syms = sorted(sample_lake.read("bars_1d", columns=["symbol"])["symbol"].unique().to_list())[:2]
    for args in (
        ("fracdiff", *syms, "--d", "auto"),
        ("label", *syms, "--pt", "1", "--sl", "2", "--vertical", "10"),
    ):
        serial = cli(*args, "--json")
        assert serial.exit_code == 0, serial.output
        procs = cli(*args, "--executor", "processes", "--no-track", "--json")
        assert procs.exit_code == 0, procs.output
        a, b = json.loads(serial.stdout), json.loads(procs.stdout)
        assert a["run_id"] and b["run_id"] is None
        assert _no_run_id(a) == _no_run_id(b)
    # an input error raised in a worker process keeps its message and exit code
    r = cli("fracdiff", syms[0], "--d", "0.4", "--executor", "processes", "--no-track")
    assert r.exit_code == 2 and "shorter than the FFD window" in r.output
    r = cli("label", syms[0], "--executor", "threads", "--no-track")
    assert r.exit_code == 2 and "serial, processes, ray" in r.output


def test_fracdiff_and_label_log_runs(cli: Any, bars_lake: tuple[Lake, list[str]]) -> None:
    from trade2026.tracking import get_run

    _, syms = bars_lake
    r = cli("fracdiff", *syms, "--d", "0.4", "--thresh", "1e-4", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    run = get_run(out["run_id"])
    assert run["name"] == "fracdiff" and run["status"] == "FINISHED"
    assert run["params"]["symbols"] == ",".join(syms) and run["params"]["d"] == "0.4"
    assert run["params"]["thresh"] == "0.0001" and run["params"]["pvalue"] == "0.05"
    for row in out["results"]:
        assert run["metrics"][f"d_{row['symbol']}"] == 0.4
        assert run["metrics"][f"pvalue_{row['symbol']}"] == pytest.approx(row["pvalue"])
    assert "fracdiff.json" in run["artifacts"]
    r = cli("fracdiff", syms[0], "--d", "0.4", "--thresh", "1e-4")
    assert r.exit_code == 0 and "MLflow run " in r.stdout
    r = cli("fracdiff", syms[0], "--d", "0.4", "--thresh", "1e-4", "--no-track", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["run_id"] is None

    r = cli("label", *syms, "--pt", "1", "--sl", "2", "--vertical", "14d", "--cusum", "1.5", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    r = cli("runs", "show", out["run_id"], "--json")
    assert r.exit_code == 0, r.output
    run = json.loads(r.stdout)
    assert run["name"] == "label"
    assert {k: run["params"][k] for k in ("pt", "sl", "vertical", "cusum")} == {
        "pt": "1.0",
        "sl": "2.0",
        "vertical": "14d",
        "cusum": "1.5",
    }
    assert run["metrics"]["events"] == sum(row["events"] for row in out["summary"]) > 0
    m = run["metrics"]
    assert m["label_up"] + m["label_down"] + m["label_zero"] == m["events"]
    for row in out["summary"]:
        assert run["metrics"][f"events_{row['symbol']}"] == row["events"]
    r = cli("label", syms[0], "--no-track")
    assert r.exit_code == 0 and "MLflow run" not in r.stdout
    r = cli("label", syms[0], "--no-track", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["run_id"] is None


def _lib_json(res: Any) -> Any:
    """The library result through the CLI's JSON rendering."""
    from trade2026._json import dumps

    return json.loads(dumps(res.to_dict()))


@pytest.fixture
def twin_lakes(bars_lake: tuple[Lake, list[str]], tmp_path: Any) -> tuple[Lake, Lake, list[str]]:
    """The CLI's lake and a second one with the same bars, so both sides can --save to fresh tables."""
    cli_lake, syms = bars_lake
    other = Lake(tmp_path / "library")
    other.write("bars_1d", cli_lake.read("bars_1d"), mode="merge", keys=["symbol", "ts"])
    return cli_lake, other, syms


def test_fracdiff_json_is_the_library_result(cli: Any, twin_lakes: tuple[Lake, Lake, list[str]]) -> None:
    from trade2026.features import fracdiff_bars

    _, lib_lake, syms = twin_lakes
    for args, kw in (
        (("--d", "auto"), {"d": "auto"}),
        (("--d", "0.4", "--thresh", "1e-4", "--save", "fd"), {"d": 0.4, "thresh": 1e-4, "save": "fd"}),
    ):
        r = cli("fracdiff", *syms, *args, "--json")
        assert r.exit_code == 0, r.output
        got = json.loads(r.stdout)
        assert got.pop("run_id")
        assert got == _lib_json(fracdiff_bars(lib_lake, syms, **kw))
    assert lib_lake.read("fd").height == got["saved"]["rows"] > 0


def test_label_json_is_the_library_result(cli: Any, twin_lakes: tuple[Lake, Lake, list[str]]) -> None:
    from trade2026.labeling import label_bars

    _, lib_lake, syms = twin_lakes
    r = cli("label", *syms, "--sl", "2", "--vertical", "14d", "--save", "lab", "--no-track", "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got.pop("run_id") is None
    res = label_bars(lib_lake, syms, sl=2, vertical="14d", save="lab")
    assert got == _lib_json(res)
    assert res.labels is not None and lib_lake.read("lab").sort("symbol", "ts").equals(res.labels.sort("symbol", "ts"))


def test_metalabel_json_is_the_library_result(cli: Any, twin_lakes: tuple[Lake, Lake, list[str]]) -> None:
    from trade2026.labeling import metalabel_bars

    _, lib_lake, syms = twin_lakes
    args = ("--primary", "sma_cross:fast=10,slow=30", "--model", "logit", "--save", "bets")
    r = cli("metalabel", syms[0], *args, "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got.pop("run_id")
    assert got.pop("registered")["name"] == f"metalabel_{syms[0]}"  # the CLI registers the model it logs
    res = metalabel_bars(lib_lake, syms[0], primary="sma_cross:fast=10,slow=30", model="logit", save="bets")
    assert got == _lib_json(res)
    assert got["symbol"] == syms[0] and got["saved"]["rows"] == res.events.height


def test_metalabel_returns_table_names_its_rows(cli: Any, bars_lake: tuple[Lake, list[str]]) -> None:
    from trade2026.labeling import metalabel_bars

    lake, syms = bars_lake
    res = metalabel_bars(lake, syms[0], primary="sma_cross:fast=10,slow=30", model="logit")
    (_, cls_rows), (title, ret_rows) = res.tables()
    assert title == "Strategy returns"
    assert [row["strategy"] for row in ret_rows] == ["primary", "meta_filtered", "meta_sized"]
    assert [row["bets"] for row in ret_rows] == [
        res.returns[k]["bets"] for k in ("primary", "meta_filtered", "meta_sized")
    ]
    assert ret_rows[0]["bets"] == res.events.height
    assert [row["model"] for row in cls_rows] == ["primary", "meta"]
    r = cli("metalabel", syms[0], "--primary", "sma_cross:fast=10,slow=30", "--model", "logit", "--no-track")
    assert r.exit_code == 0, r.output
    returns_table = r.stdout.split("Strategy returns", 1)[1]
    rows = [line for line in returns_table.splitlines() if line.startswith("│")]
    first = "".join(line.split("│")[1].strip() for line in rows)  # cells fold onto the next line when narrow
    assert first == "primarymeta_filteredmeta_sized"  # names, not counts


def test_a_rerun_replaces_what_it_saved_per_symbol(cli: Any, bars_lake: tuple[Lake, list[str]]) -> None:
    """Reproduction (issue 18): `--d 0.4 --save f` then `--d 0.3 --save f` left both runs' rows; the
    same for `t26 label --save`. A rerun replaces its symbols' rows and leaves other symbols alone."""
    lake, syms = bars_lake
    for d in ("0.4", "0.3"):
        r = cli("fracdiff", *syms, "--d", d, "--thresh", "1e-3", "--save", "fd", "--json")
        assert r.exit_code == 0, r.output
    saved = lake.read("fd")
    assert set(saved["d"].unique()) == {0.3} and not saved.select("symbol", "ts").is_duplicated().any()
    r = cli("fracdiff", syms[0], "--d", "0.5", "--thresh", "1e-3", "--save", "fd", "--json")
    assert json.loads(r.stdout)["saved"]["replaced"] > 0
    by_symbol = lake.read("fd").group_by("symbol").agg(pl.col("d").unique())
    assert dict(zip(by_symbol["symbol"], by_symbol["d"].to_list(), strict=True)) == {syms[0]: [0.5], syms[1]: [0.3]}
    for cusum in ("1", "3"):  # other events: merging on (symbol, ts) kept the first run's extra ones
        r = cli("label", *syms, "--cusum", cusum, "--save", "lab", "--json")
        assert r.exit_code == 0, r.output
    events = sum(row["events"] for row in json.loads(r.stdout)["summary"])
    assert lake.read("lab").height == events
