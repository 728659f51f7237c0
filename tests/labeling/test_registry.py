"""Meta-label models in the registry: logged with a signature, registered with their lineage, loaded,
promoted, and predicting a signal table the backtester reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026 import tracking
from trade2026._json import dumps
from trade2026.errors import DataError, NotFoundError
from trade2026.features import build_features, read_features
from trade2026.labeling import bet_size, load_metalabel_model, log_metalabel_model, metalabel_bars, predict_bars

DEFINITION = 'name = "reg"\nindicators = ["rsi_14", "ret_5", "vol_21"]\n[fracdiff]\nd = 0.4\n'


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, small_sample: Any) -> Iterator[Any]:
    """One home for the module's library tests (a new MLflow store costs seconds of migrations)."""
    from trade2026.datasets import write_sample
    from trade2026.lake import Lake

    home = tmp_path_factory.mktemp("registry") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("T26_HOME", str(home))
        mp.delenv("T26_MLFLOW_URI", raising=False)
        mp.delenv("T26_LAKE", raising=False)
        lake = Lake(home)
        write_sample(lake, small_sample)
        p = home / "reg.toml"
        p.write_text(DEFINITION, encoding="utf-8")
        build_features(lake, p)
        sym = lake.read("bars_1d")["symbol"].sort()[0]
        res = metalabel_bars(lake, sym, model="logit", features="reg")
        with tracking.start_run("metalabel") as run:
            row = log_metalabel_model(run, res, name="meta_test")
        yield lake, res, row


def test_the_model_is_registered_with_its_signature_and_lineage(trained: Any) -> None:
    import mlflow.models

    lake, res, row = trained
    assert row["name"] == "meta_test" and row["version"] == 1
    _, fs, version = read_features(lake, "reg")
    tags = row["tags"]
    assert tags["feature_set"] == "reg" and tags["feature_hash"] == fs.hash
    assert tags["feature_version"] == str(version) and tags["bars_version"] == str(lake.info("bars_1d")["version"])
    local, _ = tracking.download_model("meta_test/1", lake.root + "/../dl")
    signature = mlflow.models.Model.load(str(local)).signature
    assert [c["name"] for c in signature.inputs.to_dict()] == list(res.feature_names)


def test_loading_gives_back_the_same_model(trained: Any) -> None:
    _, res, _ = trained
    mm = load_metalabel_model("meta_test")
    assert mm.feature_names == res.feature_names and mm.lineage == res.lineage
    x = np.random.default_rng(0).normal(size=(20, len(res.feature_names)))
    np.testing.assert_allclose(mm.estimator.predict_proba(x), res.model.predict_proba(x))


def test_predictions_are_the_model_on_each_bars_features(trained: Any) -> None:
    from trade2026.backtest import strategy_positions

    lake, res, _ = trained
    sym = res.symbol
    tracking.promote_model("meta_test", 1, "champion")
    out = predict_bars(lake, "meta_test@champion", symbols=[sym], save="preds")
    preds = out.predictions
    assert out.saved["rows"] == preds.height == lake.count("preds")
    # an independent computation on a few bars: the feature row of that very bar, the primary's side
    feats, _, _ = read_features(lake, "reg", [sym])
    bars = lake.read_bars("bars_1d", symbols=[sym])
    side = np.sign(strategy_positions(res.params["primary"], bars).sort("ts")["position"].to_numpy())
    names = list(res.feature_names[:-1])
    checked = 0
    for i in np.linspace(300, bars.height - 1, 12).astype(int):
        ts = bars["ts"][int(i)]
        x = feats.filter(pl.col("ts") == ts).select(names).to_numpy()[0]
        row = preds.filter(pl.col("ts") == ts).row(0, named=True)
        assert row["side"] == side[i]
        p = res.model.predict_proba(np.append(x, side[i])[None, :])[0, 1]
        assert row["prob"] == pytest.approx(p)
        size = float(np.clip(bet_size(p, step=res.params["step"]), 0, 1))
        assert row["signal"] == pytest.approx(side[i] * size)
        checked += 1
    assert checked == 12


def test_unknown_models_and_aliases(trained: Any) -> None:
    lake, _, _ = trained
    with pytest.raises(NotFoundError):
        predict_bars(lake, "meta_test@challenger")  # no such alias
    with pytest.raises(NotFoundError):
        tracking.promote_model("meta_test", 9)
    with pytest.raises(NotFoundError):
        tracking.model_versions("nosuch")


def test_a_changed_feature_set_is_refused(trained: Any, tmp_path: Path) -> None:
    """Last of the module's library tests: it changes the shared feature set (and restores it)."""
    lake, _, _ = trained
    p = tmp_path / "reg.toml"
    p.write_text(DEFINITION.replace("d = 0.4", "d = 0.5"), encoding="utf-8")
    build_features(lake, p)
    try:
        with pytest.raises(DataError, match="changed since"):
            predict_bars(lake, "meta_test")
    finally:
        p.write_text(DEFINITION, encoding="utf-8")
        build_features(lake, p)


def test_cli_metalabel_registers_and_models_commands(cli: Any, sample_lake: Any, tmp_path: Path) -> None:
    p = tmp_path / "reg.toml"
    p.write_text(DEFINITION, encoding="utf-8")
    assert cli("features", "build", str(p), "--no-track").exit_code == 0
    sym = sample_lake.read("bars_1d")["symbol"].sort()[0]
    for expect in (1, 2):
        res = cli("metalabel", sym, "--features", "reg", "--model", "logit", "--model-name", "m", "--json")
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["registered"]["version"] == expect
    rows = json.loads(cli("models", "ls", "--json").stdout)
    assert [(r["name"], r["version"]) for r in rows] == [("m", 2), ("m", 1)]
    assert cli("models", "predict", "m@champion", "--json").exit_code == 2
    res = cli("models", "promote", "m", "1", "--alias", "champion", "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["aliases"] == ["champion"]
    shown = json.loads(cli("models", "show", "m", "--json").stdout)
    assert {v["version"]: v["aliases"] for v in shown["versions"]} == {2: [], 1: ["champion"]}
    res = cli("models", "predict", "m@champion", "--symbols", sym, "--save", "preds", "--json", "--no-track")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["version"] == 1 and data["saved"]["rows"] == sample_lake.count("preds")
    # a notebook calling the library gets the CLI's --json
    assert data.pop("run_id") is None
    lib = predict_bars(sample_lake, "m@champion", symbols=[sym], save="preds")
    assert lib.saved["replaced"] == data["saved"]["rows"]  # the rerun replaced the CLI's rows
    data["saved"]["replaced"] = lib.saved["replaced"]
    assert data == json.loads(dumps(lib.to_dict()))
    assert json.loads(cli("models", "ls", "--json").stdout) == json.loads(dumps(tracking.list_models()))
    bt = cli("backtest", "signal:signal", "--signal-table", "preds", "--symbols", sym, "--json", "--no-track")
    assert bt.exit_code == 0, bt.output
    assert cli("models", "show", "nosuch").exit_code == 2
