"""The RL environment observing a built feature set: joined point in time, recorded with the model."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026.errors import ConfigError, DataError
from trade2026.features import FeatureSet, build_features, read_features

SET = FeatureSet(name="rlset", indicators=("rsi_14", "vol_21"), ranks=("vol_21",), lags=(("rsi_14", (1,)),))
FAST = ["--timesteps", "256", "--n-envs", "2", "--net-arch", "8", "--n-random", "5", "--episode-length", "60"]
FAST += ["--param", "n_steps=32", "--param", "batch_size=32", "--param", "n_epochs=1", "--window", "4"]


def _symbols(lake: Any, n: int) -> list[str]:
    b = lake.read_bars("bars_1d")
    full = b.group_by("symbol").len().filter(pl.col("len") == pl.col("len").max())["symbol"].sort()
    return full.to_list()[:n]


def test_load_bars_joins_the_sets_rows_and_the_env_observes_them(sample_lake: Any) -> None:
    from trade2026.rl import load_bars, market_data

    lake = sample_lake
    build_features(lake, SET)
    syms = _symbols(lake, 2)
    bars, source = load_bars(lake, syms, features="rlset")
    cols = [f"rlset/{c}" for c in SET.columns]
    assert source["features"] == tuple(cols)
    feats, fs, version = read_features(lake, "rlset", syms)
    assert {k: source[k] for k in ("feature_set", "feature_hash", "feature_table", "feature_version")} == {
        "feature_set": "rlset",
        "feature_hash": fs.hash,
        "feature_table": "features_rlset",
        "feature_version": version,
    }
    # the same table's bars: each bar meets the set's row of its own timestamp, never a later one
    both = bars.join(feats, on=["symbol", "ts"], how="left")
    for c in SET.columns:
        assert both[f"rlset/{c}"].equals(both[c], null_equal=True)
    data = market_data(bars, features=source["features"], window=4)
    nf = len(cols)
    for i, sym in enumerate(data.symbols):
        mine = feats.filter(pl.col("symbol") == sym).sort("ts")
        for f, c in enumerate(SET.columns):
            got = data.raw_features[:, i * nf + f]
            want = mine[c].cast(pl.Float64).fill_null(np.nan).to_numpy()
            np.testing.assert_array_equal(got, want)
    # the warm-up is measured on the data: the first bar where every set column has a value for some symbol
    firsts = [feats.filter(pl.col(c).is_not_null())["ts"].min() for c in SET.columns]
    assert data.warmup == max(int(data.ts.search_sorted(t)) for t in firsts) > 0

def test_feature_set_mistakes_are_refused(sample_lake: Any) -> None:
    from trade2026.rl import load_bars, market_data

    lake = sample_lake
    syms = _symbols(lake, 1)
    build_features(lake, SET)
    intraday = lake.read("bars_1m")["symbol"][0]
    with pytest.raises(ConfigError, match="built over 'bars_1d'"):
        load_bars(lake, [intraday], table="bars_1m", features="rlset")
    build_features(lake, FeatureSet(name="rsi_14", indicators=("rsi_14",)))
    with pytest.raises(ConfigError, match="both a feature name and a feature set"):
        load_bars(lake, syms, features="rsi_14")
    bars, source = load_bars(lake, syms, features="ret_20,rsi_14")  # two names: feature names as before
    assert source["features"] == ("ret_20", "rsi_14") and "feature_set" not in source
    with pytest.raises(DataError, match="no column rlset/rsi_14"):
        market_data(bars, features=("rlset/rsi_14",))
    with pytest.raises(ConfigError, match="SET/COLUMN"):
        market_data(bars, features=("rlset/",))


@pytest.mark.slow
def test_cli_trains_on_a_feature_set_and_records_it(cli: Any, sample_lake: Any) -> None:
    from trade2026 import tracking

    lake = sample_lake
    build_features(lake, SET)
    _, fs, version = read_features(lake, "rlset")
    sym = _symbols(lake, 1)[0]
    ts = lake.read_bars("bars_1d")["ts"].unique().sort()
    end = f"{ts[int(len(ts) * 0.7)]:%Y-%m-%d}"
    r = cli(
        "rl", "train", "--symbols", sym, "--features", "rlset", "--train-end", end, "--name", "fsm", *FAST, "--json"
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["source"]["feature_set"] == "rlset" and d["source"]["feature_hash"] == fs.hash
    tags = tracking.get_model_version("fsm/1")["tags"]
    assert (tags["feature_set"], tags["feature_hash"], tags["feature_version"]) == ("rlset", fs.hash, str(version))
    assert tags["bars_table"] == "bars_1d" and tags["bars_version"] == str(lake.info("bars_1d")["version"])
    assert tracking.get_run(d["run_id"])["params"]["feature_set"] == "rlset"
    rows = json.loads(cli("rl", "ls", "--json").stdout)
    assert [(x["name"], x["feature_set"]) for x in rows] == [("fsm", "rlset")]
    # eval joins the same set again and reproduces the training's out-of-sample numbers
    oos = d["out_of_sample"]
    r = cli("rl", "eval", "fsm", "--start", oos["start"][:10], "--n-random", "5", "--json", "--no-track")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["metrics"] == oos["metrics"]
    # a changed definition is refused, naming the set
    build_features(lake, FeatureSet(name="rlset", indicators=("rsi_14", "vol_21", "mom_63_0")))
    r = cli("rl", "eval", "fsm", "--start", oos["start"][:10], "--n-random", "5", "--no-track")
    assert r.exit_code == 2 and "changed since" in r.stderr
