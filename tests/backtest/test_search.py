"""Search beyond the grid: random and Optuna searches, their statistics counting every trial, walk-forward."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trade2026.backtest import SearchSpec, WalkForwardSpec, evaluate, parse_grid, run_sweep, walk_forward
from trade2026.backtest._search import walk_forward_choices, window_starts
from trade2026.backtest._sweep import best_index
from trade2026.core import bars_panel
from trade2026.errors import ConfigError

GRID = "fast=2:30:2,slow=20:120:10"
SMALL = "fast=5:15:5,slow=20:40:10"
KW = {"commission_bps": 2.0}


def test_a_random_search_of_every_point_is_the_grid_sweep(bars: Any) -> None:
    n = len(parse_grid("sma_cross", SMALL))
    grid = evaluate(bars, "sma_cross", grid=SMALL, pbo=4, **KW)
    rand = evaluate(bars, "sma_cross", grid=SMALL, pbo=4, search=SearchSpec(method="random", trials=n), **KW)
    assert rand.params == grid.params
    assert rand.statistics == pytest.approx(grid.statistics)
    assert rand.statistics["n_trials"] == n == rand.search.sweep.n_trials
    assert rand.pbo.n_trials == n
    assert rand.to_dict()["search"]["n_evaluated"] == n


def test_optuna_counts_every_trial_and_keeps_its_study(bars: Any, tmp_path: Path) -> None:
    import optuna

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    spec = SearchSpec(method="optuna", trials=30, seed=1, storage=storage, study="t", batch=6)
    rep = evaluate(bars, "sma_cross", grid=GRID, pbo=4, search=spec, **KW)
    s = rep.search
    assert s is not None and s.n_suggested == 30
    evaluated = s.sweep.params
    assert 1 < len(evaluated) <= 30
    assert rep.statistics["n_trials"] == len(evaluated) == rep.pbo.n_trials
    # the pick is the best full-period Sharpe among the sets evaluated, checked by an independent sweep
    ref = run_sweep(bars, "sma_cross", evaluated, **KW)
    assert rep.params == evaluated[best_index(ref.metrics()["sharpe"])]
    np.testing.assert_allclose(ref.returns, s.sweep.returns)
    study = optuna.load_study(study_name="t", storage=storage)
    assert len(study.trials) == 30
    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert max(t.value for t in done) == pytest.approx(ref.metrics()["sharpe"].max())
    # the suggestions the strategy rejects are told as pruned, and counted as invalid
    rejected = [t for t in study.trials if t.state.name == "PRUNED"]
    assert s.n_invalid == len(rejected) == rep.to_dict()["search"]["n_invalid"]
    assert all(t.params["fast"] >= t.params["slow"] for t in rejected)


def test_optuna_with_a_seed_repeats_itself(bars: Any) -> None:
    a = evaluate(bars, "sma_cross", grid=GRID, search=SearchSpec(trials=16, seed=3), **KW)
    b = evaluate(bars, "sma_cross", grid=GRID, search=SearchSpec(trials=16, seed=3), **KW)
    assert a.search.sweep.params == b.search.sweep.params and a.params == b.params


def test_walk_forward_searches_each_window_in_sample(bars: Any) -> None:
    spec = SearchSpec(method="random", trials=5, seed=7)
    wf = WalkForwardSpec(train=250, test=100)
    rep = evaluate(bars, "sma_cross", grid=GRID, walk_forward=wf, search=spec, **KW)
    space = parse_grid("sma_cross", GRID)
    panel = bars_panel(bars)
    wins = window_starts(panel.n_bars, 250, 100, False)
    assert len(rep.walk_forward.windows) == len(wins)
    pooled = set()
    for i, ((lo, s, _), w) in enumerate(zip(wins, rep.walk_forward.windows, strict=True)):
        picks = np.random.default_rng(7 + i).choice(len(space), size=5, replace=False)
        sets = [space[j] for j in picks]
        pooled.update(tuple(sorted(p.items())) for p in sets)
        ref = run_sweep(bars, "sma_cross", sets, **KW)
        assert w["params"] == sets[best_index(ref.metrics(lo, s)["sharpe"])]  # best in-sample of its own trials
    assert rep.statistics["n_trials"] == len(pooled) == rep.search.sweep.n_trials


def test_given_choices_stitch_like_walk_forward(bars: Any) -> None:
    panel = bars_panel(bars)
    sweep = run_sweep(panel, "sma_cross", SMALL, **KW)
    ref = walk_forward(panel, "sma_cross", train=250, test=100, sweep=sweep, config=sweep.config)
    choices = [best_index(sweep.metrics(lo, s)["sharpe"]) for lo, s, _ in window_starts(panel.n_bars, 250, 100, False)]
    mine = walk_forward_choices(
        panel, sweep, choices, train=250, test=100, anchored=False, objective="sharpe", config=sweep.config
    )
    assert mine.windows == ref.windows
    assert mine.returns.equals(ref.returns)
    assert mine.metrics == ref.metrics


def test_bad_searches_are_refused(bars: Any) -> None:
    with pytest.raises(ConfigError, match="unknown search"):
        SearchSpec(method="grid-ish")
    with pytest.raises(ConfigError, match="trials"):
        SearchSpec(trials=0)
    with pytest.raises(ConfigError, match="grid"):
        evaluate(bars, "sma_cross", search=SearchSpec())


def test_cli_search(cli: Any, sample_lake: Any, home: Path) -> None:
    import optuna

    res = cli(
        "backtest", "sma_cross", "--grid", GRID, "--search", "optuna", "--trials", "12", "--study", "s1", "--json"
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["search"]["n_suggested"] == 12
    assert data["statistics"]["n_trials"] == data["search"]["n_evaluated"] == data["sweep"]["n_trials"]
    assert len(optuna.load_study(study_name="s1", storage=f"sqlite:///{home / 'optuna.db'}").trials) == 12
    assert cli("backtest", "sma_cross", "--search", "optuna").exit_code == 2
    assert cli("backtest", "sma_cross", "--grid", GRID, "--search", "nope").exit_code == 2
