"""Searching a meta-label model's hyperparameters with Optuna (TPE) or random sampling.

Each trial meta-labels the same bets with other hyperparameters and scores the out-of-sample
(purged k-fold) figures; the best trial's result is returned with the search recorded in it. The
best score is the maximum over every trial, so it is optimistic: ``search["n_trials"]`` says by how
many trials it was selected.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import Any

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


def score(res: Any, objective: str) -> float:
    """The ``objective`` figure of a :class:`MetaLabelResult` (NaN when undefined)."""
    a, b, c = OBJECTIVES[objective]
    return float(getattr(res, a)[b][c])


def search_hyperparameters(
    run: Callable[[dict[str, Any]], Any], model: str, spec: Any, *, objective: str = "roc_auc"
) -> tuple[Any, dict[str, Any]]:
    """Run ``spec.trials`` trials of ``run(model_params)``; the best result and the search's record.

    Parameters
    ----------
    run : callable
        ``model_params -> MetaLabelResult`` (the same bets, labels and CV every time).
    model : {"rf", "gb", "logit"}
    spec : trade2026.backtest.SearchSpec
        ``method`` optuna (TPE) or random (Optuna's random sampler), ``trials``, ``seed``, ``storage``,
        ``study``.
    objective : str
        One of :data:`OBJECTIVES`, maximised.

    Returns
    -------
    (MetaLabelResult, dict)
        The best trial's result and ``{"method", "objective", "n_trials", "best_value", "best_params",
        "trials": [{"params", "value"}], "storage", "study"}``.
    """
    import optuna

    if objective not in OBJECTIVES:
        msg = f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}"
        raise ConfigError(msg)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (
        optuna.samplers.RandomSampler(seed=spec.seed)
        if spec.method == "random"
        else optuna.samplers.TPESampler(seed=spec.seed)
    )
    name = spec.study or f"metalabel-{model}-{uuid.uuid4().hex[:8]}"
    study = optuna.create_study(
        study_name=name, storage=spec.storage, direction="maximize", sampler=sampler, load_if_exists=True
    )
    best: Any = None
    best_value = -math.inf
    trials: list[dict[str, Any]] = []
    for _ in range(spec.trials):
        trial = study.ask()
        params = _suggest(trial, model)
        res = run(params)
        value = score(res, objective)
        trials.append({"params": params, "value": value})
        if math.isfinite(value):
            study.tell(trial, value)
            if value > best_value:
                best, best_value = res, value
        else:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            best = best if best is not None else res
    info = {
        "method": spec.method,
        "objective": objective,
        "n_trials": len(trials),
        "best_value": best_value if math.isfinite(best_value) else math.nan,
        "best_params": dict(best.params.get("model_params", {})),
        "trials": trials,
        "storage": spec.storage,
        "study": name,
    }
    return best, info


__all__ = ["OBJECTIVES", "score", "search_hyperparameters"]
