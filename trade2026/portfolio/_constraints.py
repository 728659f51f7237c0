"""Portfolio constraints: weight bounds, group (sector) bounds, turnover and gross exposure.

Everything linear is resolved to per-asset bounds ``lb <= w <= ub`` plus group rows
``gmin <= G w <= gmax`` and checked for feasibility with a small LP before any optimiser runs, so
an impossible set is reported by name (exit 2) instead of as a solver failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trade2026.errors import ConfigError, InputError


@dataclass(frozen=True)
class Constraints:
    """What a portfolio must satisfy; every weight vector sums to one.

    Parameters
    ----------
    long_short : bool
        Allow negative weights. Then ``gross`` caps ``sum |w|`` (so shorts total at most
        ``(gross - 1) / 2``).
    gross : float
        Gross exposure cap for long-short portfolios (ignored when long-only).
    min_weight, max_weight : float, optional
        Per-asset bounds (``min_weight`` defaults to 0 long-only and ``-(gross - 1) / 2`` long-short).
    groups : mapping symbol -> group
        Group (sector) of each asset, for ``group_min`` / ``group_max``.
    group_min, group_max : mapping group -> float
        Bounds on the total weight of each named group.
    max_turnover : float, optional
        Per-asset turnover limit ``|w_i - current_i| <= max_turnover`` (riskfolio-lib's definition),
        folded into the bounds.
    current : mapping symbol -> weight, optional
        The current weights the turnover limit refers to (missing symbols are 0).
    max_assets : int, optional
        At most this many non-zero weights (needs a mixed-integer solver: linear risk measures only).
    """

    long_short: bool = False
    gross: float = 1.6
    min_weight: float | None = None
    max_weight: float | None = None
    groups: Mapping[str, str] = field(default_factory=dict)
    group_min: Mapping[str, float] = field(default_factory=dict)
    group_max: Mapping[str, float] = field(default_factory=dict)
    max_turnover: float | None = None
    current: Mapping[str, float] | None = None
    max_assets: int | None = None

    @property
    def short_budget(self) -> float:
        return (self.gross - 1.0) / 2.0 if self.long_short else 0.0

    def active(self) -> list[str]:
        """Names of the constraints set beyond the defaults (for method support checks)."""
        out = []
        if self.long_short:
            out.append("long_short")
        if self.min_weight is not None or self.max_weight is not None:
            out.append("bounds")
        if self.group_min or self.group_max:
            out.append("groups")
        if self.max_turnover is not None:
            out.append("turnover")
        if self.max_assets is not None:
            out.append("max_assets")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "long_short": self.long_short,
            "gross": self.gross if self.long_short else 1.0,
            "min_weight": self.min_weight,
            "max_weight": self.max_weight,
            "group_min": dict(self.group_min),
            "group_max": dict(self.group_max),
            "max_turnover": self.max_turnover,
            "max_assets": self.max_assets,
        }


@dataclass(frozen=True)
class Resolved:
    """Constraints resolved against an ordered list of symbols."""

    symbols: tuple[str, ...]
    lb: np.ndarray
    ub: np.ndarray
    group_names: tuple[str, ...]
    group_matrix: np.ndarray  # (n_groups, n_assets) 0/1
    group_lo: np.ndarray
    group_hi: np.ndarray
    long_short: bool
    short_budget: float
    max_assets: int | None

    def inequalities(self) -> tuple[np.ndarray, np.ndarray]:
        """All linear constraints as ``A w <= b`` (riskfolio-lib's convention)."""
        n = len(self.symbols)
        eye = np.eye(n)
        rows = [eye, -eye]
        rhs = [self.ub, -self.lb]
        for g in range(len(self.group_names)):
            if np.isfinite(self.group_hi[g]):
                rows.append(self.group_matrix[g][None, :])
                rhs.append(np.array([self.group_hi[g]]))
            if np.isfinite(self.group_lo[g]):
                rows.append(-self.group_matrix[g][None, :])
                rhs.append(np.array([-self.group_lo[g]]))
        a = np.vstack(rows)
        b = np.concatenate(rhs)
        keep = np.isfinite(b)
        return a[keep], b[keep]

    def check(self, w: np.ndarray, *, tol: float = 1e-6) -> list[str]:
        """Names of the constraints ``w`` violates (empty when it satisfies all of them)."""
        bad = []
        if abs(float(w.sum()) - 1.0) > tol:
            bad.append(f"sum of weights {w.sum():.6f} != 1")
        for i, s in enumerate(self.symbols):
            if w[i] < self.lb[i] - tol or w[i] > self.ub[i] + tol:
                bad.append(f"{s} weight {w[i]:.6f} outside [{self.lb[i]:.4g}, {self.ub[i]:.4g}]")
        for g, name in enumerate(self.group_names):
            tot = float(self.group_matrix[g] @ w)
            if tot < self.group_lo[g] - tol or tot > self.group_hi[g] + tol:
                bad.append(f"group {name} weight {tot:.6f} outside [{self.group_lo[g]:.4g}, {self.group_hi[g]:.4g}]")
        if self.long_short and float(np.abs(w).sum()) > 1 + 2 * self.short_budget + tol:
            bad.append(f"gross exposure {np.abs(w).sum():.4f} > {1 + 2 * self.short_budget:.4g}")
        return bad


def resolve(c: Constraints, symbols: Sequence[str]) -> Resolved:
    """Turn ``c`` into bounds and group rows over ``symbols`` and check it is feasible.

    Raises
    ------
    InputError
        When the constraints cannot all hold; the message names the ones in conflict.
    """
    syms = tuple(symbols)
    n = len(syms)
    if c.long_short and c.gross < 1.0:
        msg = f"gross exposure must be >= 1 for a long-short portfolio, got {c.gross}"
        raise ConfigError(msg)
    sb = c.short_budget
    lo_default = -sb if c.long_short else 0.0
    hi_default = 1.0 + sb
    lb = np.full(n, lo_default if c.min_weight is None else c.min_weight, dtype=float)
    ub = np.full(n, hi_default if c.max_weight is None else c.max_weight, dtype=float)
    if not c.long_short and c.min_weight is not None and c.min_weight < 0:
        msg = f"min_weight {c.min_weight} < 0 needs a long-short portfolio (long_short=True)"
        raise ConfigError(msg)
    lb = np.maximum(lb, lo_default)
    labels = ["weight bounds"]
    if c.max_turnover is not None:
        if c.max_turnover < 0:
            msg = f"max_turnover must be >= 0, got {c.max_turnover}"
            raise ConfigError(msg)
        cur_map = dict(c.current or {})
        unknown = sorted(set(cur_map) - set(syms))
        if unknown:
            msg = f"current weights name symbols outside the universe: {', '.join(unknown)}"
            raise ConfigError(msg)
        cur = np.array([float(cur_map.get(s, 0.0)) for s in syms])
        lb = np.maximum(lb, cur - c.max_turnover)
        ub = np.minimum(ub, cur + c.max_turnover)
        labels.append(f"max_turnover={c.max_turnover:g} around the current weights")

    groups = dict(c.groups)
    names = sorted(set(c.group_min) | set(c.group_max))
    known = set(groups.get(s) for s in syms)
    missing = [g for g in names if g not in known]
    if missing:
        have = ", ".join(sorted(str(k) for k in known if k is not None)) or "none"
        msg = f"group bound(s) for {', '.join(missing)} match no symbol in the universe; groups present: {have}"
        raise ConfigError(msg)
    gm = np.array([[1.0 if groups.get(s) == g else 0.0 for s in syms] for g in names]).reshape(len(names), n)
    glo = np.array([c.group_min.get(g, -np.inf) for g in names], dtype=float)
    ghi = np.array([c.group_max.get(g, np.inf) for g in names], dtype=float)
    if c.max_assets is not None and not c.max_assets >= 1:
        msg = f"max_assets must be >= 1, got {c.max_assets}"
        raise ConfigError(msg)
    r = Resolved(syms, lb, ub, tuple(names), gm, glo, ghi, c.long_short, sb, c.max_assets)
    _check_feasible(r, labels)
    return r


def _describe_group(r: Resolved, g: int) -> str:
    parts = []
    if np.isfinite(r.group_lo[g]):
        parts.append(f"{r.group_names[g]} >= {r.group_lo[g]:g}")
    if np.isfinite(r.group_hi[g]):
        parts.append(f"{r.group_names[g]} <= {r.group_hi[g]:g}")
    return " and ".join(parts)


def _check_feasible(r: Resolved, labels: list[str]) -> None:
    base = " + ".join(labels)
    n = len(r.symbols)
    crossed = [s for i, s in enumerate(r.symbols) if r.lb[i] > r.ub[i] + 1e-12]
    if crossed:
        msg = f"infeasible constraints: {base} leave no room for {', '.join(crossed)} (lower bound above upper bound)"
        raise InputError(msg)
    if r.lb.sum() > 1 + 1e-9 or r.ub.sum() < 1 - 1e-9:
        msg = (
            f"infeasible constraints: {base} cannot sum to 1 "
            f"(bounds allow a total between {r.lb.sum():.4g} and {r.ub.sum():.4g} over {n} assets)"
        )
        raise InputError(msg)
    if r.max_assets is not None and r.max_assets * float(np.max(r.ub)) < 1 - 1e-9:
        msg = (
            f"infeasible constraints: max_assets={r.max_assets} with a max weight of {np.max(r.ub):g} "
            "cannot reach a total of 1"
        )
        raise InputError(msg)
    if not r.group_names and not r.long_short:
        return
    if _lp_feasible(r, range(len(r.group_names))):
        return
    alone = [g for g in range(len(r.group_names)) if not _lp_feasible(r, [g])]
    if alone:
        named = "; ".join(_describe_group(r, g) for g in alone)
        msg = f"infeasible constraints: group bound(s) {named} cannot hold together with {base}"
    else:
        named = "; ".join(_describe_group(r, g) for g in range(len(r.group_names)))
        msg = f"infeasible constraints: the group bounds {named} cannot all hold together with {base}"
    if r.long_short:
        msg += f" and gross exposure {1 + 2 * r.short_budget:g}"
    raise InputError(msg)


def max_linear(r: Resolved, c: np.ndarray) -> float:
    """The largest ``c'w`` over every portfolio the constraints allow."""
    res = _lp(r, range(len(r.group_names)), objective=-np.asarray(c, dtype=float))
    return float(-res.fun) if res.status == 0 else float("nan")


def _lp_feasible(r: Resolved, groups: Any) -> bool:
    """Is there a w with sum 1, bounds, the chosen group rows (and gross cap when long-short)?"""
    return bool(_lp(r, groups).status == 0)


def _lp(r: Resolved, groups: Any, objective: np.ndarray | None = None) -> Any:
    from scipy.optimize import linprog

    n = len(r.symbols)
    gs = list(groups)
    # variables: w (n) and, long-short, t (n) with |w| <= t and sum t <= gross
    m = 2 * n if r.long_short else n
    a_ub: list[np.ndarray] = []
    b_ub: list[float] = []
    for g in gs:
        row = np.zeros(m)
        row[:n] = r.group_matrix[g]
        if np.isfinite(r.group_hi[g]):
            a_ub.append(row)
            b_ub.append(r.group_hi[g])
        if np.isfinite(r.group_lo[g]):
            a_ub.append(-row)
            b_ub.append(-r.group_lo[g])
    bounds: list[tuple[float | None, float | None]] = [
        (float(lo), float(hi)) for lo, hi in zip(r.lb, r.ub, strict=True)
    ]
    if r.long_short:
        eye = np.eye(n)
        for i in range(n):
            a_ub.append(np.concatenate([eye[i], -eye[i]]))
            b_ub.append(0.0)
            a_ub.append(np.concatenate([-eye[i], -eye[i]]))
            b_ub.append(0.0)
        a_ub.append(np.concatenate([np.zeros(n), np.ones(n)]))
        b_ub.append(1 + 2 * r.short_budget)
        bounds += [(0.0, None)] * n
    a_eq = np.concatenate([np.ones(n), np.zeros(m - n)])[None, :]
    cost = np.zeros(m)
    if objective is not None:
        cost[:n] = objective
    return linprog(
        cost,
        A_ub=np.array(a_ub) if a_ub else None,
        b_ub=np.array(b_ub) if b_ub else None,
        A_eq=a_eq,
        b_eq=np.array([1.0]),
        bounds=bounds,
        method="highs",
    )
