"""Small statistical helpers without scipy (scipy.stats costs ~2 s to import; one quantile does not)."""

from __future__ import annotations

import math


def norm_cdf(x: float) -> float:
    """Standard normal distribution function."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def norm_ppf(p: float) -> float:
    """Standard normal quantile (``scipy.special.ndtri``, without importing ``scipy.stats``)."""
    from scipy.special import ndtri

    return float(ndtri(p))
