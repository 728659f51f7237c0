"""The registry of named portfolio methods.

Each :class:`Method` has a name, a one-line summary, documented parameters with defaults, the
constraints it honours, and a ``solve(problem, **params) -> weights`` function. Every solver-based
method goes through riskfolio-lib (:mod:`trade2026.portfolio._riskfolio`); equal weight and inverse
volatility are closed forms.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trade2026.errors import ConfigError
from trade2026.portfolio import _riskfolio as rf

LINEAR = frozenset({"long_short", "bounds", "groups", "turnover", "max_assets"})
BOUNDS = frozenset({"bounds", "turnover"})
RISK_PARITY = frozenset({"bounds", "groups", "turnover"})
NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Param:
    """A method parameter: its default (whose type a given value must have), help, and the values it
    may take: ``choices`` (case-insensitive) for text, ``low`` (inclusive) for numbers."""

    default: Any
    help: str
    choices: tuple[str, ...] = ()
    low: float | None = None

    def check(self, value: Any, where: str) -> Any:
        """``value`` coerced to the default's type and checked; a ConfigError naming ``params`` otherwise."""
        v = _coerce(value, self.default, where)
        d = self.default
        if d is None:  # free-form (a file name or a mapping): its reader checks it
            return v
        if isinstance(d, bool) != isinstance(v, bool) or (
            isinstance(d, int | float) and not isinstance(v, int | float)
        ):
            msg = f"{where} must be {type(d).__name__} like {d!r}, got {value!r}"
            raise ConfigError(msg, option="params")
        if isinstance(d, str) and not isinstance(v, str):
            msg = f"{where} must be text like {d!r}, got {value!r}"
            raise ConfigError(msg, option="params")
        if isinstance(v, float) and not math.isfinite(v):
            msg = f"{where} must be a finite number, got {value!r}"
            raise ConfigError(msg, option="params")
        if self.low is not None and isinstance(v, int | float) and v < self.low:
            msg = f"{where} must be >= {self.low:g}, got {value!r}"
            raise ConfigError(msg, option="params")
        if self.choices and v.lower() not in {c.lower() for c in self.choices}:
            msg = f"{where} must be one of {', '.join(self.choices)}, got {value!r}"
            raise ConfigError(msg, option="params")
        return v


@dataclass(frozen=True)
class Method:
    """A named portfolio construction method."""

    name: str
    summary: str
    solve: Callable[..., np.ndarray] = field(repr=False)
    params: Mapping[str, Param] = field(default_factory=dict)
    supports: frozenset[str] = NONE
    uses_mu: bool = False

    def resolve_params(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults overridden by ``given`` (strings from the CLI are coerced to the default's type)."""
        out = {k: p.default for k, p in self.params.items()}
        for key, value in (given or {}).items():
            if key not in self.params:
                known = ", ".join(self.params) or "none"
                msg = f"method {self.name!r} has no parameter {key!r}; its parameters: {known}"
                raise ConfigError(msg, option="params")
            out[key] = self.params[key].check(value, f"{self.name}.{key}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "params": {k: {"default": p.default, "help": p.help} for k, p in self.params.items()},
            "constraints": sorted(self.supports),
            "uses_expected_returns": self.uses_mu,
        }


def _coerce(value: Any, default: Any, where: str) -> Any:
    if not isinstance(value, str) or isinstance(default, str) or default is None:
        return value
    try:
        if isinstance(default, bool):
            if value.lower() in ("1", "true", "yes"):
                return True
            if value.lower() in ("0", "false", "no"):
                return False
            raise ValueError(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError as exc:
        msg = f"{where}: cannot read {value!r} as {type(default).__name__}"
        raise ConfigError(msg, option="params") from exc
    return value


# ----------------------------------------------------------------------------------------------
# solve functions: (problem, **params) -> weights of shape (n_assets,)


def _ew(p: Any) -> np.ndarray:
    n = len(p.symbols)
    return np.full(n, 1.0 / n)


def _inv_vol(p: Any) -> np.ndarray:
    iv = 1.0 / np.sqrt(np.diag(p.cov))
    return iv / iv.sum()


def _min_var(p: Any) -> np.ndarray:
    return rf.convex(p, rm="MV", obj="MinRisk")


def _max_sharpe(p: Any, *, rf_rate: float) -> np.ndarray:
    return rf.convex(p, rm="MV", obj="Sharpe", rf=rf_rate / p.periods_per_year)


def _max_return(p: Any, *, max_vol: float) -> np.ndarray:
    limit = max_vol / np.sqrt(p.periods_per_year)
    hint = f"max_vol={max_vol:g} is below the lowest volatility the other constraints allow; raise it"
    return rf.convex(p, rm="MV", obj="MaxRet", limits={"upperdev": limit}, hint=hint)


def _utility(p: Any, *, risk_aversion: float, rm: str) -> np.ndarray:
    return rf.convex(p, rm=rf.risk_measure(rm), obj="Utility", l=risk_aversion)


def _mean_cvar(p: Any, *, objective: str, rf_rate: float) -> np.ndarray:
    return rf.convex(p, rm="CVaR", obj=rf.objective(objective), rf=rf_rate / p.periods_per_year)


def _mean_cdar(p: Any, *, objective: str, rf_rate: float) -> np.ndarray:
    return rf.convex(p, rm="CDaR", obj=rf.objective(objective), rf=rf_rate / p.periods_per_year)


def _mean_risk(p: Any, *, rm: str, objective: str, risk_aversion: float, rf_rate: float) -> np.ndarray:
    return rf.convex(
        p,
        rm=rf.risk_measure(rm),
        obj=rf.objective(objective),
        l=risk_aversion,
        rf=rf_rate / p.periods_per_year,
    )


def _erc(p: Any, *, rm: str) -> np.ndarray:
    return rf.risk_parity(p, rm=rf.risk_measure(rm))


def _risk_budget(p: Any, *, budgets: str, rm: str) -> np.ndarray:
    b = parse_budgets(budgets, p.symbols)
    return rf.risk_parity(p, rm=rf.risk_measure(rm), budgets=b)


def parse_budgets(spec: str | Mapping[str, float], symbols: Any) -> np.ndarray:
    """``"AAA=2,BBB=1"`` (or a mapping) -> budgets over ``symbols``, unnamed ones 1, summing to 1."""
    if isinstance(spec, str):
        pairs: dict[str, float] = {}
        for part in filter(None, (x.strip() for x in spec.split(","))):
            if "=" not in part:
                msg = f"risk budget {part!r} is not SYMBOL=VALUE"
                raise ConfigError(msg)
            k, v = part.split("=", 1)
            try:
                pairs[k.strip()] = float(v)
            except ValueError as exc:
                raise ConfigError(f"risk budget {part!r}: {v!r} is not a number") from exc
    else:
        pairs = {str(k): float(v) for k, v in spec.items()}
    unknown = sorted(set(pairs) - set(symbols))
    if unknown:
        msg = f"risk budgets name symbols outside the universe: {', '.join(unknown)}"
        raise ConfigError(msg)
    b = np.array([pairs.get(s, 1.0) for s in symbols], dtype=float)
    if (b <= 0).any():
        msg = "risk budgets must be positive"
        raise ConfigError(msg)
    return b / b.sum()


def _rrp(p: Any, *, version: str, penalty: float) -> np.ndarray:
    return rf.relaxed_risk_parity(p, version=version.upper(), penalty=penalty)


def _hc_rm(rm: str) -> str:
    return "vol" if rm.lower() == "vol" else rf.risk_measure(rm)


def _hrp(p: Any, *, linkage: str, rm: str) -> np.ndarray:
    return rf.hierarchical(p, model="HRP", rm=_hc_rm(rm), linkage=linkage)


def _herc(p: Any, *, linkage: str, rm: str, max_k: int) -> np.ndarray:
    return rf.hierarchical(p, model="HERC", rm=_hc_rm(rm), linkage=linkage, max_k=max_k)


def _nco(p: Any, *, linkage: str, rm: str, objective: str, max_k: int) -> np.ndarray:
    obj = "ERC" if objective.lower() == "erc" else rf.objective(objective)
    return rf.hierarchical(p, model="NCO", rm=_hc_rm(rm), obj=obj, linkage=linkage, max_k=max_k)


def _black_litterman(p: Any, *, views: Any, tau: float, delta: float, objective: str, rf_rate: float) -> np.ndarray:
    from trade2026.portfolio._blacklitterman import parse_views, posterior

    if not views:
        msg = 'black_litterman needs views: params={"views": "views.toml"} (see `t26 portfolio methods`)'
        raise ConfigError(msg)
    v = parse_views(views, p.symbols, periods_per_year=p.periods_per_year)
    mu, cov, _ = posterior(p.cov, v, delta=delta, tau=tau)
    p.mu = mu
    p.cov = cov
    return rf.convex(p, rm="MV", obj=rf.objective(objective), rf=rf_rate / p.periods_per_year, l=delta)


def _max_div(p: Any) -> np.ndarray:
    # Maximum diversification ratio w'sigma / sqrt(w'Sigma w) is the max-Sharpe portfolio with the
    # asset volatilities as expected returns (Choueifaty and Coignard 2008).
    return rf.convex(p, rm="MV", obj="Sharpe", mu=np.sqrt(np.diag(p.cov)))


_RMS = tuple(rf.RISK_MEASURES)
_LINKAGES = ("single", "complete", "average", "weighted", "centroid", "median", "ward", "DBHT")
_RF = Param(0.0, "risk-free rate, annual")
_RM = Param("mv", "risk measure: " + ", ".join(_RMS), _RMS)
_HRM = Param("mv", "risk measure for the cluster allocation: vol or " + ", ".join(_RMS), ("vol", *_RMS))
_OBJ = Param("sharpe", "objective: " + ", ".join(rf.OBJECTIVES), tuple(rf.OBJECTIVES))
_LINK = Param("single", "linkage: " + ", ".join(_LINKAGES), _LINKAGES)
_MAXK = Param(10, "largest number of clusters tried by the gap statistic", low=1)

METHODS: dict[str, Method] = {
    m.name: m
    for m in [
        Method("ew", "equal weight 1/N", _ew),
        Method("inv_vol", "inverse volatility: w_i proportional to 1/sigma_i", _inv_vol),
        Method("min_var", "minimum variance", _min_var, supports=LINEAR),
        Method(
            "max_sharpe", "maximum Sharpe ratio (mean-variance tangency)", _max_sharpe, {"rf_rate": _RF}, LINEAR, True
        ),
        Method(
            "max_return",
            "maximum expected return with volatility at most max_vol",
            _max_return,
            {"max_vol": Param(0.15, "volatility budget, annual", low=0)},
            LINEAR,
            True,
        ),
        Method(
            "utility",
            "mean-risk utility: maximise mu'w - risk_aversion * risk",
            _utility,
            {"risk_aversion": Param(2.0, "risk aversion l", low=0), "rm": _RM},
            LINEAR,
            True,
        ),
        Method(
            "mean_cvar", "mean-CVaR (tail level alpha)", _mean_cvar, {"objective": _OBJ, "rf_rate": _RF}, LINEAR, True
        ),
        Method(
            "mean_cdar",
            "mean-CDaR, conditional drawdown at risk",
            _mean_cdar,
            {"objective": _OBJ, "rf_rate": _RF},
            LINEAR,
            True,
        ),
        Method(
            "mean_risk",
            "any of riskfolio-lib's convex risk measures by name, with any objective",
            _mean_risk,
            {
                "rm": Param("mad", _RM.help, _RMS),
                "objective": Param("min_risk", _OBJ.help, _OBJ.choices),
                "risk_aversion": Param(2.0, "for objective=utility", low=0),
                "rf_rate": _RF,
            },
            LINEAR,
            True,
        ),
        Method("erc", "equal risk contribution (risk parity)", _erc, {"rm": _RM}, RISK_PARITY),
        Method(
            "risk_budget",
            "risk budgeting with custom budgets (unnamed symbols get 1)",
            _risk_budget,
            {"budgets": Param("", "SYM=budget,SYM=budget (relative)"), "rm": _RM},
            RISK_PARITY,
        ),
        Method(
            "rrp",
            "relaxed risk parity (Gambeta and Kwon 2020)",
            _rrp,
            {
                "version": Param("A", "A (no regularisation), B or C", ("A", "B", "C")),
                "penalty": Param(1.0, "penalty l for version C", low=0),
            },
        ),
        Method("hrp", "hierarchical risk parity (Lopez de Prado 2016)", _hrp, {"linkage": _LINK, "rm": _HRM}, BOUNDS),
        Method(
            "herc",
            "hierarchical equal risk contribution (Raffinot 2017)",
            _herc,
            {"linkage": Param("ward", _LINK.help, _LINKAGES), "rm": _HRM, "max_k": _MAXK},
        ),
        Method(
            "nco",
            "nested clustered optimisation (Lopez de Prado 2020)",
            _nco,
            {
                "linkage": Param("ward", _LINK.help, _LINKAGES),
                "rm": _RM,
                "objective": Param(
                    "min_risk", "min_risk, sharpe, utility or erc", ("min_risk", "sharpe", "utility", "erc")
                ),
                "max_k": _MAXK,
            },
        ),
        Method(
            "black_litterman",
            "Black-Litterman posterior from TOML views, then max Sharpe (or objective)",
            _black_litterman,
            {
                "views": Param(
                    None, "TOML file of [[views]] (asset= or long=/short=, return= annual, confidence=), or a mapping"
                ),
                "tau": Param(0.05, "prior uncertainty scale", low=0),
                "delta": Param(2.5, "risk aversion of the equilibrium prior (equal-weight market)", low=0),
                "objective": _OBJ,
                "rf_rate": _RF,
            },
            LINEAR,
        ),
        Method("max_div", "maximum diversification ratio (Choueifaty and Coignard 2008)", _max_div, supports=LINEAR),
    ]
}


def get_method(name: str) -> Method:
    key = name.strip().lower().replace("-", "_")
    if key not in METHODS:
        msg = f"unknown portfolio method {name!r}; choose one of {', '.join(METHODS)}"
        raise ConfigError(msg)
    return METHODS[key]


def list_methods() -> list[Method]:
    return list(METHODS.values())
