"""GARCH(1,1) with Gaussian quasi-maximum likelihood: fit, filter and simulate.

``sigma2[t] = omega + alpha * e[t-1]**2 + beta * sigma2[t-1]`` on demeaned returns ``e``.
Used by the stylized facts (conditional heavy tails: the kurtosis of ``e / sigma``) and by the
Monte Carlo synthetic paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from trade2026.errors import InputError


@njit(cache=True)
def garch_filter(e, omega, alpha, beta):
    """Conditional variances of ``e`` (float64 (n,)) under GARCH(1,1); starts at the sample variance."""
    n = e.shape[0]
    s2 = np.empty(n)
    v = 0.0
    for i in range(n):
        v += e[i] * e[i]
    s2[0] = v / max(n, 1)
    for i in range(1, n):
        s2[i] = omega + alpha * e[i - 1] * e[i - 1] + beta * s2[i - 1]
    return s2


@njit(cache=True)
def _nll(e, omega, alpha, beta):
    s2 = garch_filter(e, omega, alpha, beta)
    acc = 0.0
    for i in range(e.shape[0]):
        if s2[i] <= 0:
            return 1e300
        acc += np.log(s2[i]) + e[i] * e[i] / s2[i]
    return 0.5 * acc


@dataclass(frozen=True)
class Garch11:
    """A fitted GARCH(1,1): parameters, mean and the data's scale."""

    mu: float
    omega: float
    alpha: float
    beta: float

    @property
    def persistence(self) -> float:
        return self.alpha + self.beta

    @property
    def unconditional_variance(self) -> float:
        return self.omega / max(1e-12, 1.0 - self.persistence)

    def standardized_residuals(self, returns: np.ndarray) -> np.ndarray:
        e = np.asarray(returns, dtype=np.float64) - self.mu
        return e / np.sqrt(garch_filter(e, self.omega, self.alpha, self.beta))

    def simulate(self, n: int, rng: np.random.Generator, *, innovations: np.ndarray | None = None) -> np.ndarray:
        """``n`` returns; standard normal innovations unless ``innovations`` (bootstrapped
        standardized residuals, say) are given."""
        z = rng.standard_normal(n) if innovations is None else rng.choice(innovations, size=n)
        return _garch_sim(z, self.mu, self.omega, self.alpha, self.beta, self.unconditional_variance)


@njit(cache=True)
def _garch_sim(z, mu, omega, alpha, beta, v0):
    n = z.shape[0]
    out = np.empty(n)
    v = v0
    for i in range(n):
        e = np.sqrt(v) * z[i]
        out[i] = mu + e
        v = omega + alpha * e * e + beta * v
    return out


def fit_garch(returns: np.ndarray) -> Garch11:
    """Gaussian QMLE of GARCH(1,1) on a return series (at least 50 observations).

    Notes
    -----
    Bollerslev (1986), "Generalized autoregressive conditional heteroskedasticity", J. Econometrics
    31(3); the quasi-likelihood of Bollerslev and Wooldridge (1992). Maximised by Nelder-Mead from
    three starting points, on returns scaled to unit variance.
    """
    from scipy.optimize import minimize

    from trade2026._jit import compile_notice

    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size < 50:
        msg = f"GARCH(1,1) needs at least 50 returns (got {r.size}); use a longer history or another method"
        raise InputError(msg)
    compile_notice((garch_filter, _nll, _garch_sim), "GARCH(1,1)")
    mu = float(r.mean())
    e = r - mu
    var = float(e.var())
    scale = np.sqrt(var) if var > 0 else 1.0
    x = e / scale  # fit on unit variance for a well-conditioned problem

    def unpack(th: np.ndarray) -> tuple[float, float, float]:
        # alpha + beta < 1 through a softmax-like map; omega > 0 through exp
        ea, eb = np.exp(th[1]), np.exp(th[2])
        den = 1.0 + ea + eb
        return float(np.exp(th[0])), float(ea / den), float(eb / den)

    def f(th: np.ndarray) -> float:
        o, a, b = unpack(th)
        return float(_nll(x, o, a, b))

    best = None
    for a0, b0 in ((0.05, 0.90), (0.15, 0.6), (0.02, 0.5)):
        rest = 1 - a0 - b0
        th0 = np.array([np.log(max(rest, 1e-3)), np.log(a0 / rest), np.log(b0 / rest)])
        res = minimize(f, th0, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2000})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    o, a, b = unpack(best.x)
    return Garch11(mu=mu, omega=o * var, alpha=a, beta=b)
