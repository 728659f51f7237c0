"""Black-Litterman posterior from user views with confidences.

Views come from a TOML file::

    [[views]]                 # absolute: SYM returns 8% a year
    asset = "AAPL"
    return = 0.08
    confidence = 0.6          # in (0, 1]; default 0.5

    [[views]]                 # relative: the long leg beats the short leg by 3% a year
    long = ["AAPL", "MSFT"]   # a string or a list; legs are equally weighted
    short = "XOM"
    return = 0.03
    confidence = 0.3

The prior is the equilibrium ``pi = delta * Sigma * w_prior`` (Black and Litterman 1992). A view's
uncertainty is ``omega_k = (1 - c_k) / c_k * p_k' (tau Sigma) p_k`` so that confidence 0.5 gives
He and Litterman's (1999) ``omega = diag(P tau Sigma P')`` and confidence 1 makes the view hold
exactly. The posterior is

    mu  = pi + tau Sigma P' (P tau Sigma P' + Omega)^-1 (Q - P pi)
    cov = Sigma + ((tau Sigma)^-1 + P' Omega^-1 P)^-1
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trade2026.errors import ConfigError, NotFoundError


@dataclass(frozen=True)
class Views:
    """``P`` (n_views, n_assets), ``Q`` (n_views,) per-period returns, confidences (n_views,)."""

    P: np.ndarray
    Q: np.ndarray
    confidence: np.ndarray
    labels: tuple[str, ...]


def _legs(v: Any, key: str, where: str) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
        return list(v)
    msg = f"{where}: {key} must be a symbol or a list of symbols"
    raise ConfigError(msg)


def parse_views(spec: str | Path | dict[str, Any], symbols: Sequence[str], *, periods_per_year: float = 252) -> Views:
    """Read views (a TOML path, TOML text or a parsed dict) over ``symbols``.

    View returns in the file are annual; ``Q`` is per period (divided by ``periods_per_year``).
    """
    if isinstance(spec, dict):
        data = spec
        where = "views"
    else:
        path = Path(spec)
        if path.suffix == ".toml" or path.exists():
            if not path.exists():
                msg = f"views file {path} does not exist"
                raise NotFoundError(msg)
            if not path.is_file():
                msg = f"views file {path} is a directory; give a TOML file of [[views]]"
                raise ConfigError(msg, option="params")
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                msg = f"views file {path} is not UTF-8 text; give a TOML file of [[views]]"
                raise ConfigError(msg, option="params") from None
            where = str(path)
        else:
            text = str(spec)
            where = "views"
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            msg = f"{where}: not valid TOML ({exc})"
            raise ConfigError(msg) from exc
    rows = data.get("views")
    if not isinstance(rows, list) or not rows:
        msg = (
            f"{where}: no [[views]] tables; each view needs asset= (absolute) or long=/short= (relative), "
            "return= and confidence="
        )
        raise ConfigError(msg)
    idx = {s: i for i, s in enumerate(symbols)}
    P, Q, C, labels = [], [], [], []
    for k, row in enumerate(rows, 1):
        at = f"{where}: view {k}"
        if not isinstance(row, dict):
            raise ConfigError(f"{at} is {row!r}, not a table (asset= or long=/short=, return=, confidence=)")
        if "return" not in row:
            raise ConfigError(f"{at} has no return=")
        ret = _number(row["return"], "return", at)
        p = np.zeros(len(symbols))
        if "asset" in row:
            legs = {"asset": _legs(row["asset"], "asset", at)}
            if len(legs["asset"]) != 1:
                raise ConfigError(f"{at}: asset= names one symbol; use long=/short= for baskets")
            label = f"{legs['asset'][0]} = {ret}"
        elif "long" in row:
            legs = {"long": _legs(row["long"], "long", at)}
            if "short" in row:
                legs["short"] = _legs(row["short"], "short", at)
            label = f"{'+'.join(legs['long'])} - {'+'.join(legs.get('short', []))} = {ret}"
        else:
            raise ConfigError(f"{at} needs asset= (absolute view) or long=/short= (relative view)")
        unknown = [s for names in legs.values() for s in names if s not in idx]
        if unknown:
            msg = f"{at} names symbols outside the universe: {', '.join(unknown)}"
            raise ConfigError(msg)
        for key, names in legs.items():
            sign = -1.0 if key == "short" else 1.0
            for s in names:
                p[idx[s]] += sign / len(names)
        c = _number(row.get("confidence", 0.5), "confidence", at)
        if not 0 < c <= 1:
            raise ConfigError(f"{at}: confidence must be in (0, 1], got {c}")
        if not np.any(p):
            raise ConfigError(f"{at}: its long and short legs cancel (the view is about nothing)")
        P.append(p)
        Q.append(ret / periods_per_year)
        C.append(c)
        labels.append(label)
    Pm = np.array(P)
    if np.linalg.matrix_rank(Pm) < len(P):
        msg = (
            f"{where}: the views are not independent (a view repeats or combines others, so the view "
            "matrix is singular); drop or merge the redundant views"
        )
        raise ConfigError(msg)
    return Views(Pm, np.array(Q), np.array(C), tuple(labels))


def _number(value: Any, key: str, at: str) -> float:
    """A view's ``return=`` or ``confidence=`` as a finite float, else a ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        msg = f"{at}: {key} must be a finite number, got {value!r}"
        raise ConfigError(msg)
    return float(value)


def posterior(
    cov: np.ndarray,
    views: Views,
    *,
    prior_weights: np.ndarray | None = None,
    delta: float = 2.5,
    tau: float = 0.05,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Black-Litterman posterior ``(mu, cov, pi)`` (per-period, like ``cov``)."""
    cov = np.asarray(cov, dtype=float)
    n = cov.shape[0]
    w = np.full(n, 1.0 / n) if prior_weights is None else np.asarray(prior_weights, dtype=float)
    pi = delta * cov @ w
    P, Q = views.P, views.Q
    ts = tau * cov
    base = np.einsum("ki,ij,kj->k", P, ts, P)
    c = np.minimum(views.confidence, 1 - 1e-9)
    omega = np.diag((1 - c) / c * base)
    middle = P @ ts @ P.T + omega
    mu = pi + ts @ P.T @ np.linalg.solve(middle, Q - P @ pi)
    # (ts^-1 + P' Omega^-1 P)^-1 = ts - ts P' (P ts P' + Omega)^-1 P ts  (Woodbury; Omega may be ~0)
    post = ts - ts @ P.T @ np.linalg.solve(middle, P @ ts)
    return mu, cov + (post + post.T) / 2, pi
