"""Searching meta-label hyperparameters: every trial counted, the best is the best, and reproducible."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trade2026.backtest import SearchSpec
from trade2026.errors import ConfigError
from trade2026.labeling import metalabel_bars
from trade2026.labeling._meta import make_model


def test_make_model_takes_its_hyperparameters() -> None:
    assert make_model("rf", max_depth=3).max_depth == 3
    assert make_model("gb", learning_rate=0.2).learning_rate == 0.2
    assert make_model("logit", C=0.1)[-1].C == 0.1
    with pytest.raises(ConfigError, match="hyperparameters"):
        make_model("logit", max_depth=3)


@pytest.fixture(scope="module")
def bars(small_sample: Any) -> Any:
    import polars as pl

    b = small_sample.bars_1d
    return b.filter(pl.col("symbol") == b["symbol"][0])


def test_random_search_returns_its_best_trial(bars: Any, tmp_path: Path) -> None:
    import optuna

    sym = bars["symbol"][0]
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    spec = SearchSpec(method="random", trials=5, seed=2, storage=storage, study="ml")
    res = metalabel_bars(bars, sym, model="logit", search=spec)
    s = res.search
    assert s is not None and s["n_trials"] == len(s["trials"]) == 5
    values = [t["value"] for t in s["trials"]]
    assert s["best_value"] == max(values) == res.classification["meta"]["roc_auc"]
    assert res.params["model_params"] == s["best_params"]
    # the best trial, rerun on its own, gives the same out-of-sample figures
    again = metalabel_bars(bars, sym, model="logit", model_params=s["best_params"])
    assert again.classification == res.classification
    assert len(optuna.load_study(study_name="ml", storage=storage).trials) == 5
    assert res.to_dict()["search"]["n_trials"] == 5


def test_bad_search_settings_are_refused(bars: Any) -> None:
    sym = bars["symbol"][0]
    with pytest.raises(ConfigError, match="not both"):
        metalabel_bars(bars, sym, model="logit", model_params={"C": 1.0}, search=SearchSpec(trials=2))
    with pytest.raises(ConfigError, match="objective"):
        metalabel_bars(bars, sym, model="logit", search=SearchSpec(trials=2), objective="luck")


def test_cli_metalabel_search(cli: Any, sample_lake: Any) -> None:
    sym = sample_lake.read("bars_1d")["symbol"].sort()[0]
    r = cli("metalabel", sym, "--model", "logit", "--search", "random", "--trials", "3", "--json", "--no-track")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["search"]["n_trials"] == 3 and data["params"]["model_params"] == data["search"]["best_params"]
    assert cli("metalabel", sym, "--search", "grid").exit_code == 2
