"""Searching a meta-label model's hyperparameters with Optuna (TPE) or random sampling.

Each trial meta-labels the same bets with other hyperparameters and scores the out-of-sample
(purged k-fold) figures, fold by fold, so a pruner can stop a trial that is doing badly after a few
folds; the best trial's result is returned with the search recorded in it. The best score is the
maximum over every trial, so it is optimistic: ``search["n_trials"]`` says by how many trials it was
selected (pruned ones included: they were looked at too).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

from trade2026.errors import ConfigError

#: what a meta-label search maximises: a path into MetaLabelResult's classification or returns
OBJECTIVES = {
    "roc_auc": ("classification", "meta", "roc_auc"),
    "f1": ("classification", "meta", "f1"),
    "precision": ("classification", "meta", "precision"),
    "sharpe": ("returns", "meta_sized", "sharpe"),
}


def _suggest(trial: Any, model: str) -> dict[str, Any]:
    """The search space of each model's :data:`MODEL_PARAMS`."""
    if model == "rf":
        return {
            "n_estimators": trial.suggest_int("n_estimators", 100, 400, step=100),
            "max_depth": trial.suggest_int("max_depth", 2, 8),
            "min_weight_fraction_leaf": trial.suggest_float("min_weight_fraction_leaf", 0.0, 0.1),
        }
    if model == "gb":
        return {
            "n_estimators": trial.suggest_int("n_estimators", 50, 300, step=50),
            "max_depth": trial.suggest_int("max_depth", 1, 4),
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        }
    return {"C": trial.suggest_float("C", 1e-3, 1e2, log=True)}


def check_objective(objective: str) -> None:
    """Refuse an objective a meta-label search cannot maximise (ConfigError naming the choices)."""
    if objective not in OBJECTIVES:
        msg = f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}"
        raise ConfigError(msg)


def score(res: Any, objective: str) -> float:
    """The ``objective`` figure of a :class:`MetaLabelResult` (NaN when undefined)."""
    a, b, c = OBJECTIVES[objective]
    return float(getattr(res, a)[b][c])


def partial_score(bets: Any, prob: np.ndarray, objective: str, *, step: float) -> float:
    """The ``objective`` over the bets whose out-of-sample probability is known so far (the test
    folds done, which cover the history from its start): a trial's intermediate value for the pruner.

    Classification objectives score those bets; ``sharpe`` is the meta-sized bets' Sharpe ratio up
    to the last of them ends (the later bets not yet sized).
    """
    from trade2026.core import returns_metrics
    from trade2026.labeling._meta import _classification, bet_size, sized_returns

    done = np.isfinite(prob)
    if objective == "sharpe":
        size = np.where(done, np.clip(bet_size(np.nan_to_num(prob, nan=0.5), step=step), 0.0, 1.0), 0.0)
        end = int(bets.t1_pos[done].max()) + 1
        return float(returns_metrics(sized_returns(bets, size)[:end])["sharpe"])
    y = bets.y[done]
    p = prob[done]
    return float(_classification(y, (p > 0.5).astype(int), p)[OBJECTIVES[objective][2]])


def _pruner(spec: Any) -> Any:
    import optuna

    if spec.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=spec.prune_startup, n_warmup_steps=spec.prune_warmup)
    return optuna.pruners.NopPruner()


@dataclass(frozen=True)
class _Trial:
    """One trial of a search (the trials run one after another: each asks the study what to try next)."""

    index: int


def _run_trial(
    study: Any, bets: Any, model: str, objective: str, *, step: float, random_state: int
) -> tuple[dict[str, Any], Any]:
    """Ask the study for hyperparameters, fit them fold by fold (reporting, maybe pruned), tell the outcome.

    Returns the trial's row (number, params, state, folds, value) and its result (None when pruned).
    """
    from optuna.trial import TrialState

    from trade2026.labeling._meta import bets_result, fold_probs

    trial = study.ask()
    params = _suggest(trial, model)
    prob = np.full(bets.n_bets, np.nan)
    row: dict[str, Any] = {"number": trial.number, "params": params}
    last = bets.n_folds - 1
    for k in range(bets.n_folds):
        fold_probs(bets, prob, k, model=model, hyper=params, random_state=random_state)
        if k == last:
            break
        inter = partial_score(bets, prob, objective, step=step)
        if not math.isfinite(inter):
            continue
        trial.report(inter, k)
        if trial.should_prune():
            study.tell(trial, state=TrialState.PRUNED)
            row.update(state="pruned", folds=k + 1, value=inter)
            return row, None
    res = bets_result(bets, prob, model=model, hyper=params, step=step, random_state=random_state, refit=False)
    value = score(res, objective)
    row.update(folds=bets.n_folds, value=value)
    if math.isfinite(value):
        study.tell(trial, value)
        row["state"] = "complete"
    else:
        study.tell(trial, state=TrialState.FAIL)
        row["state"] = "failed"
    return row, res


def _statistics(bets: Any, complete: list[Any], best: Any, n_trials: int) -> dict[str, float]:
    """The chosen trial's meta-sized Sharpe ratio deflated by every trial of the search
    (:func:`trade2026.backtest.selection_statistics`, as a backtest sweep reports it).

    The variance of the trials' Sharpe ratios is taken over the complete trials (a pruned trial's is
    not known), the number of trials counts every trial, pruned ones included (they were looked at
    and turned down). Per-observation Sharpe ratios of daily bar returns.
    """
    from trade2026.backtest import selection_statistics
    from trade2026.core import metrics_columns
    from trade2026.labeling._meta import sized_returns

    def series(res: Any) -> np.ndarray:
        return sized_returns(bets, res.events["size"].to_numpy())

    finite = np.array([])
    if complete:
        finite = metrics_columns(np.column_stack([series(r) for r in complete]), 252)["sharpe_per_period"]
    finite = finite[np.isfinite(finite)]
    var = float(np.var(finite, ddof=1)) if finite.size > 1 else 0.0
    return selection_statistics(series(best), n_trials=n_trials, var_trials=var)


def search_hyperparameters(
    bets: Any,
    model: str,
    spec: Any,
    *,
    objective: str = "roc_auc",
    step: float = 0.1,
    random_state: int = 0,
    progress: bool = False,
) -> tuple[Any, dict[str, Any]]:
    """Run ``spec.trials`` trials of the secondary model on the same bets; the best result and the search's record.

    Each trial fits its hyperparameters fold by fold (purged k-fold, test folds in time order) and
    reports the objective over the folds done so far (:func:`partial_score`) after each fold but the
    last; the pruner (``spec.pruner``, Optuna's median rule by default) stops a trial whose
    intermediate value falls below the median of earlier trials' at the same fold. A pruned trial
    was still looked at: it counts in ``n_trials``, with ``n_pruned`` saying how many stopped early.

    Parameters
    ----------
    bets : Bets
        From :func:`trade2026.labeling._meta.prepare_bets` (the same bets, labels and folds every trial).
    model : {"rf", "gb", "logit"}
    spec : trade2026.backtest.SearchSpec
        ``method`` optuna (TPE) or random (Optuna's random sampler), ``trials``, ``seed``, ``storage``,
        ``study``, ``pruner`` ("median" or "none"), ``prune_startup``, ``prune_warmup``.
    objective : str
        One of :data:`OBJECTIVES`, maximised.
    step, random_state
        The bet-size step and the classifier's seed (as in :func:`metalabel`).
    progress : bool
        A progress bar of the trials on stderr (when it is a terminal).

    Returns
    -------
    (MetaLabelResult, dict)
        The best complete trial's result (its model refitted on every bet) and ``{"method",
        "objective", "pruner", "n_trials", "n_complete", "n_pruned", "n_failed", "best_value",
        "best_params", "trials": [{"number", "params", "state", "folds", "value"}], "statistics",
        "storage", "study", "optuna_version"}`` (``value`` is the last intermediate value of a pruned
        trial; ``statistics`` the chosen trial's meta-sized Sharpe ratio deflated by every trial,
        :func:`_statistics`).

    Notes
    -----
    The deflated Sharpe ratio is Bailey and Lopez de Prado (2014), eq. (2) with ``E[max SR]`` over
    ``n_trials`` trials. Median pruning: Optuna's ``MedianPruner`` (the median stopping rule of Golovin et al. 2017,
    Google Vizier), with ``n_startup_trials`` = ``spec.prune_startup`` and ``n_warmup_steps`` =
    ``spec.prune_warmup``.
    """
    import optuna

    from trade2026.labeling._meta import bets_result, oos_probs, refit

    check_objective(objective)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (
        optuna.samplers.RandomSampler(seed=spec.seed)
        if spec.method == "random"
        else optuna.samplers.TPESampler(seed=spec.seed)
    )
    name = spec.study or f"metalabel-{model}-{uuid.uuid4().hex[:8]}"
    study = optuna.create_study(
        study_name=name,
        storage=spec.storage,
        direction="maximize",
        sampler=sampler,
        pruner=_pruner(spec),
        load_if_exists=True,
    )
    from trade2026.parallel import run_tasks

    def one(_: _Trial) -> tuple[dict[str, Any], Any]:
        return _run_trial(study, bets, model, objective, step=step, random_state=random_state)

    done = run_tasks(
        one, [_Trial(i) for i in range(spec.trials)], progress=progress, description=f"{model} hyperparameter trials"
    )
    trials = [row for row, _ in done]
    complete = [(row["value"], res) for row, res in done if row["state"] == "complete"]
    failed = [res for row, res in done if row["state"] == "failed"]
    best_value = math.nan
    if complete:
        best_value, best = max(complete, key=lambda vr: vr[0])  # the first of equal values
    elif failed:
        best = failed[0]
    else:  # every trial pruned (against an earlier run's trials of the same study): finish the best one
        top = max(trials, key=lambda t: t["value"])["params"]
        prob = oos_probs(bets, model=model, hyper=top, random_state=random_state)
        best = bets_result(bets, prob, model=model, hyper=top, step=step, random_state=random_state, refit=False)
    best = refit(best, bets, random_state=random_state)
    statistics = _statistics(bets, [res for _, res in complete], best, len(trials))
    states = [t["state"] for t in trials]
    info = {
        "method": spec.method,
        "objective": objective,
        "pruner": spec.pruner,
        "n_trials": len(trials),
        "n_complete": states.count("complete"),
        "n_pruned": states.count("pruned"),
        "n_failed": states.count("failed"),
        "best_value": best_value,
        "best_params": dict(best.params.get("model_params", {})),
        "trials": trials,
        "statistics": statistics,
        "storage": spec.storage,
        "study": name,
        "optuna_version": optuna.__version__,
    }
    return best, info


__all__ = ["OBJECTIVES", "check_objective", "partial_score", "score", "search_hyperparameters"]
