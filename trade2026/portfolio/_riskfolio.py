"""The one place that talks to riskfolio-lib (and through it cvxpy).

riskfolio-lib takes seconds to import, so it is imported inside the functions here and nowhere at
module level. Every call runs under :func:`quiet`, which keeps riskfolio's prints off stdout (where
``--json`` results go), drops cvxpy's deprecation noise and turns "inaccurate solution" warnings
into notes on the result.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from trade2026.errors import ConfigError, InputError, T26Error

SOLVERS = ("CLARABEL", "SCS")  # CLARABEL first (interior point, accurate), SCS as the fallback
MI_SOLVERS = ("HIGHS",)  # mixed-integer linear programs (max_assets with a linear risk measure)

# Risk measures riskfolio-lib solves as convex programs with the installed solvers; user-facing
# names are case-insensitive.
RISK_MEASURES = {
    "mv": "MV", "mad": "MAD", "gmd": "GMD", "msv": "MSV", "flpm": "FLPM", "slpm": "SLPM",
    "cvar": "CVaR", "tg": "TG", "evar": "EVaR", "wr": "WR", "rg": "RG", "cvrg": "CVRG",
    "tgrg": "TGRG", "evrg": "EVRG", "mdd": "MDD", "add": "ADD", "cdar": "CDaR", "edar": "EDaR",
    "uci": "UCI", "kt": "KT", "skt": "SKT", "em": "EM", "esm": "ESM",
}  # fmt: skip
# Measures whose programs are linear (so a MILP solver can add a cardinality constraint).
LINEAR_MEASURES = {"MAD", "MSV", "FLPM", "CVaR", "WR", "RG", "CVRG", "MDD", "ADD", "CDaR"}
OBJECTIVES = {"min_risk": "MinRisk", "sharpe": "Sharpe", "utility": "Utility", "max_return": "MaxRet"}

# cvxpy warns (UserWarning) each time riskfolio-lib multiplies matrices with ``*``: their noise,
# not the user's; the message starts with a newline.
_NOISE = (re.compile(r"\s*This use of ``\*`` has resulted in matrix multiplication", re.S),)
_INACCURATE = re.compile(r"Solution may be inaccurate")


def risk_measure(name: str) -> str:
    key = str(name).lower()
    if key not in RISK_MEASURES:
        msg = f"unknown risk measure {name!r}; choose one of {', '.join(RISK_MEASURES)}"
        raise ConfigError(msg)
    return RISK_MEASURES[key]


def objective(name: str) -> str:
    key = str(name).lower()
    if key not in OBJECTIVES:
        msg = f"unknown objective {name!r}; choose one of {', '.join(OBJECTIVES)}"
        raise ConfigError(msg)
    return OBJECTIVES[key]


@contextlib.contextmanager
def quiet(notes: list[str]) -> Iterator[None]:
    """Run riskfolio-lib quietly: prints swallowed, known noise dropped, other warnings kept."""
    buf = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(buf):
        warnings.simplefilter("always")
        yield
    for w in caught:
        text = str(w.message)
        if any(p.match(text) for p in _NOISE):
            continue
        if _INACCURATE.search(text):
            note = "the solver reported an inaccurate solution (weights are still checked against every constraint)"
            if note not in notes:
                notes.append(note)
            continue
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _frame(returns: Any) -> Any:
    import pandas as pd

    return returns if isinstance(returns, pd.DataFrame) else pd.DataFrame(returns)


def _check_solved(w: Any, what: str, hint: str = "") -> np.ndarray:
    if w is None:
        msg = f"{what}: no solution from the solvers ({', '.join(SOLVERS)})"
        if hint:
            raise InputError(f"{msg}; {hint}")
        raise T26Error(msg)
    arr = np.array(w, dtype=float).ravel()
    if not np.isfinite(arr).all():
        raise T26Error(f"{what}: the solver returned non-finite weights")
    return arr


@contextlib.contextmanager
def _library_errors(what: str) -> Iterator[None]:
    """riskfolio-lib's own arithmetic failures (e.g. HERC on an exactly diagonal covariance) as T26Error."""
    try:
        yield
    except (ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError) as exc:
        msg = (
            f"{what}: riskfolio-lib failed on these inputs ({type(exc).__name__}: {exc}); "
            "try another cov estimator or method"
        )
        raise T26Error(msg) from exc


def portfolio(problem: Any) -> Any:
    """A riskfolio ``Portfolio`` with our estimates and every linear constraint of ``problem``."""
    import pandas as pd
    import riskfolio as rp

    cons = problem.cons
    cols = list(problem.symbols)
    sb = cons.short_budget
    port = rp.Portfolio(
        returns=_frame(problem.returns),
        sht=cons.long_short,
        budget=1.0,
        budgetsht=max(sb, 1e-9),
        uppersht=max(sb, 1e-9),
        upperlng=1.0 + sb,
        lowerlng=0.0,
        alpha=problem.alpha,
    )
    port.mu = pd.DataFrame(np.asarray(problem.mu)[None, :], columns=cols)
    port.cov = pd.DataFrame(problem.cov, index=cols, columns=cols)
    if {"bounds", "turnover", "groups"} & set(problem.active):
        # Only when set: 2n bound rows on top of riskfolio-lib's own budget/sign constraints
        # slow the conic solve down for nothing.
        a, b = cons.inequalities()
        port.ainequality = a
        port.binequality = b[:, None]
    port.solvers = list(SOLVERS)
    port.sol_params = {}
    return port


def convex(
    problem: Any,
    *,
    rm: str = "MV",
    obj: str = "MinRisk",
    rf: float = 0.0,
    l: float = 2.0,  # noqa: E741 - riskfolio-lib's name for risk aversion
    mu: np.ndarray | None = None,
    limits: dict[str, float] | None = None,
    hint: str = "",
) -> np.ndarray:
    """Solve one of riskfolio-lib's mean-risk programs (``Portfolio.optimization``)."""
    import pandas as pd

    port = portfolio(problem)
    if mu is not None:
        port.mu = pd.DataFrame(np.asarray(mu)[None, :], columns=list(problem.symbols))
    for key, value in (limits or {}).items():
        setattr(port, key, value)
    if problem.cons.max_assets is not None:
        if rm not in LINEAR_MEASURES:
            msg = (
                f"max_assets needs a mixed-integer solver; with the installed ones ({', '.join(MI_SOLVERS)}) "
                f"only linear risk measures work ({', '.join(sorted(LINEAR_MEASURES))}), not {rm}"
            )
            raise ConfigError(msg)
        port.card = int(problem.cons.max_assets)
        port.solvers = list(MI_SOLVERS)
    with quiet(problem.notes):
        w = port.optimization(model="Classic", rm=rm, obj=obj, rf=rf, l=l, hist=True)
    if w is None and obj == "Sharpe" and not hint:
        from trade2026.portfolio._constraints import max_linear

        mu_used = np.asarray(port.mu, dtype=float).ravel()
        best = max_linear(problem.cons, mu_used)
        if best <= rf:
            ppy = problem.periods_per_year
            hint = (
                f"a ratio objective needs a portfolio with expected return above the risk-free rate "
                f"({rf * ppy:.4g}/yr), but the best these constraints allow is {best * ppy:.4g}/yr; "
                "loosen the bounds, change the mean estimator, or use objective=min_risk"
            )
    return _check_solved(w, f"{obj} with risk measure {rm}", hint)


def risk_parity(problem: Any, *, rm: str = "MV", budgets: np.ndarray | None = None) -> np.ndarray:
    """Risk budgeting (``Portfolio.rp_optimization``); equal budgets give ERC."""
    port = portfolio(problem)
    b = None if budgets is None else np.asarray(budgets, dtype=float).reshape(-1, 1)
    with quiet(problem.notes):
        w = port.rp_optimization(model="Classic", rm=rm, rf=0, b=b, hist=True)
    return _check_solved(w, f"risk budgeting with risk measure {rm}")


def relaxed_risk_parity(problem: Any, *, version: str = "A", penalty: float = 1.0) -> np.ndarray:
    """Relaxed risk parity (Gambeta and Kwon 2020; ``Portfolio.rrp_optimization``)."""
    if version not in ("A", "B", "C"):
        msg = f"rrp version must be A, B or C, got {version!r}"
        raise ConfigError(msg)
    port = portfolio(problem)
    port.ainequality = None
    port.binequality = None
    with quiet(problem.notes):
        w = port.rrp_optimization(model="Classic", version=version, l=penalty, hist=True)
    return _check_solved(w, f"relaxed risk parity version {version}")


def hierarchical(
    problem: Any,
    *,
    model: str,
    rm: str = "MV",
    obj: str = "MinRisk",
    linkage: str = "single",
    max_k: int = 10,
    rf: float = 0.0,
) -> np.ndarray:
    """HRP, HERC or NCO (``HCPortfolio.optimization``) on our covariance estimate."""
    import pandas as pd
    import riskfolio as rp

    cols = list(problem.symbols)
    cons = problem.cons
    kw: dict[str, Any] = {}
    if "bounds" in problem.active or "turnover" in problem.active:
        kw = {"w_min": pd.Series(cons.lb, index=cols), "w_max": pd.Series(cons.ub, index=cols)}
    port = rp.HCPortfolio(returns=_frame(problem.returns), alpha=problem.alpha, solvers=list(SOLVERS), **kw)
    cov = pd.DataFrame(problem.cov, index=cols, columns=cols)
    mu = pd.Series(np.asarray(problem.mu), index=cols)
    with quiet(problem.notes), _library_errors(model):
        w = port.optimization(
            model=model,
            codependence="custom_cov",
            method_cov="custom_cov",
            custom_cov=cov,
            method_mu="custom_mu",
            custom_mu=mu,
            obj=obj,
            rm=rm,
            rf=rf,
            linkage=linkage,
            max_k=max_k,
            leaf_order=True,
        )
    return _check_solved(w, model)


def efficient_frontier(problem: Any, *, rm: str = "MV", points: int = 20, rf: float = 0.0) -> np.ndarray:
    """Weights along the efficient frontier, shape (points, n_assets)."""
    port = portfolio(problem)
    with quiet(problem.notes):
        frontier = port.efficient_frontier(model="Classic", rm=rm, points=points, rf=rf, solver=SOLVERS[0], hist=True)
    if frontier is None or frontier.shape[1] == 0:
        raise T26Error(f"efficient frontier with risk measure {rm}: no solution from the solvers")
    return np.asarray(frontier, dtype=float).T


def risk_value(problem: Any, w: np.ndarray, *, rm: str) -> float:
    """The per-period value of risk measure ``rm`` for weights ``w`` (riskfolio-lib's definition)."""
    import riskfolio as rp

    with quiet(problem.notes):
        return float(
            rp.RiskFunctions.Sharpe_Risk(
                np.asarray(problem.returns, dtype=float),
                w=np.asarray(w, dtype=float).reshape(-1, 1),
                cov=np.asarray(problem.cov, dtype=float),
                rm=rm,
                alpha=problem.alpha,
            )
        )
