"""Feature sets: the definition, its hash, the build (created, incremental, up to date, rebuilt), the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026.errors import ConfigError, NotFoundError
from trade2026.features import (
    FeatureSet,
    build_features,
    compute_features,
    feature_set_info,
    feature_sets,
    read_features,
)
from trade2026.features import indicators as ind

EXAMPLE = Path(__file__).resolve().parents[2] / "datasets" / "features" / "momentum.toml"

SMALL = """
name = "small"
indicators = ["rsi_14", "mom_20_5"]
ranks = ["mom_20_5"]
lags = { rsi_14 = [1, 3] }
[fracdiff]
d = 0.5
"""


def _write(tmp_path: Path, text: str, name: str = "small.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_the_example_definition_parses() -> None:
    fs = FeatureSet.from_toml(EXAMPLE)
    assert fs.name == "momentum"
    assert "rank_mom_126_21" in fs.columns and "ffd_lag1" in fs.columns and "regime_trend" in fs.columns


def test_the_hash_follows_the_definition_not_its_spelling(tmp_path: Path) -> None:
    a = FeatureSet.from_toml(_write(tmp_path, SMALL))
    reordered = SMALL.replace("lags = { rsi_14 = [1, 3] }", 'lags = { rsi_14 = [1, 3] }\ndescription = "other words"')
    b = FeatureSet.from_toml(_write(tmp_path, reordered, "b.toml"))
    c = FeatureSet.from_toml(_write(tmp_path, SMALL.replace("d = 0.5", "d = 0.6"), "c.toml"))
    assert a.hash == b.hash
    assert a.hash != c.hash


@pytest.mark.parametrize(
    ("text", "exc"),
    [
        ('name = "x"\nindicators = ["rsi_999999"]', Exception),
        ('name = "x"\nindicators = ["nosuch_3"]', NotFoundError),
        ('name = "x"\nindicators = ["rsi_14"]\nranks = ["vol_21"]', ConfigError),
        ('name = "x"\nindicators = ["rsi_14"]\nlags = { rsi_14 = [0] }', ConfigError),
        ('name = "x"\nindicators = ["rsi_14"]\nlags = { rank_rsi_14 = [1] }', ConfigError),
        ('name = "x"\n[fracdiff]\nd = "sometimes"', ConfigError),
        ('name = "x"\nindicatorz = ["rsi_14"]', ConfigError),
        ('name = "x"', ConfigError),
    ],
)
def test_bad_definitions_are_refused(tmp_path: Path, text: str, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        FeatureSet.from_toml(_write(tmp_path, text, "bad.toml"))


def test_features_match_an_independent_computation(small_sample: Any, tmp_path: Path) -> None:
    from trade2026.features import fracdiff

    bars = small_sample.bars_1d
    fs = FeatureSet.from_toml(_write(tmp_path, SMALL))
    out = compute_features(bars, fs)
    assert out.columns == ["symbol", "ts", *fs.columns, "ffd_d"]
    ref = ind.compute(bars, ["rsi_14", "mom_20_5"], keep=["symbol", "ts", "close"]).sort("symbol", "ts")
    sym = ref["symbol"][0]
    mine = out.filter(pl.col("symbol") == sym)
    theirs = ref.filter(pl.col("symbol") == sym)
    np.testing.assert_allclose(mine["rsi_14"].to_numpy(), theirs["rsi_14"].cast(pl.Float64).fill_nan(None).to_numpy())
    # a lag is the value k bars earlier of the same symbol
    np.testing.assert_allclose(mine["rsi_14_lag3"].to_numpy()[3:], mine["rsi_14"].to_numpy()[:-3])
    # fracdiff of log close with the fixed d
    ffd = fracdiff(np.log(theirs["close"].to_numpy()), 0.5, thresh=1e-4)
    np.testing.assert_allclose(mine["ffd"].fill_null(np.nan).to_numpy(), ffd, equal_nan=True)
    # ranks: on each bar, the percentile rank of mom_20_5 across the symbols holding a value
    day = out.filter(pl.col("mom_20_5").is_not_null())["ts"][-1]
    row = out.filter(pl.col("ts") == day)
    vals = row["mom_20_5"].to_numpy()
    expect = np.array([(vals <= v).sum() / len(vals) for v in vals])  # no ties in continuous data
    np.testing.assert_allclose(row["rank_mom_20_5"].to_numpy(), expect)


def test_build_is_incremental_and_says_when_nothing_is_new(lake: Any, small_sample: Any, tmp_path: Path) -> None:
    from trade2026.datasets import write_sample

    write_sample(lake, small_sample)
    bars = lake.read("bars_1d")
    cut = bars["ts"].sort().unique()[-10]
    lake.write("bars_1d", bars.filter(pl.col("ts") < cut), mode="overwrite")
    path = _write(tmp_path, SMALL)
    first = build_features(lake, path)
    assert first.mode == "created" and first.rows_written == bars.filter(pl.col("ts") < cut).height
    again = build_features(lake, "small")
    assert again.mode == "up_to_date" and again.rows_written == 0 and "nothing new" in again.message
    lake.write("bars_1d", bars.filter(pl.col("ts") >= cut), mode="append")
    inc = build_features(lake, "small")
    assert inc.mode == "incremental"
    assert inc.rows_written == bars.filter(pl.col("ts") >= cut).height
    # the incremental table equals a build from scratch
    df, fs, _ = read_features(lake, "small")
    full = compute_features(lake.read_bars("bars_1d"), fs).select(df.columns).sort("symbol", "ts")
    assert df.height == full.height
    assert df.equals(full)


def test_a_changed_definition_rebuilds(sample_lake: Any, tmp_path: Path) -> None:
    build_features(sample_lake, _write(tmp_path, SMALL))
    changed = build_features(sample_lake, _write(tmp_path, SMALL.replace("d = 0.5", "d = 0.7")))
    assert changed.mode == "rebuilt" and "definition changed" in changed.message
    _, fs, _ = read_features(sample_lake, "small")
    assert set(sample_lake.read("features_small")["feature_hash"].unique().to_list()) == {fs.hash}
    assert feature_set_info(sample_lake, "small")["definition"]["fracdiff"]["d"] == 0.7
    other = build_features(sample_lake, FeatureSet.from_dict({"name": "small", "indicators": ["vol_21", "sma_20"]}))
    assert other.mode == "rebuilt"  # other columns: the table's schema follows the definition
    assert sample_lake.read("features_small").columns == ["symbol", "ts", "vol_21", "sma_20", "feature_hash"]


def test_an_auto_d_is_fitted_once_and_kept(sample_lake: Any, tmp_path: Path) -> None:
    text = 'name = "auto"\n[fracdiff]\nd = "auto"\n'
    build_features(sample_lake, _write(tmp_path, text, "auto.toml"))
    d = sample_lake.read("features_auto").group_by("symbol").agg(pl.col("ffd_d").n_unique().alias("n"))
    assert (d["n"] == 1).all()
    ds = sample_lake.read("features_auto")["ffd_d"].unique().to_numpy()
    assert ((ds >= 0) & (ds <= 1)).all()


def test_unknown_sets_name_the_fix(sample_lake: Any) -> None:
    with pytest.raises(NotFoundError, match="build it"):
        build_features(sample_lake, "nosuch")
    with pytest.raises(NotFoundError):
        read_features(sample_lake, "nosuch")


def test_cli_build_ls_show(cli: Any, sample_lake: Any) -> None:
    res = cli("features", "build", str(EXAMPLE), "--json", "--no-track")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["mode"] == "created" and data["table"] == "features_momentum"
    assert sample_lake.count("features_momentum") == data["rows_written"] > 0
    res = cli("features", "build", "momentum", "--json", "--no-track")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["mode"] == "up_to_date"
    rows = json.loads(cli("features", "ls", "--json").stdout)
    assert [r["name"] for r in rows] == ["momentum"] and rows[0]["rows"] == data["rows_written"]
    info = json.loads(cli("features", "show", "momentum", "--json").stdout)
    assert info["hash"] == data["hash"] and info["columns"] == data["columns"]
    assert cli("features", "show", "nosuch").exit_code == 2


def test_the_library_gives_the_cli_json(cli: Any, sample_lake: Any) -> None:
    from trade2026._json import dumps

    cli("features", "build", str(EXAMPLE), "--no-track")
    res = cli("features", "ls", "--json")
    assert json.loads(res.stdout) == json.loads(dumps(feature_sets(sample_lake)))
    res = cli("features", "show", "momentum", "--json")
    assert json.loads(res.stdout) == json.loads(dumps(feature_set_info(sample_lake, "momentum")))
    res = cli("features", "build", "momentum", "--json", "--no-track")
    data = json.loads(res.stdout)
    assert data.pop("run_id") is None
    assert data == json.loads(dumps(build_features(sample_lake, "momentum").to_dict()))
