"""Meta-labeling under combinatorial purged cross-validation: a distribution of backtest paths.

Where :func:`trade2026.labeling.metalabel` gives one out-of-sample history (purged k-fold), CPCV
(AFML 12.4) fits the secondary model on every one of the ``C(N, k)`` splits and reassembles their
test predictions into ``phi = C(N-1, k-1)`` complete out-of-sample paths, so the meta model's
accuracy and the sized bets' Sharpe ratio come as a distribution rather than one number. Each
split's fit is a task of :func:`trade2026.parallel.run_tasks` (serial, processes or Ray), carrying
the bets (a few kB), never the bars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

PATH_METRICS = ("accuracy", "f1", "roc_auc", "sharpe", "total_return", "max_drawdown", "bets")


@dataclass(frozen=True)
class MetaLabelCPCVResult:
    """What :func:`metalabel_cpcv` found.

    ``paths``: one row per CPCV path with the meta model's out-of-sample ``accuracy``, ``f1``,
    ``roc_auc`` and the meta-sized bets' ``sharpe``, ``total_return``, ``max_drawdown`` and ``bets``
    (taken); ``summary``: mean, standard deviation, minimum and maximum of each over the paths;
    ``primary``: the primary's bets taken whole (the same on every path); ``probabilities`` of shape
    (n_paths, n_bets).
    """

    params: dict[str, Any]
    n_bets: int
    n_splits: int
    paths: list[dict[str, float]]
    summary: dict[str, dict[str, float]]
    primary: dict[str, float]
    probabilities: np.ndarray = field(repr=False)

    @property
    def n_paths(self) -> int:
        return len(self.paths)

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "n_bets": self.n_bets,
            "n_splits": self.n_splits,
            "n_paths": self.n_paths,
            "primary": self.primary,
            "summary": self.summary,
            "paths": self.paths,
        }


def metalabel_cpcv(
    bars: Any,
    primary: str,
    *,
    model: str = "rf",
    pt: float = 1.0,
    sl: float = 1.0,
    vertical: Any = 10,
    cusum: float = 1.0,
    n_groups: int = 6,
    n_test_groups: int = 2,
    embargo: float = 0.01,
    step: float = 0.1,
    random_state: int = 0,
    features: Any = None,
    model_params: dict[str, Any] | None = None,
    executor: str = "serial",
    ray_address: str | None = None,
    max_workers: int | None = None,
) -> MetaLabelCPCVResult:
    """Meta-label a primary strategy's bets on one symbol and test the meta model on every CPCV path.

    Parameters
    ----------
    bars, primary, model, pt, sl, vertical, cusum, step, random_state, features, model_params
        As for :func:`trade2026.labeling.metalabel` (the same bets, labels, features and model).
    n_groups, n_test_groups, embargo
        :class:`trade2026.validation.CombinatorialPurgedCV` settings: ``C(n_groups, n_test_groups)``
        fits, ``C(n_groups - 1, n_test_groups - 1)`` paths.
    executor, ray_address, max_workers
        Where the fits run (:func:`trade2026.parallel.run_tasks`); every executor gives the serial
        result (each fit seeds its model with ``random_state``).

    Returns
    -------
    MetaLabelCPCVResult

    Notes
    -----
    López de Prado, *Advances in Financial Machine Learning* (2018), 12.4: each path takes every
    group's predictions from a different split, so the paths are complete out-of-sample histories
    whose spread measures how much the result owes to one particular train/test cut.
    """
    from trade2026.labeling._meta import FoldFit, _classification, bet_size, fit_folds, make_model, prepare_bets
    from trade2026.validation import CombinatorialPurgedCV

    hyper = dict(model_params or {})
    make_model(model, **hyper)  # validate the name before the work
    settings: dict[str, Any] = {"n_groups": n_groups, "n_test_groups": n_test_groups, "embargo": embargo}
    n_splits = CombinatorialPurgedCV(**settings).get_n_splits()  # validates the groups before the work
    bets = prepare_bets(
        bars,
        primary,
        pt=pt,
        sl=sl,
        vertical=vertical,
        cusum=cusum,
        n_splits=n_groups,
        embargo=embargo,
        features=features,
    )
    cv = CombinatorialPurgedCV(**settings, t1=bets.events)
    fits = [FoldFit(model, random_state, hyper, bets.train_data(), tr, te) for tr, te in cv.split(bets.X)]
    preds = fit_folds(fits, executor=executor, ray_address=ray_address, max_workers=max_workers)
    probs = cv.reassemble(preds, n_samples=len(bets.y))
    rows = []
    for p, prob in enumerate(probs):
        pred = (prob > 0.5).astype(int)
        size = np.clip(bet_size(prob, step=step), 0.0, 1.0)
        c = _classification(bets.y, pred, prob)
        r = bets.returns(size)
        rows.append(
            {
                "path": p,
                "accuracy": c["accuracy"],
                "f1": c["f1"],
                "roc_auc": c["roc_auc"],
                "sharpe": r["sharpe"],
                "total_return": r["total_return"],
                "max_drawdown": r["max_drawdown"],
                "bets": r["bets"],
            }
        )
    summary = {}
    for k in PATH_METRICS:
        v = np.array([row[k] for row in rows], dtype=float)
        v = v[np.isfinite(v)]
        summary[k] = {
            "mean": float(v.mean()) if v.size else float("nan"),
            "std": float(v.std(ddof=1)) if v.size > 1 else float("nan"),
            "min": float(v.min()) if v.size else float("nan"),
            "max": float(v.max()) if v.size else float("nan"),
        }
    params = {
        "primary": primary,
        "model": model,
        "pt": pt,
        "sl": sl,
        "vertical": vertical,
        "cusum": cusum,
        "n_groups": n_groups,
        "n_test_groups": n_test_groups,
        "embargo": embargo,
        "step": step,
        **({"model_params": hyper} if hyper else {}),
    }
    return MetaLabelCPCVResult(
        params=params,
        n_bets=len(bets.y),
        n_splits=n_splits,
        paths=rows,
        summary=summary,
        primary=bets.returns(np.ones(len(bets.y))),
        probabilities=probs,
    )
