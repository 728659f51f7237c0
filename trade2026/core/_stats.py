"""Small statistical helpers without scipy (scipy.stats costs ~2 s to import; one quantile does not)."""

from __future__ import annotations

import math
from typing import Any


def norm_cdf(x: Any) -> Any:
    """Standard normal distribution function of a number (a float back) or an array (an array back)."""
    if isinstance(x, int | float):
        return 0.5 * math.erfc(-x / math.sqrt(2.0))
    from scipy.special import ndtr

    return ndtr(x)


def norm_ppf(p: float) -> float:
    """Standard normal quantile (``scipy.special.ndtri``, without importing ``scipy.stats``)."""
    from scipy.special import ndtri

    return float(ndtri(p))
