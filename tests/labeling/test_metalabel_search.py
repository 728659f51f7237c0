"""Searching meta-label hyperparameters: every trial counted, the best is the best, and reproducible."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from statistics import NormalDist
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
    # the chosen trial's Sharpe ratio is deflated by all five: Bailey and Lopez de Prado (2014), eq. (2),
    # with the trials' Sharpe ratios from independent reruns and the normal quantiles of the stdlib
    st = s["statistics"]
    reruns = [metalabel_bars(bars, sym, model="logit", model_params=t["params"]) for t in s["trials"]]
    srs = [r.returns["meta_sized"]["sharpe"] / math.sqrt(252) for r in reruns]
    srs = [x for x in srs if math.isfinite(x)]  # a model that sizes no bet has no Sharpe ratio
    assert len(srs) >= 2
    assert st["n_trials"] == 5 and st["sharpe_variance"] == pytest.approx(statistics.variance(srs))
    assert st["sharpe_per_period"] == pytest.approx(res.returns["meta_sized"]["sharpe"] / math.sqrt(252))
    z, g = NormalDist().inv_cdf, 0.5772156649015329
    e_max = math.sqrt(statistics.variance(srs)) * ((1 - g) * z(1 - 1 / 5) + g * z(1 - 1 / (5 * math.e)))
    assert st["expected_max_sharpe"] == pytest.approx(e_max)
    assert 0 <= st["dsr"] <= st["psr"] <= 1


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
    assert data["search"]["n_pruned"] == 0 and data["search"]["pruner"] == "median"  # 3 trials: all start-up
    assert cli("metalabel", sym, "--search", "grid").exit_code == 2
    assert cli("metalabel", sym, "--search", "random", "--pruner", "early").exit_code == 2
    r = cli(
        "metalabel", sym, "--model", "logit", "--search", "random", "--trials", "2", "--pruner", "none", "--no-track"
    )
    assert r.exit_code == 0 and "2 trials (2 complete, 0 pruned, 0 failed)" in r.stdout


def test_pruned_trials_stop_early_and_are_counted(bars: Any, tmp_path: Path) -> None:
    import numpy as np
    import optuna
    from optuna.trial import TrialState
    from sklearn.metrics import roc_auc_score

    from trade2026.validation import PurgedKFold

    sym = bars["symbol"][0]
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    common = {"method": "random", "trials": 10, "seed": 1, "prune_startup": 2, "prune_warmup": 0}
    res = metalabel_bars(bars, sym, model="logit", search=SearchSpec(**common, storage=storage, study="p"))
    s = res.search
    assert s is not None and s["pruner"] == "median"
    assert s["n_trials"] == len(s["trials"]) == s["n_complete"] + s["n_pruned"] + s["n_failed"] == 10
    assert s["n_pruned"] > 0
    states = [t.state for t in optuna.load_study(study_name="p", storage=storage).trials]
    assert states.count(TrialState.PRUNED) == s["n_pruned"] and states.count(TrialState.COMPLETE) == s["n_complete"]
    done = [t for t in s["trials"] if t["state"] == "complete"]
    assert all(t["folds"] == 5 for t in done)
    assert all(t["folds"] < 5 for t in s["trials"] if t["state"] == "pruned")
    assert s["best_value"] == max(t["value"] for t in done) == res.classification["meta"]["roc_auc"]
    # a pruned trial's value is the ROC AUC over the bets of the folds it finished, computed here independently
    cut = next(t for t in s["trials"] if t["state"] == "pruned")
    full = metalabel_bars(bars, sym, model="logit", model_params=cut["params"])
    ev = full.events
    folds = list(PurgedKFold(n_splits=5, t1=ev.select("t0", "t1"), embargo=0.01).split(np.zeros(ev.height)))
    seen = np.concatenate([test for _, test in folds[: cut["folds"]]])
    assert cut["value"] == pytest.approx(roc_auc_score(ev["label"].to_numpy()[seen], ev["prob"].to_numpy()[seen]))
    # pruning changes nothing about the trials it lets finish: the same draws without a pruner score the same
    free = metalabel_bars(bars, sym, model="logit", search=SearchSpec(**common, pruner="none")).search
    assert free is not None and free["n_pruned"] == 0 and all(t["folds"] == 5 for t in free["trials"])
    for t in done:
        assert free["trials"][t["number"]]["value"] == pytest.approx(t["value"])
        assert free["trials"][t["number"]]["params"] == t["params"]


def test_partial_score_over_every_fold_is_the_score(bars: Any) -> None:
    import numpy as np

    from trade2026.labeling._meta import bets_result, oos_probs, prepare_bets
    from trade2026.labeling._search import OBJECTIVES, partial_score, score

    bets = prepare_bets(
        bars, "sma_cross:fast=20,slow=50", pt=1, sl=1, vertical=10, cusum=1, n_splits=5, embargo=0.01, features=None
    )
    prob = oos_probs(bets, model="logit", hyper={}, random_state=0)
    assert np.isfinite(prob).all()
    res = bets_result(bets, prob, model="logit", hyper={}, step=0.1, random_state=0, refit=False)
    for obj in OBJECTIVES:
        if obj != "sharpe":  # the Sharpe ratio's partial series stops at the last bet's end
            assert partial_score(bets, prob, obj, step=0.1) == pytest.approx(score(res, obj))


def test_unknown_pruner_is_refused() -> None:
    with pytest.raises(ConfigError, match="pruner"):
        SearchSpec(pruner="hyperband")


def test_cli_search_json_is_the_librarys(cli: Any, sample_lake: Any, home: Path, tmp_path: Path) -> None:
    from trade2026._json import dumps

    sym = sample_lake.read("bars_1d")["symbol"].sort()[0]
    args = ("--model", "logit", "--search", "optuna", "--trials", "7", "--study", "same", "--no-track", "--json")
    r = cli("metalabel", sym, *args)
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got.pop("run_id") is None
    assert got["search"].pop("storage") == f"sqlite:///{home / 'optuna.db'}"
    spec = SearchSpec(method="optuna", trials=7, storage=f"sqlite:///{tmp_path / 'lib.db'}", study="same")
    want = json.loads(dumps(metalabel_bars(sample_lake, sym, model="logit", search=spec).to_dict()))
    want["search"].pop("storage")
    assert got == want
