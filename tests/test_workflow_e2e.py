"""The research workflow end to end on the sample, each step checked through the library:
feature set -> labels -> meta-label model -> registry -> predictions table -> backtest of the predictions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from trade2026 import tracking
from trade2026._json import dumps

EXAMPLE = Path(__file__).resolve().parents[1] / "datasets" / "features" / "momentum.toml"


def _json(obj: Any) -> Any:
    return json.loads(dumps(obj))


def test_feature_set_to_backtest_of_the_registered_models_predictions(cli: Any, sample_lake: Any) -> None:
    from trade2026.backtest import evaluate, join_signal
    from trade2026.features import asof_join, read_features
    from trade2026.labeling import load_metalabel_model

    lake = sample_lake
    sym = lake.read("bars_1d")["symbol"].sort()[0]

    # 1. the feature set, built on the lake
    r = cli("features", "build", str(EXAMPLE), "--json", "--no-track")
    assert r.exit_code == 0, r.output
    built = json.loads(r.stdout)
    feats, fs, fversion = read_features(lake, "momentum")
    assert built["hash"] == fs.hash and built["version"] == fversion
    assert feats.height == lake.count("bars_1d") and feats.columns == ["symbol", "ts", *fs.columns]

    # 2. labels, and their point-in-time features
    r = cli("label", sym, "--save", "labels_1d", "--json", "--no-track")
    assert r.exit_code == 0, r.output
    labels = lake.read("labels_1d")
    assert labels.height == json.loads(r.stdout)["summary"][0]["events"] > 0
    joined = asof_join(labels, feats)
    row = joined.row(labels.height // 2, named=True)
    same_bar = feats.filter((pl.col("symbol") == sym) & (pl.col("ts") == row["ts"]))
    assert row["rsi_14"] == same_bar["rsi_14"][0]  # daily labels start on a bar: its own features

    # 3. the meta-label model on the feature set, registered with its lineage
    r = cli("metalabel", sym, "--features", "momentum", "--model", "logit", "--model-name", "e2e", "--json")
    assert r.exit_code == 0, r.output
    ml = json.loads(r.stdout)
    reg = ml["registered"]
    assert (reg["name"], reg["version"]) == ("e2e", 1)
    assert reg["tags"]["feature_hash"] == fs.hash and reg["tags"]["feature_version"] == str(fversion)
    assert reg["tags"]["bars_version"] == str(lake.info("bars_1d")["version"])
    assert tracking.get_run(ml["run_id"])["params"]["feature_set"] == "momentum"

    # 4. the registry: promote, then the champion is that version
    r = cli("models", "promote", "e2e", "1", "--alias", "champion", "--json")
    assert r.exit_code == 0, r.output
    assert tracking.get_model_version("e2e@champion")["version"] == 1
    mm = load_metalabel_model("e2e@champion")
    assert list(mm.feature_names) == [*fs.columns, "side"]

    # 5. the predictions table
    r = cli("models", "predict", "e2e@champion", "--symbols", sym, "--save", "preds", "--json", "--no-track")
    assert r.exit_code == 0, r.output
    pred = json.loads(r.stdout)
    preds = lake.read("preds").sort("ts")
    assert pred["rows"] == preds.height == lake.read_bars("bars_1d", symbols=[sym]).height
    assert np.allclose(preds["signal"].to_numpy(), (preds["side"] * preds["size"]).to_numpy())
    assert pred["bets"] == int((preds["signal"] != 0).sum()) > 0

    # 6. the backtest of the predictions, through the CLI and the library alike
    r = cli("backtest", "signal:signal", "--signal-table", "preds", "--symbols", sym, "--json", "--no-track")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    got.pop("run_id")
    bars = join_signal(lake.read_bars("bars_1d", symbols=[sym]), preds, "signal")
    rep = evaluate(bars, "signal:signal")
    assert got == _json(rep.to_dict())
    assert got["metrics"]["trade_count"] > 0
