"""Meta-labeling on a feature set: the model learns from the set's columns, the lineage names it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from trade2026.errors import ConfigError, NotFoundError
from trade2026.features import build_features, read_features
from trade2026.labeling import metalabel, metalabel_bars

DEFINITION = 'name = "ml"\nindicators = ["rsi_14", "ret_5", "vol_21"]\nlags = { rsi_14 = [1] }\n'


@pytest.fixture
def built(sample_lake: Any, tmp_path: Path) -> Any:
    p = tmp_path / "ml.toml"
    p.write_text(DEFINITION, encoding="utf-8")
    build_features(sample_lake, p)
    return sample_lake


def test_metalabel_uses_the_feature_set_and_records_its_lineage(built: Any) -> None:
    sym = built.read("bars_1d")["symbol"].sort()[0]
    res = metalabel_bars(built, sym, model="logit", features="ml")
    assert res.feature_names == ("rsi_14", "ret_5", "vol_21", "rsi_14_lag1", "side")
    assert res.model.n_features_in_ == 5
    _, fs, version = read_features(built, "ml")
    assert res.lineage == {
        "bars_table": "bars_1d",
        "bars_version": built.info("bars_1d")["version"],
        "feature_set": "ml",
        "feature_hash": fs.hash,
        "feature_table": "features_ml",
        "feature_version": version,
    }
    assert res.run_params["feature_hash"] == fs.hash


def test_features_after_a_bar_are_never_its_features(small_sample: Any) -> None:
    """A feature row stamped one day after each bar must not reach that bar: shifting the feature
    rows into the future gives each bar the previous (older) row, so the model sees other numbers."""
    bars = small_sample.bars_1d
    sym = bars["symbol"][0]
    one = bars.filter(pl.col("symbol") == sym).sort("ts")
    rng = np.random.default_rng(0)
    feat = one.select("ts").with_columns(noise=pl.Series(rng.normal(size=one.height)))
    same = metalabel(one, "sma_cross:fast=20,slow=50", model="logit", features=feat)
    later = feat.with_columns(pl.col("ts") + pl.duration(hours=1))
    shifted = metalabel(one, "sma_cross:fast=20,slow=50", model="logit", features=later)
    # with every feature row an hour late, no bar has a row at or before it but the previous bar's
    assert same.events.height >= shifted.events.height
    assert not np.allclose(same.model[-1].coef_, shifted.model[-1].coef_)


def test_a_feature_set_needs_a_lake_and_a_build(sample_lake: Any, small_sample: Any) -> None:
    sym = small_sample.bars_1d["symbol"][0]
    with pytest.raises(ConfigError, match="Lake"):
        metalabel_bars(small_sample.bars_1d, sym, features="ml")
    with pytest.raises(NotFoundError):
        metalabel_bars(sample_lake, sym, features="ml")


def test_cli_metalabel_features(cli: Any, built: Any) -> None:
    sym = built.read("bars_1d")["symbol"].sort()[0]
    res = cli("metalabel", sym, "--features", "ml", "--model", "logit", "--json", "--no-track")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["lineage"]["feature_set"] == "ml"
    assert data["n_events"] > 0
